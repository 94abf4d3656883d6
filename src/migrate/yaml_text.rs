//! Text-level YAML editing for rewriters: find the node a finding points at, remove an
//! entry with its line, add items to a list in its own style, write a scalar safely.
//!
//! Every function works on the spanned tree of `source::yaml` and the file's text and gives
//! [`Edit`]s; none re-serializes a document, so comments and formatting elsewhere stay.

use crate::source::TextRange;
use crate::source::edit::Edit;
use crate::source::yaml::{Entry, Node, Style, Value, YamlFile};

/// Byte offset of the start of the line holding `at`.
pub fn line_start(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1)
}

/// Byte offset just past the line break ending the line that holds `at` (or the end).
pub fn line_end_inclusive(text: &str, at: usize) -> usize {
    text[at.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| at + i + 1)
}

/// Whether only spaces precede `at` on its line.
pub fn starts_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at].chars().all(|c| c == ' ')
}

/// Column (in bytes) of `at` on its line.
pub fn column(text: &str, at: usize) -> usize {
    at - line_start(text, at)
}

/// Whether a collection node is written in flow style (`[…]` / `{…}`).
pub fn is_flow(text: &str, node: &Node) -> bool {
    matches!(text.as_bytes().get(node.range.start()), Some(b'[' | b'{'))
}

/// A mapping entry found in a file, with the mapping holding it.
#[derive(Clone, Copy)]
pub struct Found<'a> {
    pub map: &'a Node,
    pub index: usize,
    pub entry: &'a Entry,
    /// The document's root.
    pub root: &'a Node,
}

/// Every mapping entry of every document, outermost first.
pub fn entries(file: &YamlFile) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    for root in file.documents.iter().filter_map(|d| d.root.as_ref()) {
        let mut todo = vec![root];
        while let Some(node) = todo.pop() {
            match &node.value {
                Value::Map(es) => {
                    for (index, entry) in es.iter().enumerate() {
                        out.push(Found {
                            map: node,
                            index,
                            entry,
                            root,
                        });
                        todo.push(&entry.value);
                    }
                }
                Value::Seq(items) => todo.extend(items),
                Value::Scalar(_) => {}
            }
        }
    }
    out
}

/// The child of `node` (an item, or an entry's key or value) whose range contains `range`,
/// found by binary search: items and entries are in source order.
fn child_containing(node: &Node, range: TextRange) -> Option<&Node> {
    match &node.value {
        Value::Seq(items) => {
            let i = items.partition_point(|n| n.range.start() <= range.start());
            items[..i].last().filter(|n| n.range.contains_range(range))
        }
        Value::Map(es) => {
            let i = es.partition_point(|e| e.key.range.start() <= range.start());
            let e = es[..i].last()?;
            [&e.key, &e.value]
                .into_iter()
                .find(|n| n.range.contains_range(range))
        }
        Value::Scalar(_) => None,
    }
}

/// The nodes from a document root down to the innermost node containing `range` (keys
/// included). A lookup costs the depth times the log of the width, not the file's size, so
/// rewriters asked once per finding stay linear in the number of findings.
pub fn chain_at(file: &YamlFile, range: TextRange) -> Vec<&Node> {
    let Some(root) = root_at(file, range) else {
        return Vec::new();
    };
    let mut chain = vec![root];
    while let Some(child) = chain.last().and_then(|n| child_containing(n, range)) {
        chain.push(child);
    }
    chain
}

/// The entry whose key or value is exactly `range`, or else the innermost entry whose key
/// contains it, walking down the nodes that contain `range` (see [`chain_at`]).
fn entry_at_fast(file: &YamlFile, range: TextRange) -> Option<Found<'_>> {
    let chain = chain_at(file, range);
    let root = *chain.first()?;
    let mut key_holder = None;
    for node in &chain {
        let Value::Map(es) = &node.value else {
            continue;
        };
        let i = es.partition_point(|e| e.key.range.start() <= range.start());
        let Some(index) = i.checked_sub(1) else {
            continue;
        };
        let entry = &es[index];
        let found = Found {
            map: node,
            index,
            entry,
            root,
        };
        if entry.key.range == range || entry.value.range == range {
            return Some(found);
        }
        if entry.key.range.contains_range(range) {
            key_holder = Some(found);
        }
    }
    key_holder
}

/// The entry whose key or value is exactly `range`, or else the innermost entry whose key
/// contains it.
pub fn entry_at(file: &YamlFile, range: TextRange) -> Option<Found<'_>> {
    entry_at_fast(file, range).or_else(|| entry_at_slow(file, range))
}

