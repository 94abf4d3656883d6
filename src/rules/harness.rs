//! `dusk rules test`: rule tests as data, with a version axis.
//!
//! A test file (`*.test.yaml`) names a component and gives cases: an input (inline or a
//! file, any kind dusk reads, told by the case's `path`), the findings expected at several
//! target versions of the component, and the text `dusk fix --unsafe-fixes` should leave
//! (absent: fixing must change nothing). Each case is linted at every target, fixed at the
//! newest target (or `fix-target`), and fixed again to check the fix converged and a second
//! run changes nothing. A failure shows the expected and actual text as a unified diff.
//!
//! Takes test files and a compiled rule set per file; reads the inputs it names and, with
//! `--update`, rewrites the test files with what dusk finds now. No network.

use super::compile::{self, PackSource, RuleSet};
use super::version::Version;
use super::{Targets, compile::LoadError};
use crate::discover::classify;
use crate::lint::{Limits, Prefilter, Selection, Settings, lint_text};
use crate::migrate::{End, FileMeta, FixSettings, fix_text};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One test file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TestFile {
    /// The component the targets are versions of.
    pub component: String,
    /// Packs to load besides the built-in ones and `--rules`, relative to the test file.
    #[serde(default)]
    pub packs: Vec<String>,
    /// Only these rules' findings count (default: every rule of the component).
    #[serde(default)]
    pub rules: Vec<String>,
    pub cases: Vec<Case>,
}

/// One input and what dusk must make of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// The file name dusk sees; its name tells the input kind (`flow.py`, `values.yaml`,
    /// `run.ipynb`, `Dockerfile`). Default: the `file`'s name.
    #[serde(default)]
    pub path: Option<String>,
    /// The input text.
    #[serde(default)]
    pub input: Option<String>,
    /// Or a file holding it, relative to the test file.
    #[serde(default)]
    pub file: Option<String>,
    /// Read as Helm chart values (as if a `Chart.yaml` were beside the file).
    #[serde(default)]
    pub helm_values: bool,
    /// Files the input's code loads, by the path the code writes (`worker-spec.yml`), each
    /// a file relative to the test file: a fix that changes such a file with the input
    /// (`KubeCluster.from_yaml(path)` migrates the template at `path`) reads it from there.
    /// Nothing is written to them. Without an entry, such a fix is declined.
    #[serde(default)]
    pub loads: BTreeMap<String, String>,
    /// Findings expected at each target: `LINE:COLUMN severity rule: message` (notebooks
    /// prefix `cell N `). An empty list: nothing at that target.
    pub expect: BTreeMap<String, Vec<String>>,
    /// The text after `dusk fix --unsafe-fixes`; absent: fixing changes nothing.
    #[serde(default)]
    pub fixed: Option<String>,
    /// The target the fix runs at (default: the newest target of `expect`).
    #[serde(default)]
    pub fix_target: Option<String>,
}

/// What went wrong in one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What was being checked: `findings at 2024.5.0`, `fixed output`, `second fix`.
    pub what: String,
    /// Explanation or a unified diff of expected → actual.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    pub targets: usize,
    pub failures: Vec<Failure>,
}

/// The results of one test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    pub path: PathBuf,
    /// The file could not be used at all (not YAML, bad pack, bad version).
    pub error: Option<String>,
    pub cases: Vec<CaseResult>,
    /// With `--update`: whether the file was rewritten.
    pub updated: bool,
}

impl FileResult {
    pub fn failed(&self) -> usize {
        usize::from(self.error.is_some())
            + self.cases.iter().filter(|c| !c.failures.is_empty()).count()
    }
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.failures.is_empty()).count()
    }
}

