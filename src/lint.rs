//! One file through the pipeline: read → prefilter → parse → extract → match → grade →
//! suppress. Bad input of any kind becomes a located finding here; nothing panics and
//! nothing stops the rest of the run.

use crate::discover::{SourceFile, SourceKind};
use crate::extract::yaml::{Embedded, YamlContext};
use crate::report::{FileReport, Finding, FixInfo, Severity};
use crate::rules::builtin_ids::{INPUT_ERROR, SYNTAX_ERROR, UNUSED_SUPPRESSION};
use crate::rules::matcher::{Hit, find_hits};
use crate::rules::trigger::{Then, Trigger};
use crate::rules::{Rule, RuleSet, Status, Targets, Version, suppress};
use crate::source::notebook::Notebook;
use crate::source::{LineIndex, TextRange, python, yaml};
use aho_corasick::AhoCorasick;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Which rules run on which paths.
#[derive(Debug, Default)]
pub struct Selection {
    /// Only these (rule ids or component names); `None` means all.
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    /// Rules ignored under paths matching a glob, relative to `base`.
    pub per_path: Vec<(globset::GlobMatcher, Vec<String>)>,
    /// The directory per-path globs are relative to (the configuration file's), absolute.
    pub base: std::path::PathBuf,
}

impl Selection {
    fn names(list: &[String], rule: &str, component: Option<&str>) -> bool {
        list.iter()
            .any(|s| s == "ALL" || s == rule || Some(s.as_str()) == component)
    }

    /// Whether `select` and `ignore` (not per-path ignores) let `rule` run. dusk's own
    /// findings (`syntax-error`, `input-error`, `unused-suppression`) say the check itself is
    /// incomplete or stale, so `select` never drops them: only an `ignore` naming their id
    /// (or `ALL`) does.
    pub fn selects(&self, rule: &str, component: Option<&str>) -> bool {
        let builtin = crate::rules::builtin_ids::ALL
            .iter()
            .any(|(id, _)| *id == rule);
        if !builtin
            && self
                .select
                .as_ref()
                .is_some_and(|s| !Self::names(s, rule, component))
        {
            return false;
        }
        !Self::names(&self.ignore, rule, component)
    }

    /// Whether every rule runs on every path (no `select`, `ignore` or per-path ignore).
    pub fn is_everything(&self) -> bool {
        self.select.is_none() && self.ignore.is_empty() && self.per_path.is_empty()
    }

    pub fn enabled(&self, rule: &str, component: Option<&str>, path: &Path) -> bool {
        if !self.selects(rule, component) {
            return false;
        }
        if self.per_path.is_empty() {
            return true;
        }
        // `absolute` keeps `.` components; drop them so `./legacy/x` matches `legacy/**`.
        let absolute: std::path::PathBuf = std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        let relative = absolute.strip_prefix(&self.base).unwrap_or(path);
        !self
            .per_path
            .iter()
            .any(|(glob, rules)| glob.is_match(relative) && Self::names(rules, rule, component))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_errors_at_template_actions_are_templates() {
        let tpl = "spec:\n  replicas: {{ .Values.n }}\n  {{- with .Values.env }}\n";
        let err = crate::source::yaml::parse(tpl, Default::default()).unwrap_err();
        assert!(is_template(tpl, err.range));
        // A `tpl` string far above does not excuse a real error further down.
        let values = "name: \"{{ .Release.Name }}\"\na: 1\nb: 2\nc: 3\nd: [1, 2\ne: }\n";
        let err = crate::source::yaml::parse(values, Default::default()).unwrap_err();
        assert!(!is_template(values, err.range), "{err:?}");
    }

    #[test]
    fn transition_notes_only_look_forward() {
        let set = RuleSet::builtin().unwrap();
        let rule = set.get("classic-kubecluster-import").unwrap();
        let v = |s: &str| s.parse::<crate::rules::Version>().unwrap();
        assert!(
            transition_note(rule, &v("2023.8.0"), &v("2024.5.0"))
                .contains("breaks when moving from")
        );
        assert!(transition_note(rule, &v("2024.5.0"), &v("2026.3.0")).contains("already removed"));
        // A target at or below the pinned version is not a move: no note, no contradiction.
        assert_eq!(transition_note(rule, &v("2024.5.0"), &v("2023.1.0")), "");
        assert_eq!(transition_note(rule, &v("2024.5.0"), &v("2024.5.0")), "");
    }

    #[test]
    fn per_path_globs_are_relative_to_the_config_directory() {
        let base = std::env::current_dir().unwrap();
        let selection = Selection {
            per_path: vec![(
                globset::Glob::new("legacy/**").unwrap().compile_matcher(),
                vec!["r".into()],
            )],
            base: base.clone(),
            ..Selection::default()
        };
        assert!(!selection.enabled("r", None, Path::new("./legacy/a.py")));
        assert!(!selection.enabled("r", None, &base.join("legacy/b/c.yaml")));
        assert!(selection.enabled("r", None, Path::new("src/legacy.py")));
        assert!(selection.enabled("other", None, Path::new("legacy/a.py")));
    }
}

/// Bounds on what one file may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub yaml: yaml::Limits,
    /// Files larger than this are reported, not read.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            yaml: yaml::Limits::default(),
            max_file_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Everything `lint_file` needs besides the file, built once by `cli`.
pub struct Settings<'a> {
    pub rules: &'a RuleSet,
    pub targets: &'a Targets,
    pub selection: &'a Selection,
    pub limits: Limits,
    pub show_upcoming: bool,
    pub prefilter: Prefilter,
    /// The version each component is on now (`project::current_versions`), so a message can
    /// say whether a construct breaks on the way to the target.
    pub current: BTreeMap<String, Version>,
}

