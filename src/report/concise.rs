//! `--format concise`: one line per finding, `path:line:col: severity[rule] message`, then the
//! summary lines.
//!
//! For CI logs and editors' "jump to location": every finding fits on one line that grep,
//! `less` and log viewers keep whole. A notebook finding is `path[cell N]:line:col` (line and
//! column within the cell, as in every other format that shows cells); a finding without
//! text (an unreadable file) is `path:`; a live object is `kind/namespace/name:`.

use super::{FileReport, Finding, Summary};

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for report in reports {
        for f in &report.findings {
            writeln!(out, "{}", line(f, report.text.is_some(), color))?;
        }
    }
    if summary.total() > 0 {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary.line())?;
    if let Some(targets) = summary.targets_line() {
        writeln!(out, "{targets}")?;
    }
    Ok(())
}

/// One finding on one line.
pub fn line(f: &Finding, has_text: bool, color: bool) -> String {
    let subject = match (&f.object, f.cell, has_text) {
        (Some(o), _, _) => super::text::object_name(o),
        (None, Some(cell), true) => {
            format!(
                "{}[cell {cell}]:{}:{}",
                f.path, f.start.line, f.start.column
            )
        }
        (None, None, true) => format!("{}:{}:{}", f.path, f.start.line, f.start.column),
        (None, _, false) => f.path.clone(),
    };
    let head = super::text::head(f, color);
    // A message is one line; a multi-line one (a parser's) is joined so the format holds.
    let message = f.message.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{subject}: {head} {message}")
}
