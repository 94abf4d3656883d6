//! `dusk check --add-ignore`: write a `# dusk: ignore[rule, …]` comment for every finding, like
//! ruff's `--add-noqa`, so a repository can adopt the check and burn its findings down.
//!
//! Python and YAML get the comment at the end of the finding's first line (merged into a
//! `# dusk: ignore[…]` already there); a Dockerfile, whose comments are whole lines, gets a
//! comment line above the finding's line, which silences the line below it. Notebooks (JSON)
//! and findings without a line (an unreadable file) get none.
//!
//! Every edited file is linted again before it is written: if a comment landed where the
//! syntax does not allow one (inside a multi-line string or a YAML block scalar) the findings
//! would still be there or the file would no longer parse, so that file is left as it was and
//! reported. Writes are atomic and refused if the file changed since it was read.

use crate::discover::{SourceKind, classify};
use crate::lint::{Settings, lint_text};
use crate::report::FileReport;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What `--add-ignore` did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Comments written, silencing this many findings.
    Added(usize),
    /// Left unchanged, and why.
    Skipped(String),
}

/// Add suppressions for every finding of `reports`; one outcome per file with findings.
pub fn run(reports: &[FileReport], settings: &Settings<'_>) -> Vec<(String, Outcome)> {
    reports
        .iter()
        .filter(|r| r.text.is_some() && !r.findings.is_empty())
        .map(|r| (r.path.clone(), file(r, settings)))
        .collect()
}

fn file(report: &FileReport, settings: &Settings<'_>) -> Outcome {
    let path = Path::new(&report.path);
    let Some(kind) = classify(path) else {
        return Outcome::Skipped("not a kind of file dusk reads".into());
    };
    if kind == SourceKind::Notebook {
        return Outcome::Skipped("notebooks have no comments dusk can add to their JSON".into());
    }
    let Ok((snapshot, bytes)) = crate::write::read(path, settings.limits.max_file_bytes) else {
        return Outcome::Skipped("cannot be read".into());
    };
    let Ok(original) = String::from_utf8(bytes) else {
        return Outcome::Skipped("not UTF-8".into());
    };
    // Rules per 1-based line; findings of the walk (no text) have none.
    let mut by_line: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.object.is_none()) {
        by_line.entry(f.start.line).or_default().insert(&f.rule);
    }
    let edited = match kind {
        SourceKind::Dockerfile => comment_above(&original, &by_line),
        _ => comment_after(&original, &by_line),
    };
    let beside_chart = crate::discover::beside_dask_chart(path);
    let after = lint_text(kind, beside_chart, path, &report.path, &edited, settings);
    if !after.findings.is_empty() {
        return Outcome::Skipped(format!(
            "a comment would not silence `{}` here (inside a string or block?); left unchanged",
            after.findings[0].rule
        ));
    }
    match crate::write::replace(&snapshot, edited.as_bytes()) {
        Ok(_) => Outcome::Added(report.findings.len()),
        Err(e) => Outcome::Skipped(format!("not written: {e}")),
    }
}

/// `  # dusk: ignore[a, b]` at the end of each line, merged into one already there.
fn comment_after(text: &str, by_line: &BTreeMap<usize, BTreeSet<&str>>) -> String {
    let mut out = String::with_capacity(text.len() + by_line.len() * 40);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let Some(rules) = by_line.get(&(i + 1)) else {
            out.push_str(line);
            continue;
        };
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        out.push_str(&merged(body, rules));
        out.push_str(ending);
    }
    out
}

/// `body` with its `# dusk: ignore[…]` extended by `rules`, or one appended.
fn merged(body: &str, rules: &BTreeSet<&str>) -> String {
    const MARK: &str = "# dusk: ignore[";
    if let Some(at) = body.find(MARK)
        && let Some(close) = body[at + MARK.len()..].find(']')
    {
        let inside = &body[at + MARK.len()..at + MARK.len() + close];
        let mut all: BTreeSet<&str> = inside.split(',').map(str::trim).collect();
        all.extend(rules.iter().copied());
        all.remove("");
        let list: Vec<&str> = all.into_iter().collect();
        return format!(
            "{}{MARK}{}{}",
            &body[..at],
            list.join(", "),
            &body[at + MARK.len() + close..]
        );
    }
    let list: Vec<&str> = rules.iter().copied().collect();
    let mark = format!("{MARK}{}]", list.join(", "));
    // A suppression is a comment that starts with `dusk:`, so it goes before a comment the
    // line already has (`x  # dusk: ignore[r]  # why`).
    match comment_start(body) {
        Some(at) => format!("{}{mark}  {}", &body[..at], &body[at..]),
        None => format!("{body}  {mark}"),
    }
}

/// Where a `#` comment starts in a line of Python or YAML: a `#` at the start or after
/// whitespace, outside quotes. A guess; `file` re-lints to catch a wrong one.
fn comment_start(line: &str) -> Option<usize> {
    let (mut quote, mut escaped, mut prev_space) = (None, false, true);
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' && prev_space => return Some(i),
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
        prev_space = c.is_whitespace();
    }
    None
}

/// A `# dusk: ignore[…]` line above each line, indented like it.
fn comment_above(text: &str, by_line: &BTreeMap<usize, BTreeSet<&str>>) -> String {
    let mut out = String::with_capacity(text.len() + by_line.len() * 40);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rules) = by_line.get(&(i + 1)) {
            let indent = &line[..line.len() - line.trim_start().len()];
            let list: Vec<&str> = rules.iter().copied().collect();
            out.push_str(&format!("{indent}# dusk: ignore[{}]\n", list.join(", ")));
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(usize, &'static str)]) -> BTreeMap<usize, BTreeSet<&'static str>> {
        let mut m: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
        for (l, r) in pairs {
            m.entry(*l).or_default().insert(r);
        }
        m
    }

    #[test]
    fn comments_go_at_line_ends_and_merge() {
        let text = "a = 1\nb = 2  # dusk: ignore[x]\r\nc\n";
        let out = comment_after(text, &lines(&[(1, "r"), (2, "y"), (3, "r"), (3, "q")]));
        assert_eq!(
            out,
            "a = 1  # dusk: ignore[r]\nb = 2  # dusk: ignore[x, y]\r\nc  # dusk: ignore[q, r]\n"
        );
    }

    #[test]
    fn an_existing_comment_keeps_its_place_after_the_suppression() {
        let out = comment_after("a: [x, \"#1\"]  # why\n", &lines(&[(1, "r")]));
        assert_eq!(out, "a: [x, \"#1\"]  # dusk: ignore[r]  # why\n");
    }

    #[test]
    fn dockerfile_comments_go_above() {
        let out = comment_above("FROM x\n  CMD dask-worker\n", &lines(&[(2, "r")]));
        assert_eq!(out, "FROM x\n  # dusk: ignore[r]\n  CMD dask-worker\n");
    }
}