/// [`entry_at`] by looking at every entry: for nodes whose ranges would not nest (none are
/// known), and to test the fast path against.
fn entry_at_slow(file: &YamlFile, range: TextRange) -> Option<Found<'_>> {
    let all = entries(file);
    if let Some(f) = all
        .iter()
        .find(|f| f.entry.key.range == range || f.entry.value.range == range)
    {
        return Some(*f);
    }
    all.into_iter()
        .filter(|f| f.entry.key.range.contains_range(range))
        .min_by_key(|f| f.entry.key.range.len())
}

/// The innermost node (of any kind) whose range contains `range`, and the document root.
pub fn node_at(file: &YamlFile, range: TextRange) -> Option<(&Node, &Node)> {
    let chain = chain_at(file, range);
    if let (Some(first), Some(last)) = (chain.first(), chain.last()) {
        return Some((*last, *first));
    }
    let mut best: Option<(&Node, &Node)> = None;
    for root in roots_around(file, range) {
        let mut todo = vec![root];
        while let Some(node) = todo.pop() {
            if !node.range.contains_range(range) {
                continue;
            }
            if best.is_none_or(|(b, _)| node.range.len() <= b.range.len()) {
                best = Some((node, root));
            }
            match &node.value {
                Value::Map(es) => todo.extend(es.iter().flat_map(|e| [&e.key, &e.value])),
                Value::Seq(items) => todo.extend(items),
                Value::Scalar(_) => {}
            }
        }
    }
    best
}

/// The sequence holding `item` (a node of the file) and its index there.
pub fn seq_of<'a>(file: &'a YamlFile, item: &Node) -> Option<(&'a Node, usize)> {
    let chain = chain_at(file, item.range);
    chain.iter().rev().find_map(|n| {
        let items = n.as_seq()?;
        let i = items.partition_point(|x| x.range.start() < item.range.start());
        (items.get(i)?.range == item.range).then_some((*n, i))
    })
}

/// The document root whose range contains `range`.
pub fn root_at(file: &YamlFile, range: TextRange) -> Option<&Node> {
    roots_around(file, range).find(|r| r.range.contains_range(range))
}

/// The document roots that may contain `range`, found by binary search: a lookup per
/// finding must not walk every document of a long stream (findings × documents).
pub fn roots_around(file: &YamlFile, range: TextRange) -> impl Iterator<Item = &Node> {
    // Documents are in source order and do not overlap.
    let first = file
        .documents
        .partition_point(|d| d.root.as_ref().map_or(d.range, |r| r.range).end() < range.start());
    file.documents[first..]
        .iter()
        .filter_map(|d| d.root.as_ref())
        .take_while(move |r| r.range.start() <= range.start())
}

/// The edit removing entry `index` of mapping `map`: in block style its whole line(s) with
/// any trailing comment; in flow style the entry and one separating comma. `None` when the
/// entry is the mapping's only one (the mapping would change type to null).
pub fn remove_entry(text: &str, map: &Node, index: usize) -> Option<Edit> {
    let entries = map.as_map()?;
    let entry = entries.get(index)?;
    if entries.len() < 2 {
        return None;
    }
    if is_flow(text, map) {
        let range = if index > 0 {
            TextRange::new(
                entries[index - 1].value.range.end(),
                entry.value.range.end(),
            )
        } else {
            TextRange::new(entry.key.range.start(), entries[1].key.range.start())
        };
        return Some(Edit::delete(range));
    }
    let key = entry.key.range.start();
    if starts_line(text, key) {
        let end = line_end_inclusive(text, entry.value.range.end());
        return Some(Edit::delete(TextRange::new(line_start(text, key), end)));
    }
    // The first entry of a `- key: value` item: pull the next key up into its place.
    let next = entries.get(index + 1)?;
    Some(Edit::delete(TextRange::new(key, next.key.range.start())))
}

/// The edit removing item `index` of sequence `seq`: in block style its `- ` line(s) with
/// any trailing comment; in flow style the item and one separating comma.
pub fn remove_item(text: &str, seq: &Node, index: usize) -> Option<Edit> {
    let items = seq.as_seq()?;
    let item = items.get(index)?;
    if is_flow(text, seq) {
        let range = match (
            index.checked_sub(1).map(|p| &items[p]),
            items.get(index + 1),
        ) {
            (Some(prev), _) => TextRange::new(prev.range.end(), item.range.end()),
            (None, Some(next)) => TextRange::new(item.range.start(), next.range.start()),
            (None, None) => item.range,
        };
        return Some(Edit::delete(range));
    }
    let dash = text[..item.range.start()].rfind('-')?;
    let between_is_space = text[dash + 1..item.range.start()].chars().all(|c| c == ' ');
    if !between_is_space || !starts_line(text, dash) {
        return None;
    }
    let end = line_end_inclusive(text, item.range.end());
    Some(Edit::delete(TextRange::new(line_start(text, dash), end)))
}

