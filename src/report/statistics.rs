//! `--statistics`: instead of the findings, one line per rule: how many findings it has, how
//! many `dusk fix` fixes and how many only `--unsafe-fixes` does, most frequent first; then
//! the summary lines. For sizing a migration before reading 500 findings.

use super::{FileReport, Summary};
use crate::source::edit::Applicability;
use std::collections::BTreeMap;

#[derive(Default)]
struct Row {
    severity: &'static str,
    count: usize,
    safe: usize,
    unsafe_: usize,
}

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        let row = rows.entry(&f.rule).or_default();
        row.count += 1;
        // A rule's findings can differ in severity only across components' targets; show the
        // most severe.
        if row.severity.is_empty() || f.severity.as_str() == "error" {
            row.severity = f.severity.as_str();
        }
        match f.fix.as_ref().map(|x| x.applicability) {
            Some(Applicability::Safe) => row.safe += 1,
            Some(Applicability::Unsafe) => row.unsafe_ += 1,
            _ => {}
        }
    }
    let mut rows: Vec<(&str, Row)> = rows.into_iter().collect();
    rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    let width = rows.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    for (id, row) in &rows {
        let fixable = match (row.safe, row.unsafe_) {
            (0, 0) => String::new(),
            (s, 0) => format!("{s} fixable"),
            (0, u) => format!("{u} fixable with --unsafe-fixes"),
            (s, u) => format!("{s} fixable, {u} more with --unsafe-fixes"),
        };
        let line = format!(
            "{:>5}  {id:width$}  {:7}  {fixable}",
            row.count, row.severity
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    if !rows.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary.line())?;
    if let Some(targets) = summary.targets_line() {
        writeln!(out, "{targets}")?;
    }
    Ok(())
}