/// The test files under `dir` (`*.test.yaml`, `*.test.yml`, recursively, sorted), or `dir`
/// itself when it is a file.
pub fn find_tests(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if dir.is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Run one test file. `base` is the packs every file gets (built-in, configured, `--rules`).
pub fn run_file(path: &Path, base: &[PackSource], update: bool) -> FileResult {
    let mut result = FileResult {
        path: path.to_path_buf(),
        error: None,
        cases: Vec::new(),
        updated: false,
    };
    let (text, file) = match read_test(path) {
        Ok(t) => t,
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut sources: Vec<PackSource> = base
        .iter()
        .map(|s| PackSource {
            origin: s.origin.clone(),
            text: s.text.clone(),
        })
        .collect();
    for p in &file.packs {
        match PackSource::read(&dir.join(p)) {
            Ok(s) => sources.push(s),
            Err(problem) => {
                result.error = Some(problem.to_string());
                return result;
            }
        }
    }
    let set = match compile::compile(&sources) {
        Ok(set) => set,
        Err(e) => {
            result.error = Some(load_error_text(&e));
            return result;
        }
    };
    if let Some(e) = check_file(&file, &set) {
        result.error = Some(e);
        return result;
    }
    let mut updated = file.clone();
    for (i, case) in file.cases.iter().enumerate() {
        let (res, actual) = run_case(case, dir, &file, &set);
        if update && let Some(actual) = actual {
            updated.cases[i].expect = actual.expect;
            updated.cases[i].fixed = actual.fixed;
        }
        result.cases.push(res);
    }
    if update {
        let new_text = emit(&updated);
        if new_text != text {
            if let Err(e) = std::fs::write(path, &new_text) {
                result.error = Some(format!("cannot write: {e}"));
                return result;
            }
            result.updated = true;
        }
        // The file now holds what dusk finds: only failures of the run itself remain.
        for c in &mut result.cases {
            c.failures
                .retain(|f| !f.what.starts_with("findings at") && f.what != "fixed output");
        }
    }
    result
}

fn load_error_text(e: &LoadError) -> String {
    e.to_string()
}

fn read_test(path: &Path) -> Result<(String, TestFile), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let file: TestFile = serde_saphyr::from_str(&text).map_err(|e| {
        e.to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    })?;
    Ok((text, file))
}

/// Problems of a test file that no case can work around.
fn check_file(file: &TestFile, set: &RuleSet) -> Option<String> {
    if !set.rules.iter().any(|r| r.component == file.component) {
        let known: Vec<&str> = set.components.keys().map(String::as_str).collect();
        return Some(format!(
            "no rule of component `{}` is loaded (components: {}); add its pack to `packs`",
            file.component,
            known.join(", ")
        ));
    }
    for id in &file.rules {
        if set.get(id).is_none() {
            return Some(format!("`rules` names unknown rule `{id}`"));
        }
    }
    for case in &file.cases {
        for t in case.expect.keys().chain(&case.fix_target) {
            if let Err(e) = t.parse::<Version>() {
                return Some(format!("case `{}`: target {e}", case.name));
            }
        }
        if case.expect.is_empty() {
            return Some(format!("case `{}`: `expect` names no target", case.name));
        }
        if case.input.is_some() == case.file.is_some() {
            return Some(format!(
                "case `{}`: give exactly one of `input` and `file`",
                case.name
            ));
        }
    }
    None
}

/// What dusk made of a case, for `--update`.
struct Actual {
    expect: BTreeMap<String, Vec<String>>,
    fixed: Option<String>,
}

fn run_case(
    case: &Case,
    dir: &Path,
    file: &TestFile,
    set: &RuleSet,
) -> (CaseResult, Option<Actual>) {
    let mut res = CaseResult {
        name: case.name.clone(),
        targets: case.expect.len(),
        failures: Vec::new(),
    };
    let fail = |what: &str, detail: String| Failure {
        what: what.to_owned(),
        detail,
    };
    let (text, shown) = match input(case, dir) {
        Ok(t) => t,
        Err(e) => {
            res.failures.push(fail("input", e));
            return (res, None);
        }
    };
    let Some(kind) = classify(Path::new(&shown)) else {
        res.failures.push(fail(
            "input",
            format!(
                "cannot tell the input kind of `{shown}`: name it like a file dusk reads \
                 (`*.py`, `*.yaml`, `*.ipynb`, `Dockerfile`)"
            ),
        ));
        return (res, None);
    };
    let selection = Selection {
        select: Some(if file.rules.is_empty() {
            vec![file.component.clone()]
        } else {
            file.rules.clone()
        }),
        ..Default::default()
    };
    let mut targets: Vec<(Version, &String)> = case
        .expect
        .keys()
        .filter_map(|k| k.parse().ok().map(|v| (v, k)))
        .collect();
    targets.sort();
    let mut actual = Actual {
        expect: BTreeMap::new(),
        fixed: None,
    };
    let path = Path::new(&shown);
    for (version, key) in &targets {
        let t = targets_at(&file.component, version);
        let settings = settings(set, &t, &selection);
        let report = lint_text(kind, case.helm_values, path, &shown, &text, &settings);
        let mut findings = report.findings.clone();
        findings.sort_by_key(|f| (f.cell, f.start.line, f.start.column, f.rule.clone()));
        let lines: Vec<String> = findings.iter().map(finding_line).collect();
        let expected = &case.expect[*key];
        if &lines != expected {
            res.failures.push(fail(
                &format!("findings at {key}"),
                expected_actual(&lines_text(expected), &lines_text(&lines)),
            ));
        }
        actual.expect.insert((*key).clone(), lines);
    }
    let fix_version = match &case.fix_target {
        Some(t) => t.parse::<Version>().ok(),
        None => targets.last().map(|(v, _)| v.clone()),
    };
    if let Some(version) = fix_version {
        let t = targets_at(&file.component, &version);
        let lint = settings(set, &t, &selection);
        let overrides = BTreeMap::new();
        let mut fs = FixSettings::new(&lint, &overrides);
        fs.unsafe_fixes = true;
        let read_other = |_: &Path, written: &str| -> Result<crate::migrate::OtherText, String> {
            let file = case
                .loads
                .get(written)
                .ok_or_else(|| format!("the case has no `loads: {{{written}: …}}` entry"))?;
            let full = dir.join(file);
            let text = std::fs::read_to_string(&full)
                .map_err(|e| format!("`{file}` cannot be read: {e}"))?;
            Ok(crate::migrate::OtherText {
                path: full,
                display: written.to_owned(),
                text,
            })
        };
        fs.others = Some(&read_other);
        let meta = FileMeta {
            kind,
            beside_chart: case.helm_values,
            path,
            display_path: &shown,
        };
        let first = fix_text(meta, text.clone(), &fs);
        for f in &first.failed {
            res.failures.push(fail(
                "fix",
                format!("the fix of `{}` was rolled back: {}", f.rule, f.reason),
            ));
        }
        if let End::NotConverged { passes, rules } = &first.end {
            res.failures.push(fail(
                "fix",
                format!(
                    "fixes still changed the file after {passes} passes ({})",
                    rules.join(", ")
                ),
            ));
        }
        let expected = case.fixed.as_deref().unwrap_or(&text);
        if first.fixed != expected {
            res.failures.push(fail(
                "fixed output",
                expected_actual(expected, &first.fixed),
            ));
        }
        let second = fix_text(meta, first.fixed.clone(), &fs);
        if second.fixed != first.fixed {
            res.failures.push(fail(
                "second fix",
                format!(
                    "fixing the fixed text changed it again:\n{}",
                    similar::TextDiff::from_lines(first.fixed.as_str(), second.fixed.as_str())
                        .unified_diff()
                        .header("first fix", "second fix")
                ),
            ));
        }
        actual.fixed = (first.fixed != text).then_some(first.fixed);
    }
    (res, Some(actual))
}

/// A unified diff from what the test expects to what dusk gives.
fn expected_actual(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(crate::diff::CONTEXT_LINES)
        .header("expected", "actual")
        .to_string()
}

fn input(case: &Case, dir: &Path) -> Result<(String, String), String> {
    let text = match (&case.input, &case.file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => {
            std::fs::read_to_string(dir.join(f)).map_err(|e| format!("cannot read `{f}`: {e}"))?
        }
        (None, None) => return Err("no `input` or `file`".into()),
    };
    let shown = case
        .path
        .clone()
        .or_else(|| {
            case.file.as_ref().and_then(|f| {
                Path::new(f)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            })
        })
        .ok_or_else(|| "an inline `input` needs a `path` naming its kind".to_owned())?;
    Ok((text, shown))
}

fn targets_at(component: &str, v: &Version) -> Targets {
    let mut t = Targets::default();
    t.explicit.insert(component.to_owned(), v.clone());
    t
}

fn settings<'a>(set: &'a RuleSet, targets: &'a Targets, selection: &'a Selection) -> Settings<'a> {
    Settings {
        rules: set,
        targets,
        selection,
        limits: Limits::default(),
        show_upcoming: false,
        prefilter: Prefilter::new(&[]),
        current: BTreeMap::new(),
    }
}

