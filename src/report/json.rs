//! `--format json`: one object, `{"version": 1, "findings": [...], "summary": {...}}`.
//! This is a contract (DESIGN.md); `tests/it/report.rs` snapshots it.

use super::{FileReport, Finding, Summary};
use crate::source::edit::Applicability;
use serde_json::{Value, json};
use std::io::Write;

pub fn finding_json(f: &Finding) -> Value {
    let mut v = json!({
        "rule": f.rule,
        "severity": f.severity.as_str(),
        "path": f.path,
        "line": f.start.line,
        "column": f.start.column,
        "end_line": f.end.line,
        "end_column": f.end.column,
        "message": f.message,
        "component": f.component,
        "deprecated_in": f.deprecated_in,
        "removed_in": f.removed_in,
        "replacement": f.replacement,
        "docs": f.docs,
        "fix": fix_json(f),
    });
    if let Some(cell) = f.cell {
        v["cell"] = json!(cell);
    }
    if let Some(object) = &f.object {
        v["object"] = json!(object);
    }
    // Additive (#10): which version graded the finding, and which its fix was decided for.
    if let Some(graded) = &f.graded_against {
        v["graded_against"] = json!(graded);
    }
    if let Some(in_play) = &f.in_play {
        v["in_play"] = json!(in_play);
    }
    v
}

/// `null` (no fix), `{"applicability", "description"}` (a fix `dusk fix` applies) or
/// `{"available": false, "reason"}` (the rule has a fix, but its rewriter declined this
/// occurrence, and says why).
fn fix_json(f: &Finding) -> Value {
    // The contract knows `safe` and `unsafe`; a display-only fix is not one dusk applies.
    if let Some(fix) = f
        .fix
        .as_ref()
        .filter(|fix| fix.applicability != Applicability::DisplayOnly)
    {
        let mut v = json!({
            "applicability": fix.applicability.as_str(),
            "description": fix.description,
        });
        // Additive: what a fix that migrates a classic cluster would report.
        if !fix.migration.is_empty() {
            v["migration"] = json!(fix.migration);
        }
        return v;
    }
    match &f.not_fixable {
        Some(reason) => json!({"available": false, "reason": reason}),
        None => Value::Null,
    }
}

/// Writes the report a chunk of findings at a time: a scan of 60,000 live pods has 60,000
/// findings, and a whole document of `Value`s cost about 15 KB per finding. Every object is
/// printed through a `Value`, so its keys come out sorted (`serde_json` without
/// `preserve_order`).
pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    // The document as `serde_json::to_writer_pretty` writes it, each chunk's findings made,
    // printed and indented on every thread: nested two levels deep, each line of a finding
    // after its first is indented by four more spaces (a JSON string has no raw newline).
    // Indented line by line on the writing thread, they were a stretch of the run's serial
    // end (#13).
    const CHUNK: usize = 1024;
    let mut out = std::io::BufWriter::new(out);
    let findings: Vec<&Finding> = reports.iter().flat_map(|r| &r.findings).collect();
    out.write_all(b"{\n  \"findings\": [")?;
    for (i, chunk) in findings.chunks(CHUNK).enumerate() {
        let printed = chunk
            .par_iter()
            .map(|f| {
                let pretty = serde_json::to_vec_pretty(&finding_json(f))?;
                let mut nested = Vec::with_capacity(pretty.len() + pretty.len() / 4);
                indented(&mut nested, &pretty, b"\n    ")?;
                Ok(nested)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        for (j, finding) in printed.iter().enumerate() {
            if i + j > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n    ")?;
            out.write_all(finding)?;
        }
    }
    if !findings.is_empty() {
        out.write_all(b"\n  ")?;
    }
    out.write_all(b"],\n  \"summary\": ")?;
    member(&mut out, serde_json::to_value(summary)?)?;
    out.write_all(b",\n  \"targets\": ")?;
    member(&mut out, serde_json::to_value(&summary.targets)?)?;
    out.write_all(b",\n  \"version\": 1\n}\n")?;
    out.flush()
}

/// A member's value of the top-level object, printed one level deep.
fn member(out: &mut impl Write, value: Value) -> std::io::Result<()> {
    indented(out, &serde_json::to_vec_pretty(&value)?, b"\n  ")
}

/// `printed` with `newline` (a newline and the indentation) for each of its newlines.
fn indented(out: &mut impl Write, printed: &[u8], newline: &[u8]) -> std::io::Result<()> {
    let mut lines = printed.split(|b| *b == b'\n');
    if let Some(first) = lines.next() {
        out.write_all(first)?;
    }
    for line in lines {
        out.write_all(newline)?;
        out.write_all(line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FixInfo, Severity};
    use crate::source::{LineColumn, TextRange};

    fn finding(path: &str, line: usize) -> Finding {
        let at = LineColumn { line, column: 1 };
        let message = "a \"quoted\"\nmessage".to_owned();
        Finding {
            start: at,
            end: at,
            not_fixable: Some("why".into()),
            ..Finding::new("r", Severity::Warning, path, TextRange::empty(0), message)
        }
    }

    /// The report printed a chunk of findings at a time, in parallel, is the document
    /// `serde_json` prints whole: with no finding, one, and more than a chunk.
    #[test]
    fn the_report_printed_in_chunks_is_the_whole_document() {
        for n in [0, 1, 1030] {
            let reports: Vec<FileReport> = (0..2)
                .map(|r| FileReport {
                    path: format!("f{r}.yaml"),
                    text: None,
                    notebook: None,
                    findings: (0..n / 2 + r * (n % 2))
                        .map(|i| finding(&format!("f{r}.yaml"), i + 1))
                        .collect(),
                })
                .collect();
            let summary = Summary::of(2, &reports);
            let mut printed = Vec::new();
            render(&reports, &summary, &mut printed).unwrap();
            let findings: Vec<Value> = reports
                .iter()
                .flat_map(|r| &r.findings)
                .map(finding_json)
                .collect();
            let document = json!({
                "findings": findings,
                "summary": summary,
                "targets": summary.targets,
                "version": 1,
            });
            let whole = serde_json::to_string_pretty(&document).unwrap();
            assert_eq!(
                String::from_utf8(printed).unwrap(),
                whole + "\n",
                "{n} findings"
            );
        }
    }

    #[test]
    fn a_display_only_fix_is_not_a_fix_in_the_contract() {
        let at = LineColumn { line: 1, column: 1 };
        let mut f = Finding {
            rule: "r".into(),
            severity: Severity::Warning,
            path: "a.yaml".into(),
            range: TextRange::empty(0),
            start: at,
            end: at,
            cell: None,
            message: "m".into(),
            component: None,
            deprecated_in: None,
            removed_in: None,
            replacement: None,
            docs: None,
            fix: Some(FixInfo {
                applicability: Applicability::DisplayOnly,
                description: "d".into(),
                migration: Vec::new(),
            }),
            not_fixable: None,
            object: None,
            graded_against: None,
            in_play: None,
        };
        assert!(finding_json(&f)["fix"].is_null());
        f.fix.as_mut().unwrap().applicability = Applicability::Unsafe;
        assert_eq!(finding_json(&f)["fix"]["applicability"], "unsafe");
        // A declined fix says why, and is not available.
        f.fix = None;
        f.not_fixable = Some("integer env value `4` at line 7: quote it".into());
        assert_eq!(
            finding_json(&f)["fix"],
            json!({"available": false, "reason": "integer env value `4` at line 7: quote it"})
        );
    }
}
