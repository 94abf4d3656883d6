//! Findings and their rendering: one file per output format, all fed the same values.
//!
//! Takes findings with byte ranges and the texts they point into; gives text (miette), JSON
//! (the contract in DESIGN.md), SARIF 2.1.0, GitHub Actions annotations and JUnit XML.
//! Lines and columns are computed here, once, from byte offsets.

pub mod concise;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod statistics;
pub mod text;

use crate::source::edit::Applicability;
use crate::source::notebook::Notebook;
use crate::source::{LineColumn, LineIndex, TextRange};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The fix a finding has, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixInfo {
    pub applicability: Applicability,
    pub description: String,
    /// The migration reports (`migrate::migration_report`, JSON) of the classic clusters
    /// the fix migrates; empty for a fix that migrates none.
    pub migration: Vec<serde_json::Value>,
}

/// A live Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

/// One finding, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// As given on the command line (relative stays relative).
    pub path: String,
    pub range: TextRange,
    /// 1-based; within the cell for notebooks.
    pub start: LineColumn,
    pub end: LineColumn,
    /// 1-based notebook cell.
    pub cell: Option<usize>,
    pub message: String,
    pub component: Option<String>,
    pub deprecated_in: Option<String>,
    pub removed_in: Option<String>,
    pub replacement: Option<String>,
    pub docs: Option<String>,
    pub fix: Option<FixInfo>,
    /// Why the rule's fix does not apply to this occurrence (its rewriter declined); `fix`
    /// is then `None`.
    pub not_fixable: Option<String>,
    pub object: Option<ObjectRef>,
    /// The version of the rule's component the finding was graded at, and where it came from.
    pub graded_against: Option<VersionSource>,
    /// The version its fix was decided for (`migrate::in_play`: an image tag, a pin, the
    /// target): `distributed` commands and flags in files.
    pub in_play: Option<VersionSource>,
}

/// A version and where dusk took it from, for reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionSource {
    pub component: String,
    pub version: String,
    /// `--target`, `default` (the newest release the packs know), `image`, `pin`.
    pub source: String,
    /// Where: `k8s/worker.yaml:12` for an image, `requirements.txt:3` for a pin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl Finding {
    /// A finding at the start of `path` with no rule metadata; callers locate it and fill in
    /// what their rule knows.
    pub fn new(
        rule: &str,
        severity: Severity,
        path: &str,
        range: TextRange,
        message: String,
    ) -> Finding {
        let origin = LineColumn { line: 1, column: 1 };
        Finding {
            rule: rule.to_owned(),
            severity,
            path: path.to_owned(),
            range,
            start: origin,
            end: origin,
            cell: None,
            message,
            component: None,
            deprecated_in: None,
            removed_in: None,
            replacement: None,
            docs: None,
            fix: None,
            not_fixable: None,
            object: None,
            graded_against: None,
            in_play: None,
        }
    }
}

/// The findings of one file and the text they point into (for snippets).
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: String,
    /// The text findings' ranges index; for a notebook, the joined code cells.
    pub text: Option<Arc<str>>,
    pub notebook: Option<Arc<Notebook>>,
    pub findings: Vec<Finding>,
}

/// Counts for the summary line and the JSON `summary` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings `dusk fix` fixes.
    pub fixable: usize,
    /// Findings only `dusk fix --unsafe-fixes` fixes.
    pub unsafe_fixable: usize,
    /// The versions findings were graded at; JSON carries them beside `summary`, not in it.
    #[serde(skip)]
    pub targets: Vec<GradedTarget>,
    /// Every file read, as displayed (JUnit gives each clean one a passing test case).
    #[serde(skip)]
    pub files: Vec<String>,
    /// What the rules of the findings are, by id (SARIF's rule descriptors).
    #[serde(skip)]
    pub rules: std::collections::BTreeMap<String, RuleInfo>,
    /// By path, the changes `dusk fix` (and `--unsafe-fixes`) would make (SARIF's `fixes`).
    #[serde(skip)]
    pub fixes: std::collections::BTreeMap<String, FileFixes>,
}

