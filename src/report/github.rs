//! `--format github`: GitHub Actions workflow commands, which the runner turns into
//! annotations on the pull request.
//!
//! Takes file reports; gives one line per finding:
//! `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=dusk (rule)::message`
//! (`::warning`, or `::notice` for info). Positions are omitted where there is no text to point
//! into; a live object has no file and is named in the message. In a notebook, lines are the `.ipynb`
//! file's and the title names the cell and the line within it. Every value is escaped so that no message can end the
//! command early or inject another one.

use super::{FileReport, Finding, Severity};

pub fn render(reports: &[FileReport], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for report in reports {
        for f in &report.findings {
            writeln!(out, "{}", command(report, f))?;
        }
    }
    Ok(())
}

fn command(report: &FileReport, f: &Finding) -> String {
    let has_text = report.text.is_some();
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties: Vec<(&str, String)> = Vec::new();
    let mut message = f.message.clone();
    match &f.object {
        Some(o) => message = format!("{}: {message}", super::text::object_name(o)),
        None => {
            properties.push(("file", f.path.clone()));
            let (line, end_line) = super::file_lines(report, f);
            if has_text && f.cell.is_some() {
                // Lines of the `.ipynb` file, where GitHub shows them; no columns, which
                // would count in the JSON rather than in the cell.
                properties.extend([
                    ("line", line.to_string()),
                    ("endLine", end_line.max(line).to_string()),
                ]);
            } else if has_text {
                properties.extend([
                    ("line", line.to_string()),
                    ("col", f.start.column.to_string()),
                    ("endLine", end_line.to_string()),
                    ("endColumn", f.end.column.to_string()),
                ]);
            }
        }
    }
    let cell = f
        .cell
        .map(|c| format!(" [cell {c}, line {}]", f.start.line))
        .unwrap_or_default();
    properties.push(("title", format!("dusk ({}){cell}", f.rule)));
    let properties: Vec<String> = properties
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    format!(
        "::{level} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// The message after `::`: `%`, CR and LF would end or corrupt the command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A `key=value`: also `:` and `,`, which end a value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_escaped_before_what_it_introduces() {
        assert_eq!(escape_data("50%\r\n"), "50%25%0D%0A");
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_separators() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
