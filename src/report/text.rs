//! `--format text`: what a person reads in a terminal.
//!
//! Takes file reports; gives one miette diagnostic per finding (the source snippet under the
//! file's path, or a notebook cell's own source under `path[cell N]`, a label at the range,
//! the rule id as code, the replacement and the fix as help, the docs URL), then the summary
//! line. Findings without text (a walk warning, a live object) are one line each.
//!
//! Never reads the terminal: colour is the caller's decision (`color`), the width is fixed and
//! hyperlinks are off, so the same findings always render the same bytes.

use super::{FileReport, Finding, ObjectRef, Severity, Summary};
use anstyle::{AnsiColor, Style};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;
use std::sync::Arc;

/// Fixed so that output (and snapshots) never depend on the terminal.
const WIDTH: usize = 100;

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let handler = handler(color);
    // One-line findings sit together; a snippet is set off by a blank line on each side.
    let mut after_line = false;
    for report in reports {
        for finding in &report.findings {
            match entry(&handler, report, finding, color) {
                Entry::Snippet(rendered) => {
                    if after_line {
                        writeln!(out)?;
                    }
                    writeln!(out, "{rendered}")?;
                    after_line = false;
                }
                Entry::Line(line) => {
                    writeln!(out, "{line}")?;
                    after_line = true;
                }
            }
        }
    }
    if after_line {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary.line())?;
    if let Some(targets) = summary.targets_line() {
        writeln!(out, "{targets}")?;
    }
    Ok(())
}

enum Entry {
    /// miette's rendering, ending in a line break.
    Snippet(String),
    Line(String),
}

fn entry(handler: &GraphicalReportHandler, report: &FileReport, f: &Finding, color: bool) -> Entry {
    let Some(snippet) = snippet(report, f) else {
        return Entry::Line(one_line(f, color));
    };
    if too_wide(snippet.source.inner(), snippet.span) {
        return Entry::Line(located_line(f, color));
    }
    let diagnostic = FindingDiagnostic {
        finding: f,
        snippet,
    };
    let mut rendered = String::new();
    match handler.render_report(&mut rendered, &diagnostic) {
        Ok(()) => Entry::Snippet(rendered),
        // miette refuses spans it cannot read; the location alone still helps.
        Err(fmt::Error) => Entry::Line(located_line(f, color)),
    }
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        // The snippet's name carries the position (see `snippet`).
        .without_primary_span_start()
        // Off: OSC-8 escapes garble pipes and logs; the URL is printed as text instead.
        .with_links(false)
}

/// The source a finding's snippet shows, its name, and the finding's range within it.
struct Snippet {
    source: NamedSource<Arc<str>>,
    span: (usize, usize),
    label: String,
}

/// `None` when there is no text to show (a walk warning, a live object).
fn snippet(report: &FileReport, finding: &Finding) -> Option<Snippet> {
    let text = report.text.as_ref()?;
    let cell = report.notebook.as_deref().and_then(|nb| {
        let number = finding
            .cell
            .or_else(|| nb.locate(finding.range.start()).map(|(c, _)| c))?;
        // Cells are in order of their numbers: found by bisection, not a search per finding.
        let i = nb.cells.binary_search_by_key(&number, |(c, _)| *c).ok()?;
        let range = nb.cells[i].1;
        text.get(range.as_range())
            .map(|src| (number, range.start(), src))
    });
    let end_of = if cell.is_some() {
        "end of cell"
    } else {
        "end of file"
    };
    let (name, base, source): (String, usize, Arc<str>) = match cell {
        Some((number, start, src)) => (
            format!("{}[cell {number}]", finding.path),
            start,
            src.into(),
        ),
        None => (finding.path.clone(), 0, text.clone()),
    };
    let start = clamp(&source, finding.range.start().saturating_sub(base));
    let end = clamp(&source, finding.range.end().saturating_sub(base)).max(start);
    let span = visible(&source, start, end);
    let label = if start == end && start == source.len() {
        end_of.to_owned()
    } else {
        label(finding)
    };
    // miette would count the header's column in bytes; the contract counts characters.
    let name = format!("{name}:{}:{}", finding.start.line, finding.start.column);
    Some(Snippet {
        source: NamedSource::new(name, source),
        span,
        label,
    })
}

