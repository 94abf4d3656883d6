//! Acceptance corpus of issue #10: fixes that are safe on real code.
//!
//! `fixtures/safe-fixes/corpus/` holds small projects written after the kinds of repositories
//! that ran classic Dask on Kubernetes (a JupyterHub image, a research pipeline, a test suite
//! building pod dicts, Argo and Prefect flows, notebooks, Helm values, hand-rolled manifests,
//! operator resources, dask config). The whole corpus is copied to a temporary directory and
//! fixed with `dusk fix --unsafe-fixes`; then, for every file:
//! - Python still compiles (notebooks: each code cell that compiled before, magics aside);
//! - an independent undefined-name check (`ruff check --select F821,F401`) reports nothing it
//!   did not report before;
//! - YAML parses, and every operator resource validates (CRD schemas when the oracles exist)
//!   with no problem it did not have;
//! - `dusk check` reports no finding of a rule more often than before;
//! - a second `dusk fix` changes nothing;
//! - no line marked `# keep` (a label value, container name or port name that reads like a
//!   command) had its `dask-worker`/`dask-scheduler` rewritten to `dask worker`/`dask scheduler`.
//!
//! ruff comes from the operator oracle venv (`scripts/oracle/operator-requirements.txt`),
//! or `DUSK_RUFF`. Without it the ruff step is skipped with a message, except under `CI=true`,
//! where the test fails.

use clap::Parser;
use dusk::cli::args::{Cli, Command};
use dusk::discover::SourceKind;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/safe-fixes/corpus");

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file of the tree, relative, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    files(root)
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(root.join(&p)).unwrap();
            (p, text)
        })
        .collect()
}

fn fix(root: &Path) {
    let argv = [
        "dusk",
        "fix",
        "--isolated",
        "--unsafe-fixes",
        root.to_str().unwrap(),
    ];
    let Command::Fix(args) = Cli::parse_from(argv).command else {
        unreachable!("parsed a fix command");
    };
    dusk::cli::fix::run_with(args, false, &mut Vec::new(), &mut Vec::new()).unwrap();
}

/// Per file, per rule: how many findings `dusk check` reports.
fn check_counts(root: &Path) -> BTreeMap<(String, String), usize> {
    let out = root.join(".git/check.json");
    let json = crate::run::check_json(root, &out);
    let prefix = format!("{}/", root.display());
    let mut counts = BTreeMap::new();
    for f in json["findings"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap().replace(&prefix, "");
        let rule = f["rule"].as_str().unwrap().to_owned();
        *counts.entry((path, rule)).or_default() += 1;
    }
    counts
}

fn oracles() -> Option<PathBuf> {
    std::env::var_os("DUSK_ORACLES").map(PathBuf::from)
}

fn ruff() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DUSK_RUFF") {
        return Some(PathBuf::from(path));
    }
    let path = oracles()?.join("operator/bin/ruff");
    path.is_file().then_some(path)
}

