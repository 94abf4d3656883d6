//! Jupyter notebooks → one Python text of all code cells, with a map back to cells.
//!
//! Takes the notebook's JSON (nbformat 4: `cells[]`, each with `cell_type` and `source` as
//! a string or a list of strings); gives the code cells joined with `\n` and, per code cell,
//! its 1-based number among *all* cells (markdown and raw cells count, as Jupyter shows them)
//! and its range in the joined text. IPython magics and shell escapes (`%…`, `%%…`, `!…`
//! lines, with their `\` continuations) become spaces of the same byte length, so offsets stay
//! valid and they are not Python syntax errors — except a `!` shell line standing as a
//! statement of its own (`!dask-worker tcp://…`), whose `!` becomes `#`: a comment of the same
//! length that keeps the command's text where it was, so its words can be reported and fixed
//! in place ([`Notebook::shell`]); the shell or magic of an assignment
//! (`files = !ls`, `out = %sx ls`) becomes `0` and spaces, so the name is still bound; a cell
//! whose cell magic runs another language (`%%bash`, `%%writefile`, …) is blanked whole.
//!
//! Cells are independent, as in Jupyter: a cell that does not parse on its own is recorded in
//! [`Notebook::broken`] and blanked whole, so the other cells are still checked and fixed.
//! Never runs a kernel, never reads outputs.

use super::TextRange;
use serde_json::Value;
use std::sync::Arc;

/// The code cells of a notebook joined into one Python text.
#[derive(Debug, Clone, Default)]
pub struct Notebook {
    /// All code cells joined with a newline between them.
    pub python: String,
    /// One entry per code cell: its 1-based cell number in the notebook and its range in
    /// `python`.
    pub cells: Vec<(usize, TextRange)>,
    /// Cells that do not parse on their own (blanked in `python`): the cell's 1-based number,
    /// the first error's range in `python` and its message.
    pub broken: Vec<(usize, TextRange, String)>,
    /// One entry per code cell (as `cells`): the 1-based line of the notebook file where each
    /// line of its source is written, so reports that only know files (SARIF, GitHub, JUnit)
    /// can point into the `.ipynb`. A source written as one string has one entry.
    pub file_lines: Vec<Vec<usize>>,
    /// The commands of `!` shell lines standing as statements (`!dask-scheduler --port
    /// 8786`), as ranges in `python` after the `!` (which is `#` there); not those of
    /// cells in `broken`, continued lines or shell lines inside an indented block.
    pub shell: Vec<TextRange>,
    /// One entry per code cell (as `cells`): where its `source` is written in the JSON, so
    /// a fix rewrites the cells in place without reading the JSON again
    /// (`migrate::notebook`).
    pub sources: Vec<SourceSpan>,
}

/// Where a code cell's `source` is written in the notebook's JSON (byte ranges in the file,
/// a byte-order mark counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpan {
    /// One JSON string: its range, quotes included.
    String(TextRange),
    /// A list of JSON strings: its range, brackets included, and each string's range.
    List(TextRange, Vec<TextRange>),
    /// A list holding something other than strings, or a value of another type.
    Other,
    /// No `source` at all.
    Missing,
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

/// Cell magics whose body is still Python, so only the magic line itself is blanked.
const PYTHON_CELL_MAGICS: &[&str] = &[
    "time", "timeit", "capture", "prun", "debug", "python", "python3", "memit", "px",
];

