//! Jupyter notebooks → one Python text of all code cells, with a map back to cells.
//!
//! (Being written: see `extract::python`.)

use super::TextRange;

/// The code cells of a notebook joined into one Python text.
#[derive(Debug, Clone, Default)]
pub struct Notebook {
    /// All code cells joined with a newline between them.
    pub python: String,
    /// One entry per code cell: its 1-based cell number in the notebook and its range in
    /// `python`.
    pub cells: Vec<(usize, TextRange)>,
}

impl Notebook {
    /// The 1-based cell number and the offset within that cell's source of `offset`.
    pub fn locate(&self, offset: usize) -> Option<(usize, usize)> {
        let i = self
            .cells
            .partition_point(|(_, r)| r.start() <= offset)
            .checked_sub(1)?;
        let (cell, range) = self.cells[i];
        Some((cell, offset - range.start()))
    }
}

/// Why a notebook could not be read, and where in its JSON.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct NotebookError {
    pub range: TextRange,
    pub message: String,
}

/// Read a notebook's code cells. (Being written: see `extract::python`.)
pub fn parse(_json: &str) -> Result<Notebook, NotebookError> {
    Ok(Notebook::default())
}