/// The rules' triggers per kind of file, matched ASCII case-insensitively: a file with none
/// of its kind's triggers cannot match any rule and is never parsed. Scans of the bytes
/// already read, ASCII-lowercased once, decide.
pub struct Prefilter {
    /// One scan for every kind (a fixed list, or none: every file passes) …
    all: Option<Scan>,
    /// … unless the kind has its own (built from a rule set).
    by_kind: Vec<(SourceKind, Option<Scan>)>,
}

impl Prefilter {
    /// The same literals for every kind of file (an empty list lets every file through).
    pub fn new(triggers: &[String]) -> Prefilter {
        let triggers: Vec<Trigger> = triggers.iter().map(Trigger::plain).collect();
        Prefilter {
            // No literal: every file passes.
            all: (!triggers.is_empty())
                .then(|| Scan::new(&triggers))
                .flatten(),
            by_kind: Vec::new(),
        }
    }

    /// Each kind of file with the triggers its front-end needs ([`RuleSet::triggers_for`]).
    pub fn from_rules(rules: &RuleSet) -> Prefilter {
        let kinds = [
            SourceKind::Yaml,
            SourceKind::Python,
            SourceKind::Notebook,
            SourceKind::Dockerfile,
        ];
        Prefilter {
            all: None,
            by_kind: kinds
                .into_iter()
                .map(|kind| {
                    let triggers = rules.triggers_for(kind);
                    // No trigger: no rule can match such a file, so none is let through.
                    let scan = if triggers.is_empty() {
                        Some(Scan::nothing())
                    } else {
                        Scan::new(triggers)
                    };
                    (kind, scan)
                })
                .collect(),
        }
    }

    /// Whether a file of this kind with these bytes may match a rule.
    pub fn may_match(&self, kind: SourceKind, text: &[u8]) -> bool {
        let scan = self
            .by_kind
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&self.all, |(_, scan)| scan);
        scan.as_ref().is_none_or(|scan| scan.passes(text))
    }
}

