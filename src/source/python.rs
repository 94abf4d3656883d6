//! Python text → a concrete syntax tree (tree-sitter) with byte ranges on every node.
//!
//! tree-sitter recovers from syntax errors, so a file with one broken line still yields
//! constructs for the rest; the errors themselves are reported as findings by `lint`.
//!
//! tree-sitter is C: where it fails an `assert` the process aborts, which no `catch_unwind`
//! can stop, and one input would end the whole run. The one such failure known (found by
//! fuzzing) is in the grammar's indentation scanner: it serializes its indent stack into
//! tree-sitter's 1,024-byte buffer two bytes at a time and overruns it when the stack is
//! about 510 levels deep (`Assertion 'length <= 1024' failed`). So the input is *guarded*
//! before the parser sees it: [`refusal`] bounds the indent stack by the number of distinct
//! indentation widths the scanner can compute (the stack is strictly increasing), and
//! [`parse`] refuses a text past [`MAX_INDENT_LEVELS`]. Guarding was chosen over isolating
//! each parse in a child process (a process per file costs more than the parse) and over
//! another parser (tree-sitter's error recovery is what the front-ends rely on).

use super::TextRange;

/// A parsed Python source.
pub struct PyDocument {
    pub tree: tree_sitter::Tree,
}

/// Distinct indentation widths past which a text is refused: the scanner serializes
/// 2 header bytes, up to 255 delimiter bytes and 2 bytes per indent level into a 1,024-byte
/// buffer, and `2 + 255 + 2 × 383 = 1,023`; real code stays far below (CPython allows 100
/// nested blocks).
pub const MAX_INDENT_LEVELS: usize = 380;

/// Why `text` must not reach the parser, if it must not: a message for a finding.
pub fn refusal(text: &str) -> Option<String> {
    let levels = indent_widths(text);
    (levels > MAX_INDENT_LEVELS).then(|| {
        format!(
            "{levels} different indentation widths, over the {MAX_INDENT_LEVELS} the Python \
             parser can track"
        )
    })
}

/// How many different non-zero indentation widths the grammar's scanner can compute on
/// `text`, counted the way it counts them: a space is 1, a tab 8, `\r` and form feed reset
/// to 0, a line break resets unless it ends a whitespace-only line continued by `\`, and the
/// width is a `u16` that wraps. Every indent level it pushes is one of these widths.
fn indent_widths(text: &str) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut carry: u16 = 0;
    for line in text.split('\n') {
        let mut width = carry;
        carry = 0;
        let mut rest = "";
        for (i, c) in line.char_indices() {
            match c {
                ' ' => width = width.wrapping_add(1),
                '\t' => width = width.wrapping_add(8),
                '\r' | '\u{c}' => width = 0,
                _ => {
                    rest = &line[i..];
                    break;
                }
            }
        }
        if matches!(rest, "\\" | "\\\r") {
            carry = width;
        }
        if width > 0 {
            seen.insert(width);
        }
    }
    seen.len()
}

/// Parse `text` as Python. `None` if the input is refused by [`refusal`] (so the parser
/// cannot abort the process) or tree-sitter gives up (cancelled or out of memory).
pub fn parse(text: &str) -> Option<PyDocument> {
    if let Some(tree) = recent::get(text) {
        return Some(PyDocument { tree });
    }
    let doc = parse_once(text)?;
    recent::put(text, &doc.tree);
    Some(doc)
}

/// Drop the trees this thread keeps: once a file is done, its texts do not come back.
pub fn forget_kept() {
    recent::forget();
}

/// [`parse`] without keeping the tree for the next caller: for the many small texts (a
/// notebook's cells, each checked alone) that would push a whole file's tree out.
pub fn parse_once(text: &str) -> Option<PyDocument> {
    if refusal(text).is_some() {
        return None;
    }
    let mut parser = tree_sitter::Parser::new();
    // The grammar is compiled into the binary; a version mismatch is a build bug.
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("tree-sitter-python grammar matches the tree-sitter runtime");
    parser.parse(text, None).map(|tree| PyDocument { tree })
}

/// The last few texts this thread parsed and their trees. Checking and fixing one file
/// parses the same text many times over (lint, rewriters, syntax and scope checks, in the
/// safe and the unsafe fix loop), always on one thread; a tree is immutable and its copy
/// shares the nodes, so handing out a copy is the same as parsing again.
mod recent {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// Texts kept per thread: the original and the fixed texts of one file's loops.
    const KEEP: usize = 4;
    /// Larger texts are not kept (their trees are large, and they are rare).
    const MAX_BYTES: usize = 4 << 20;