fn python() -> PathBuf {
    oracles()
        .map(|o| o.join("operator/bin/python"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// ruff's F821/F401 diagnostics as (file, code, message) with counts (lines move with fixes).
fn ruff_report(ruff: &Path, root: &Path) -> BTreeMap<(String, String, String), usize> {
    let out = Process::new(ruff)
        .args([
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            "F821,F401",
            "--output-format",
            "json",
            "--exit-zero",
        ])
        .arg(root)
        .output()
        .expect("ruff runs");
    assert!(
        out.status.success(),
        "ruff failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let prefix = format!("{}/", root.display());
    let mut counts = BTreeMap::new();
    for d in json.as_array().unwrap() {
        let file = d["filename"].as_str().unwrap_or("").replace(&prefix, "");
        let code = d["code"].as_str().unwrap_or("syntax").to_owned();
        let message = d["message"].as_str().unwrap_or("").to_owned();
        *counts.entry((file, code, message)).or_default() += 1;
    }
    counts
}

/// Python source and notebook cells that `compile()` accepts, by "file" or "file#cell".
/// IPython lines are replaced as the kernel would run them (`x = !ls` binds `x`).
const COMPILES: &str = r#"
import json, re, sys
ok = []
for path in sys.argv[1:]:
    if path.endswith(".ipynb"):
        cells = [c for c in json.load(open(path))["cells"] if c["cell_type"] == "code"]
        for i, cell in enumerate(cells):
            src = "".join(cell["source"])
            if src.lstrip().startswith("%%"):
                continue
            lines = []
            for line in src.split("\n"):
                s = line.strip()
                m = re.match(r"^(\s*[\w., ]+?\s*=\s*)[!%]", line)
                if m:
                    lines.append(m.group(1) + "None")
                elif s.startswith("!") or s.startswith("%"):
                    lines.append(line[: len(line) - len(line.lstrip())] + "pass")
                else:
                    lines.append(line)
            try:
                compile("\n".join(lines), path, "exec")
                ok.append(f"{path}#{i}")
            except SyntaxError:
                pass
    else:
        try:
            compile(open(path).read(), path, "exec")
            ok.append(path)
        except SyntaxError:
            pass
print("\n".join(ok))
"#;

fn compiling(root: &Path, python_files: &[PathBuf]) -> Vec<String> {
    let out = Process::new(python())
        .arg("-c")
        .arg(COMPILES)
        .args(python_files.iter().map(|p| root.join(p)))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prefix = format!("{}/", root.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.replace(&prefix, ""))
        .collect()
}

fn kind_of(path: &Path) -> Option<SourceKind> {
    match path.extension()?.to_str()? {
        "py" => Some(SourceKind::Python),
        "ipynb" => Some(SourceKind::Notebook),
        "yaml" | "yml" => Some(SourceKind::Yaml),
        _ => None,
    }
}

/// The lines marked `# keep` of a file (for notebooks: of its cells' sources).
fn kept_lines(path: &Path, text: &str) -> Vec<String> {
    let source = if path.extension().is_some_and(|e| e == "ipynb") {
        let json: serde_json::Value = serde_json::from_str(text).unwrap();
        json["cells"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["source"].as_array().cloned().unwrap_or_default())
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect::<String>()
    } else {
        text.to_owned()
    };
    source
        .lines()
        .filter(|l| l.contains("# keep"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn fixed_corpus_is_never_worse() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join(".git")).unwrap();
    copy_tree(Path::new(CORPUS), root);
    let before = snapshot(root);
    let checked: Vec<&PathBuf> = before.keys().filter(|p| kind_of(p).is_some()).collect();
    assert!(
        checked.len() >= 30,
        "the corpus has {} Python, notebook and YAML files; #10 asks for 30",
        checked.len()
    );
    let python_files: Vec<PathBuf> = checked
        .iter()
        .filter(|p| matches!(kind_of(p), Some(SourceKind::Python | SourceKind::Notebook)))
        .map(|p| (*p).clone())
        .collect();
    let ruff = ruff();
    if ruff.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ruff is missing: scripts/prepare-oracles.sh installs it into the operator venv"
        );
        eprintln!(
            "corpus: no ruff (DUSK_ORACLES/operator/bin/ruff or DUSK_RUFF): skipping F821/F401"
        );
    }
    let ruff_before = ruff.as_deref().map(|r| ruff_report(r, root));
    let compiled_before = compiling(root, &python_files);
    let findings_before = check_counts(root);
    let limits = dusk::source::yaml::Limits::default();
    let problems_before: BTreeMap<&PathBuf, Vec<String>> = checked
        .iter()
        .filter(|p| kind_of(p) == Some(SourceKind::Yaml))
        .map(|p| {
            let problems = dusk::migrate::check(SourceKind::Yaml, &before[*p], limits)
                .map(|ps| ps.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            (*p, problems)
        })
        .collect();

    fix(root);
    let after = snapshot(root);
    let mut problems = Vec::new();
    let changed = before
        .iter()
        .filter(|(p, t)| after.get(*p) != Some(t))
        .count();
    assert!(
        changed >= 15,
        "only {changed} files changed: the corpus should exercise the fixes"
    );

    // Python compiles.
    let compiled_after = compiling(root, &python_files);
    for unit in &compiled_before {
        if !compiled_after.contains(unit) {
            problems.push(format!("{unit}: compiled before the fix, not after"));
        }
    }
    // No new undefined or unused names.
    if let (Some(ruff), Some(ruff_before)) = (ruff.as_deref(), &ruff_before) {
        for (key, count) in ruff_report(ruff, root) {
            if count > ruff_before.get(&key).copied().unwrap_or(0) {
                problems.push(format!("{}: new ruff {} {}", key.0, key.1, key.2));
            }
        }
    }
    // YAML parses; operator resources validate with no new problem.
    for (path, old) in &problems_before {
        match dusk::migrate::check(SourceKind::Yaml, &after[*path], limits) {
            Err(e) => problems.push(format!("{}: {e}", path.display())),
            Ok(new) => {
                for p in new.iter().map(ToString::to_string) {
                    if !old.contains(&p) {
                        problems.push(format!("{}: new validation problem: {p}", path.display()));
                    }
                }
            }
        }
    }
    // No finding more often than before.
    for (key, count) in check_counts(root) {
        let was = findings_before.get(&key).copied().unwrap_or(0);
        if count > was {
            problems.push(format!(
                "{}: {} finding(s) of `{}` after, {was} before",
                key.0, count, key.1
            ));
        }
    }
    // Strings that are not commands were not rewritten as commands (a structural fix may
    // drop a line, such as a container name the operator sets itself).
    for (path, text) in &before {
        let new_lines = kept_lines(path, &after[path]);
        for line in kept_lines(path, text) {
            let as_command = line
                .replace("dask-worker", "dask worker")
                .replace("dask-scheduler", "dask scheduler");
            if new_lines.contains(&as_command) {
                problems.push(format!(
                    "{}: a `# keep` string became a command: {as_command}",
                    path.display()
                ));
            }
        }
    }
    // A second fix changes nothing.
    fix(root);
    let again = snapshot(root);
    for (path, text) in &after {
        if again.get(path) != Some(text) {
            problems.push(format!("{}: a second fix changed it", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
