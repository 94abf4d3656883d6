//! `--format gitlab`: a GitLab Code Quality report (`artifacts:reports:codequality`).
//!
//! Takes file reports; gives one JSON array with an issue per finding: `description`,
//! `check_name` (the rule id), `fingerprint`, `severity` (`blocker` for an error, `major` for
//! a warning, `info` for info), and `location` with `path` and `lines.begin`/`end` (in a
//! notebook, lines of the `.ipynb` file; the cell stays in the description).
//!
//! The fingerprint is what GitLab uses to tell a new issue from one already on the target
//! branch, so it must survive unrelated edits: it hashes the rule, the path and the finding's
//! own text (see `fingerprint_key`), plus an occurrence number for identical ones, never the
//! line number. Nothing else varies between runs (no timestamps, no machine paths).

use super::{FileReport, Finding, Severity};
use foldhash::{HashMap, HashMapExt};
use serde_json::{Value, json};

pub fn render(reports: &[FileReport], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(reports))?;
    writeln!(out)
}

pub fn to_value(reports: &[FileReport]) -> Value {
    let mut issues = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for report in reports {
        for f in &report.findings {
            let key = fingerprint_key(report, f);
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            issues.push(issue(report, f, &fingerprint(&format!("{key}\u{0}{n}"))));
        }
    }
    Value::Array(issues)
}

fn issue(report: &FileReport, f: &Finding, fingerprint: &str) -> Value {
    let (begin, end) = super::file_lines(report, f);
    let path = match &f.object {
        Some(o) => super::text::object_name(o),
        None => f.path.clone(),
    };
    let cell = f
        .cell
        .map(|c| format!(" (cell {c}, line {})", f.start.line))
        .unwrap_or_default();
    json!({
        "description": format!("{}{cell}", f.message),
        "check_name": f.rule,
        "fingerprint": fingerprint,
        "severity": match f.severity {
            Severity::Error => "blocker",
            Severity::Warning => "major",
            Severity::Info => "info",
        },
        "location": {
            "path": path,
            "lines": { "begin": begin, "end": end.max(begin) },
        },
    })
}

/// Rule, path and the finding's own text (the first line of its range; its trimmed line when
/// the range is empty, as for a syntax error; its message without text), so neither line
/// numbers nor edits elsewhere on the line change it.
pub fn fingerprint_key(report: &FileReport, f: &Finding) -> String {
    let content = report
        .text
        .as_deref()
        .and_then(|text| {
            let own = text
                .get(f.range.as_range())
                .and_then(|t| t.lines().next())
                .map(str::trim)
                .filter(|t| !t.is_empty());
            if own.is_some() {
                return own;
            }
            let start = f.range.start().min(text.len());
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            text.get(line_start..line_end).map(str::trim)
        })
        .map_or_else(|| f.message.clone(), str::to_owned);
    let subject = f
        .object
        .as_ref()
        .map_or_else(|| f.path.clone(), super::text::object_name);
    format!("{}\u{0}{subject}\u{0}{content}", f.rule)
}

/// A stable 128-bit hex digest (two FNV-1a 64 passes with different offsets): not for
/// security, only so the same key always gives the same fingerprint on every platform.
pub fn fingerprint(key: &str) -> String {
    let fnv = |offset: u64| {
        key.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        assert_eq!(fingerprint("a"), fingerprint("a"));
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("a").len(), 32);
    }
}