    thread_local! {
        static TREES: RefCell<VecDeque<(String, tree_sitter::Tree)>> =
            const { RefCell::new(VecDeque::new()) };
    }

    pub fn get(text: &str) -> Option<tree_sitter::Tree> {
        TREES.with_borrow(|trees| {
            trees
                .iter()
                .find(|(t, _)| t.len() == text.len() && t == text)
                .map(|(_, tree)| tree.clone())
        })
    }

    pub fn forget() {
        TREES.with_borrow_mut(std::collections::VecDeque::clear);
    }

    pub fn put(text: &str, tree: &tree_sitter::Tree) {
        if text.len() > MAX_BYTES {
            return;
        }
        TREES.with_borrow_mut(|trees| {
            if trees.len() == KEEP {
                trees.pop_front();
            }
            trees.push_back((text.to_owned(), tree.clone()));
        });
    }
}

/// The first few syntax errors of a tree: `ERROR` nodes and missing tokens.
pub fn syntax_errors(doc: &PyDocument, limit: usize) -> Vec<(TextRange, String)> {
    let mut errors = Vec::new();
    if !doc.tree.root_node().has_error() {
        return errors;
    }
    let mut cursor = doc.tree.walk();
    // Iterative pre-order walk: deeply nested code must not overflow the stack.
    'walk: loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            let range = TextRange::new(node.start_byte(), node.end_byte());
            let message = if node.is_missing() {
                format!("syntax error: missing `{}`", node.kind())
            } else {
                "syntax error".to_owned()
            };
            errors.push((range, message));
            if errors.len() >= limit {
                break;
            }
        } else if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    errors
}

/// Ranges of every `#` comment, for suppressions.
pub fn comments(doc: &PyDocument) -> Vec<TextRange> {
    let mut out = Vec::new();
    let mut cursor = doc.tree.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind() == "comment" {
            out.push(TextRange::new(node.start_byte(), node.end_byte()));
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    out
}

/// The deepest nesting of syntax nodes, measured without recursion.
pub fn max_depth(doc: &PyDocument) -> usize {
    let mut cursor = doc.tree.walk();
    let (mut depth, mut max) = (0usize, 0usize);
    'walk: loop {
        if cursor.goto_first_child() {
            depth += 1;
            max = max.max(depth);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
            depth -= 1;
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_tree_is_the_tree_of_that_very_text() {
        let texts = [
            "import dask\n",
            "import dask \n",
            "x = (\n",
            "import dask\n",
        ];
        for _ in 0..3 {
            for (i, text) in texts.iter().chain(&texts).enumerate() {
                let kept = parse(text).unwrap();
                let fresh = parse_once(text).unwrap();
                assert_eq!(
                    kept.tree.root_node().to_sexp(),
                    fresh.tree.root_node().to_sexp(),
                    "text {i}"
                );
                assert_eq!(kept.tree.root_node().end_byte(), text.len(), "text {i}");
            }
        }
    }

    #[test]
    fn syntax_errors_are_located() {
        let text = "import os\ndef f(:\n    pass\n";
        let doc = parse(text).unwrap();
        let errors = syntax_errors(&doc, 5);
        assert!(!errors.is_empty());
        assert!(errors[0].0.start() >= 10, "{:?}", errors);
    }

    /// A string literal 520 blocks deep: this aborted the process inside tree-sitter.
    fn deep_string() -> String {
        let mut s = String::new();
        for i in 0..520 {
            s.push_str(&" ".repeat(4 * i));
            s.push_str("if x:\n");
        }
        s.push_str(&" ".repeat(4 * 520));
        s.push_str("\"dask_kubernetes\"\n");
        s
    }

    #[test]
    fn deeply_indented_code_is_refused_not_parsed() {
        let text = deep_string();
        assert!(refusal(&text).unwrap().contains("520 different"));
        assert!(parse(&text).is_none());
    }

    #[test]
    fn indentation_widths_count_like_the_scanner() {
        assert_eq!(indent_widths("a\n  b\n\tc\n  d\n"), 2);
        // A whitespace-only line continued by a backslash adds to the next line's width.
        assert_eq!(indent_widths("a\n  \\\n  b\n"), 2);
        assert_eq!(indent_widths("a\r\n    b\r\n"), 1);
        // Just under the limit parses.
        let mut s = String::new();
        for i in 0..MAX_INDENT_LEVELS {
            s.push_str(&" ".repeat(i));
            s.push_str("if x:\n");
        }
        assert!(refusal(&s).is_none());
        assert!(parse(&s).is_some());
    }

    #[test]
    fn valid_code_has_no_errors() {
        let doc = parse("from dask_kubernetes import KubeCluster\n").unwrap();
        assert!(syntax_errors(&doc, 5).is_empty());
    }
}