/// The changes the two fix modes would make to one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFixes {
    pub safe: Vec<Replacement>,
    pub unsafe_: Vec<Replacement>,
}

/// One changed run of lines: the original's lines `start_line..end_line` (1-based, end
/// exclusive; equal for an insertion), as characters `char_offset..+char_length`, become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub start_line: usize,
    pub end_line: usize,
    pub char_offset: usize,
    pub char_length: usize,
    pub text: String,
}

impl Replacement {
    /// The line-level changes that turn `original` into `fixed`.
    pub fn between(original: &str, fixed: &str) -> Vec<Replacement> {
        let diff = similar::TextDiff::from_lines(original, fixed);
        // `from_lines` splits as `split_inclusive('\n')` does, so op ranges index these.
        let old: Vec<&str> = original.split_inclusive('\n').collect();
        let new: Vec<&str> = fixed.split_inclusive('\n').collect();
        let chars_before = |line: usize| -> usize {
            old[..line.min(old.len())]
                .iter()
                .map(|l| l.chars().count())
                .sum()
        };
        diff.ops()
            .iter()
            .filter(|op| op.tag() != similar::DiffTag::Equal)
            .map(|op| {
                let (o, n) = (op.old_range(), op.new_range());
                let char_offset = chars_before(o.start);
                Replacement {
                    start_line: o.start + 1,
                    end_line: o.end + 1,
                    char_offset,
                    char_length: chars_before(o.end) - char_offset,
                    text: new.get(n).map(<[&str]>::concat).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Whether this change touches 1-based `line` (an insertion touches the lines around it).
    pub fn touches(&self, line: usize) -> bool {
        if self.start_line == self.end_line {
            line + 1 >= self.start_line && line <= self.start_line
        } else {
            (self.start_line..self.end_line).contains(&line)
        }
    }
}

/// What a report may say about a rule beyond its findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleInfo {
    pub title: String,
    /// Markdown: why the construct is a problem and what to do.
    pub explanation: Option<String>,
    pub docs: Option<String>,
}

/// A version a component was graded at, and where that version came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GradedTarget {
    pub component: String,
    pub version: String,
    /// `flag` (`--target`), `config` (the configuration file), `newest-known` (the newest
    /// release the rule packs know) or `rule-window` (no release known: each rule's own end).
    pub source: TargetSource,
    /// The configuration file, when `source` is `config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The version the project pins now, and the file that pins it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Pinned>,
}

/// Where a target version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetSource {
    Flag,
    Config,
    NewestKnown,
    RuleWindow,
}

/// A version pinned in a dependency file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pinned {
    pub version: String,
    pub file: String,
}

impl GradedTarget {
    /// `dask-kubernetes 2026.3.0 (newest known; pinned 2023.8.0 in requirements.txt)`.
    pub fn describe(&self) -> String {
        let source = match self.source {
            TargetSource::Flag => "--target".to_owned(),
            TargetSource::Config => match &self.config {
                Some(path) => format!("config {path}"),
                None => "config".to_owned(),
            },
            TargetSource::NewestKnown => "newest known".to_owned(),
            TargetSource::RuleWindow => "each rule's removal".to_owned(),
        };
        let pinned = self.current.as_ref().map_or(String::new(), |p| {
            format!("; pinned {} in {}", p.version, p.file)
        });
        format!("{} {} ({source}{pinned})", self.component, self.version)
    }
}

impl Summary {
    pub fn of(files_scanned: usize, reports: &[FileReport]) -> Summary {
        let mut s = Summary {
            files_scanned,
            ..Summary::default()
        };
        for f in reports.iter().flat_map(|r| &r.findings) {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
            match f.fix.as_ref().map(|fix| fix.applicability) {
                Some(Applicability::Safe) => s.fixable += 1,
                Some(Applicability::Unsafe) => s.unsafe_fixable += 1,
                _ => {}
            }
        }
        s
    }

    pub fn total(&self) -> usize {
        self.errors + self.warnings + self.infos
    }

