//! `--format junit`: JUnit XML, for CI systems that show test results.
//!
//! Takes file reports; gives one `<testsuite name="dusk">` in which every file with findings is
//! a `<testcase>` and every finding a `<failure>`. `tests` counts the test cases (files with
//! findings) and `failures` the findings, so the numbers match what a reader sees listed;
//! `errors` is 0 because a file dusk cannot read is itself a finding.
//!
//! Deterministic: no timestamps, durations or host names. Every value is escaped for XML 1.0,
//! and characters XML 1.0 cannot hold at all (most C0 controls) are dropped.

use super::{FileReport, Finding, Summary};
use std::fmt::Write as _;

pub fn render(
    reports: &[FileReport],
    _summary: &Summary,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let cases: Vec<&FileReport> = reports.iter().filter(|r| !r.findings.is_empty()).collect();
    let failures: usize = cases.iter().map(|r| r.findings.len()).sum();
    let counts = format!(
        r#"tests="{}" failures="{failures}" errors="0""#,
        cases.len()
    );
    // Built in a String (whose `write!` cannot fail, hence the `let _`), then written once.
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml, r#"<testsuites name="dusk" {counts}>"#);
    let _ = writeln!(xml, r#"  <testsuite name="dusk" {counts}>"#);
    for report in cases {
        let _ = writeln!(
            xml,
            r#"    <testcase name="{}" classname="dusk">"#,
            attribute(&report.path)
        );
        for f in &report.findings {
            let _ = writeln!(
                xml,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                attribute(&f.message),
                attribute(&f.rule),
                text(&body(f, report.text.is_some()))
            );
        }
        xml.push_str("    </testcase>\n");
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    out.write_all(xml.as_bytes())
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
