//! Suppression comments: `# dusk: ignore[rule-a, rule-b]` on a line silences those rules'
//! findings that start on that line; a bare `# dusk: ignore` silences every rule there;
//! `# dusk: ignore-file` (optionally with rules) silences the whole file. Works the same in
//! YAML and Python, since both use `#` comments; in a Dockerfile, whose comments are whole
//! lines, `lint` moves a line suppression onto the instruction line below it. A suppression that silences nothing is
//! itself reported, so suppressions cannot silently outlive their reason.

use crate::source::{LineIndex, TextRange};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The comment's range.
    pub range: TextRange,
    /// 1-based line it applies to; `None` for the whole file.
    pub line: Option<usize>,
    /// Rule ids; empty means every rule.
    pub rules: Vec<String>,
    pub used: std::cell::Cell<bool>,
}

/// Parse the suppressions in `comments` (ranges of `#` comments in `text`).
pub fn parse(text: &str, index: &LineIndex, comments: &[TextRange]) -> Vec<Suppression> {
    let mut out = Vec::new();
    for &range in comments {
        let Some(comment) = text.get(range.as_range()) else {
            continue;
        };
        let body = comment.trim_start_matches('#').trim();
        let Some(rest) = body.strip_prefix("dusk:") else {
            continue;
        };
        let rest = rest.trim();
        let (file_wide, rest) = match rest.strip_prefix("ignore-file") {
            Some(r) => (true, r),
            None => match rest.strip_prefix("ignore") {
                Some(r) => (false, r),
                None => continue,
            },
        };
        let rules = match rest
            .trim()
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
        {
            Some((list, _)) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None if rest.trim().is_empty() || rest.starts_with(' ') => Vec::new(),
            None => continue,
        };
        let line = (!file_wide).then(|| index.line_column(text, range.start()).line);
        out.push(Suppression {
            range,
            line,
            rules,
            used: std::cell::Cell::new(false),
        });
    }
    out
}

/// Whether a finding of `rule` starting on `line` is suppressed; marks the suppression used.
pub fn is_suppressed(suppressions: &[Suppression], rule: &str, line: usize) -> bool {
    let mut hit = false;
    for s in suppressions {
        let applies = s.line.is_none_or(|l| l == line)
            && (s.rules.is_empty() || s.rules.iter().any(|r| r == rule));
        if applies {
            s.used.set(true);
            hit = true;
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(text: &str) -> Vec<TextRange> {
        text.match_indices('#')
            .map(|(i, _)| {
                let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
                TextRange::new(i, end)
            })
            .collect()
    }

    #[test]
    fn forms() {
        let text = "a # dusk: ignore[r1, r2]\nb # dusk: ignore\n# dusk: ignore-file[r3]\nc # dusk:ignored\n";
        let s = parse(text, &LineIndex::new(text), &comments(text));
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].rules, ["r1", "r2"]);
        assert_eq!(s[0].line, Some(1));
        assert!(s[1].rules.is_empty());
        assert_eq!(s[2].line, None);
        assert!(is_suppressed(&s, "r2", 1));
        assert!(!is_suppressed(&s, "r9", 1));
        assert!(is_suppressed(&s, "anything", 2));
        assert!(is_suppressed(&s, "r3", 40));
    }
}
