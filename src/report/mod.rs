//! Findings and their rendering: one file per output format, all fed the same values.
//!
//! Takes findings with byte ranges and the texts they point into; gives text (miette), JSON
//! (the contract in DESIGN.md), SARIF 2.1.0, GitHub Actions annotations and JUnit XML.
//! Lines and columns are computed here, once, from byte offsets.

pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;
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
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Junit,
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
    let Some((cell, _)) = nb.locate(range.start()) else {
        return (
            index.line_column(text, range.start()),
            index.line_column(text, range.end()),
            None,
        );
    };
    let cell_start = nb
        .cells
        .iter()
        .find(|(c, _)| *c == cell)
        .map_or(0, |(_, r)| r.start());
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
        Format::Json => json::render(reports, summary, out),
        Format::Sarif => sarif::render(reports, out),
        Format::Github => github::render(reports, out),
        Format::Junit => junit::render(reports, summary, out),
    }
}
