//! `--format json`: one object, `{"version": 1, "findings": [...], "summary": {...}}`.
//! This is a contract (DESIGN.md); `tests/report.rs` snapshots it.

use super::{FileReport, Finding, Summary};
use crate::source::edit::Applicability;
use serde_json::{Value, json};

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
        return json!({
            "applicability": fix.applicability.as_str(),
            "description": fix.description,
        });
    }
    match &f.not_fixable {
        Some(reason) => json!({"available": false, "reason": reason}),
        None => Value::Null,
    }
}

pub fn to_value(reports: &[FileReport], summary: &Summary) -> Value {
    let findings: Vec<Value> = reports
        .iter()
        .flat_map(|r| &r.findings)
        .map(finding_json)
        .collect();
    json!({ "version": 1, "findings": findings, "summary": summary })
}

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(reports, summary))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FixInfo, Severity};
    use crate::source::{LineColumn, TextRange};

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
            }),
            not_fixable: None,
            object: None,
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
