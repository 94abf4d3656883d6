//! `--format text`: one line per finding plus the summary. (Rich snippets being written.)

use super::{FileReport, Summary};

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    _color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for f in reports.iter().flat_map(|r| &r.findings) {
        let cell = f.cell.map(|c| format!("[cell {c}]")).unwrap_or_default();
        writeln!(
            out,
            "{}{}:{}:{}: {} [{}] {}",
            f.path,
            cell,
            f.start.line,
            f.start.column,
            f.severity.as_str(),
            f.rule,
            f.message
        )?;
    }
    writeln!(out, "{}", summary.line())
}