thread_local! {
    /// The last few notebooks [`parse`] read on this thread, with their JSON.
    static RECENT: std::cell::RefCell<std::collections::VecDeque<(String, Arc<Notebook>)>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// Drop the notebooks this thread keeps: once a file is done, its texts do not come back.
pub fn forget_kept() {
    RECENT.with_borrow_mut(std::collections::VecDeque::clear);
}

/// Read a notebook's code cells (shared: a fix loop asks for the same notebook again).
pub fn parse(json: &str) -> Result<Arc<Notebook>, NotebookError> {
    // Checking and fixing one notebook reads the same JSON many times over (lint, syntax
    // and scope checks, each fix pass), always on one thread: the last few are kept until
    // the command is done with the file ([`forget_kept`]).
    const KEEP: usize = 3;
    if let Some(nb) = RECENT.with_borrow(|recent| {
        recent
            .iter()
            .find(|(j, _)| j.len() == json.len() && j == json)
            .map(|(_, nb)| nb.clone())
    }) {
        return Ok(nb);
    }
    let nb = Arc::new(parse_uncached(json)?);
    RECENT.with_borrow_mut(|recent| {
        if recent.len() == KEEP {
            recent.pop_front();
        }
        recent.push_back((json.to_owned(), nb.clone()));
    });
    Ok(nb)
}

/// What the reader takes from a cell: whether it is a code cell, and its `source`.
#[derive(Debug, PartialEq)]
struct Cell {
    code: bool,
    source: Option<Value>,
}

/// A notebook as the reader deserializes it first: its cells, each with only the fields it
/// reads. Everything else (outputs, images, metadata) is skipped as it is scanned, not
/// built into values and dropped: a notebook's JSON is mostly outputs, and a fix loop reads
/// each text it makes (#13). Any other shape is read as a plain value ([`cells`]).
#[derive(serde::Deserialize)]
struct CellsOnly {
    cells: Vec<CellFields>,
}

#[derive(serde::Deserialize)]
struct CellFields {
    #[serde(default, deserialize_with = "present")]
    cell_type: Option<Value>,
    /// `None` when there is no `source` key; a `null` one is a value (of no use).
    #[serde(default, deserialize_with = "present")]
    source: Option<Value>,
}

/// A field that is there, whatever its value (`null` too).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

fn is_code(cell_type: Option<&Value>) -> bool {
    cell_type.and_then(Value::as_str) == Some("code")
}

/// The cells of a notebook's JSON (after any byte-order mark, `bom` bytes of the file).
fn cells(json: &str, bom: usize) -> Result<Vec<Cell>, NotebookError> {
    match cells_only(json) {
        Some(cells) => Ok(cells),
        None => cells_of_value(json, bom),
    }
}

/// The cells, when the JSON has the shape [`CellsOnly`] reads.
fn cells_only(json: &str) -> Option<Vec<Cell>> {
    let doc = serde_json::from_str::<CellsOnly>(json).ok()?;
    Some(
        doc.cells
            .into_iter()
            .map(|c| Cell {
                code: is_code(c.cell_type.as_ref()),
                source: c.source,
            })
            .collect(),
    )
}

/// The cells of any JSON, read as a value: for the shapes [`cells_only`] does not read (a
/// cell that is no object, a key written twice, bad JSON), saying what is wrong where, and
/// taking what it can.
fn cells_of_value(json: &str, bom: usize) -> Result<Vec<Cell>, NotebookError> {
    let mut root: Value = serde_json::from_str(json).map_err(|e| NotebookError {
        range: TextRange::empty(bom + json_offset(json, e.line(), e.column())),
        message: e.to_string(),
    })?;
    let Some(cells) = root.get_mut("cells").and_then(Value::as_array_mut) else {
        return Err(NotebookError {
            range: TextRange::empty(0),
            message: "no `cells` array: not a Jupyter notebook in nbformat 4".into(),
        });
    };
    Ok(cells
        .iter_mut()
        .map(|cell| Cell {
            code: is_code(cell.get("cell_type")),
            source: cell.get_mut("source").map(Value::take),
        })
        .collect())
}

fn parse_uncached(json: &str) -> Result<Notebook, NotebookError> {
    // A byte-order mark is not JSON; skip it and keep error offsets in the file's bytes.
    let bom = if json.starts_with('\u{feff}') { 3 } else { 0 };
    let cells = cells(&json[bom..], bom)?;
    let mut notebook = Notebook::default();
    let (mut file_lines, mut spans) = source_lines(&json[bom..], bom);
    // Each code cell with its magics blanked, and the shell commands it keeps.
    let codes: Vec<(usize, String, Vec<TextRange>)> = cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.code)
        .map(|(i, cell)| {
            let mut shell = Vec::new();
            let code = blank_magics(&source(cell.source.as_ref()), &mut shell);
            (i, code, shell)
        })
        .collect();
    // A fix loop's next text differs from the one before in a few lines per cell: the joined
    // cells are parsed from that notebook's tree, told where each cell changed.
    let all_parse = RECENT.with_borrow(|recent| {
        let base = recent
            .iter()
            .rev()
            .map(|(_, nb)| &**nb)
            .find(|nb| nb.broken.is_empty() && nb.cells.len() == codes.len());
        cells_parse_alone(&codes, base)
    });
    for (i, mut code, shell) in codes {
        notebook.file_lines.push(
            file_lines
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default(),
        );
        // The scanner's ranges, where the parsed value agrees that they are all there is.
        let span = spans
            .get_mut(i)
            .map(|s| std::mem::replace(s, SourceSpan::Missing))
            .unwrap_or(SourceSpan::Missing);
        notebook
            .sources
            .push(match (cells[i].source.as_ref(), span) {
                (None, _) => SourceSpan::Missing,
                (Some(Value::String(_)), span @ SourceSpan::String(_)) => span,
                (Some(Value::Array(items)), SourceSpan::List(range, ranges))
                    if items.len() == ranges.len() && items.iter().all(Value::is_string) =>
                {
                    SourceSpan::List(range, ranges)
                }
                _ => SourceSpan::Other,
            });
        if !notebook.cells.is_empty() {
            notebook.python.push('\n');
        }
        let start = notebook.python.len();
        let error = if all_parse {
            None
        } else {
            first_syntax_error(&code)
        };
        if let Some((error, message)) = error {
            let error = TextRange::new(start + error.start(), start + error.end());
            notebook.broken.push((i + 1, error, message));
            code = blank_all(&code);
        } else {
            notebook.shell.extend(
                shell
                    .into_iter()
                    .map(|r| TextRange::new(start + r.start(), start + r.end())),
            );
        }
        notebook.python.push_str(&code);
        let range = TextRange::new(start, notebook.python.len());
        notebook.cells.push((i + 1, range));
    }
    Ok(notebook)
}

