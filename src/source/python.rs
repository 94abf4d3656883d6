//! Python text → a concrete syntax tree (tree-sitter) with byte ranges on every node.
//!
//! tree-sitter recovers from syntax errors, so a file with one broken line still yields
//! constructs for the rest; the errors themselves are reported as findings by `lint`.

use super::TextRange;

/// A parsed Python source.
pub struct PyDocument {
    pub tree: tree_sitter::Tree,
}

/// Parse `text` as Python. `None` only if tree-sitter gives up (cancelled or out of memory).
pub fn parse(text: &str) -> Option<PyDocument> {
    let mut parser = tree_sitter::Parser::new();
    // The grammar is compiled into the binary; a version mismatch is a build bug.
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("tree-sitter-python grammar matches the tree-sitter runtime");
    parser.parse(text, None).map(|tree| PyDocument { tree })
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
    fn syntax_errors_are_located() {
        let text = "import os\ndef f(:\n    pass\n";
        let doc = parse(text).unwrap();
        let errors = syntax_errors(&doc, 5);
        assert!(!errors.is_empty());
        assert!(errors[0].0.start() >= 10, "{:?}", errors);
    }

    #[test]
    fn valid_code_has_no_errors() {
        let doc = parse("from dask_kubernetes import KubeCluster\n").unwrap();
        assert!(syntax_errors(&doc, 5).is_empty());
    }
}
