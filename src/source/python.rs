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
    let bytes = text.as_bytes();
    let mut seen = Widths::default();
    let mut carry: u16 = 0;
    // Lines found with `memchr`: this runs on every text before it is parsed, and a fix
    // loop parses each of its texts (#13).
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &bytes[start..end];
        let mut width = carry;
        carry = 0;
        let mut rest: &[u8] = &[];
        for (i, &c) in line.iter().enumerate() {
            match c {
                b' ' => width = width.wrapping_add(1),
                b'\t' => width = width.wrapping_add(8),
                b'\r' | 0x0c => width = 0,
                _ => {
                    rest = &line[i..];
                    break;
                }
            }
        }
        if matches!(rest, b"\\" | b"\\\r") {
            carry = width;
        }
        if width > 0 {
            seen.insert(width);
        }
        if end == bytes.len() {
            return seen.count;
        }
        start = end + 1;
    }
}

/// A set of the widths a `u16` holds, one bit each: the narrow ones real code has in a few
/// words, the rest (8 KiB) only for a text that has one.
#[derive(Default)]
struct Widths {
    narrow: [u64; 8],
    wide: Vec<u64>,
    count: usize,
}

impl Widths {
    fn insert(&mut self, width: u16) {
        let (word, bit) = (usize::from(width) / 64, width % 64);
        let words = if word < self.narrow.len() {
            &mut self.narrow[..]
        } else {
            if self.wide.is_empty() {
                self.wide = vec![0; (usize::from(u16::MAX) + 1) / 64];
            }
            &mut self.wide[..]
        };
        if words[word] & (1 << bit) == 0 {
            words[word] |= 1 << bit;
            self.count += 1;
        }
    }
}

/// The fields of the Python grammar dusk reads, each with its name in the grammar: the enum
/// [`Field`], its variants in order (`ALL`, indexed by `field as usize`) and `Field::name`.
macro_rules! fields {
    ($($field:ident => $name:literal,)*) => {
        /// A field of the Python grammar that dusk reads (`call.field(Field::Function)`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Field {
            $($field,)*
        }

        impl Field {
            const ALL: &[Field] = &[$(Field::$field,)*];

            /// Its name in the grammar.
            pub fn name(self) -> &'static str {
                match self {
                    $(Field::$field => $name,)*
                }
            }
        }
    };
}

fields! {
    Alias => "alias",
    Argument => "argument",
    Arguments => "arguments",
    Attribute => "attribute",
    Function => "function",
    Key => "key",
    Left => "left",
    ModuleName => "module_name",
    Name => "name",
    Object => "object",
    Operator => "operator",
    Right => "right",
    Subscript => "subscript",
    Value => "value",
}

impl Field {
    /// Its id in the grammar, looked up once per process: tree-sitter finds a name's id by
    /// comparing it with every field's C string on each call, and the extraction, the scope
    /// walks and the rewriters ask for a field of most nodes they visit (#13).
    fn id(self) -> Option<std::num::NonZeroU16> {
        static IDS: std::sync::OnceLock<[Option<std::num::NonZeroU16>; Field::ALL.len()]> =
            std::sync::OnceLock::new();
        IDS.get_or_init(|| {
            let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
            std::array::from_fn(|i| language.field_id_for_name(Field::ALL[i].name()))
        })[self as usize]
    }
}

/// [`tree_sitter::Node::child_by_field_name`] and `children_by_field_name` for a [`Field`],
/// by its id ([`Field::id`]).
pub trait FieldChild<'tree> {
    fn field(&self, field: Field) -> Option<tree_sitter::Node<'tree>>;

    fn fields<'cursor>(
        &self,
        field: Field,
        cursor: &'cursor mut tree_sitter::TreeCursor<'tree>,
    ) -> impl Iterator<Item = tree_sitter::Node<'tree>> + 'cursor;
}

impl<'tree> FieldChild<'tree> for tree_sitter::Node<'tree> {
    fn field(&self, field: Field) -> Option<tree_sitter::Node<'tree>> {
        self.child_by_field_id(field.id()?.get())
    }

    fn fields<'cursor>(
        &self,
        field: Field,
        cursor: &'cursor mut tree_sitter::TreeCursor<'tree>,
    ) -> impl Iterator<Item = tree_sitter::Node<'tree>> + 'cursor {
        field
            .id()
            .map(|id| self.children_by_field_id(id, cursor))
            .into_iter()
            .flatten()
    }
}