/// `f` of `text` with its ASCII letters lowercased. The triggers are matched against their
/// own lowercase forms, which is ASCII case-insensitive matching: an automaton built
/// case-insensitively cannot use aho-corasick's vectorised (Teddy) search and read every
/// file of a repository a byte at a time, six times slower (#13). Lowercasing keeps every
/// byte where it was, so what follows an occurrence ([`Then`]) is read from the same place.
fn with_lowered<T>(text: &[u8], f: impl FnOnce(&[u8]) -> T) -> T {
    thread_local! {
        static LOWERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LOWERED.with_borrow_mut(|lowered| {
        lowered.clear();
        lowered.extend(text.iter().map(u8::to_ascii_lowercase));
        let answer = f(lowered);
        give_back_if_large(lowered);
        answer
    })
}

/// A per-thread buffer grown past 4 MB by a large file is given back after it.
fn give_back_if_large(buffer: &mut Vec<u8>) {
    if buffer.capacity() > 4 << 20 {
        *buffer = Vec::new();
    }
}

/// One kind's triggers: the literals that let a file through wherever they occur in one
/// automaton (its first occurrence decides), the others in a second one. Both are built
/// from the lowercased literals and scan lowercased text.
struct Scan {
    sure: Option<AhoCorasick>,
    conditional: Option<Conditional>,
}

/// Triggers whose literal must be followed by something, or come with a second literal.
struct Conditional {
    /// Over their distinct literals: triggers may share one (`dask` ending a word, `dask`
    /// anywhere). `first` finds the first occurrence, `ac` every one from there.
    first: AhoCorasick,
    ac: AhoCorasick,
    /// Per literal of the automaton, what an occurrence does when its [`Then`] holds.
    uses: Vec<Vec<(Then, Role)>>,
    /// How many triggers need a second literal.
    pairs: usize,
}

/// What an occurrence of a literal does for the triggers that have it.
#[derive(Clone, Copy)]
enum Role {
    Passes,
    /// The first literal of the pair with this index …
    First(usize),
    /// … and one of its second ones.
    Second(usize),
}

impl Scan {
    /// `None` when an automaton cannot be built: then every file passes.
    fn new(triggers: &[Trigger]) -> Option<Scan> {
        let (sure, conditional): (Vec<&Trigger>, Vec<&Trigger>) = triggers
            .iter()
            .partition(|t| t.literal.then == Then::Anything && t.also.is_empty());
        let sure = if sure.is_empty() {
            None
        } else {
            // Leftmost-first: the kind a vectorised search serves (any match will do).
            Some(automaton(
                sure.iter().map(|t| &t.literal.text),
                aho_corasick::MatchKind::LeftmostFirst,
            )?)
        };
        let conditional = if conditional.is_empty() {
            None
        } else {
            Some(Conditional::new(&conditional)?)
        };
        Some(Scan { sure, conditional })
    }

    /// A scan no file passes.
    fn nothing() -> Scan {
        Scan {
            sure: None,
            conditional: None,
        }
    }

    /// Whether `text` holds a trigger. (A scan no file passes does not read it.)
    fn passes(&self, text: &[u8]) -> bool {
        if self.sure.is_none() && self.conditional.is_none() {
            return false;
        }
        with_lowered(text, |lowered| {
            self.sure.as_ref().is_some_and(|ac| ac.is_match(lowered))
                || self.conditional.as_ref().is_some_and(|c| c.passes(lowered))
        })
    }
}

impl Conditional {
    fn new(triggers: &[&Trigger]) -> Option<Conditional> {
        let mut literals: Vec<&str> = Vec::new();
        let mut uses: Vec<Vec<(Then, Role)>> = Vec::new();
        let mut pairs = 0;
        for t in triggers {
            let role = if t.also.is_empty() {
                Role::Passes
            } else {
                Role::First(pairs)
            };
            let seconds = t.also.iter().map(|l| (l, Role::Second(pairs)));
            for (literal, role) in std::iter::once((&t.literal, role)).chain(seconds) {
                let i = literals
                    .iter()
                    .position(|l| *l == literal.text)
                    .unwrap_or_else(|| {
                        literals.push(&literal.text);
                        uses.push(Vec::new());
                        literals.len() - 1
                    });
                uses[i].push((literal.then, role));
            }
            pairs += usize::from(!t.also.is_empty());
        }
        Some(Conditional {
            first: automaton(&literals, aho_corasick::MatchKind::LeftmostFirst)?,
            // Standard: the only kind that reports overlapping occurrences.
            ac: automaton(&literals, aho_corasick::MatchKind::Standard)?,
            uses,
            pairs,
        })
    }

    /// Whether `text` (lowercased) holds a literal whose condition holds after it.
    fn passes(&self, text: &[u8]) -> bool {
        // The vectorised search finds where the first occurrence starts, if any: most files
        // have none, and the overlapping search, a byte at a time, starts there.
        let Some(start) = self.first.find(text).map(|m| m.start()) else {
            return false;
        };
        // Every occurrence, overlapping: `additional_worker_groups:` holds `worker` too.
        let input = aho_corasick::Input::new(text).range(start..);
        let Ok(found) = self.ac.try_find_overlapping_iter(input) else {
            return true;
        };
        let mut first = vec![false; self.pairs];
        let mut second = vec![false; self.pairs];
        for m in found {
            for &(then, role) in &self.uses[m.pattern().as_usize()] {
                if !then.holds(&text[m.end()..]) {
                    continue;
                }
                let pair = match role {
                    Role::Passes => return true,
                    Role::First(p) => {
                        first[p] = true;
                        p
                    }
                    Role::Second(p) => {
                        second[p] = true;
                        p
                    }
                };
                if first[pair] && second[pair] {
                    return true;
                }
            }
        }
        false
    }
}

/// An automaton over `literals` lowercased, for lowercased text ([`with_lowered`]).
fn automaton<I: IntoIterator<Item = P>, P: AsRef<[u8]>>(
    literals: I,
    kind: aho_corasick::MatchKind,
) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(kind)
        .build(
            literals
                .into_iter()
                .map(|l| l.as_ref().to_ascii_lowercase()),
        )
        .ok()
}