fn finding_line(f: &crate::report::Finding) -> String {
    let cell = f.cell.map_or(String::new(), |c| format!("cell {c} "));
    format!(
        "{cell}{}:{} {} {}: {}",
        f.start.line,
        f.start.column,
        f.severity.as_str(),
        f.rule,
        f.message
    )
}

fn lines_text(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A test file as YAML text, with inputs and fixed texts as literal blocks.
pub fn emit(file: &TestFile) -> String {
    let q = scalar;
    let mut out = format!("component: {}\n", q(&file.component));
    if !file.packs.is_empty() {
        out.push_str("packs:\n");
        for p in &file.packs {
            out.push_str(&format!("  - {}\n", q(p)));
        }
    }
    if !file.rules.is_empty() {
        out.push_str("rules:\n");
        for r in &file.rules {
            out.push_str(&format!("  - {}\n", q(r)));
        }
    }
    out.push_str("cases:\n");
    for case in &file.cases {
        out.push_str(&format!("  - name: {}\n", q(&case.name)));
        if let Some(p) = &case.path {
            out.push_str(&format!("    path: {}\n", q(p)));
        }
        if let Some(f) = &case.file {
            out.push_str(&format!("    file: {}\n", q(f)));
        }
        if let Some(i) = &case.input {
            out.push_str(&format!("    input: {}", block(i, 6)));
        }
        if case.helm_values {
            out.push_str("    helm-values: true\n");
        }
        if !case.loads.is_empty() {
            out.push_str("    loads:\n");
            for (written, file) in &case.loads {
                out.push_str(&format!("      {}: {}\n", q(written), q(file)));
            }
        }
        out.push_str("    expect:\n");
        let mut keys: Vec<(Version, &String)> = case
            .expect
            .keys()
            .filter_map(|k| k.parse().ok().map(|v| (v, k)))
            .collect();
        keys.sort();
        for (_, k) in keys {
            let lines = &case.expect[k];
            if lines.is_empty() {
                out.push_str(&format!("      {}: []\n", q(k)));
            } else {
                out.push_str(&format!("      {}:\n", q(k)));
                for l in lines {
                    out.push_str(&format!("        - {}\n", q(l)));
                }
            }
        }
        if let Some(t) = &case.fix_target {
            out.push_str(&format!("    fix-target: {}\n", q(t)));
        }
        if let Some(f) = &case.fixed {
            out.push_str(&format!("    fixed: {}", block(f, 6)));
        }
    }
    out
}

/// A string as a plain YAML scalar where that reads back as the same string, else quoted.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._/()-".contains(c))
        && !s.starts_with(['-', '.'])
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        );
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// A YAML literal block scalar (with its header) holding `s` exactly.
fn block(s: &str, indent: usize) -> String {
    let representable = !s.is_empty()
        && !s.contains('\r')
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        && !s.ends_with("\n\n")
        && !s.starts_with('\n');
    if !representable {
        return format!("{}\n", serde_json::to_string(s).unwrap_or_default());
    }
    let chomp = if s.ends_with('\n') { "" } else { "-" };
    let first = s.lines().next().unwrap_or("");
    let indicator = if first.starts_with(' ') {
        indent.to_string()
    } else {
        String::new()
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{indicator}{chomp}\n");
    for line in s.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("{pad}{line}\n"));
        }
    }
    out
}