/// [`tree_sitter::Node::kind`] from a table made once per process: `kind` measures and
/// checks the grammar's C string on every call, and the extraction and the scope walks ask
/// it of every node of every file (#13).
pub trait KindName<'tree> {
    /// The node's kind, as `kind()` names it.
    fn kind_name(&self) -> &'tree str;
}

impl<'tree> KindName<'tree> for tree_sitter::Node<'tree> {
    fn kind_name(&self) -> &'tree str {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
            (0..language.node_kind_count())
                .map(|id| {
                    u16::try_from(id)
                        .ok()
                        .and_then(|id| language.node_kind_for_id(id))
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        });
        // `ERROR` and other built-in symbols sit outside the table.
        match names.get(usize::from(self.kind_id())) {
            Some(name) if !name.is_empty() => name,
            _ => self.kind(),
        }
    }
}

/// Whether a walk looking for code may step over the nodes below `node` (of kind `kind`, in
/// `text`): below a string with no `{` there is no interpolation, only the string's own
/// tokens. A module's strings are many, and each step of a cursor costs hundreds of
/// instructions (#13).
pub fn holds_no_code(node: tree_sitter::Node<'_>, kind: &str, text: &str) -> bool {
    kind == "string"
        && text
            .as_bytes()
            .get(node.byte_range())
            .is_some_and(|bytes| memchr::memchr(b'{', bytes).is_none())
}

/// Parse `text` as Python. `None` if the input is refused by [`refusal`] (so the parser
/// cannot abort the process) or tree-sitter gives up (cancelled or out of memory).
pub fn parse(text: &str) -> Option<PyDocument> {
    if let Some(tree) = recent::get(text) {
        return Some(PyDocument { tree });
    }
    let doc = match recent::nearest(text) {
        Some((base, old)) => {
            let edits = input_edits(&old, &changed_spans(&old, text));
            parse_edited(text, base, &edits).or_else(|| parse_uncached(text))
        }
        None => parse_uncached(text),
    }?;
    recent::put(text, &doc.tree);
    Some(doc)
}

/// [`parse`] of `text`, known to be `base` with `edits` made (ranges in `base`, sorted and
/// apart, with their new text): when `base`'s tree is kept, tree-sitter is told each edit,
/// so it reuses every statement between them. A caller that knows what changed (a
/// notebook, cell by cell) spares [`parse`]'s search for it: a line diff of the whole text,
/// which for a fix pass over every cell of a notebook is a diff of thousands of changed
/// lines (#13). The tree handed out is the one a fresh parse gives (see [`parse_edited`]).
pub fn parse_after(text: &str, base: &str, edits: &[(TextRange, &str)]) -> Option<PyDocument> {
    if let Some(tree) = recent::get(text) {
        return Some(PyDocument { tree });
    }
    let Some(tree) = recent::get(base) else {
        return parse(text);
    };
    let input_edits = input_edits(base, edits);
    let doc = parse_edited(text, tree, &input_edits).or_else(|| parse_uncached(text))?;
    recent::put(text, &doc.tree);
    Some(doc)
}

/// tree-sitter's edits for `edits` of `base` (sorted and apart), in the order to apply them:
/// the last first, so each one's positions in `base` are still those of the tree it edits.
fn input_edits(base: &str, edits: &[(TextRange, &str)]) -> Vec<tree_sitter::InputEdit> {
    let bytes = base.as_bytes();
    // Rows and columns found in one scan of `base`, edit by edit.
    let (mut row, mut line_start, mut at) = (0, 0, 0);
    let mut point = |offset: usize| {
        for (i, &c) in bytes[at..offset].iter().enumerate() {
            if c == b'\n' {
                row += 1;
                line_start = at + i + 1;
            }
        }
        at = offset;
        tree_sitter::Point {
            row,
            column: offset - line_start,
        }
    };
    let mut out: Vec<tree_sitter::InputEdit> = edits
        .iter()
        .map(|(range, new)| {
            let start_position = point(range.start());
            let old_end_position = point(range.end());
            let new_end_position = advance(start_position, new);
            tree_sitter::InputEdit {
                start_byte: range.start(),
                old_end_byte: range.end(),
                new_end_byte: range.start() + new.len(),
                start_position,
                old_end_position,
                new_end_position,
            }
        })
        .collect();
    out.reverse();
    out
}

