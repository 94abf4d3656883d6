//! `--format junit`: JUnit XML, for CI systems that show test results.
//!
//! Takes file reports; gives one `<testsuite name="dusk">` in which every finding is a
//! `<testcase>` holding one `<failure>` (named `rule at line:col`, with the file's path as
//! its class and `file`/`line` attributes pointing into the file: the `.ipynb` line for a
//! notebook), and every clean file read is a passing `<testcase>`, so a clean run is not
//! `tests="0"`. `errors` is 0 because a file dusk cannot read is itself a finding.
//!
//! Deterministic: no timestamps, durations or host names. Every value is escaped for XML 1.0,
//! and characters XML 1.0 cannot hold at all (most C0 controls) are dropped.

use super::{FileReport, Finding, Summary};
use std::fmt::Write as _;

pub fn render(
    reports: &[FileReport],
    summary: &Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let with_findings: std::collections::BTreeSet<&str> = reports
        .iter()
        .filter(|r| !r.findings.is_empty())
        .map(|r| r.path.as_str())
        .collect();
    let clean: Vec<&String> = summary
        .files
        .iter()
        .filter(|p| !with_findings.contains(p.as_str()))
        .collect();
    let failures: usize = reports.iter().map(|r| r.findings.len()).sum();
    let counts = format!(
        r#"tests="{}" failures="{failures}" errors="0""#,
        failures + clean.len()
    );
    // Built in a String (whose `write!` cannot fail, hence the `let _`), then written once.
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, r#"<testsuites name="dusk" {counts}>"#);
    let _ = writeln!(xml, r#"  <testsuite name="dusk" {counts}>"#);
    for report in reports {
        for f in &report.findings {
            // A line only where there is text to point into (not a live object, not a file
            // that could not be read).
            let line = if report.text.is_some() && f.object.is_none() {
                format!(r#" line="{}""#, super::file_lines(report, f).0)
            } else {
                String::new()
            };
            let _ = writeln!(
                xml,
                r#"    <testcase name="{}" classname="{}" file="{}"{line}>"#,
                attribute(&case_name(report, f)),
                attribute(&report.path),
                attribute(&report.path),
            );
            let _ = writeln!(
                xml,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                attribute(&f.message),
                attribute(&f.rule),
                text(&body(f, report.text.is_some()))
            );
            xml.push_str("    </testcase>\n");
        }
    }
    // A clean file passes, so a clean run is not `tests="0"`.
    for path in clean {
        let _ = writeln!(
            xml,
            r#"    <testcase name="{}" classname="{}" file="{}"/>"#,
            attribute(path),
            attribute(path),
            attribute(path)
        );
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    out.write_all(xml.as_bytes())
}

/// `rule at line:col` (`rule at cell N, line:col` in a notebook; the object for a live one).
fn case_name(report: &FileReport, f: &Finding) -> String {
    if let Some(o) = &f.object {
        return format!("{} at {}", f.rule, super::text::object_name(o));
    }
    if report.text.is_none() {
        return f.rule.clone();
    }
    let cell = f.cell.map(|c| format!("cell {c}, ")).unwrap_or_default();
    format!("{} at {cell}{}:{}", f.rule, f.start.line, f.start.column)
}

/// `path:line:col: severity: message` (`path[cell N]` in a notebook; no position without text;
/// `kind/namespace/name` for a live object).
fn body(f: &Finding, has_text: bool) -> String {
    let severity = f.severity.as_str();
    if let Some(o) = &f.object {
        let subject = super::text::object_name(o);
        return format!("{subject}: {severity}: {}", f.message);
    }
    if !has_text {
        return format!("{}: {severity}: {}", f.path, f.message);
    }
    let cell = f.cell.map(|c| format!("[cell {c}]")).unwrap_or_default();
    format!(
        "{}{cell}:{}:{}: {severity}: {}",
        f.path, f.start.line, f.start.column, f.message
    )
}

/// Whether XML 1.0 allows `c` at all (its `Char` production; Rust `char`s are never
/// surrogates).
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Element content: markup characters escaped, CR kept as a reference (a parser would
/// otherwise fold CRLF into LF).
fn text(s: &str) -> String {
    escape(s, false)
}

/// Attribute values: also quotes, and whitespace as references, since a parser would
/// otherwise turn tabs and line breaks into spaces.
fn attribute(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|&c| allowed(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(text("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
        assert_eq!(
            attribute(r#"say "hi" 'x'"#),
            "say &quot;hi&quot; &apos;x&apos;"
        );
    }

    #[test]
    fn line_breaks_survive_in_attributes() {
        assert_eq!(attribute("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
        assert_eq!(text("a\nb\r"), "a\nb&#13;");
    }

    #[test]
    fn characters_xml_cannot_hold_are_dropped() {
        assert_eq!(text("a\u{0}b\u{1b}[31mc\u{FFFF}"), "ab[31mc");
    }
}