/// All results as text: one line per case, failures with their diffs, then a summary.
pub fn render(results: &[FileResult]) -> String {
    let mut out = String::new();
    for r in results {
        out.push_str(&format!("{}\n", r.path.display()));
        if let Some(e) = &r.error {
            out.push_str(&format!("  error  {e}\n"));
        }
        for c in &r.cases {
            if c.failures.is_empty() {
                let plural = if c.targets == 1 { "" } else { "s" };
                out.push_str(&format!(
                    "  ok     {} ({} target{plural})\n",
                    c.name, c.targets
                ));
            } else {
                out.push_str(&format!("  FAIL   {}\n", c.name));
                for f in &c.failures {
                    out.push_str(&format!("    {}:\n", f.what));
                    for line in f.detail.lines() {
                        out.push_str(&format!("      {line}\n"));
                    }
                }
            }
        }
        if r.updated {
            out.push_str("  updated\n");
        }
    }
    let passed: usize = results.iter().map(FileResult::passed).sum();
    let failed: usize = results.iter().map(FileResult::failed).sum();
    out.push_str(&format!("\nrule tests: {passed} passed, {failed} failed\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_round_trip() {
        for s in [
            "2.2.0",
            "2024.5",
            "a: b",
            "true",
            "plain name",
            "-x",
            "",
            " x",
            "1:2 warning r",
        ] {
            let yaml = format!("v: {}\n", scalar(s));
            let back: BTreeMap<String, String> = serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(back["v"], s, "{yaml}");
        }
    }

    #[test]
    fn blocks_round_trip() {
        for s in ["a\n", "a", "  indented\nx\n", "a\n\nb\n", "tab\there\n"] {
            let yaml = format!("v: {}", block(s, 2));
            let back: BTreeMap<String, String> = serde_saphyr::from_str(&yaml).unwrap();
            assert_eq!(back["v"], s, "{yaml}");
        }
    }
}
