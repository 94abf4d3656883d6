//! YAML text → spanned documents.
//!
//! Built from `granit-parser` events (a YAML 1.2 event parser with byte spans), with our own
//! small tree so that every key and value keeps its byte range and extractors never see the
//! parser's API. The tree is built with an explicit stack (no recursion, so deep nesting cannot
//! overflow the stack); aliases are expanded with a node budget so an alias bomb becomes an
//! error, not an exhausted machine. Comments are kept as spans for suppressions.
//! Never edits: fixes are text edits on these byte ranges.

use super::TextRange;
use foldhash::{HashMap, HashMapExt};
use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};

/// Bounds on what one YAML file may cost to load.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of collections allowed (block and flow each).
    pub max_depth: usize,
    /// Most nodes that alias expansion may copy in one file.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 200,
            max_alias_nodes: 100_000,
        }
    }
}

/// A YAML node with the byte range it covers in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub range: TextRange,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The value after YAML escape processing.
    pub text: String,
    pub style: Style,
}

/// How a scalar was written; plain scalars may be numbers, booleans or null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// One document of a (possibly multi-document) YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub index: usize,
    pub range: TextRange,
    /// `None` for an empty document.
    pub root: Option<Node>,
}

/// A whole YAML file: its documents and the ranges of its comments.
#[derive(Clone, Debug, Default)]
pub struct YamlFile {
    pub documents: Vec<Document>,
    pub comments: Vec<TextRange>,
}

impl Drop for YamlFile {
    fn drop(&mut self) {
        // Deep trees are freed without recursion, wherever the last owner lets go.
        drop_iteratively(self.documents.drain(..).filter_map(|d| d.root).collect());
    }
}