/// Per cell of the notebook's `cells` array, in order, the 1-based line of `json` on which
/// each string of its `source` starts, and where the `source` is written (ranges moved by
/// `shift`, the byte-order mark before `json`; `Missing` where no string or list was
/// seen). A small scanner over the JSON's structure (strings, brackets, commas), since a
/// parsed `Value` has no positions.
fn source_lines(json: &str, shift: usize) -> (Vec<Vec<usize>>, Vec<SourceSpan>) {
    struct Frame {
        object: bool,
        key: Vec<u8>,
        expect_key: bool,
        index: usize,
        start: usize,
    }
    let bytes = json.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut spans: Vec<SourceSpan> = Vec::new();
    // The items of the `source` list being read.
    let mut items: Vec<TextRange> = Vec::new();
    let range = |start: usize, end: usize| TextRange::new(start + shift, end + shift);
    let (mut line, mut i) = (1, 0);
    let in_source =
        |stack: &[Frame]| stack.len() >= 3 && stack[0].key == b"cells" && stack[2].key == b"source";
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                // The closing quote is the first one not escaped (outputs hold strings of
                // hundreds of kilobytes: an image is searched, not stepped through).
                while i < bytes.len() {
                    match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                        Some(k) if bytes[i + k] == b'\\' => i += k + 2,
                        Some(k) => {
                            i += k;
                            break;
                        }
                        None => i = bytes.len(),
                    }
                }
                let text = &bytes[start..i.min(bytes.len())];
                match stack.last_mut() {
                    Some(top) if top.object && top.expect_key => {
                        top.key = text.to_vec();
                        top.expect_key = false;
                    }
                    _ => {
                        let depth = stack.len();
                        let element = depth == 4 && !stack[3].object;
                        if in_source(&stack) && (depth == 3 || element) {
                            let cell = stack[1].index;
                            if out.len() <= cell {
                                out.resize_with(cell + 1, Vec::new);
                            }
                            out[cell].push(line);
                            if spans.len() <= cell {
                                spans.resize(cell + 1, SourceSpan::Missing);
                            }
                            let string = range(start - 1, (i + 1).min(bytes.len()));
                            if depth == 3 {
                                spans[cell] = SourceSpan::String(string);
                            } else {
                                items.push(string);
                            }
                        }
                    }
                }
            }
            open @ (b'{' | b'[') => {
                stack.push(Frame {
                    object: open == b'{',
                    key: Vec::new(),
                    expect_key: open == b'{',
                    index: 0,
                    start: i,
                });
                if stack.len() == 4 && in_source(&stack) {
                    items.clear();
                }
            }
            b'}' | b']' => {
                let source_list = stack.len() == 4 && in_source(&stack) && !stack[3].object;
                if let Some(frame) = stack.pop()
                    && source_list
                {
                    let cell = stack[1].index;
                    if spans.len() <= cell {
                        spans.resize(cell + 1, SourceSpan::Missing);
                    }
                    spans[cell] =
                        SourceSpan::List(range(frame.start, i + 1), std::mem::take(&mut items));
                }
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    if top.object {
                        top.expect_key = true;
                    } else {
                        top.index += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    (out, spans)
}

/// A cell's `source`: a string, or a list of strings (each line keeps its own `\n`).
/// Anything else is an empty cell: the notebook is still worth linting.
fn source(source: Option<&Value>) -> String {
    match source {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// Whether every cell parses on its own, known from one parse of the cells joined: when
/// that has no syntax error and each of its top-level statements (and comments) lies within
/// one cell, each cell alone is those same statements, which parse alone as they do joined
/// (a statement starts at column 0 with no bracket, string or block open). Otherwise `false`,
/// and each cell is parsed alone. The joined parse is the one the notebook's Python gets
/// next when no cell is broken (`python::parse` keeps it), so a notebook of N cells costs one
/// parse, not N + 1, each time its fix loops meet a new text (#13). `base` is a notebook
/// read before with as many code cells and none broken (its `python` is its cells joined):
/// the parse starts from its tree, with an edit where each cell differs.
fn cells_parse_alone(codes: &[(usize, String, Vec<TextRange>)], base: Option<&Notebook>) -> bool {
    let mut joined = String::with_capacity(codes.iter().map(|(_, c, _)| c.len() + 1).sum());
    let mut ranges = Vec::with_capacity(codes.len());
    for (_, code, _) in codes {
        if super::python::refusal(code).is_some() {
            return false;
        }
        if !ranges.is_empty() {
            joined.push('\n');
        }
        let start = joined.len();
        joined.push_str(code);
        ranges.push(TextRange::new(start, joined.len()));
    }
    let doc = match base {
        Some(base) => {
            let edits: Vec<(TextRange, &str)> = base
                .cells
                .iter()
                .zip(codes)
                .filter_map(|((_, range), (_, code, _))| {
                    cell_edit(&base.python[range.as_range()], code).map(|(r, new)| {
                        (
                            TextRange::new(range.start() + r.start(), range.start() + r.end()),
                            new,
                        )
                    })
                })
                .collect();
            super::python::parse_after(&joined, &base.python, &edits)
        }
        None => super::python::parse(&joined),
    };
    let Some(doc) = doc else {
        return false;
    };
    let root = doc.tree.root_node();
    if root.has_error() {
        return false;
    }
    let mut cursor = root.walk();
    if !cursor.goto_first_child() {
        return true;
    }
    loop {
        let node = cursor.node();
        let within = ranges
            .partition_point(|r| r.start() <= node.start_byte())
            .checked_sub(1)
            .is_some_and(|i| node.end_byte() <= ranges[i].end());
        if !within {
            return false;
        }
        if !cursor.goto_next_sibling() {
            return true;
        }
    }
}

/// The edit turning one cell's `old` code into `new`: the range of `old` between their
/// common prefix and suffix (on character boundaries) and the text of `new` there; `None`
/// when they are the same.
fn cell_edit<'n>(old: &str, new: &'n str) -> Option<(TextRange, &'n str)> {
    if old == new {
        return None;
    }
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let (prefix, suffix) = super::python::common_ends(old, new);
    Some((
        TextRange::new(prefix, a.len() - suffix),
        &new[prefix..b.len() - suffix],
    ))
}

/// The first syntax error of one cell's Python, if any.
fn first_syntax_error(code: &str) -> Option<(TextRange, String)> {
    let Some(doc) = super::python::parse_once(code) else {
        return Some((
            TextRange::empty(0),
            "the Python parser gave up on this cell".into(),
        ));
    };
    super::python::syntax_errors(&doc, 1).into_iter().next()
}

/// Every character but line breaks as a space: same length, same lines.
fn blank_all(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        if c == '\n' || c == '\r' {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out
}

/// Where the IPython part of an assignment starts: `files = !ls` → the offset of `!`.
/// The target must be plain names (`a`, `a.b`, `a, b`), so `x != 1` is not one.
fn magic_assignment(line: &str) -> Option<usize> {
    let eq = line.find('=')?;
    let target = line[..eq].trim();
    let names = !target.is_empty()
        && target
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ',' | ' ' | '\t'));
    if !names {
        return None;
    }
    let rest = &line[eq + 1..];
    let value = rest.trim_start_matches([' ', '\t']);
    (value.starts_with('!') || value.starts_with('%')).then(|| line.len() - value.len())
}

/// The cell with IPython-only lines blanked (see the module docs); the commands of its
/// shell lines kept as comments are added to `shell` (ranges in the cell).
fn blank_magics(source: &str, shell: &mut Vec<TextRange>) -> String {
    let first = source.lines().map(str::trim_start).find(|l| !l.is_empty());
    let whole_cell = first
        .and_then(|l| l.strip_prefix("%%"))
        .is_some_and(|magic| {
            let name = magic.split_whitespace().next().unwrap_or("");
            !PYTHON_CELL_MAGICS.contains(&name)
        });
    let mut out = String::with_capacity(source.len());
    let mut continued = false;
    // The indent of the last Python line, and whether it opened a block.
    let (mut last_indent, mut opened_block) = (0, false);
    for line in source.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let code = body.trim_start_matches([' ', '\t']);
        let indent = body.len() - code.len();
        let line_magic = code.starts_with('%') || code.starts_with('!');
        let from = if whole_cell || continued || line_magic {
            Some(0)
        } else {
            magic_assignment(body)
        };
        let Some(from) = from else {
            out.push_str(line);
            if !code.is_empty() && !code.starts_with('#') {
                last_indent = indent;
                opened_block = code.trim_end().ends_with(':');
            }
            continue;
        };
        // An assignment keeps its name bound (`files = 0    `); a magic inside a block stays
        // a statement of that block (`    0      `), where spaces would leave it empty.
        let in_block = line_magic
            && !whole_cell
            && !continued
            && indent > 0
            && (opened_block || indent <= last_indent);
        // A shell line of its own: `#` and the command, kept readable and in place.
        let command = code.strip_prefix('!').filter(|c| {
            !whole_cell && !continued && !in_block && !c.starts_with('!') && !c.trim().is_empty()
        });
        if let Some(command) = command {
            let at = out.len() + indent + 1;
            out.push_str(&body[..indent]);
            out.push('#');
            out.push_str(command);
            out.push_str(&line[body.len()..]);
            let end = at + command.trim_end_matches('\\').trim_end().len();
            shell.push(TextRange::new(at, end));
            continued = body.ends_with('\\');
            continue;
        }
        let from = if in_block { indent } else { from };
        let value = if from > 0 { "0" } else { "" };
        out.push_str(&body[..from]);
        out.push_str(value);
        out.extend(std::iter::repeat_n(' ', body.len() - from - value.len()));
        out.push_str(&line[body.len()..]);
        continued = body.ends_with('\\');
    }
    out
}