/// Drop the trees this thread keeps: once a file is done, its texts do not come back.
pub fn forget_kept() {
    recent::forget();
    small::forget();
}

/// [`parse`] without keeping the tree for the next caller: for the many small texts (a
/// notebook's cells, each checked alone) that would push a whole file's tree out. Small
/// texts are kept apart until [`forget_kept`]: a notebook's fix loops read its cells again
/// with each text they meet, and most cells are the same.
pub fn parse_once(text: &str) -> Option<PyDocument> {
    if let Some(tree) = small::get(text) {
        return Some(PyDocument { tree });
    }
    let doc = parse_uncached(text)?;
    small::put(text, &doc.tree);
    Some(doc)
}

/// A fresh parse of `text`, or `None` (see [`parse`]).
fn parse_uncached(text: &str) -> Option<PyDocument> {
    if refusal(text).is_some() {
        return None;
    }
    with_parser(|parser| parser.parse(text, None)).map(|tree| PyDocument { tree })
}

thread_local! {
    /// This thread's parser: made once, not per text (a notebook's fix loops parse each of
    /// its cells alone, thousands of small texts, #13).
    static PARSER: std::cell::RefCell<Option<tree_sitter::Parser>> =
        const { std::cell::RefCell::new(None) };
}

/// `parse` with this thread's Python parser, reset to a fresh state.
fn with_parser<T>(parse: impl FnOnce(&mut tree_sitter::Parser) -> T) -> T {
    PARSER.with_borrow_mut(|kept| {
        let parser = kept.get_or_insert_with(|| {
            let mut parser = tree_sitter::Parser::new();
            // The grammar is compiled into the binary; a version mismatch is a build bug.
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .expect("tree-sitter-python grammar matches the tree-sitter runtime");
            parser
        });
        parser.reset();
        parse(parser)
    })
}

/// `text` parsed again from `base`, the tree of a text that differs from it only by
/// `edits` (a fix loop's next text: a few lines changed). tree-sitter then reuses every
/// subtree the edits do not touch. Only between error-free trees: error recovery may
/// depend on what was parsed before, so a text with a syntax error gets a fresh parse
/// (`None` here), and every tree handed out is the one a fresh parse gives.
fn parse_edited(
    text: &str,
    base: tree_sitter::Tree,
    edits: &[tree_sitter::InputEdit],
) -> Option<PyDocument> {
    if base.root_node().has_error() || refusal(text).is_some() {
        return None;
    }
    let mut old = base;
    for edit in edits {
        old.edit(edit);
    }
    let tree = with_parser(|parser| parser.parse(text, Some(&old)))?;
    (!tree.root_node().has_error()).then_some(PyDocument { tree })
}

/// A changed span at least this long is split into the lines that changed.
const LINE_DIFF_FROM: usize = 512;
/// ... and of at most this many lines: a line diff costs the lines times the changes, and a
/// pass that changed lines all over a long text (every call of a generated module) would
/// spend more on the diff than tree-sitter saves.
const LINE_DIFF_UP_TO: usize = 1_000;

