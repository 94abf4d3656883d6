//! Fixes as values: an [`Edit`] replaces a byte range, a [`Fix`] is sorted edits plus how
//! safe they are to apply. Applying never panics on overlapping edits: it refuses them.

use super::TextRange;
use serde::Serialize;

/// Whether a fix keeps behaviour (`Safe`) or changes or drops something and needs review.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Shown, never applied (a fix a person must finish).
    DisplayOnly,
    /// Applied only with `--unsafe-fixes`.
    Unsafe,
    /// Applied by `dusk fix`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// Replace `range` with `content` (an empty range inserts, empty content deletes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
    /// An edit that any number of fixes of one pass may carry, the same in each, and that is
    /// made once: the import several rewritten calls need ([`Edit::insert_shared`]), the
    /// merged removal of several items of one list (`migrate::merge_taken_items`).
    pub shared: bool,
}

impl Edit {
    pub fn replace(range: TextRange, content: impl Into<String>) -> Self {
        Self {
            range,
            content: content.into(),
            shared: false,
        }
    }

    pub fn insert(at: usize, content: impl Into<String>) -> Self {
        Self::replace(TextRange::empty(at), content)
    }

    /// An insertion several fixes may need at one point, such as the import every rewritten
    /// call uses: the fixes of a pass that carry it do not clash over it, and it is made
    /// once however many of them are applied ([`once_each`]). Each fix keeps its own copy,
    /// so a fix applied without the others still has it.
    pub fn insert_shared(at: usize, content: impl Into<String>) -> Self {
        Self {
            shared: true,
            ..Self::insert(at, content)
        }
    }

    pub fn delete(range: TextRange) -> Self {
        Self::replace(range, "")
    }
}

/// One or more edits that belong together, such as an import and its use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    pub description: String,
    /// Files the fix creates beside the one it edits (a DaskCluster written next to the Helm
    /// values it replaces). Written only if absent or already identical; never overwritten.
    pub created: Vec<NewFile>,
    /// Other existing files the fix changes together with this one (the classic pod template
    /// a `KubeCluster.from_yaml(path)` call loads becomes the DaskCluster the rewritten call
    /// loads). The fix is applied or rolled back as a whole: these change only if its edits
    /// to this file are kept, and the writer refuses all of them if one cannot be written.
    pub elsewhere: Vec<OtherFile>,
    /// The migration report of each classic cluster the fix migrates, as
    /// `migrate::migration_report::MigrationReport::to_json` writes it (the data of the
    /// comment block the fix writes above the generated resources), for `--format json`.
    /// JSON here because a report is built from the model of a higher stage.
    pub migration: Vec<serde_json::Value>,
    /// The item the fix takes out of a comma-separated list, if it does.
    pub takes: Option<TakenItem>,
}

/// An item a fix takes out of a comma-separated list: an imported name out of its `from …
/// import a, b` statement, a keyword argument out of its call's arguments. The list's range
/// (the statement, the argument list) and the item's. Fixes of one pass that each take an
/// item out of one list make their removals together (`migrate::merge_taken_items`), where
/// each alone would wait a pass for the other's comma.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakenItem {
    pub list: TextRange,
    pub item: TextRange,
}

/// An existing file a fix changes besides the one it is about: its text as read and as the
/// fix leaves it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OtherFile {
    /// The path to read and write it at (as the caller of the fix loop resolved it).
    pub path: std::path::PathBuf,
    /// The path as reports show it.
    pub display: String,
    /// The text the fix was computed from; the file is written only while it still is this.
    pub original: String,
    pub fixed: String,
}

/// A file a fix creates, by its path relative to the directory of the file being fixed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NewFile {
    /// A bare file name: new files go beside the fixed file, never elsewhere.
    pub name: String,
    pub text: String,
}

impl Fix {
    pub fn new(
        mut edits: Vec<Edit>,
        applicability: Applicability,
        description: impl Into<String>,
    ) -> Self {
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Self {
            edits,
            applicability,
            description: description.into(),
            created: Vec::new(),
            elsewhere: Vec::new(),
            migration: Vec::new(),
            takes: None,
        }
    }

    /// The fix, saying it takes the item `taken` out of its list.
    pub fn taking(self, taken: Option<TakenItem>) -> Self {
        Self {
            takes: taken,
            ..self
        }
    }

    /// A fix that creates `file` and edits nothing.
    pub fn create(
        file: NewFile,
        applicability: Applicability,
        description: impl Into<String>,
    ) -> Self {
        let mut fix = Self::new(Vec::new(), applicability, description);
        fix.created.push(file);
        fix
    }
}

/// Edits that overlap each other cannot be applied together.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("edits overlap at bytes {first:?} and {second:?}")]
pub struct OverlapError {
    pub first: TextRange,
    pub second: TextRange,
}

/// The edits of several fixes applied together, with each shared edit ([`Edit::shared`])
/// kept once.
pub fn once_each<'a>(edits: impl IntoIterator<Item = &'a Edit>) -> Vec<Edit> {
    let mut seen: foldhash::HashSet<&Edit> = foldhash::HashSet::default();
    edits
        .into_iter()
        .filter(|e| !e.shared || seen.insert(e))
        .cloned()
        .collect()
}

/// Apply `edits` (in any order) to `text`. Insertions at the same offset keep their order.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, OverlapError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    let mut prev: Option<TextRange> = None;
    for edit in sorted {
        if let Some(p) = prev {
            let overlaps =
                edit.range.start() < p.end() && !(p.is_empty() && edit.range.start == p.start);
            if overlaps {
                return Err(OverlapError {
                    first: p,
                    second: edit.range,
                });
            }
        }
        let (start, end) = (
            edit.range.start().min(text.len()),
            edit.range.end().min(text.len()),
        );
        out.push_str(&text[last..start]);
        out.push_str(&edit.content);
        last = end.max(last);
        prev = Some(edit.range);
    }
    out.push_str(&text[last..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_offset_order() {
        let text = "abc def";
        let edits = [
            Edit::replace(TextRange::new(4, 7), "xyz"),
            Edit::insert(0, ">"),
        ];
        assert_eq!(apply_edits(text, &edits).unwrap(), ">abc xyz");
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let edits = [
            Edit::replace(TextRange::new(0, 3), "x"),
            Edit::replace(TextRange::new(2, 4), "y"),
        ];
        assert!(apply_edits("abcdef", &edits).is_err());
    }
}