/// `block` (whole lines) moved from indentation `from` to `to`: spaces added to, or removed
/// from, the start of every non-blank line, so nesting and block scalars keep their shape.
pub fn reindent(block: &str, from: usize, to: usize) -> String {
    let mut out = String::with_capacity(block.len() + block.len() / 8);
    for line in block.split_inclusive('\n') {
        if line.trim().is_empty() {
            out.push_str(line);
        } else if to >= from {
            out.extend(std::iter::repeat_n(' ', to - from));
            out.push_str(line);
        } else {
            let strip = line.len() - line.trim_start_matches(' ').len();
            out.push_str(&line[strip.min(from - to)..]);
        }
    }
    out
}

/// The edit appending `items` (already written as YAML scalars) to sequence `seq`, in its
/// style: `, a, b` before a flow sequence's `]`, or `- a` lines at the last item's
/// indentation for a block sequence.
pub fn append_items(text: &str, seq: &Node, items: &[String]) -> Option<Edit> {
    let existing = seq.as_seq()?;
    if is_flow(text, seq) {
        let close = seq.range.end().checked_sub(1)?;
        if text.as_bytes().get(close) != Some(&b']') {
            return None;
        }
        // Insert right after the last item, so a comment or line break before `]` stays.
        let (at, sep) = match existing.last() {
            Some(last) => (last.range.end(), ", "),
            None => (close, ""),
        };
        return Some(Edit::insert(at, format!("{sep}{}", items.join(", "))));
    }
    let last = existing.last()?;
    let dash = text[..last.range.start()].rfind('-')?;
    let indent = " ".repeat(column(text, dash));
    let at = line_end_inclusive(text, last.range.end());
    let newline_before = if text[..at].ends_with('\n') { "" } else { "\n" };
    let lines: String = items.iter().map(|i| format!("{indent}- {i}\n")).collect();
    Some(Edit::insert(at, format!("{newline_before}{lines}")))
}

/// `value` as a YAML scalar that reads back as the same string: plain when that is
/// unambiguous, else double-quoted.
pub fn scalar(value: &str) -> String {
    if plain_is_safe(value) {
        value.to_owned()
    } else {
        double_quoted(value)
    }
}

/// `value` written the way `like` (an existing scalar's source text) is: in the same quotes
/// if it is quoted, else as [`scalar`] would.
pub fn scalar_like(like: &str, value: &str) -> String {
    match like.chars().next() {
        Some('"') => double_quoted(value),
        Some('\'') => format!("'{}'", value.replace('\'', "''")),
        _ => scalar(value),
    }
}

/// `value` double-quoted, with JSON-compatible escapes (valid YAML).
pub fn double_quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| format!("\"{value}\""))
}

