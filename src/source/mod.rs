//! Text and the spanned documents parsed from it.
//!
//! Takes file contents; gives byte ranges, a line index for rendering, and one spanned
//! document model per input language (`yaml`, `python`, `notebook`). Spans are byte offsets
//! everywhere inside dusk; lines and columns are computed only by `report`, through
//! [`LineIndex`]. Nothing here reads files or knows about rules.

pub mod dockerfile;
pub mod edit;
pub mod notebook;
pub mod python;
pub mod yaml;

use std::fmt;

/// Drop the parsed texts this thread keeps for the file being checked or fixed
/// ([`python::parse`], [`notebook::parse`], [`yaml::parse_shared`]), so they are not held while the next file is
/// read: a command calls this when it is done with a file.
pub fn forget_kept() {
    python::forget_kept();
    notebook::forget_kept();
    yaml::forget_kept();
}

/// A half-open byte range `start..end` into one source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "range start {start} after end {end}");
        // Inputs are capped far below 4 GiB by `discover`, so offsets fit in u32.
        Self {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn start(self) -> usize {
        self.start as usize
    }

    pub fn end(self) -> usize {
        self.end as usize
    }

    pub fn as_range(self) -> std::ops::Range<usize> {
        self.start()..self.end()
    }

    /// The same range moved `by` bytes later (a notebook cell inside the joined text).
    pub fn shifted(self, by: usize) -> Self {
        Self::new(self.start() + by, self.end() + by)
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn cover(self, other: TextRange) -> Self {
        Self {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and a 1-based column counted in characters, as the JSON contract wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// Byte offsets of line starts, so an offset becomes a line and column in `O(log n)`.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // A vectorised search: every lint of a notebook indexes its whole JSON.
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| (i + 1) as u32));
        Self { line_starts }
    }

    /// The 1-based line of `offset` (an offset past the end is on the last line).
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s as usize <= offset)
    }

    /// Line and character column of `offset`. Offsets inside a multi-byte character or past
    /// the end are clamped, never a panic.
    pub fn line_column(&self, text: &str, offset: usize) -> LineColumn {
        let offset = offset.min(text.len());
        let line = self.line(offset) - 1;
        let start = self.line_starts[line] as usize;
        let prefix = text.get(start..offset).unwrap_or_else(|| {
            // Clamp to the previous character boundary.
            let mut o = offset;
            while !text.is_char_boundary(o) {
                o -= 1;
            }
            &text[start..o]
        });
        LineColumn {
            line: line + 1,
            column: prefix.chars().count() + 1,
        }
    }

    /// The byte range of 1-based `line`, without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> Option<TextRange> {
        let start = *self.line_starts.get(line.checked_sub(1)?)? as usize;
        let end = self
            .line_starts
            .get(line)
            .map(|&e| e as usize - 1)
            .unwrap_or(text.len());
        let end = if text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Some(TextRange::new(start, end))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "a: démo\nb: x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            index.line_column(text, x),
            LineColumn { line: 2, column: 4 }
        );
        let o = text.find('o').unwrap();
        assert_eq!(
            index.line_column(text, o),
            LineColumn { line: 1, column: 7 }
        );
    }

    #[test]
    fn offset_inside_a_character_is_clamped() {
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(
            index.line_column(text, 1),
            LineColumn { line: 1, column: 1 }
        );
        assert_eq!(
            index.line_column(text, 99),
            LineColumn { line: 1, column: 2 }
        );
    }

    #[test]
    fn line_range_strips_crlf() {
        let text = "one\r\ntwo";
        let index = LineIndex::new(text);
        assert_eq!(&text[index.line_range(text, 1).unwrap().as_range()], "one");
        assert_eq!(&text[index.line_range(text, 2).unwrap().as_range()], "two");
        assert!(index.line_range(text, 3).is_none());
    }
}