/// The spans of `old` that differ in `new` (sorted and apart, as [`input_edits`] takes
/// them), each with its text in `new`. A fix loop's pass edits an import at the top and a
/// call far below: as one span from the first change to the last, tree-sitter would parse
/// all the code between them again, so a long changed span is split into the lines a line
/// diff finds changed.
fn changed_spans<'n>(old: &str, new: &'n str) -> Vec<(TextRange, &'n str)> {
    let (prefix, suffix) = common_ends(old, new);
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    let whole = vec![(TextRange::new(prefix, old_end), &new[prefix..new_end])];
    if (old_end - prefix).max(new_end - prefix) < LINE_DIFF_FROM {
        return whole;
    }
    // The changed span widened to whole lines: the same bytes before and after it in both
    // texts (they are the common prefix and suffix).
    let from = old[..prefix].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |text: &str, at: usize| text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    let old_lines: Vec<&str> = old[from..line_end(old, old_end)]
        .split_inclusive('\n')
        .collect();
    let new_lines: Vec<&str> = new[from..line_end(new, new_end)]
        .split_inclusive('\n')
        .collect();
    if old_lines.len().max(new_lines.len()) > LINE_DIFF_UP_TO {
        return whole;
    }
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
    let bytes = |lines: &[&str]| lines.iter().map(|l| l.len()).sum::<usize>();
    // Changed spans (old start, old end, new start, new end), adjacent ones merged.
    let mut spans: Vec<(usize, usize, usize, usize)> = Vec::new();
    let (mut o, mut n) = (from, from);
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let (old_len, new_len) = (bytes(&old_lines[old_range]), bytes(&new_lines[new_range]));
        if tag != similar::DiffTag::Equal {
            match spans.last_mut() {
                Some(last) if last.1 == o => {
                    last.1 += old_len;
                    last.3 += new_len;
                }
                _ => spans.push((o, o + old_len, n, n + new_len)),
            }
        }
        o += old_len;
        n += new_len;
    }
    spans
        .into_iter()
        .map(|(old_start, old_end, new_start, new_end)| {
            (TextRange::new(old_start, old_end), &new[new_start..new_end])
        })
        .collect()
}

/// Tree-sitter's row and column (in bytes) of a byte offset.
#[cfg(test)]
fn point(text: &str, at: usize) -> tree_sitter::Point {
    advance(tree_sitter::Point { row: 0, column: 0 }, &text[..at])
}

/// The point after `text`, written from `from`.
fn advance(from: tree_sitter::Point, text: &str) -> tree_sitter::Point {
    match text.rfind('\n') {
        Some(last) => tree_sitter::Point {
            row: from.row + text.bytes().filter(|&c| c == b'\n').count(),
            column: text.len() - last - 1,
        },
        None => tree_sitter::Point {
            row: from.row,
            column: from.column + text.len(),
        },
    }
}

