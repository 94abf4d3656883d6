//! Python front-end: a tree-sitter tree → constructs. (Being written.)

use super::model::Construct;
use crate::source::python::PyDocument;

/// Every construct of a Python source.
pub fn constructs<'a>(_text: &'a str, _doc: &PyDocument) -> Vec<Construct<'a>> {
    Vec::new()
}