/// The byte offset of serde_json's 1-based line and byte column, clamped to the text and
/// to a character boundary.
fn json_offset(json: &str, line: usize, column: usize) -> usize {
    let line_start = json
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let mut offset = (line_start + column.saturating_sub(1)).min(json.len());
    while !json.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cell(kind: &str, source: Value) -> Value {
        serde_json::json!({ "cell_type": kind, "metadata": {}, "source": source })
    }

    fn notebook(cells: Vec<Value>) -> String {
        serde_json::json!({ "cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5 })
            .to_string()
    }

    fn cell_texts(nb: &Notebook) -> Vec<(usize, &str)> {
        nb.cells
            .iter()
            .map(|(n, r)| (*n, &nb.python[r.as_range()]))
            .collect()
    }

    #[test]
    fn string_and_list_sources_and_markdown_numbering() {
        let json = notebook(vec![
            cell("markdown", "# Title".into()),
            cell("code", "import dask\n".into()),
            cell("raw", "raw".into()),
            cell("code", serde_json::json!(["x = 1\n", "y = 2"])),
        ]);
        let nb = parse(&json).unwrap();
        assert_eq!(nb.python, "import dask\n\nx = 1\ny = 2");
        assert_eq!(cell_texts(&nb), [(2, "import dask\n"), (4, "x = 1\ny = 2")]);
    }

    #[test]
    fn a_construct_in_cell_three_line_two_maps_back_to_that_cell() {
        let json = notebook(vec![
            cell("code", "from dask_kubernetes import KubeCluster\n".into()),
            cell("markdown", "Start a cluster".into()),
            cell(
                "code",
                serde_json::json!(["n = 2\n", "cluster = KubeCluster(n)\n"]),
            ),
        ]);
        let nb = parse(&json).unwrap();
        let offset = nb.python.rfind("KubeCluster(").unwrap();
        let (cell, within) = nb.locate(offset).unwrap();
        assert_eq!(cell, 3);
        let source = "n = 2\ncluster = KubeCluster(n)\n";
        assert_eq!(within, source.find("KubeCluster").unwrap());
        // Line 2 of the cell, as `report::locate` will count it.
        assert_eq!(source[..within].matches('\n').count() + 1, 2);
        assert_eq!(nb.locate(0), Some((1, 0)));
    }

    #[test]
    fn magics_become_spaces_and_shell_lines_comments() {
        let json = notebook(vec![cell(
            "code",
            serde_json::json!([
                "%pip install dask-kubernetes\n",
                "  !kubectl get pods\n",
                "x = 1 % 2\n",
                "%%time\n"
            ]),
        )]);
        let nb = parse(&json).unwrap();
        let spaces = |line: &str| " ".repeat(line.len());
        assert_eq!(
            nb.python,
            format!(
                "{}\n{}\nx = 1 % 2\n{}\n",
                spaces("%pip install dask-kubernetes"),
                "  #kubectl get pods",
                spaces("%%time")
            )
        );
        let commands: Vec<&str> = nb.shell.iter().map(|r| &nb.python[r.as_range()]).collect();
        assert_eq!(commands, ["kubectl get pods"]);
    }

    #[test]
    fn shell_lines_keep_their_command_unless_python_needs_the_line() {
        let source = "!dask-worker tcp://s:8786 --nprocs 2 \\
    --nthreads 1
for i in range(2):
    !dask-worker tcp://s:8786
out = !dask-scheduler --version
!!ls
";
        let second = "!dask-scheduler --port 8786
broken(
";
        let json = notebook(vec![
            cell("code", source.into()),
            cell("code", second.into()),
        ]);
        let nb = parse(&json).unwrap();
        let commands: Vec<&str> = nb.shell.iter().map(|r| &nb.python[r.as_range()]).collect();
        // The continued line, the line inside a block, the assignment, `!!` and the lines
        // of a cell that does not parse are not kept.
        assert_eq!(commands, ["dask-worker tcp://s:8786 --nprocs 2"]);
        assert!(nb.python.starts_with(
            "#dask-worker tcp://s:8786 --nprocs 2 \\
"
        ));
        assert_eq!(nb.broken.len(), 1);
    }

    #[test]
    fn shell_and_magic_assignments_keep_their_names_bound() {
        let source = "files = !ls -la\naccount = !(aws sts get-caller-identity \\\n    --output json)\nx = %sx ls\nx != 1\nfor f in files:\n    !echo $f\n";
        let json = notebook(vec![cell("code", source.into())]);
        let nb = parse(&json).unwrap();
        assert!(nb.broken.is_empty(), "{:?}", nb.broken);
        assert_eq!(nb.python.len(), source.len());
        let lines: Vec<&str> = nb.python.lines().collect();
        assert_eq!(lines[0].trim_end(), "files = 0");
        assert_eq!(lines[1].trim_end(), "account = 0");
        assert_eq!(lines[2].trim(), "");
        assert_eq!(lines[3].trim_end(), "x = 0");
        assert_eq!(lines[4], "x != 1");
        assert_eq!(lines[6].trim_end(), "    0");
        let doc = crate::source::python::parse(&nb.python).unwrap();
        assert!(crate::source::python::syntax_errors(&doc, 1).is_empty());
    }

    #[test]
    fn a_cell_that_does_not_parse_is_skipped_alone() {
        let json = notebook(vec![
            cell("code", "import dask\n".into()),
            cell("markdown", "text".into()),
            cell("code", "def broken(:\n    pass\n".into()),
            cell("code", "cluster = KubeCluster()\n".into()),
        ]);
        let nb = parse(&json).unwrap();
        assert_eq!(nb.broken.len(), 1);
        let (number, range, message) = &nb.broken[0];
        assert_eq!(*number, 3);
        assert!(message.contains("syntax error"), "{message}");
        assert_eq!(nb.locate(range.start()).map(|(c, _)| c), Some(3));
        let texts = cell_texts(&nb);
        assert_eq!(
            texts[1].1,
            format!("{}\n{}\n", " ".repeat(12), " ".repeat(8))
        );
        assert_eq!(texts[2].1, "cluster = KubeCluster()\n");
    }

    #[test]
    fn cell_magics_of_other_languages_blank_the_cell() {
        let json = notebook(vec![
            cell("code", "%%bash\ndask-worker --no-bokeh\n".into()),
            cell("code", "%%time\ncluster = KubeCluster()\n".into()),
        ]);
        let nb = parse(&json).unwrap();
        assert_eq!(
            cell_texts(&nb),
            [
                (
                    1,
                    format!("{}\n{}\n", " ".repeat(6), " ".repeat(22)).as_str()
                ),
                (
                    2,
                    format!("{}\ncluster = KubeCluster()\n", " ".repeat(6)).as_str()
                ),
            ]
        );
        let doc = crate::source::python::parse(&nb.python).unwrap();
        assert!(crate::source::python::syntax_errors(&doc, 1).is_empty());
    }

    #[test]
    fn the_joined_parse_says_all_cells_parse_only_when_each_does_alone() {
        // Cells that parse alone, cells that do not, and cells that parse only after another
        // (a block, a continuation, an indented start), in every pair and in threes.
        let pool = [
            "import dask\n",
            "x = 1",
            "def f():\n    return 1\n",
            "def f():\n    return 1",
            "if x:\n    y = 1\n",
            "else:\n    y = 2\n",
            "    z = 3\n",
            "  # an indented comment\nz = 3\n",
            "@decorator\n",
            "class C:\n    pass\n\n\n",
            "x = (1,\n",
            "2)\n",
            "s = \"\"\"open\n",
            "x = 1 \\\n",
            "x = 1 \\",
            "\\\n",
            "   \n\n",
            "",
            "# just a comment",
            "\tx = 1\n",
            "for i in range(2):\n\tprint(i)\n",
            "return 1\n",
            "print 'classic'\n",
            "async def g():\n    await h()\n",
            "lambda: (yield)\n",
            "x = [i for i in\n",
            "try:\n    pass\n",
            "finally:\n    pass\n",
            "\u{c}x = 1\n",
            "x = 1\r\ny = 2\r\n",
            "match x:\n    case 1:\n        pass\n",
        ];
        let alone = |code: &str| first_syntax_error(code).is_none();
        let mut claimed = 0;
        let check = |cells: &[&str], claimed: &mut usize| {
            let codes: Vec<(usize, String, Vec<TextRange>)> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| (i, (*c).to_owned(), Vec::new()))
                .collect();
            if cells_parse_alone(&codes, None) {
                *claimed += 1;
                for cell in cells {
                    assert!(alone(cell), "{cell:?} of {cells:?} does not parse alone");
                }
            }
        };
        for a in pool {
            check(&[a], &mut claimed);
            for b in pool {
                check(&[a, b], &mut claimed);
                for c in pool {
                    check(&[a, b, c], &mut claimed);
                }
            }
        }
        // The one parse answers for most notebooks (not only for the trivial ones).
        assert!(claimed > 5_000, "{claimed}");
    }

    #[test]
    fn a_notebook_read_after_one_it_differs_from_reads_as_alone() {
        // A fix loop's texts: the notebook, then each cell edited, one cell broken, a cell
        // emptied, a line added. Each is read after the one before (its joined cells parsed
        // from that tree, told where each cell changed) and alone; both readings agree, and
        // the joined cells' kept tree is the one a fresh parse gives.
        let notebook = |cells: &[&str]| {
            let cells: Vec<Value> = cells
                .iter()
                .map(|c| cell("code", Value::String((*c).to_owned())))
                .collect();
            serde_json::json!({ "cells": cells }).to_string()
        };
        let steps: Vec<Vec<&str>> = vec![
            vec![
                "from dask_kubernetes import KubeCluster\n",
                "cluster = KubeCluster(pod_spec)  # café\n",
                "%time cluster.scale(2)\nclient = Client(cluster)\n",
            ],
            vec![
                "from dask_kubernetes.operator import KubeCluster\n",
                "cluster = KubeCluster(\n    name=\"é\",\n)  # café\n",
                "%time cluster.scale(2)\nclient = Client(cluster)\n",
            ],
            vec![
                "from dask_kubernetes.operator import KubeCluster\n",
                "cluster = KubeCluster(\n    name=\"é\",\n  # café\n",
                "%time cluster.scale(2)\nclient = Client(cluster)\n",
            ],
            vec![
                "from dask_kubernetes.operator import KubeCluster\n",
                "cluster = KubeCluster(name=\"é\")\n",
                "",
            ],
            vec![
                "from dask_kubernetes.operator import KubeCluster\nimport os\n",
                "cluster = KubeCluster(name=\"é\")\n",
                "client = 1\n",
            ],
        ];
        let jsons: Vec<String> = steps.iter().map(|s| notebook(s)).collect();
        forget_kept();
        crate::source::python::forget_kept();
        let read: Vec<Arc<Notebook>> = jsons.iter().map(|j| parse(j).unwrap()).collect();
        for (json, after) in jsons.iter().zip(&read) {
            forget_kept();
            crate::source::python::forget_kept();
            let alone = parse(json).unwrap();
            assert_eq!(after.python, alone.python);
            assert_eq!(after.cells, alone.cells);
            assert_eq!(after.broken, alone.broken);
            assert_eq!(after.shell, alone.shell);
        }
        assert_eq!(read[2].broken.len(), 1, "{:?}", read[2].broken);
        // The joined cells' trees, parsed one after the other as the loop does.
        forget_kept();
        crate::source::python::forget_kept();
        let mut trees = Vec::new();
        for json in &jsons {
            let nb = parse(json).unwrap();
            trees.push(
                crate::source::python::parse(&nb.python)
                    .unwrap()
                    .tree
                    .root_node()
                    .to_sexp(),
            );
        }
        for (nb, tree) in read.iter().zip(trees) {
            crate::source::python::forget_kept();
            let fresh = crate::source::python::parse(&nb.python).unwrap();
            assert_eq!(tree, fresh.tree.root_node().to_sexp());
        }
        forget_kept();
        crate::source::python::forget_kept();
    }

    #[test]
    fn each_code_cell_knows_where_its_source_is_written() {
        let json = "\u{feff}{\"cells\": [\n {\"cell_type\": \"code\", \"source\": \"a = \\\"]\\\"\"},\n {\"cell_type\": \"markdown\", \"source\": [\"# t\"]},\n {\"cell_type\": \"code\", \"metadata\": {\"source\": [1]}, \"source\": [\"b = 1\\n\", \"c = [2]\"]},\n {\"cell_type\": \"code\", \"source\": [\"d\", 3]},\n {\"cell_type\": \"code\", \"source\": []},\n {\"cell_type\": \"code\"}\n]}";
        let nb = parse(json).unwrap();
        let at = |needle: &str| {
            let start = json.find(needle).unwrap();
            TextRange::new(start, start + needle.len())
        };
        assert_eq!(
            nb.sources,
            vec![
                SourceSpan::String(at("\"a = \\\"]\\\"\"")),
                SourceSpan::List(
                    at("[\"b = 1\\n\", \"c = [2]\"]"),
                    vec![at("\"b = 1\\n\""), at("\"c = [2]\"")]
                ),
                SourceSpan::Other,
                SourceSpan::List(at("[]"), Vec::new()),
                SourceSpan::Missing,
            ]
        );
    }

    /// The cells are read from the fields a reader needs and, in any other shape, from the
    /// whole value: either way alike. A `null` source is a value, not a missing one; a key
    /// written twice keeps its last value, as the whole value does.
    #[test]
    fn cells_read_alike_whatever_their_shape() {
        let json = "{\"cells\": [{\"cell_type\": \"code\", \"source\": null, \"outputs\": [{\"data\": {\"image/png\": \"iVBOR\"}}]}, {\"cell_type\": \"code\"}]}";
        let nb = parse(json).unwrap();
        assert_eq!(nb.sources, [SourceSpan::Other, SourceSpan::Missing]);
        let twice = "{\"cells\": [{\"cell_type\": \"code\", \"source\": \"a = 1\", \"source\": \"b = 2\"}]}";
        assert!(cells_only(twice).is_none());
        assert_eq!(cell_texts(&parse(twice).unwrap()), [(1, "b = 2")]);
        let not_an_object = "{\"cells\": [1, {\"cell_type\": \"code\", \"source\": \"x = 1\"}]}";
        assert!(cells_only(not_an_object).is_none());
        assert_eq!(cell_texts(&parse(not_an_object).unwrap()), [(2, "x = 1")]);
    }

    #[test]
    fn invalid_json_is_located() {
        let json = "{\n  \"cells\": [\n    {\"cell_type\": \"code\",, }\n  ]\n}\n";
        let err = parse(json).unwrap_err();
        let at = json.find(",,").unwrap() + 1;
        assert_eq!(err.range, TextRange::empty(at), "{}", err.message);
        assert!(err.message.contains("line 3"), "{}", err.message);
    }

    #[test]
    fn a_notebook_without_cells_is_a_clear_error() {
        let err = parse("{\"nbformat\": 3, \"worksheets\": []}").unwrap_err();
        assert!(err.message.contains("no `cells` array"), "{}", err.message);
        assert!(parse("[1, 2]").is_err());
    }

    #[test]
    fn odd_cells_are_empty_not_errors() {
        let json = notebook(vec![
            serde_json::json!({ "cell_type": "code" }),
            cell("code", serde_json::json!([1, "x = 1"])),
        ]);
        assert_eq!(cell_texts(&parse(&json).unwrap()), [(1, ""), (2, "x = 1")]);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(json in ".*") {
            if let Ok(nb) = parse(&json) {
                for (_, range) in &nb.cells {
                    prop_assert!(nb.python.get(range.as_range()).is_some());
                }
            } else if let Err(e) = parse(&json) {
                prop_assert!(json.get(e.range.as_range()).is_some());
            }
        }

        #[test]
        fn the_fields_read_alone_are_the_fields_of_the_value(
            cells in prop::collection::vec(
                (
                    prop::option::of(prop::sample::select(vec!["\"code\"", "\"markdown\"", "null", "1"])),
                    prop::option::of(prop::sample::select(vec![
                        "\"x = 1\"", "[\"a\\n\", \"b\"]", "[\"a\", 2]", "null", "{}", "[]",
                    ])),
                    prop::option::of(prop::sample::select(vec![
                        "\"outputs\": [{\"text\": [\"1\"]}]", "\"metadata\": {\"source\": 1}",
                    ])),
                ),
                0..6,
            )
        ) {
            let cells: Vec<String> = cells
                .iter()
                .map(|(kind, source, other)| {
                    let fields: Vec<String> = [
                        kind.map(|k| format!("\"cell_type\": {k}")),
                        source.map(|s| format!("\"source\": {s}")),
                        other.map(str::to_owned),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    format!("{{{}}}", fields.join(", "))
                })
                .collect();
            let json = format!("{{\"nbformat\": 4, \"cells\": [{}]}}", cells.join(", "));
            let alone = cells_only(&json);
            prop_assert!(alone.is_some(), "{}", json);
            prop_assert_eq!(alone.unwrap(), cells_of_value(&json, 0).unwrap(), "{}", json);
        }

        #[test]
        fn arbitrary_cell_sources_keep_their_length(
            sources in prop::collection::vec(".*", 0..5)
        ) {
            let json = notebook(sources.iter().map(|s| cell("code", s.as_str().into())).collect());
            let nb = parse(&json).unwrap();
            for ((_, range), source) in nb.cells.iter().zip(&sources) {
                prop_assert_eq!(range.len(), source.len());
            }
        }
    }
}