/// `start..end` as a miette span. miette draws no label at the very end of a text (there is no
/// character there), so an empty range at the end moves onto the last line: onto its line
/// break if it has one, else onto its last character.
fn visible(text: &str, start: usize, end: usize) -> (usize, usize) {
    if start != end || start != text.len() {
        return (start, end - start);
    }
    let content = text.trim_end_matches(['\n', '\r']);
    let at = if content.len() < text.len() {
        content.len()
    } else {
        content.char_indices().next_back().map_or(0, |(i, _)| i)
    };
    (at, 0)
}

/// Longest line, in characters, that a snippet shows. miette pads labels with `{:width$}`,
/// and Rust panics on a width past `u16::MAX`: a finding at column ~65,530 of a one-line
/// JSON manifest ended the run. Wide characters take two columns, hence the margin.
const MAX_SNIPPET_LINE: usize = 30_000;

/// Whether a line of the snippet around `span` (its lines and one of context on each side)
/// is too long to draw; the finding is then one located line.
fn too_wide(text: &str, (start, len): (usize, usize)) -> bool {
    let from = text[..start].rfind('\n').unwrap_or(0);
    let from = text[..from].rfind('\n').map_or(0, |i| i + 1);
    let end = (start + len).min(text.len());
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let to = text[to..].find('\n').map_or(text.len(), |i| to + i);
    text[from..to]
        .split('\n')
        .any(|line| line.len() > MAX_SNIPPET_LINE && line.chars().count() > MAX_SNIPPET_LINE)
}

/// `offset` moved into `text` and back to a character boundary, so no span can make miette
/// slice outside the text or inside a character.
fn clamp(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The short text under the range: why this construct is flagged at the target.
fn label(f: &Finding) -> String {
    match (f.severity, &f.deprecated_in, &f.removed_in) {
        (Severity::Error, _, Some(removed)) => format!("removed in {removed}"),
        (Severity::Warning, Some(deprecated), Some(removed)) => {
            format!("deprecated in {deprecated}, removed in {removed}")
        }
        (Severity::Warning, Some(deprecated), None) => format!("deprecated in {deprecated}"),
        (Severity::Warning, None, Some(removed)) => format!("to be removed in {removed}"),
        (Severity::Info, Some(deprecated), _) => format!("to be deprecated in {deprecated}"),
        _ => "here".to_owned(),
    }
}

/// `use X instead` and the fix, one per line; `None` when there is neither.
fn help(f: &Finding) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(replacement) = &f.replacement {
        lines.push(format!("use `{replacement}` instead"));
    }
    if let Some(fix) = &f.fix {
        lines.push(format!(
            "fixable: {} ({})",
            fix.description,
            fix.applicability.as_str()
        ));
    }
    if let Some(reason) = &f.not_fixable {
        lines.push(format!("not fixable: {reason}"));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// A finding as miette sees it; built per finding, borrowed, never stored.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    snippet: Snippet,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("finding", self.finding)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.rule))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        help(self.finding).map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.finding
            .docs
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.snippet.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span =
            LabeledSpan::new_primary_with_span(Some(self.snippet.label.clone()), self.snippet.span);
        Some(Box::new(std::iter::once(span)))
    }
}

/// `path: error[rule]: message`, or `kind/namespace/name: …` for a live object.
fn one_line(f: &Finding, color: bool) -> String {
    let subject = f
        .object
        .as_ref()
        .map_or_else(|| f.path.clone(), object_name);
    format!("{subject}: {}", tail(f, color))
}

/// `kind/namespace/name` (`kind/name` when cluster-scoped): how every format names a live
/// object.
pub(super) fn object_name(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{}/{ns}/{}", o.kind, o.name),
        None => format!("{}/{}", o.kind, o.name),
    }
}

/// `path[cell N]:line:col: error[rule]: message`, when a snippet could not be drawn.
fn located_line(f: &Finding, color: bool) -> String {
    let cell = f.cell.map(|c| format!("[cell {c}]")).unwrap_or_default();
    format!(
        "{}{cell}:{}:{}: {}",
        f.path,
        f.start.line,
        f.start.column,
        tail(f, color)
    )
}

fn tail(f: &Finding, color: bool) -> String {
    format!("{}: {}", head(f, color), f.message)
}

/// `severity[rule]`, in the severity's colour when `color`; shared with the concise format.
pub(super) fn head(f: &Finding, color: bool) -> String {
    let head = format!("{}[{}]", f.severity.as_str(), f.rule);
    if !color {
        return head;
    }
    let colour = match f.severity {
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Info => AnsiColor::Cyan,
    };
    let style = Style::new().bold().fg_color(Some(colour.into()));
    format!("{style}{head}{style:#}")
}
