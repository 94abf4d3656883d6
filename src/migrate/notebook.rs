//! Edits of a notebook's joined code cells → edits of the notebook's JSON text.
//!
//! (Being written.) Outputs, metadata and every cell that is not edited stay byte for byte.

use crate::source::edit::Edit;
use crate::source::notebook::Notebook;

/// The JSON edits that make the notebook `json` say what `edits` make its joined cells say,
/// or `None` if an edit cannot be mapped (it crosses a cell boundary).
pub fn json_edits(_json: &str, _nb: &Notebook, _edits: &[Edit]) -> Option<Vec<Edit>> {
    None
}