/// The text of a file after reading and decoding.
pub struct Loaded {
    pub text: String,
    pub notebook: Option<Notebook>,
}

/// Lint one file.
pub fn lint_file(file: &SourceFile, display_path: &str, settings: &Settings<'_>) -> FileReport {
    lint_file_keeping(file, display_path, settings).0
}

/// [`lint_file`], and the text it linted when it parsed it (a notebook's JSON as read): what
/// `dusk check`'s fix loops start from, without reading the file again.
pub fn lint_file_keeping(
    file: &SourceFile,
    display_path: &str,
    settings: &Settings<'_>,
) -> (FileReport, Option<String>) {
    let mut report = FileReport {
        path: display_path.to_owned(),
        text: None,
        notebook: None,
        findings: Vec::new(),
    };
    let bytes = match read_matching(file, settings) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return (report, None),
        Err(message) => {
            report.findings.push(input_finding(
                INPUT_ERROR,
                display_path,
                &message,
                "",
                TextRange::empty(0),
            ));
            return (report, None);
        }
    };
    lint_decoded(file, decode_matching(bytes, display_path), report, settings)
}

/// [`lint_file_keeping`] of bytes a caller has read already (after the same prefilter and
/// checks, [`decode`]).
pub fn lint_bytes_keeping(
    file: &SourceFile,
    bytes: Vec<u8>,
    display_path: &str,
    settings: &Settings<'_>,
) -> (FileReport, Option<String>) {
    let decoded = decode(file, bytes, display_path, settings);
    let empty = FileReport {
        path: display_path.to_owned(),
        text: None,
        notebook: None,
        findings: Vec::new(),
    };
    lint_decoded(file, decoded, empty, settings)
}

/// The lint of a decoded file and its text; `empty` when it was skipped.
fn lint_decoded(
    file: &SourceFile,
    decoded: Decoded,
    empty: FileReport,
    settings: &Settings<'_>,
) -> (FileReport, Option<String>) {
    let text = match decoded {
        Decoded::Text(text) => text,
        Decoded::Skipped => return (empty, None),
        Decoded::Rejected(rejected) => return (rejected, None),
    };
    let report = lint_text(
        file.kind,
        file.beside_chart,
        &file.path,
        &empty.path,
        &text,
        settings,
    );
    (report, Some(text))
}

/// A file's bytes after the checks every command makes before parsing.
pub enum Decoded {
    /// UTF-8 text that may match a rule.
    Text(String),
    /// None of the rules' trigger words: nothing to parse, nothing to report.
    Skipped,
    /// Not text (NUL bytes, invalid UTF-8): the report holds its located finding.
    Rejected(FileReport),
}