/// Why a YAML file could not be loaded, and where.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub range: TextRange,
    pub message: String,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The entry whose key is the string `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key.as_str() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follow a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// The string-to-string entries of a mapping (labels, annotations, a selector); other
    /// entries, and any node that is not a mapping, give none.
    pub fn string_map(&self) -> std::collections::BTreeMap<String, String> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| Some((e.key.as_str()?.to_owned(), e.value.as_str()?.to_owned())))
            .collect()
    }

    /// A plain `null`, `~` or empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.style == Style::Plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A plain scalar that YAML 1.2's core schema reads as a number.
    pub fn is_number(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.style == Style::Plain && is_core_number(&s.text))
    }

    /// Scalar text of a string-typed scalar (quoted, block, or plain that is not a number,
    /// boolean or null).
    pub fn as_string_scalar(&self) -> Option<&str> {
        let s = self.as_scalar()?;
        if s.style == Style::Plain
            && (is_core_number(&s.text) || self.is_null() || is_core_bool(&s.text))
        {
            return None;
        }
        Some(&s.text)
    }
}

fn is_core_bool(text: &str) -> bool {
    matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

/// YAML 1.2 core schema ints and floats (`12`, `-3`, `0x1f`, `0o7`, `1.5e3`, `.inf`).
pub fn is_core_number(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    if t.is_empty() {
        return false;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| ('0'..='7').contains(&c));
    }
    if matches!(t, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    // Floats: digits with an optional point and exponent.
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mantissa_ok = {
        let mut parts = mantissa.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        digits(int)
            && frac.is_none_or(digits)
            && (int.len() + frac.map_or(0, str::len)) > 0
            && (frac.is_some() || exponent.is_some())
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// A collection being filled while its events arrive.
enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        flow: bool,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        flow: bool,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
}

struct Builder {
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    doc_start: usize,
    root: Option<Node>,
}

/// [`parse`], shared: checking and fixing one file parses the same texts again and again
/// (the lint, the rewriters, the syntax check, the postcondition's lint, in the safe and the
/// unsafe loop), always on one thread. The last few texts parsed here are kept with their
/// trees until [`forget_kept`], and a text met again is not parsed again (#13).
pub fn parse_shared(src: &str, limits: Limits) -> Result<std::rc::Rc<YamlFile>, YamlError> {
    if let Some(file) = recent::get(src, limits) {
        return Ok(file);
    }
    let file = std::rc::Rc::new(parse(src, limits)?);
    recent::put(src, limits, &file);
    Ok(file)
}

/// Drop the trees [`parse_shared`] keeps on this thread: once a file is done, its texts do
/// not come back.
pub fn forget_kept() {
    recent::forget();
}

/// The texts [`parse_shared`] parsed last on this thread, with their trees.
mod recent {
    use super::{Limits, YamlFile};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// Texts kept: the original and the fixed texts of one file's loops, and the files
    /// beside it that a stack's rewriter reads in each of them.
    pub(super) const KEEP: usize = 8;
    /// A larger text is kept alone: its tree may be a large share of memory.
    const MAX_SHARED_BYTES: usize = 4 << 20;

    type Kept = (String, (usize, usize), Rc<YamlFile>);

    thread_local! {
        static TREES: RefCell<VecDeque<Kept>> = const { RefCell::new(VecDeque::new()) };
    }

    fn bounds(limits: Limits) -> (usize, usize) {
        (limits.max_depth, limits.max_alias_nodes)
    }

    pub fn get(text: &str, limits: Limits) -> Option<Rc<YamlFile>> {
        TREES.with_borrow(|trees| {
            trees
                .iter()
                .find(|(t, b, _)| *b == bounds(limits) && t.len() == text.len() && t == text)
                .map(|(_, _, file)| file.clone())
        })
    }

    pub fn put(text: &str, limits: Limits, file: &Rc<YamlFile>) {
        let large = |t: &str| t.len() > MAX_SHARED_BYTES;
        let dropped: Vec<Kept> = TREES.with_borrow_mut(|trees| {
            let room = if large(text) { 0 } else { KEEP - 1 };
            let mut dropped: Vec<Kept> = Vec::new();
            while trees.len() > room || trees.iter().any(|(t, ..)| large(t)) {
                // The oldest goes first; a large text goes whatever its age.
                let at = trees.iter().position(|(t, ..)| large(t)).unwrap_or(0);
                dropped.extend(trees.remove(at));
            }
            trees.push_back((text.to_owned(), bounds(limits), file.clone()));
            dropped
        });
        // Freed outside the borrow.
        drop(dropped);
    }

    pub fn forget() {
        let dropped = TREES.with_borrow_mut(std::mem::take);
        drop(dropped);
    }
}

/// Parse every document of `src`. The first syntax error, a nesting deeper than
/// `limits.max_depth`, or an alias expansion past its budget is an error with a location.
pub fn parse(src: &str, limits: Limits) -> Result<YamlFile, YamlError> {
    let options = granit_parser::options! {
        flow_nesting_limit: limits.max_depth,
        block_nesting_limit: limits.max_depth,
    };
    let mut file = YamlFile::default();
    let mut b = Builder {
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: limits.max_alias_nodes,
        doc_start: 0,
        root: None,
    };
    for next in Parser::new_from_str_with_options(src, options) {
        let (event, span) = next.map_err(|e| scan_error(src, &e))?;
        let range = span
            .byte_range()
            .map(|r| TextRange::new(r.start.min(src.len()), r.end.min(src.len())))
            .unwrap_or_default();
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Anchor(..) => {}
            Event::Comment(..) => file.comments.push(range),
            Event::DocumentStart(..) => {
                b.doc_start = range.start();
                b.anchors.clear();
                b.root = None;
            }
            Event::DocumentEnd => {
                let end = b
                    .root
                    .as_ref()
                    .map_or(range.end(), |r| r.range.end().max(range.start()));
                file.documents.push(Document {
                    index: file.documents.len(),
                    range: TextRange::new(b.doc_start.min(end), end),
                    root: b.root.take(),
                });
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let node = Node {
                    range,
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                    }),
                };
                b.finish(node, anchor)?;
            }
            Event::SequenceStart(style, anchor, _) => {
                b.open(range)?;
                let flow = style == StructureStyle::Flow;
                b.stack.push(Frame::Seq {
                    start: range.start(),
                    anchor,
                    flow,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(style, anchor, _) => {
                b.open(range)?;
                let flow = style == StructureStyle::Flow;
                b.stack.push(Frame::Map {
                    start: range.start(),
                    anchor,
                    flow,
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(range)?,
            Event::Alias(id) => b.alias(id, range)?,
            Event::UnresolvedAlias(name) => {
                return Err(YamlError {
                    range,
                    message: format!("unknown anchor `{name}`"),
                });
            }
            // Presentation events added by later parser versions carry no data.
            _ => {}
        }
    }
    Ok(file)
}

impl Builder {
    fn open(&self, range: TextRange) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError {
                range,
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
            });
        }
        Ok(())
    }

    fn close(&mut self, end: TextRange) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        // Flow collections end at their `]`/`}` (the end event's span); block collections end
        // where their last child does, never over trailing blank lines and comments.
        let end_of = |flow: bool, start: usize, last: Option<usize>| {
            if flow {
                end.end()
            } else {
                last.unwrap_or(start)
            }
        };
        let (node, anchor) = match frame {
            Frame::Seq {
                start,
                anchor,
                flow,
                items,
            } => {
                let end = end_of(flow, start, items.last().map(|n| n.range.end()));
                (
                    Node {
                        range: TextRange::new(start, end.max(start)),
                        value: Value::Seq(items),
                    },
                    anchor,
                )
            }
            Frame::Map {
                start,
                anchor,
                flow,
                entries,
                ..
            } => {
                let end = end_of(flow, start, entries.last().map(|e| e.value.range.end()));
                (
                    Node {
                        range: TextRange::new(start, end.max(start)),
                        value: Value::Map(entries),
                    },
                    anchor,
                )
            }
        };
        self.finish(node, anchor)
    }

    fn alias(&mut self, id: usize, range: TextRange) -> Result<(), YamlError> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(YamlError {
                range,
                message: "alias to an unknown anchor".into(),
            });
        };
        let cost = count_nodes(target);
        if cost > self.alias_budget {
            return Err(YamlError {
                range,
                message: format!(
                    "alias expansion exceeds {} nodes (an alias bomb?)",
                    self.limits.max_alias_nodes
                ),
            });
        }
        self.alias_budget -= cost;
        let node = target.clone();
        self.finish(node, 0)
    }

    /// A complete node: remember its anchor and hand it to its parent.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
        Ok(())
    }
}

fn count_nodes(node: &Node) -> usize {
    // Iterative, since anchored trees can be deep.
    let mut count = 0;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => {
                for e in entries {
                    todo.push(&e.key);
                    todo.push(&e.value);
                }
            }
        }
    }
    count
}

fn scan_error(src: &str, e: &granit_parser::ScanError) -> YamlError {
    let at = e.marker().byte_offset().unwrap_or_else(|| {
        src.char_indices()
            .nth(e.marker().index())
            .map_or(src.len(), |(b, _)| b)
    });
    let at = at.min(src.len());
    YamlError {
        range: TextRange::empty(at),
        message: e.info(),
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        // Deeply nested trees are dropped iteratively so freeing them cannot overflow the stack.
        let mut todo: Vec<Node> = Vec::new();
        for frame in self.stack.drain(..) {
            match frame {
                Frame::Seq { items, .. } => todo.extend(items),
                Frame::Map { entries, .. } => {
                    todo.extend(entries.into_iter().flat_map(|e| [e.key, e.value]))
                }
            }
        }
        drop_iteratively(todo);
    }
}

/// Free nodes without recursion.
pub fn drop_iteratively(mut todo: Vec<Node>) {
    while let Some(mut node) = todo.pop() {
        match &mut node.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => todo.append(items),
            Value::Map(entries) => todo.extend(entries.drain(..).flat_map(|e| [e.key, e.value])),
        }
    }
}

type Json = serde_json::Value;

enum Convert<'a> {
    Enter(&'a Node),
    Map(&'a [Entry]),
    Seq(usize),
}

/// A YAML node as the JSON Kubernetes would read, with YAML 1.2 core-schema typing (plain `3` is a
/// number, quoted `"3"` a string). A mapping key that is not a scalar is an error naming
/// where it is.
pub fn to_json(root: &Node) -> Result<Json, YamlError> {
    let mut done: Vec<Json> = Vec::new();
    let mut todo = vec![Convert::Enter(root)];
    while let Some(job) = todo.pop() {
        match job {
            Convert::Enter(node) => match &node.value {
                Value::Scalar(_) => done.push(scalar_json(node)),
                Value::Seq(items) => {
                    todo.push(Convert::Seq(items.len()));
                    todo.extend(items.iter().rev().map(Convert::Enter));
                }
                Value::Map(entries) => {
                    if let Some(bad) = entries.iter().find(|e| e.key.as_scalar().is_none()) {
                        return Err(YamlError {
                            range: bad.key.range,
                            message: "a mapping key must be a scalar".into(),
                        });
                    }
                    todo.push(Convert::Map(entries));
                    todo.extend(entries.iter().rev().map(|e| Convert::Enter(&e.value)));
                }
            },
            Convert::Seq(len) => {
                let items = done.split_off(done.len() - len);
                done.push(Json::Array(items));
            }
            Convert::Map(entries) => {
                let values = done.split_off(done.len() - entries.len());
                let mut map = serde_json::Map::new();
                for (entry, value) in entries.iter().zip(values) {
                    // Keys were checked to be scalars above.
                    let key = entry.key.as_str().unwrap_or_default().to_owned();
                    map.insert(key, value);
                }
                done.push(Json::Object(map));
            }
        }
    }
    Ok(done.pop().unwrap_or(Json::Null))
}

fn scalar_json(node: &Node) -> Json {
    let Some(s) = node.as_scalar() else {
        return Json::Null;
    };
    if s.style != Style::Plain {
        return Json::String(s.text.clone());
    }
    if node.is_null() {
        return Json::Null;
    }
    match s.text.as_str() {
        "true" | "True" | "TRUE" => return Json::Bool(true),
        "false" | "False" | "FALSE" => return Json::Bool(false),
        _ => {}
    }
    if is_core_number(&s.text)
        && let Some(n) = parse_number(&s.text)
    {
        return Json::Number(n);
    }
    Json::String(s.text.clone())
}

fn parse_number(text: &str) -> Option<serde_json::Number> {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1i64, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let radix = |prefix: &str, radix: u32| {
        digits
            .strip_prefix(prefix)
            .and_then(|d| i64::from_str_radix(d, radix).ok())
            .map(|n| serde_json::Number::from(sign * n))
    };
    if let Some(n) = radix("0x", 16).or_else(|| radix("0o", 8)) {
        return Some(n);
    }
    if let Ok(n) = text.trim_start_matches('+').parse::<i64>() {
        return Some(serde_json::Number::from(n));
    }
    // `.inf` and `.nan` have no JSON form; they stay strings.
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> YamlFile {
        parse(src, Limits::default()).unwrap()
    }

    #[test]
    fn a_text_met_again_on_one_thread_shares_its_tree_until_forgotten() {
        use std::rc::Rc;
        forget_kept();
        let limits = Limits::default();
        let shared = |text: &str, limits| parse_shared(text, limits).unwrap();
        let a = shared("a: 1\n", limits);
        assert!(Rc::ptr_eq(&a, &shared("a: 1\n", limits)));
        assert_eq!(
            format!("{:?}", a.documents),
            format!("{:?}", load("a: 1\n").documents)
        );
        // Other bounds may give another tree (or an error): parsed again.
        let tight = Limits {
            max_alias_nodes: 1,
            ..limits
        };
        assert!(!Rc::ptr_eq(&a, &shared("a: 1\n", tight)));
        // An error is not kept: asked again, it is the same error.
        let err = parse_shared("a: [1\n", limits).unwrap_err();
        assert_eq!(parse_shared("a: [1\n", limits).unwrap_err(), err);
        // The last few texts are kept; an older one is parsed again.
        for i in 0..recent::KEEP {
            shared(&format!("k{i}: 1\n"), limits);
        }
        let b = shared("a: 1\n", limits);
        assert!(!Rc::ptr_eq(&a, &b));
        forget_kept();
        assert!(!Rc::ptr_eq(&b, &shared("a: 1\n", limits)));
        forget_kept();
    }

    #[test]
    fn a_large_text_is_kept_alone() {
        use std::rc::Rc;
        forget_kept();
        let limits = Limits::default();
        let small = parse_shared("a: 1\n", limits).unwrap();
        let large_text = format!("big: {}\n", "x".repeat(5 << 20));
        let large = parse_shared(&large_text, limits).unwrap();
        assert!(Rc::ptr_eq(
            &large,
            &parse_shared(&large_text, limits).unwrap()
        ));
        // Keeping the large tree pushed the small one out; the next text pushes it out.
        assert!(!Rc::ptr_eq(
            &small,
            &parse_shared("a: 1\n", limits).unwrap()
        ));
        assert!(!Rc::ptr_eq(
            &large,
            &parse_shared(&large_text, limits).unwrap()
        ));
        forget_kept();
    }

    #[test]
    fn keys_and_values_have_byte_ranges() {
        let src = "a:\n  b: [1, two]\n---\nc: démo\n";
        let f = load(src);
        assert_eq!(f.documents.len(), 2);
        let a = f.documents[0].root.as_ref().unwrap();
        let b = a.get("a").unwrap().entry("b").unwrap();
        assert_eq!(&src[b.key.range.as_range()], "b");
        assert_eq!(&src[b.value.range.as_range()], "[1, two]");
        let c = f.documents[1].root.as_ref().unwrap().entry("c").unwrap();
        assert_eq!(&src[c.value.range.as_range()], "démo");
        assert!(b.value.as_seq().unwrap()[0].is_number());
    }

    #[test]
    fn block_mapping_range_ends_at_last_value() {
        let src = "spec:\n  x: 1\n  y: 2\n\n# trailing\nz: 3\n";
        let f = load(src);
        let spec = f.documents[0].root.as_ref().unwrap().get("spec").unwrap();
        assert_eq!(&src[spec.range.as_range()], "x: 1\n  y: 2");
        assert_eq!(f.comments.len(), 1);
    }

    #[test]
    fn alias_bomb_is_an_error_not_a_hang() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            src.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let err = parse(&src, Limits::default()).unwrap_err();
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&src, Limits::default()).is_err());
        let src: String = (0..10_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert!(parse(&src, Limits::default()).is_err());
    }

    #[test]
    fn syntax_error_is_located() {
        let src = "a: [1, 2\nb: }\n";
        let err = parse(src, Limits::default()).unwrap_err();
        assert!(err.range.start() > 0);
    }

    #[test]
    fn core_numbers() {
        for yes in ["1", "-2", "1.5", "1e3", "0x1F", ".inf", "2.", ".5"] {
            assert!(is_core_number(yes), "{yes}");
        }
        for no in ["", "1Gi", "2GB", "v1", "1.2.3", "-", "e3", "."] {
            assert!(!is_core_number(no), "{no}");
        }
    }
}