fn plain_is_safe(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let probe = Node {
        range: TextRange::default(),
        value: Value::Scalar(crate::source::yaml::Scalar {
            text: value.to_owned(),
            style: Style::Plain,
        }),
    };
    let typed = probe.is_null() || probe.is_number() || probe.as_string_scalar().is_none();
    // `-`, `?` and `:` start a plain scalar when a non-space follows (`--name`).
    let second = value[first.len_utf8()..].chars().next();
    let indicator = if "-?:".contains(first) {
        second.is_none_or(|c| c == ' ')
    } else {
        ",[]{}#&*!|>'\"%@`".contains(first)
    };
    !typed
        && !indicator
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.contains(['\n', '\t', ',', '[', ']', '{', '}'])
        && !value.ends_with(':')
        && !value.ends_with(' ')
        && !matches!(
            value,
            "y" | "Y"
                | "yes"
                | "Yes"
                | "YES"
                | "n"
                | "N"
                | "no"
                | "No"
                | "NO"
                | "on"
                | "On"
                | "ON"
                | "off"
                | "Off"
                | "OFF"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_lookup_by_binary_search_agrees_with_looking_at_every_document() {
        let text = "a: 1\n---\n---\nb: [x, y]\n--- 7\n---\nc:\n  d: e\n...\n---\n- f\n";
        let f = crate::source::yaml::parse(text, Default::default()).unwrap();
        let roots: Vec<&Node> = f.documents.iter().filter_map(|d| d.root.as_ref()).collect();
        assert!(roots.len() >= 4, "{roots:?}");
        for start in 0..=text.len() {
            for end in start..=text.len() {
                let range = TextRange::new(start, end);
                let slow = roots
                    .iter()
                    .copied()
                    .find(|r| r.range.contains_range(range));
                assert_eq!(
                    root_at(&f, range).map(|r| r.range),
                    slow.map(|r| r.range),
                    "{range:?}"
                );
            }
        }
    }

    #[test]
    fn entry_lookup_by_descent_agrees_with_looking_at_every_entry() {
        let text = "a: 1\nb:\n  c: [x, {d: 2, e: [3, 4]}]\n  f:\n    - name: X\n      value: \"1\"\n    - name: Y\n---\ng: {h: i}\nj: |\n  text\n";
        let f = crate::source::yaml::parse(text, Default::default()).unwrap();
        let mut ranges = Vec::new();
        for found in entries(&f) {
            ranges.push(found.entry.key.range);
            ranges.push(found.entry.value.range);
            let k = found.entry.key.range;
            if k.len() > 1 {
                ranges.push(TextRange::new(k.start() + 1, k.end()));
            }
        }
        for r in ranges {
            let fast = entry_at_fast(&f, r).map(|x| (x.map.range, x.index));
            let slow = entry_at_slow(&f, r).map(|x| (x.map.range, x.index));
            assert_eq!(fast, slow, "{:?}", &text[r.as_range()]);
        }
        let item = f.documents[0]
            .root
            .as_ref()
            .unwrap()
            .path(&["b", "f"])
            .unwrap();
        let second = &item.as_seq().unwrap()[1];
        assert_eq!(
            seq_of(&f, second).map(|(l, i)| (l.range, i)),
            Some((item.range, 1))
        );
    }
    use crate::source::edit::apply_edits;

    fn file(src: &str) -> YamlFile {
        crate::source::yaml::parse(src, Default::default()).unwrap()
    }

    fn remove(src: &str, key: &str) -> String {
        let f = file(src);
        let found = entries(&f)
            .into_iter()
            .find(|e| e.entry.key.as_str() == Some(key))
            .unwrap();
        let edit = remove_entry(src, found.map, found.index).unwrap();
        apply_edits(src, &[edit]).unwrap()
    }

    #[test]
    fn removes_a_block_entry_with_its_line_and_comment() {
        let src = "spec:\n  a: 1\n  restartPolicy: Never  # classic\n  b: 2\n";
        assert_eq!(remove(src, "restartPolicy"), "spec:\n  a: 1\n  b: 2\n");
    }

    #[test]
    fn removes_the_last_entry_without_a_final_newline() {
        assert_eq!(remove("a: 1\nb: 2", "b"), "a: 1\n");
    }

    #[test]
    fn removes_a_nested_block_value() {
        let src = "a: 1\nb:\n  c: 2\n  d: [3]\ne: 4\n";
        assert_eq!(remove(src, "b"), "a: 1\ne: 4\n");
    }

    #[test]
    fn removes_the_first_key_of_a_list_item() {
        let src = "- name: x\n  image: y\n";
        assert_eq!(remove(src, "name"), "- image: y\n");
    }

    #[test]
    fn removes_flow_entries() {
        assert_eq!(remove("{a: 1, b: 2, c: 3}\n", "b"), "{a: 1, c: 3}\n");
        assert_eq!(remove("{a: 1, b: 2}\n", "a"), "{b: 2}\n");
    }

    #[test]
    fn appends_in_the_list_style() {
        let src = "args: [a, b]\nblock:\n  - a   # c\n  - b\nnext: 1\n";
        let f = file(src);
        let root = f.documents[0].root.as_ref().unwrap();
        let items = ["--name".to_owned(), "$(X)".to_owned()];
        let e1 = append_items(src, root.get("args").unwrap(), &items).unwrap();
        let e2 = append_items(src, root.get("block").unwrap(), &items).unwrap();
        assert_eq!(
            apply_edits(src, &[e1, e2]).unwrap(),
            "args: [a, b, --name, $(X)]\nblock:\n  - a   # c\n  - b\n  - --name\n  - $(X)\nnext: 1\n"
        );
    }

    #[test]
    fn removes_list_items_in_both_styles() {
        let src = "a: [x, $(S), y]\nb:\n  - x\n  - $(S)  # gone\n  - y\n";
        let f = file(src);
        let root = f.documents[0].root.as_ref().unwrap();
        let e1 = remove_item(src, root.get("a").unwrap(), 1).unwrap();
        let e2 = remove_item(src, root.get("b").unwrap(), 1).unwrap();
        assert_eq!(
            apply_edits(src, &[e1, e2]).unwrap(),
            "a: [x, y]\nb:\n  - x\n  - y\n"
        );
    }

    #[test]
    fn reindents_whole_lines() {
        let block = "  a:\n    - b\n\n  c: |\n    text\n";
        assert_eq!(
            reindent(block, 2, 6),
            "      a:\n        - b\n\n      c: |\n        text\n"
        );
        assert_eq!(reindent(&reindent(block, 2, 6), 6, 2), block);
    }

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(scalar("dask"), "dask");
        assert_eq!(scalar("$(DASK_WORKER_NAME)"), "$(DASK_WORKER_NAME)");
        assert_eq!(scalar("--name"), "--name");
        for quoted in [
            "4", "true", "null", "", "a: b", "- x", "-", "yes", "#x", "a #b",
        ] {
            assert!(scalar(quoted).starts_with('"'), "{quoted}");
        }
    }
}