/// Prefilter, then refuse binaries and invalid UTF-8 with a located finding. Shared by
/// `lint_file` and `dusk fix`, which reads the bytes itself (to refuse later writes if the
/// file changes).
pub fn decode(
    file: &SourceFile,
    bytes: Vec<u8>,
    display_path: &str,
    settings: &Settings<'_>,
) -> Decoded {
    if !may_match(file, &bytes, settings) {
        return Decoded::Skipped;
    }
    decode_matching(bytes, display_path)
}

/// The prefilter: whether a file with these bytes may hold a construct some rule matches.
fn may_match(file: &SourceFile, bytes: &[u8], settings: &Settings<'_>) -> bool {
    // Values beside the dask chart's `Chart.yaml` may override a few keys without naming Dask.
    file.beside_chart || settings.prefilter.may_match(file.kind, bytes)
}

/// [`decode`] for bytes the prefilter let through.
fn decode_matching(bytes: Vec<u8>, display_path: &str) -> Decoded {
    let mut report = FileReport {
        path: display_path.to_owned(),
        text: None,
        notebook: None,
        findings: Vec::new(),
    };
    if bytes[..bytes.len().min(8192)].contains(&0) {
        let finding = input_finding(
            INPUT_ERROR,
            display_path,
            "binary file (contains NUL bytes)",
            "",
            TextRange::empty(0),
        );
        report.findings.push(finding);
        return Decoded::Rejected(report);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Decoded::Text(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let lossy_at = String::from_utf8_lossy(&e.as_bytes()[..at]).len();
            let finding = input_finding(
                INPUT_ERROR,
                display_path,
                "invalid UTF-8",
                &lossy,
                TextRange::empty(lossy_at),
            );
            report.text = Some(lossy.into());
            report.findings.push(finding);
            Decoded::Rejected(report)
        }
    }
}

/// A file's bytes when the prefilter lets them through, else `None`. Read into this
/// thread's buffer: most files of a repository are dropped here, so only those kept get
/// memory of their own.
fn read_matching(file: &SourceFile, settings: &Settings<'_>) -> Result<Option<Vec<u8>>, String> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        let read =
            crate::discover::read_regular_into(&file.path, settings.limits.max_file_bytes, buffer);
        let kept = match read {
            Ok(()) => Ok(may_match(file, buffer, settings).then(|| buffer.clone())),
            Err(e) => Err(crate::discover::describe_io(&file.path, &e)),
        };
        give_back_if_large(buffer);
        kept
    })
}

