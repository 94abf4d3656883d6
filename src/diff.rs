//! (path, old text, new text) → a unified diff, as `git diff` prints it.
//!
//! Headers are `--- a/<path>` and `+++ b/<path>`, hunks carry 3 lines of context, and a file
//! without a final newline gets the usual `\ No newline at end of file` marker. Colour (ANSI)
//! only when the caller asks for it; this module never looks at the terminal or writes files.

use anstyle::{AnsiColor, Style};
use similar::TextDiff;

/// Lines of unchanged context around each change.
pub const CONTEXT_LINES: usize = 3;

/// The unified diff turning `old` into `new`, or an empty string when they are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    // `a//abs/path` reads badly: an absolute path is shown without its leading slash.
    let shown = path.trim_start_matches('/');
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// `diff` with ANSI colours: headers bold, hunk headers cyan, removals red, additions green.
pub fn colorize(diff: &str) -> String {
    let bold = Style::new().bold();
    let cyan = AnsiColor::Cyan.on_default();
    let red = AnsiColor::Red.on_default();
    let green = AnsiColor::Green.on_default();
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("--- ") || body.starts_with("+++ ") {
            bold
        } else if body.starts_with("@@") {
            cyan
        } else if body.starts_with('-') {
            red
        } else if body.starts_with('+') {
            green
        } else {
            out.push_str(line);
            continue;
        };
        out.push_str(&format!("{style}{body}{style:#}{newline}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_context_and_hunks() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let diff = unified("dir/x.yaml", old, new);
        assert_eq!(
            diff,
            "--- a/dir/x.yaml\n+++ b/dir/x.yaml\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
    }

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("x", "same\n", "same\n"), "");
    }

    #[test]
    fn missing_final_newline_is_marked() {
        let diff = unified("x", "a\nb", "a\nc");
        assert!(diff.contains("\\ No newline at end of file"), "{diff}");
    }

    #[test]
    fn colour_only_when_asked() {
        let diff = unified("x", "a\n", "b\n");
        assert!(!diff.contains('\x1b'));
        let coloured = colorize(&diff);
        assert!(coloured.contains("\x1b["), "{coloured:?}");
        // Stripping the escapes gives the plain diff back.
        let plain: String = strip_ansi(&coloured);
        assert_eq!(plain, diff);
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