    /// `3 errors, 1 warning (2 fixable) in 12 files`.
    pub fn line(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut parts = vec![
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
        ];
        if self.infos > 0 {
            parts.push(plural(self.infos, "info"));
        }
        let mut line = parts.join(", ");
        match (self.fixable, self.unsafe_fixable) {
            (0, 0) => {}
            (safe, 0) => line.push_str(&format!(" ({safe} fixable with `dusk fix`)")),
            (0, unsafe_) => line.push_str(&format!(
                " ({unsafe_} fixable with `dusk fix --unsafe-fixes`)"
            )),
            (safe, unsafe_) => line.push_str(&format!(
                " ({safe} fixable with `dusk fix`, {unsafe_} more with `--unsafe-fixes`)"
            )),
        }
        line.push_str(&format!(" in {}", plural(self.files_scanned, "file")));
        line
    }

    /// `Graded against dask-kubernetes 2026.3.0 (newest known), …`; `None` without targets.
    pub fn targets_line(&self) -> Option<String> {
        if self.targets.is_empty() {
            return None;
        }
        let targets: Vec<String> = self.targets.iter().map(GradedTarget::describe).collect();
        Some(format!("Graded against {}", targets.join(", ")))
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labels, help and docs links (for a person at a terminal).
    Text,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
    /// The JSON contract: `{"version": 1, "findings": [...], "summary": {...}, "targets": [...]}`.
    Json,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// GitLab Code Quality report.
    Gitlab,
    /// JUnit XML.
    Junit,
}

/// The 1-based line range of a finding in the file on disk: within a notebook, the lines of
/// the `.ipynb` where the cell's source lines are written (the cell and the line in the cell
/// stay in `cell`, `start` and `end`); elsewhere, `start` and `end` themselves.
pub fn file_lines(report: &FileReport, f: &Finding) -> (usize, usize) {
    let mapped = f
        .cell
        .zip(report.notebook.as_deref())
        .and_then(|(cell, nb)| {
            let i = nb.cells.iter().position(|(c, _)| *c == cell)?;
            let lines = nb.file_lines.get(i).filter(|l| !l.is_empty())?;
            let at = |line: usize| lines[line.saturating_sub(1).min(lines.len() - 1)];
            Some((at(f.start.line), at(f.end.line)))
        });
    mapped.unwrap_or((f.start.line, f.end.line))
}

/// Line and column of a range in `text`, made cell-relative inside a notebook.
pub fn locate(
    text: &str,
    index: &LineIndex,
    notebook: Option<&Notebook>,
    range: TextRange,
) -> (LineColumn, LineColumn, Option<usize>) {
    let Some(nb) = notebook else {
        return (
            index.line_column(text, range.start()),
            index.line_column(text, range.end()),
            None,
        );
    };
    let Some((cell, within)) = nb.locate(range.start()) else {
        return (
            index.line_column(text, range.start()),
            index.line_column(text, range.end()),
            None,
        );
    };
    // Where that cell starts, from the bisection that found it: a search of the cells per
    // finding made a notebook of N cells N² (#13).
    let cell_start = range.start() - within;
    let base = index.line_column(text, cell_start);
    let rel = |lc: LineColumn| LineColumn {
        line: lc.line - base.line + 1,
        column: if lc.line == base.line {
            lc.column - base.column + 1
        } else {
            lc.column
        },
    };
    (
        rel(index.line_column(text, range.start())),
        rel(index.line_column(text, range.end())),
        Some(cell),
    )
}

/// Render every finding in `format`.
pub fn render(
    format: Format,
    reports: &[FileReport],
    summary: &Summary,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::render(reports, summary, color, out),
        Format::Concise => concise::render(reports, summary, color, out),
        Format::Json => json::render(reports, summary, out),
        Format::Sarif => sarif::render(reports, summary, out),
        Format::Github => github::render(reports, out),
        Format::Gitlab => gitlab::render(reports, out),
        Format::Junit => junit::render(reports, summary, out),
    }
}