/// Lint a text already in memory (also used by `fix` after editing).
pub fn lint_text(
    kind: SourceKind,
    beside_chart: bool,
    path: &Path,
    display_path: &str,
    text: &str,
    settings: &Settings<'_>,
) -> FileReport {
    // What findings point into: a notebook's joined cells, set below, not its JSON (often
    // mostly outputs, and linted again at every pass of a fix loop).
    let mut report = FileReport {
        path: display_path.to_owned(),
        text: (kind != SourceKind::Notebook).then(|| text.into()),
        notebook: None,
        findings: Vec::new(),
    };
    let mut raw: Vec<(TextRange, &'static str, String)> = Vec::new();
    let (hits, comments) = match kind {
        // Shared: `dusk check` hands the same text to the fix loops next.
        SourceKind::Yaml => match yaml::parse_shared(text, settings.limits.yaml) {
            Ok(file) => {
                let embedded = Embedded::find(text, &file);
                let constructs = crate::extract::yaml::constructs(
                    path,
                    text,
                    &file,
                    &embedded,
                    YamlContext { beside_chart },
                );
                let hits = find_hits(settings.rules, &constructs);
                drop(constructs);
                (hits, file.comments.clone())
            }
            // A Go or Jinja template (a chart's `templates/` without its Chart.yaml, say) is
            // not YAML until rendered; it is not the user's syntax error.
            Err(e) if is_template(text, e.range) => (Vec::new(), Vec::new()),
            Err(e) => {
                raw.push((
                    e.range,
                    SYNTAX_ERROR,
                    format!("invalid YAML: {}", e.message),
                ));
                (Vec::new(), Vec::new())
            }
        },
        SourceKind::Python => python_hits(text, settings, &mut raw),
        SourceKind::Dockerfile => match crate::source::dockerfile::parse(text) {
            Ok(doc) => {
                let constructs = crate::extract::dockerfile::constructs(&doc, text);
                (
                    find_hits(settings.rules, &constructs),
                    crate::source::dockerfile::comments(text),
                )
            }
            Err(e) => {
                raw.push((
                    e.range,
                    SYNTAX_ERROR,
                    format!("invalid Dockerfile: {}", e.message),
                ));
                (Vec::new(), Vec::new())
            }
        },
        SourceKind::Notebook => match crate::source::notebook::parse(text) {
            Ok(nb) => {
                let mut result = python_hits(&nb.python, settings, &mut raw);
                // `!` shell lines are commands (`!dask-worker tcp://…`).
                let shell = crate::extract::python::notebook_shell(&nb.python, &nb.shell);
                result.0.extend(find_hits(settings.rules, &shell));
                // A cell that does not parse is skipped; the others are still checked.
                for (cell, range, message) in &nb.broken {
                    raw.push((
                        *range,
                        SYNTAX_ERROR,
                        format!(
                            "invalid Python in cell {cell}, which is skipped (the other cells are still checked and fixed): {message}"
                        ),
                    ));
                }
                // Notebook ranges index the joined code cells, not the JSON.
                let joined: Arc<str> = nb.python.as_str().into();
                report.text = Some(joined);
                report.notebook = Some(nb);
                result
            }
            Err(e) => {
                raw.push((
                    e.range,
                    SYNTAX_ERROR,
                    format!("invalid notebook: {}", e.message),
                ));
                (Vec::new(), Vec::new())
            }
        },
    };
    let text_for_locate: Arc<str> = report.text.get_or_insert_with(|| text.into()).clone();
    let index = LineIndex::new(&text_for_locate);
    let mut suppressions = suppress::parse(&text_for_locate, &index, &comments);
    // A Dockerfile comment is a whole line, so its suppression silences the next instruction
    // line (blank and comment lines between are skipped).
    if kind == SourceKind::Dockerfile {
        for s in &mut suppressions {
            if let Some(line) = s.line {
                s.line = Some(next_code_line(&text_for_locate, line));
            }
        }
    }
    // A renamed rule's old id keeps silencing it (ruff's redirects): compare by current id.
    for s in &mut suppressions {
        for id in &mut s.rules {
            *id = settings.rules.canonical_id(id).to_owned();
        }
    }
    let ctx = Ctx {
        display_path,
        text: &text_for_locate,
        index: &index,
        notebook: report.notebook.as_deref(),
        path,
    };
    for (range, rule, message) in raw {
        push(
            &mut report.findings,
            ctx.builtin(rule, range, message),
            settings,
            &suppressions,
            &ctx,
        );
    }
    for hit in hits {
        if let Some(f) = ctx.finding(&hit, settings) {
            push(&mut report.findings, f, settings, &suppressions, &ctx);
        }
    }
    let known = |id: &str| {
        settings.rules.get(id).is_some()
            || crate::rules::builtin_ids::ALL.iter().any(|(b, _)| *b == id)
    };
    let could_fire = |id: &str| {
        let Some(rule) = settings.rules.get(id) else {
            return settings.selection.enabled(id, None, path);
        };
        let active = settings.show_upcoming
            || settings
                .targets
                .for_rule(settings.rules, rule)
                .is_none_or(|t| rule.window.status(t).status != Status::Upcoming);
        active
            && settings
                .selection
                .enabled(&rule.id, Some(&rule.component), path)
    };
    for s in &suppressions {
        let unknown: Vec<&str> = s
            .rules
            .iter()
            .map(String::as_str)
            .filter(|id| !known(id))
            .collect();
        let message = if !unknown.is_empty() {
            format!(
                "suppression comment names unknown rule `{}` (see `dusk rules list`)",
                unknown.join("`, `")
            )
        } else if s.used.get() || (!s.rules.is_empty() && !s.rules.iter().any(|id| could_fire(id)))
        {
            // A suppression for rules that did not run here (deselected, ignored, or not
            // active at the target) is not known to be stale.
            continue;
        } else if s.rules.is_empty() {
            "suppression comment silences no finding".to_owned()
        } else {
            format!("suppression comment silences no `{}`", s.rules.join("`, `"))
        };
        let f = ctx.builtin(UNUSED_SUPPRESSION, s.range, message);
        if settings.selection.enabled(UNUSED_SUPPRESSION, None, path) {
            report.findings.push(f);
        }
    }
    report
        .findings
        .sort_by_key(|f| (f.range.start, f.range.end, f.rule.clone()));
    report
}

/// The first line after 1-based `line` that is neither blank nor a comment; `line` if none.
fn next_code_line(text: &str, line: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(line)
        .find(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or(line, |(i, _)| i + 1)
}

/// Whether a YAML error comes from a template action: the error's line, or one of the two
/// before it, holds `{{ … }}`. A real syntax error elsewhere in a file that also has a `tpl`
/// string (common in Helm values) is still reported.
fn is_template(text: &str, error: TextRange) -> bool {
    let at = error.start().min(text.len());
    let line_start = |from: usize| text[..from].rfind('\n').map_or(0, |i| i + 1);
    let mut start = line_start(at);
    for _ in 0..2 {
        if start == 0 {
            break;
        }
        start = line_start(start - 1);
    }
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let window = &text[start..end];
    window
        .find("{{")
        .is_some_and(|i| window[i..].contains("}}"))
}

/// Syntax-tree depth past which a Python file is reported rather than analysed.
const MAX_PYTHON_DEPTH: usize = 1_000;

fn python_hits(
    text: &str,
    settings: &Settings<'_>,
    raw: &mut Vec<(TextRange, &'static str, String)>,
) -> (Vec<Hit>, Vec<TextRange>) {
    if let Some(why) = python::refusal(text) {
        raw.push((
            TextRange::empty(0),
            SYNTAX_ERROR,
            format!("not analysed: {why}"),
        ));
        return (Vec::new(), Vec::new());
    }
    let Some(doc) = python::parse(text) else {
        raw.push((
            TextRange::empty(0),
            SYNTAX_ERROR,
            "the Python parser gave up on this file".into(),
        ));
        return (Vec::new(), Vec::new());
    };
    // One walk gives constructs, comments and depth. CPython itself refuses code nested
    // deeper than this, and extractors need not resolve it.
    let analysis = crate::extract::python::analyse(text, &doc, MAX_PYTHON_DEPTH);
    let Some(constructs) = analysis.constructs else {
        let message = format!("invalid Python: nesting deeper than {MAX_PYTHON_DEPTH} levels");
        raw.push((TextRange::empty(0), SYNTAX_ERROR, message));
        // The walk stopped early; suppressions still count every comment.
        return (Vec::new(), python::comments(&doc));
    };
    if let Some((range, message)) = python::syntax_errors(&doc, 1).into_iter().next() {
        raw.push((range, SYNTAX_ERROR, format!("invalid Python: {message}")));
    }
    (find_hits(settings.rules, &constructs), analysis.comments)
}

fn push(
    findings: &mut Vec<Finding>,
    f: Finding,
    settings: &Settings<'_>,
    suppressions: &[suppress::Suppression],
    ctx: &Ctx<'_>,
) {
    if !settings
        .selection
        .enabled(&f.rule, f.component.as_deref(), ctx.path)
    {
        return;
    }
    let line = ctx.index.line_column(ctx.text, f.range.start()).line;
    if suppress::is_suppressed(suppressions, &f.rule, line) {
        return;
    }
    findings.push(f);
}

struct Ctx<'a> {
    display_path: &'a str,
    text: &'a str,
    index: &'a LineIndex,
    notebook: Option<&'a Notebook>,
    path: &'a Path,
}

impl Ctx<'_> {
    fn located(
        &self,
        rule: &str,
        severity: Severity,
        range: TextRange,
        message: String,
    ) -> Finding {
        let mut f = Finding::new(rule, severity, self.display_path, range, message);
        (f.start, f.end, f.cell) =
            crate::report::locate(self.text, self.index, self.notebook, range);
        f
    }

    fn builtin(&self, rule: &str, range: TextRange, message: String) -> Finding {
        let severity = if rule == UNUSED_SUPPRESSION {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.located(rule, severity, range, message)
    }

    /// A graded finding, or `None` for an upcoming rule that was not asked for.
    fn finding(&self, hit: &Hit, settings: &Settings<'_>) -> Option<Finding> {
        let mut f = grade(hit, settings, self.display_path)?;
        (f.start, f.end, f.cell) =
            crate::report::locate(self.text, self.index, self.notebook, hit.range);
        Some(f)
    }
}

/// A hit graded at its rule's target version: a finding located at line 1 (callers with a
/// text locate it), or `None` for an upcoming rule that was not asked for. Shared by files
/// and live objects, so both grade, word and describe fixes the same way.
pub fn grade(hit: &Hit, settings: &Settings<'_>, path: &str) -> Option<Finding> {
    let rule = settings.rules.rules.get(hit.rule)?;
    let target = settings.targets.for_rule(settings.rules, rule);
    let status = target.map_or(Status::Deprecated, |t| rule.window.status(t).status);
    let severity = match status {
        Status::Removed => Severity::Error,
        Status::Deprecated => Severity::Warning,
        Status::Upcoming if settings.show_upcoming => Severity::Info,
        Status::Upcoming => return None,
    };
    let mut vars = hit.vars.clone();
    if let Some(r) = &rule.replacement {
        vars.push(("replacement", r.clone()));
    }
    let mut message = render_message(&rule.message, &vars);
    if let (Some(target), Some(current)) = (target, settings.current.get(&rule.component)) {
        message.push_str(&transition_note(rule, current, target));
    }
    let mut f = Finding::new(&rule.id, severity, path, hit.range, message);
    f.graded_against = target.map(|t| crate::report::VersionSource {
        component: rule.component.clone(),
        version: t.to_string(),
        source: if settings.targets.explicit.contains_key(&rule.component) {
            "--target".into()
        } else {
            "default".into()
        },
        at: None,
    });
    f.component = Some(rule.component.clone());
    f.deprecated_in = rule.window.deprecated_in.as_ref().map(ToString::to_string);
    f.removed_in = rule.window.removed_in.as_ref().map(ToString::to_string);
    f.replacement = rule.replacement.clone();
    f.docs = rule.docs.clone();
    f.fix = rule.fix.as_ref().map(|fix| FixInfo {
        applicability: fix.applicability,
        description: fix
            .description
            .clone()
            .unwrap_or_else(|| format!("rewrite with `{}`", fix.rewriter)),
        migration: Vec::new(),
    });
    Some(f)
}

/// What moving from the project's current version to the target does to a construct:
/// ` (already removed in C X)`, ` (breaks when moving from C X to C Y)`, or nothing.
pub fn transition_note(rule: &Rule, current: &Version, target: &Version) -> String {
    let component = &rule.component;
    // Grading at or below the version the project is on says nothing about moving forward.
    if current >= target {
        return String::new();
    }
    if rule.window.status(current).status == Status::Removed {
        format!(" (already removed in {component} {current})")
    } else if rule.window.status(target).status == Status::Removed {
        format!(" (breaks when moving from {component} {current} to {target})")
    } else {
        String::new()
    }
}

/// Fill `{var}` placeholders; unknown placeholders stay as written.
pub fn render_message(template: &str, vars: &[(&'static str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A finding about a whole file (unreadable, not UTF-8, binary).
fn input_finding(rule: &str, path: &str, message: &str, text: &str, range: TextRange) -> Finding {
    let index = LineIndex::new(text);
    let mut f = Finding::new(rule, Severity::Error, path, range, message.to_owned());
    (f.start, f.end, _) = crate::report::locate(text, &index, None, range);
    f
}