/// The lengths of the common prefix and the common suffix of two texts (not overlapping,
/// both on character boundaries): what lies between changed.
pub(crate) fn common_ends(old: &str, new: &str) -> (usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let most = a.len().min(b.len()) - prefix;
    let mut suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(most)
        .take_while(|(x, y)| x == y)
        .count();
    while !old.is_char_boundary(a.len() - suffix) || !new.is_char_boundary(b.len() - suffix) {
        suffix -= 1;
    }
    (prefix, suffix)
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

    /// The kept tree whose text differs least from `text` (the fewest bytes between
    /// their common prefix and suffix), with that text.
    pub fn nearest(text: &str) -> Option<(tree_sitter::Tree, String)> {
        TREES.with_borrow(|trees| {
            trees
                .iter()
                .min_by_key(|(t, _)| {
                    let (prefix, suffix) = super::common_ends(t, text);
                    t.len() - prefix - suffix
                })
                .map(|(t, tree)| (tree.clone(), t.clone()))
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

/// The small texts [`parse_once`] parsed on this thread (a notebook's cells), until
/// [`forget_kept`]; bounded, so a notebook of thousands of cells costs no more than
/// parsing them.
mod small {
    use foldhash::{HashMap, HashMapExt};
    use std::cell::RefCell;

    /// Larger texts are parsed each time (a cell this big is rare).
    const MAX_BYTES: usize = 64 << 10;
    /// Texts kept at most; past that the cache starts over.
    const KEEP: usize = 4096;

    thread_local! {
        static TREES: RefCell<HashMap<String, tree_sitter::Tree>> = RefCell::new(HashMap::new());
    }

    pub fn get(text: &str) -> Option<tree_sitter::Tree> {
        TREES.with_borrow(|trees| trees.get(text).cloned())
    }

    pub fn forget() {
        TREES.with_borrow_mut(HashMap::clear);
    }

    pub fn put(text: &str, tree: &tree_sitter::Tree) {
        if text.len() > MAX_BYTES {
            return;
        }
        TREES.with_borrow_mut(|trees| {
            if trees.len() == KEEP {
                trees.clear();
            }
            trees.insert(text.to_owned(), tree.clone());
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
    each_node(&doc.tree, |node| {
        if node.kind_name() == "comment" {
            out.push(TextRange::new(node.start_byte(), node.end_byte()));
        }
    });
    out
}

/// Visit every node of `tree` in pre-order, without recursion (deeply nested code must not
/// overflow the stack).
pub fn each_node<'tree>(
    tree: &'tree tree_sitter::Tree,
    mut visit: impl FnMut(tree_sitter::Node<'tree>),
) {
    let mut cursor = tree.walk();
    'walk: loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
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
    fn every_field_dusk_reads_is_a_field_of_the_grammar() {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        for f in Field::ALL {
            assert!(language.field_id_for_name(f.name()).is_some(), "{f:?}");
        }
        let doc = parse("run(cluster, n=1)\n").unwrap();
        let call = doc.tree.root_node().child(0).unwrap().child(0).unwrap();
        assert_eq!(call.field(Field::Function).unwrap().kind(), "identifier");
        assert_eq!(
            call.field(Field::Arguments).unwrap().kind(),
            "argument_list"
        );
        assert!(call.field(Field::Left).is_none());
        let import = parse("from os import path, sep as separator\n").unwrap();
        let stmt = import.tree.root_node().child(0).unwrap();
        let mut cursor = stmt.walk();
        let names: Vec<&str> = stmt
            .fields(Field::Name, &mut cursor)
            .map(|n| n.kind())
            .collect();
        assert_eq!(names, ["dotted_name", "aliased_import"]);
    }

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

    /// Every node of a tree in pre-order: kind, byte range, and whether it is an error or
    /// missing, so two trees compare equal only if they are the same tree.
    fn nodes(tree: &tree_sitter::Tree) -> Vec<(String, usize, usize, bool, bool)> {
        let mut out = Vec::new();
        each_node(tree, |n| {
            out.push((
                n.kind().to_owned(),
                n.start_byte(),
                n.end_byte(),
                n.is_error(),
                n.is_missing(),
            ));
        });
        out
    }

    const MODULE: &str = "\
import os
from dask_kubernetes import KubeCluster, make_pod_spec  # classic

SPEC = make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\", memory_limit=\"4G\")


def start(n: int = 2) -> KubeCluster:
    \"\"\"Start a cluster — with a non-ASCII dash.\"\"\"
    cluster = KubeCluster(SPEC, n_workers=n, deploy_mode=\"local\")
    if os.environ.get(\"ADAPT\"):
        cluster.adapt(minimum=1, maximum=10)
    return cluster


class Job:
    def __init__(self):
        self.cluster = start()
";

    #[test]
    fn a_text_parsed_from_a_kept_tree_is_the_tree_a_fresh_parse_gives() {
        // Edits as fixes make them (a call rewritten, an import changed, a line removed or
        // added, a comment added), and edits that break the syntax (fresh parse then).
        let edits: &[(&str, &str)] = &[
            (
                "KubeCluster(SPEC, n_workers=n, deploy_mode=\"local\")",
                "KubeCluster(name=\"job\", n_workers=n)",
            ),
            (
                "from dask_kubernetes import",
                "from dask_kubernetes.operator import",
            ),
            ("        cluster.adapt(minimum=1, maximum=10)\n", ""),
            ("import os\n", "import os\nimport sys\n"),
            ("SPEC = ", "# a comment\nSPEC = "),
            ("a non-ASCII dash", "an ASCII dash"),
            ("    return cluster", "    return (cluster"),
            ("def start(", "def start(("),
            ("class Job:", "class Job"),
            ("\n\n\ndef", "\ndef"),
        ];
        for (i, (from, to)) in edits.iter().enumerate() {
            let edited = MODULE.replacen(from, to, 1);
            assert_ne!(edited, MODULE, "edit {i} applies");
            forget_kept();
            let base = parse(MODULE).unwrap();
            assert!(!base.tree.root_node().has_error());
            // Through the kept tree, then back: both directions are edits.
            let incremental = parse(&edited).unwrap();
            let fresh = parse_uncached(&edited).unwrap();
            assert_eq!(nodes(&incremental.tree), nodes(&fresh.tree), "edit {i}");
            forget_kept();
            parse(&edited).unwrap();
            let back = parse(MODULE).unwrap();
            assert_eq!(nodes(&back.tree), nodes(&base.tree), "edit {i} undone");
        }
        forget_kept();
    }

    /// [`MODULE`] followed by enough code that an edit near its top and one at its end
    /// are split into separate edits.
    fn long_module() -> String {
        let filler: String = (0..40)
            .map(|i| format!("\n\ndef helper_{i}(x):\n    return x + {i}\n"))
            .collect();
        format!("{MODULE}{filler}")
    }

    #[test]
    fn a_text_edited_far_apart_parses_from_its_kept_tree_as_a_fresh_parse() {
        let module = long_module();
        let tails: &[(&str, &str)] = &[
            ("    return x + 39\n", "    return x + 39  # last\n"),
            ("\n\ndef helper_39(x):\n    return x + 39\n", ""),
            ("def helper_20(x):", "def helper_20(x, y=1):"),
        ];
        let mut split = 0;
        for (i, (from, to)) in [
            ("import os\n", "import os\nimport sys\n"),
            ("SPEC = ", "SPEC  = "),
        ]
        .iter()
        .chain(&[("def start(", "def start((")])
        .enumerate()
        {
            for (j, (tail_from, tail_to)) in tails.iter().enumerate() {
                let edited = module.replacen(from, to, 1).replacen(tail_from, tail_to, 1);
                split += usize::from(changed_spans(&module, &edited).len() > 1);
                forget_kept();
                parse(&module).unwrap();
                let incremental = parse(&edited).unwrap();
                let fresh = parse_uncached(&edited).unwrap();
                assert_eq!(
                    nodes(&incremental.tree),
                    nodes(&fresh.tree),
                    "edits {i}, {j}"
                );
                assert_eq!(
                    points(&incremental.tree),
                    points(&fresh.tree),
                    "edits {i}, {j}"
                );
            }
        }
        assert_eq!(split, 9, "every pair of edits far apart is split");
        forget_kept();
    }

    #[test]
    fn split_spans_made_last_first_give_the_new_text_and_its_points() {
        let old = long_module();
        let new = old
            .replacen("import os\n", "import os\nimport sys\n", 1)
            .replacen("return x + 7\n", "return x + 7  # seven\n", 1)
            .replacen("\n\ndef helper_39(x):\n    return x + 39\n", "", 1);
        let spans = changed_spans(&old, &new);
        assert_eq!(spans.len(), 3, "{spans:?}");
        let mut text = old.clone();
        // `input_edits` gives the last span first; each edit's points are the text's then.
        for (e, (range, to)) in input_edits(&old, &spans).iter().zip(spans.iter().rev()) {
            assert_eq!(e.start_position, point(&text, e.start_byte));
            assert_eq!(e.old_end_position, point(&text, e.old_end_byte));
            text.replace_range(range.as_range(), to);
            assert_eq!(e.new_end_position, point(&text, e.new_end_byte));
        }
        assert_eq!(text, new);
    }

    /// Each node's rows and columns, in pre-order.
    fn points(tree: &tree_sitter::Tree) -> Vec<(tree_sitter::Point, tree_sitter::Point)> {
        let mut out = Vec::new();
        each_node(tree, |n| out.push((n.start_position(), n.end_position())));
        out
    }

    #[test]
    fn a_text_parsed_after_several_edits_is_the_tree_a_fresh_parse_gives() {
        // Several edits at once, as one fix pass makes them in a notebook's cells: each
        // told to tree-sitter, last first; rows and columns of edits that add or remove
        // lines, in lines with non-ASCII text before them.
        let edits: &[(&str, &str)] = &[
            ("import os\n", "import os\nimport sys\n"),
            (
                "from dask_kubernetes import",
                "from dask_kubernetes.operator import",
            ),
            ("a non-ASCII dash", "an ASCII dash"),
            (
                "KubeCluster(SPEC, n_workers=n, deploy_mode=\"local\")",
                "KubeCluster(\n        name=\"job\",\n        n_workers=n,\n    )",
            ),
            ("        cluster.adapt(minimum=1, maximum=10)\n", ""),
            ("self.cluster = start()", "self.cluster = start()  # é"),
        ];
        let mut ranges: Vec<(TextRange, &str)> = edits
            .iter()
            .map(|(from, to)| {
                let at = MODULE.find(from).expect("the edit applies");
                (TextRange::new(at, at + from.len()), *to)
            })
            .collect();
        ranges.sort_by_key(|(r, _)| r.start());
        for n in 1..=ranges.len() {
            let some = &ranges[..n];
            let mut edited = MODULE.to_owned();
            for (range, to) in some.iter().rev() {
                edited.replace_range(range.as_range(), to);
            }
            forget_kept();
            parse(MODULE).unwrap();
            let incremental = parse_after(&edited, MODULE, some).unwrap();
            let fresh = parse_uncached(&edited).unwrap();
            assert_eq!(nodes(&incremental.tree), nodes(&fresh.tree), "{n} edits");
            assert_eq!(points(&incremental.tree), points(&fresh.tree), "{n} edits");
            // Kept: the same text asked again is that tree.
            assert_eq!(nodes(&parse(&edited).unwrap().tree), nodes(&fresh.tree));
        }
        // Without the base's tree kept, a plain parse.
        forget_kept();
        let (range, to) = ranges[0];
        let mut edited = MODULE.to_owned();
        edited.replace_range(range.as_range(), to);
        let doc = parse_after(&edited, MODULE, &ranges[..1]).unwrap();
        assert_eq!(
            nodes(&doc.tree),
            nodes(&parse_uncached(&edited).unwrap().tree)
        );
        forget_kept();
    }

    #[test]
    fn every_kind_name_is_the_kind_tree_sitter_gives() {
        // A module with aliased nodes, keywords, and a syntax error (`ERROR`, `MISSING`).
        for text in [
            MODULE,
            "def f(:\n    return [x for x in y if\n",
            "print 'py2'\n",
        ] {
            let doc = parse_uncached(text).unwrap();
            let mut seen = 0;
            each_node(&doc.tree, |node| {
                assert_eq!(node.kind_name(), node.kind(), "{}", node.to_sexp());
                seen += 1;
            });
            assert!(seen > 3, "{text}");
        }
    }

    #[test]
    fn the_span_between_two_texts_is_only_what_differs() {
        let span = |old, new| changed_spans(old, new)[0];
        assert_eq!(
            span("a = 1\nb = 2\n", "a = 1\nb = 23\n"),
            (TextRange::new(11, 11), "3")
        );
        // Never inside a character: `é` and `è` share their first byte.
        assert_eq!(span("x = 'é'\n", "x = 'è'\n"), (TextRange::new(5, 7), "è"));
        assert_eq!(span("same", "same"), (TextRange::new(4, 4), ""));
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

    /// The widths as the scanner's rules say, spelled plainly: one line at a time, a set.
    fn widths_spelled_out(text: &str) -> usize {
        let mut seen = std::collections::BTreeSet::new();
        let mut carry = 0u16;
        for line in text.split('\n') {
            let mut width = carry;
            let code = line.trim_start_matches([' ', '\t', '\r', '\x0c']);
            for c in line[..line.len() - code.len()].chars() {
                width = match c {
                    ' ' => width.wrapping_add(1),
                    '\t' => width.wrapping_add(8),
                    _ => 0,
                };
            }
            carry = if code == "\\" || code == "\\\r" {
                width
            } else {
                0
            };
            if width > 0 {
                seen.insert(width);
            }
        }
        seen.len()
    }

    proptest::proptest! {
        #[test]
        fn indentation_widths_are_those_of_each_line(text in "([ \t\r\x0c\\a\n]{0,12}\n){0,40}") {
            proptest::prop_assert_eq!(indent_widths(&text), widths_spelled_out(&text));
        }
    }

    #[test]
    fn valid_code_has_no_errors() {
        let doc = parse("from dask_kubernetes import KubeCluster\n").unwrap();
        assert!(syntax_errors(&doc, 5).is_empty());
    }
}
