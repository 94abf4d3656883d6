//! Text-level Python editing for rewriters, on tree-sitter byte ranges: find the node a
//! finding points at, remove an argument or an imported name with its comma, move a name to
//! another module, put a comment above a statement.
//!
//! Every function gives [`Edit`]s on the original text; nothing is re-printed, so formatting
//! and comments elsewhere stay. Walks only upwards (parents), never over the whole tree.

use crate::source::TextRange;
use crate::source::edit::{Edit, TakenItem};
use crate::source::python::{Field, FieldChild as _, KindName as _, PyDocument};
use tree_sitter::Node;

pub fn range(node: Node<'_>) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

pub fn text_of<'a>(text: &'a str, node: Node<'_>) -> &'a str {
    text.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// The outermost node covering exactly `range`, or else the innermost covering it.
pub fn node_at(doc: &PyDocument, range: TextRange) -> Option<Node<'_>> {
    let mut node = doc
        .tree
        .root_node()
        .descendant_for_byte_range(range.start(), range.end())?;
    // Climb to the outermost expression with exactly this range, but not to the statement
    // or module around it: a bare `KubeCluster(…)` line is a call, not an
    // `expression_statement`, to the rewriters.
    while let Some(parent) = node.parent() {
        if parent.start_byte() == range.start()
            && parent.end_byte() == range.end()
            && !matches!(parent.kind_name(), "expression_statement" | "module")
        {
            node = parent;
        } else {
            break;
        }
    }
    Some(node)
}

/// Where one name of the file is read: every `identifier` spelled so that is not an
/// attribute's name (`x.name`) or a part of a dotted module path, in document order, with
/// its range and 0-based row.
pub type NameUses = std::rc::Rc<Vec<(TextRange, usize)>>;

/// [`NameUses`] of `name` in the pass's parsed Python (none for YAML), kept in the pass's
/// memo. Rewriters ask about a few imported and assigned names per pass (is the name still
/// used?): each is found from its occurrences in the text ([`identifiers_named`]), not by a
/// walk of every node of the tree for every name (#13).
pub fn name_uses(cx: &crate::migrate::Context<'_>, name: &str) -> NameUses {
    cx.memo.per_name("python name uses", name, || {
        cx.python()
            .map(|doc| find_name_uses(cx.text, doc, name, LOOKUPS_UP_TO))
            .unwrap_or_default()
    })
}

/// [`NameUses`] of `name` in `doc` (see [`identifiers_named_up_to`] for `lookups_up_to`).
fn find_name_uses(
    text: &str,
    doc: &PyDocument,
    name: &str,
    lookups_up_to: usize,
) -> Vec<(TextRange, usize)> {
    identifiers_named_up_to(text, doc, name, lookups_up_to)
        .into_iter()
        .filter(|node| is_read(*node))
        .map(|node| (range(node), node.start_position().row))
        .collect()
}

/// Every `identifier` node spelled `name`, in document order: looked up at each occurrence
/// of its bytes in `text` (overlapping ones too) that no name character follows, rather
/// than found by a walk of every node of the tree. A lookup descends from the root past
/// the statements before the occurrence, so a name met more than [`LOOKUPS_UP_TO`] times (a
/// one-letter variable of a long notebook) is found by one walk instead: a name asked costs
/// at most the walk that indexed every name before (#13).
pub fn identifiers_named<'t>(text: &str, doc: &'t PyDocument, name: &str) -> Vec<Node<'t>> {
    identifiers_named_up_to(text, doc, name, LOOKUPS_UP_TO)
}

/// How many occurrences of a name are looked up one by one (see [`identifiers_named`]).
const LOOKUPS_UP_TO: usize = 64;

/// [`identifiers_named`], by a walk past `lookups_up_to` occurrences.
fn identifiers_named_up_to<'t>(
    text: &str,
    doc: &'t PyDocument,
    name: &str,
    lookups_up_to: usize,
) -> Vec<Node<'t>> {
    if name.is_empty() {
        return Vec::new();
    }
    // Each occurrence, overlapping ones too (`aa` twice in `aaa`), that no name character
    // follows: one that is followed is part of a longer name.
    let bytes = text.as_bytes();
    let finder = memchr::memmem::Finder::new(name);
    let mut candidates = Vec::new();
    let mut from = 0;
    while let Some(found) = finder.find(&bytes[from..]) {
        let start = from + found;
        from = start + 1;
        let next = bytes.get(start + name.len());
        if next.is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_')) {
            candidates.push(start);
        }
    }
    let spelled = |n: &Node<'_>| n.kind_name() == "identifier" && text_of(text, *n) == name;
    if candidates.len() > lookups_up_to {
        let mut found = Vec::new();
        crate::source::python::each_node(&doc.tree, |n| {
            if spelled(&n) {
                found.push(n);
            }
        });
        return found;
    }
    let root = doc.tree.root_node();
    candidates
        .into_iter()
        .filter_map(|start| root.named_descendant_for_byte_range(start, start + name.len()))
        .filter(|n| spelled(n))
        .collect()
}

/// Whether an `identifier` is a name read, not an attribute's name or a module path's part.
fn is_read(identifier: Node<'_>) -> bool {
    !identifier.parent().is_some_and(|p| {
        (p.kind_name() == "attribute" && p.field(Field::Attribute) == Some(identifier))
            || p.kind_name() == "dotted_name"
    })
}

/// The file's top-level statements (a module's named children, comments excluded) by kind,
/// in document order. One walk per pass, kept in the pass's memo: a rewriter that looks for
/// the file's imports per finding walked every statement of the module, so a file of N
/// findings cost N × its statements.
pub type TopLevel = std::rc::Rc<foldhash::HashMap<String, Vec<TextRange>>>;

/// [`TopLevel`] of the pass's parsed Python (empty for YAML).
fn top_level(cx: &crate::migrate::Context<'_>) -> TopLevel {
    cx.memo.verdict("python top-level statements", || {
        let mut by_kind: foldhash::HashMap<String, Vec<TextRange>> = foldhash::HashMap::default();
        if let Some(doc) = cx.python() {
            for stmt in items(doc.tree.root_node()) {
                by_kind
                    .entry(stmt.kind_name().to_owned())
                    .or_default()
                    .push(range(stmt));
            }
        }
        std::rc::Rc::new(by_kind)
    })
}

/// The top-level statements of `kind` in the pass's parsed Python, in document order: what
/// `items(root)` filtered by kind gives, without a walk over every statement per call.
pub fn top_level_of<'t>(
    cx: &crate::migrate::Context<'_>,
    doc: &'t PyDocument,
    kind: &str,
) -> Vec<Node<'t>> {
    let top = top_level(cx);
    let Some(ranges) = top.get(kind) else {
        return Vec::new();
    };
    ranges
        .iter()
        .filter_map(|r| top_level_at(doc, *r, kind))
        .collect()
}

/// The top-level statement of `kind` at exactly `at`. tree-sitter keeps long statement
/// lists as balanced hidden nodes: a cursor reaches the statement at a byte without
/// visiting the ones before it.
fn top_level_at<'t>(doc: &'t PyDocument, at: TextRange, kind: &str) -> Option<Node<'t>> {
    let mut cursor = doc.tree.walk();
    cursor.goto_first_child_for_byte(at.start())?;
    while cursor.node().start_byte() < at.start() {
        if !cursor.goto_next_sibling() {
            return None;
        }
    }
    let node = cursor.node();
    (node.kind_name() == kind && range(node) == at).then_some(node)
}

/// Whether a name's uses (`at`, its [`NameUses`]) have one outside every range of
/// `except`: binary searches in the uses' document order, not a walk of the file.
pub fn used_outside(at: &[(TextRange, usize)], except: &[TextRange]) -> bool {
    // The uses inside each excepted range are one run of `at`; merged, they cover the
    // uses inside any of them.
    let mut runs: Vec<(usize, usize)> = except
        .iter()
        .map(|e| {
            let lo = at.partition_point(|(r, _)| r.start() < e.start());
            let hi = lo + at[lo..].partition_point(|(r, _)| r.end() <= e.end());
            (lo, hi)
        })
        .collect();
    runs.sort_unstable();
    let mut inside = 0;
    let mut covered = 0;
    for (lo, hi) in runs {
        let lo = lo.max(covered);
        if hi > lo {
            inside += hi - lo;
            covered = hi;
        }
    }
    inside < at.len()
}

/// The nearest ancestor (or `node` itself) of one of `kinds`.
pub fn ancestor<'t>(node: Node<'t>, kinds: &[&str]) -> Option<Node<'t>> {
    let mut n = node;
    loop {
        if kinds.contains(&n.kind_name()) {
            return Some(n);
        }
        n = n.parent()?;
    }
}

/// The statement holding `node`: the ancestor whose parent is a module or a block.
pub fn statement_of(node: Node<'_>) -> Node<'_> {
    let mut n = node;
    while let Some(parent) = n.parent() {
        if matches!(parent.kind_name(), "module" | "block") {
            return n;
        }
        n = parent;
    }
    n
}

/// The named children of a list-like node (arguments, imported names), comments excluded.
pub fn items(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind_name() != "comment")
        .collect()
}

/// The range that removes `items[index]` from a comma-separated list with one comma.
pub fn remove_from_list(items: &[Node<'_>], index: usize) -> Option<TextRange> {
    let item = items.get(index)?;
    Some(
        match (index.checked_sub(1).map(|p| items[p]), items.get(index + 1)) {
            (_, Some(next)) => TextRange::new(item.start_byte(), next.start_byte()),
            (Some(prev), None) => TextRange::new(prev.end_byte(), item.end_byte()),
            (None, None) => range(*item),
        },
    )
}

/// The end of the line holding `at`, before its line break. Inserting there (with a leading
/// newline) stays inside a notebook cell even on the cell's last line.
pub fn line_end(text: &str, at: usize) -> usize {
    text[at.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| at + i)
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].rfind('\n').map_or(0, |i| i + 1)
}

/// The indentation of the line holding `at`.
pub fn indent_at(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// An edit putting `# comment` on its own line above the statement holding `node`.
pub fn comment_above(text: &str, node: Node<'_>, comment: &str) -> Edit {
    let stmt = statement_of(node);
    let at = line_start(text, stmt.start_byte());
    let indent = indent_at(text, stmt.start_byte());
    let one_line: String = comment.split_whitespace().collect::<Vec<_>>().join(" ");
    Edit::insert(at, format!("{indent}# {one_line}\n"))
}

/// Source text shown in a comment: one line, at most 60 characters.
pub fn shorten(source: &str) -> String {
    let one_line = source.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 60 {
        one_line
    } else {
        format!("{}…", one_line.chars().take(59).collect::<String>())
    }
}

/// Edits that import the name at `range` (in a `from … import …`) from `module` instead,
/// as `new_name` when given (an alias stays). A statement importing only that name is
/// rewritten in place; otherwise the name leaves the list and a new statement follows.
///
/// An earlier top-level `from <module> import …` inside `within` (a notebook's cell; the
/// whole file when `None`) is joined instead. Only an earlier one in the same cell: a later
/// one would bind the name after its first use, and one per cell would draw every cell's
/// import into the first cell, one name per pass. A name it imports already just leaves.
pub fn move_import(
    text: &str,
    doc: &PyDocument,
    range: TextRange,
    within: Option<TextRange>,
    module: &str,
    new_name: Option<&str>,
) -> Option<Vec<Edit>> {
    let node = node_at(doc, range)?;
    let stmt = ancestor(node, &["import_from_statement"])?;
    let module_node = stmt.field(Field::ModuleName)?;
    let names = imported_names(stmt);
    let index = names
        .iter()
        .position(|n| n.start_byte() <= range.start() && range.end() <= n.end_byte())?;
    let target = names[index];
    let (name_node, alias) = match target.kind_name() {
        "aliased_import" => (
            target.field(Field::Name)?,
            target.field(Field::Alias).map(|a| text_of(text, a)),
        ),
        _ => (target, None),
    };
    let name = new_name.unwrap_or(text_of(text, name_node));
    let alias = alias.map(|a| format!(" as {a}")).unwrap_or_default();
    // Join an existing `from <module> import …` of the module, if there is one.
    let within = within.unwrap_or(TextRange::new(0, text.len()));
    if let Some(existing) = existing_import(text, doc, module, within, stmt.start_byte()) {
        let joined = imported_names(existing);
        let last = joined.last()?;
        let removal = if names.len() == 1 {
            statement_removal(text, stmt)
        } else {
            remove_from_list(&names, index)?
        };
        let wanted = format!("{name}{alias}");
        let there = joined.iter().any(|n| {
            text_of(text, *n)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                == wanted
        });
        if there {
            return Some(vec![Edit::delete(removal)]);
        }
        return Some(vec![
            Edit::delete(removal),
            Edit::insert(last.end_byte(), format!(", {wanted}")),
        ]);
    }
    if names.len() == 1 {
        let mut edits = vec![Edit::replace(range_of(module_node), module)];
        if new_name.is_some() {
            edits.push(Edit::replace(range_of(name_node), name));
        }
        return Some(edits);
    }
    let indent = indent_at(text, stmt.start_byte());
    Some(vec![
        Edit::delete(remove_from_list(&names, index)?),
        Edit::insert(
            line_end(text, stmt.end_byte()),
            format!("\n{indent}from {module} import {name}{alias}"),
        ),
    ])
}

/// The imported name at `range` and its `from … import` statement, for a fix that takes
/// the name out of the statement ([`crate::source::edit::Fix::taking`]).
pub fn taken_name(doc: &PyDocument, range: TextRange) -> Option<TakenItem> {
    let stmt = ancestor(node_at(doc, range)?, &["import_from_statement"])?;
    let name = imported_names(stmt)
        .into_iter()
        .find(|n| n.start_byte() <= range.start() && range.end() <= n.end_byte())?;
    Some(TakenItem {
        list: self::range(stmt),
        item: self::range(name),
    })
}

/// A keyword argument and its argument list, for a fix that takes it out of the call.
pub fn taken_argument(keyword: Node<'_>) -> Option<TakenItem> {
    let args = keyword
        .parent()
        .filter(|p| p.kind_name() == "argument_list")?;
    Some(TakenItem {
        list: range(args),
        item: range(keyword),
    })
}

/// The names (each with its alias) a `from … import` statement imports.
pub fn imported_names(stmt: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = stmt.walk();
    stmt.fields(Field::Name, &mut cursor).collect()
}

/// The edits taking the items at `taken` out of the list at `list` together: a `from …
/// import` statement's names, a call's arguments. Each run of adjacent items goes with one
/// of its commas; with no item left, a statement goes with its lines and an argument list
/// keeps its parentheses. What [`remove_from_list`] does for one item, for several without
/// overlapping edits. `None` when a range is not an item of that list.
pub fn remove_items(
    text: &str,
    doc: &PyDocument,
    list: TextRange,
    taken: &[TextRange],
) -> Option<Vec<Edit>> {
    let node = doc
        .tree
        .root_node()
        .descendant_for_byte_range(list.start(), list.end())?;
    let node = std::iter::successors(Some(node), |n| n.parent())
        .take_while(|n| range(*n) == list)
        .find(|n| matches!(n.kind_name(), "import_from_statement" | "argument_list"))?;
    let statement = node.kind_name() == "import_from_statement";
    let names = if statement {
        imported_names(node)
    } else {
        items(node)
    };
    let gone: Vec<bool> = names.iter().map(|n| taken.contains(&range(*n))).collect();
    if gone.iter().filter(|g| **g).count() != taken.len() {
        return None;
    }
    if gone.iter().all(|g| *g) {
        let all = match statement {
            true => statement_removal(text, node),
            false => TextRange::new(names.first()?.start_byte(), names.last()?.end_byte()),
        };
        return Some(vec![Edit::delete(all)]);
    }
    let mut edits = Vec::new();
    let mut i = 0;
    while i < names.len() {
        if !gone[i] {
            i += 1;
            continue;
        }
        let first = i;
        while i < names.len() && gone[i] {
            i += 1;
        }
        // A run before a kept item goes up to that item; a run ending the list goes from
        // the kept item before it (one exists: not every item goes).
        edits.push(Edit::delete(match names.get(i) {
            Some(next) => TextRange::new(names[first].start_byte(), next.start_byte()),
            None => TextRange::new(names[first - 1].end_byte(), names[i - 1].end_byte()),
        }));
    }
    Some(edits)
}

/// A top-level `from <module> import a, b` (no wildcard) inside `within`, before `before`.
///
/// A cursor goes to the first statement at `within`'s start (tree-sitter keeps long
/// statement lists as balanced hidden nodes, so that step skips whole subtrees) and walks on
/// from there: a notebook's joined cells are one module, and a walk over all of its
/// statements per moved import made N cells cost N² statements.
fn existing_import<'t>(
    text: &str,
    doc: &'t PyDocument,
    module: &str,
    within: TextRange,
    before: usize,
) -> Option<Node<'t>> {
    let mut cursor = doc.tree.walk();
    cursor.goto_first_child_for_byte(within.start())?;
    loop {
        let stmt = cursor.node();
        if stmt.end_byte() > before {
            return None;
        }
        if stmt.kind_name() == "import_from_statement"
            && within.start() <= stmt.start_byte()
            && stmt
                .field(Field::ModuleName)
                .is_some_and(|m| text_of(text, m) == module)
            && stmt.field(Field::Name).is_some()
        {
            return Some(stmt);
        }
        if !cursor.goto_next_sibling() {
            return None;
        }
    }
}

/// What removing a statement deletes: its whole lines, with the line break, when nothing
/// else shares them (a comment after it goes too); with the `;` joining it to the statement
/// after or before it on its line, when one does; else the statement alone.
pub fn statement_removal(text: &str, stmt: Node<'_>) -> TextRange {
    let (from, to) = (stmt.start_byte(), stmt.end_byte());
    let start = line_start(text, from);
    let end = text[to..].find('\n').map_or(text.len(), |i| to + i + 1);
    let before = &text[start..from];
    let after = text[to..end].trim_start();
    if let Some(rest) = after.strip_prefix(';') {
        // `import a; x = 1`: up to the next statement.
        let next = end - rest.trim_start().len();
        return TextRange::new(from, next.min(end));
    }
    if before.trim().is_empty() && (after.is_empty() || after.starts_with('#')) {
        return TextRange::new(start, end);
    }
    match before.trim_end().strip_suffix(';') {
        // `x = 1; import a`: from the `;`.
        Some(kept) => TextRange::new(start + kept.len(), to),
        None => range(stmt),
    }
}

fn range_of(node: Node<'_>) -> TextRange {
    range(node)
}

/// A Python string literal for `value` (double quotes, escapes as needed).
pub fn string_literal(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The value of a plain string literal node (`"…"`/`'…'` without prefixes or escapes).
pub fn plain_string(text: &str, node: Node<'_>) -> Option<String> {
    if node.kind_name() != "string" {
        return None;
    }
    let raw = text_of(text, node);
    let quote = raw.chars().next().filter(|q| matches!(q, '"' | '\''))?;
    let inner = raw.strip_prefix(quote)?.strip_suffix(quote)?;
    if inner.contains(['\\', quote]) || raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        return None;
    }
    Some(inner.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::edit::apply_edits;

    fn moved(src: &str, name: &str, module: &str, new_name: Option<&str>) -> String {
        let doc = crate::source::python::parse(src).unwrap();
        let at = src.find(name).unwrap();
        let edits = move_import(
            src,
            &doc,
            TextRange::new(at, at + name.len()),
            None,
            module,
            new_name,
        )
        .unwrap();
        apply_edits(src, &edits).unwrap()
    }

    /// `src` with the names `gone` (indices into the statement's names) taken out one at a
    /// time, each with [`remove_from_list`] on the text the one before left.
    fn one_by_one(src: &str, names: &[&str], gone: &[usize]) -> String {
        let mut text = src.to_owned();
        for &i in gone {
            let doc = crate::source::python::parse(&text).unwrap();
            let at = text.find(names[i]).unwrap();
            let stmt = ancestor(
                node_at(&doc, TextRange::new(at, at + names[i].len())).unwrap(),
                &["import_from_statement"],
            )
            .unwrap();
            let list = imported_names(stmt);
            let index = list
                .iter()
                .position(|n| text_of(&text, *n) == names[i])
                .unwrap();
            let edit = if list.len() == 1 {
                Edit::delete(statement_removal(&text, stmt))
            } else {
                Edit::delete(remove_from_list(&list, index).unwrap())
            };
            text = apply_edits(&text, &[edit]).unwrap();
        }
        text
    }

    /// Every non-empty subset of four items, as indices.
    fn subsets_of_four() -> impl Iterator<Item = Vec<usize>> {
        (1..16u32).map(|set| (0..4).filter(|i| set & (1 << i) != 0).collect())
    }

    /// `src` with the items `gone` (indices into `items`, each found by its text) of the list
    /// at `list` taken out by [`remove_items`].
    fn removed_together(
        src: &str,
        doc: &PyDocument,
        list: TextRange,
        items: &[&str],
        gone: &[usize],
    ) -> String {
        let taken: Vec<TextRange> = gone
            .iter()
            .map(|&i| {
                let at = src.find(items[i]).unwrap();
                TextRange::new(at, at + items[i].len())
            })
            .collect();
        apply_edits(src, &remove_items(src, doc, list, &taken).unwrap()).unwrap()
    }

    #[test]
    fn names_taken_together_leave_what_taking_them_one_by_one_does() {
        let names = [
            "HelmCluster",
            "KubeCluster",
            "make_pod_spec as mps",
            "objects",
        ];
        let statements = [
            format!("from dask_kubernetes import {}\n", names.join(", ")),
            format!(
                "from dask_kubernetes import (\n    {},\n)\n",
                names.join(",\n    ")
            ),
        ];
        for stmt in &statements {
            let src = format!("import os\n{stmt}x = 1\n");
            let doc = crate::source::python::parse(&src).unwrap();
            let statement = range(items(doc.tree.root_node())[1]);
            for gone in subsets_of_four() {
                let together = removed_together(&src, &doc, statement, &names, &gone);
                assert_eq!(
                    together,
                    one_by_one(&src, &names, &gone),
                    "{gone:?} of {src}"
                );
                assert!(crate::source::python::parse(&together).is_some());
            }
        }
        // A call's arguments, the same way; with every one gone the parentheses stay.
        let args = ["minimum=1", "wait_count=3", "maximum=10", "interval=\"2s\""];
        for src in [
            format!("c.adapt({})\n", args.join(", ")),
            format!("c.adapt(\n    {},\n)\n", args.join(",\n    ")),
        ] {
            let doc = crate::source::python::parse(&src).unwrap();
            let open = src.find('(').unwrap();
            let list = TextRange::new(open, src.rfind(')').unwrap() + 1);
            for gone in subsets_of_four() {
                let together = removed_together(&src, &doc, list, &args, &gone);
                let kept: Vec<&str> = (0..4)
                    .filter(|i| !gone.contains(i))
                    .map(|i| args[i])
                    .collect();
                let parsed = crate::source::python::parse(&together).unwrap();
                assert!(!parsed.tree.root_node().has_error(), "{together}");
                let call = &together[together.find('(').unwrap()..];
                let left: Vec<&str> = args.iter().copied().filter(|a| call.contains(a)).collect();
                assert_eq!(left, kept, "{gone:?} of {src}");
            }
        }
        // Every name gone: the statement's lines go.
        let src = "import os\nfrom m import a, b\nx = 1\n";
        let doc = crate::source::python::parse(src).unwrap();
        let statement = range(items(doc.tree.root_node())[1]);
        let (a, b) = (src.find("a,").unwrap(), src.find("b\n").unwrap());
        let taken = [TextRange::new(a, a + 1), TextRange::new(b, b + 1)];
        let edits = remove_items(src, &doc, statement, &taken).unwrap();
        assert_eq!(apply_edits(src, &edits).unwrap(), "import os\nx = 1\n");
        // A range that is not a name of the statement: nothing is removed.
        assert!(remove_items(src, &doc, statement, &[TextRange::new(a, a + 2)]).is_none());
    }

    #[test]
    fn a_statement_goes_with_its_lines_or_with_the_semicolon_joining_it() {
        let removed = |src: &str| {
            let doc = crate::source::python::parse(src).unwrap();
            let at = src.find("from m").unwrap();
            let name = TextRange::new(at + 14, at + 15);
            let stmt = ancestor(node_at(&doc, name).unwrap(), &["import_from_statement"]).unwrap();
            apply_edits(src, &[Edit::delete(statement_removal(src, stmt))]).unwrap()
        };
        assert_eq!(
            removed("import os\nfrom m import a  # old\nx = 1\n"),
            "import os\nx = 1\n"
        );
        assert_eq!(removed("x = 1; from m import a\ny = 2\n"), "x = 1\ny = 2\n");
        assert_eq!(removed("from m import a; x = 1\n"), "x = 1\n");
        assert_eq!(removed("from m import a ;  x = 1  # c\n"), "x = 1  # c\n");
        assert_eq!(removed("x = 1; from m import a; y = 2\n"), "x = 1; y = 2\n");
        assert_eq!(
            removed("if True:\n    from m import a\n    x = 1\n"),
            "if True:\n    x = 1\n"
        );
        assert_eq!(removed("import os\nfrom m import a"), "import os\n");
    }

    #[test]
    fn a_lone_import_moves_in_place() {
        assert_eq!(
            moved(
                "from dask_kubernetes import KubeCluster  # c\n",
                "KubeCluster",
                "dask_kubernetes.operator",
                None
            ),
            "from dask_kubernetes.operator import KubeCluster  # c\n"
        );
        assert_eq!(
            moved(
                "from dask_kubernetes import make_pod_spec as mps\n",
                "make_pod_spec",
                "dask_kubernetes.operator",
                Some("make_cluster_spec")
            ),
            "from dask_kubernetes.operator import make_cluster_spec as mps\n"
        );
    }

    #[test]
    fn one_of_several_names_gets_its_own_statement() {
        assert_eq!(
            moved(
                "    from dask_kubernetes import HelmCluster, KubeCluster  # c\nx = 1\n",
                "KubeCluster",
                "dask_kubernetes.operator",
                None
            ),
            "    from dask_kubernetes import HelmCluster  # c\n    from dask_kubernetes.operator import KubeCluster\nx = 1\n"
        );
        assert_eq!(
            moved(
                "from dask_kubernetes import KubeCluster, HelmCluster",
                "KubeCluster",
                "dask_kubernetes.operator",
                None
            ),
            "from dask_kubernetes import HelmCluster\nfrom dask_kubernetes.operator import KubeCluster"
        );
    }

    #[test]
    fn a_moved_name_joins_an_existing_import_of_the_module() {
        assert_eq!(
            moved(
                "from dask_kubernetes.operator import KubeCluster\nfrom dask_kubernetes import make_pod_spec  # c\nx = 1\n",
                "make_pod_spec",
                "dask_kubernetes.operator",
                Some("make_cluster_spec")
            ),
            "from dask_kubernetes.operator import KubeCluster, make_cluster_spec\nx = 1\n"
        );
    }

    fn moved_within(src: &str, at: usize, name: &str, within: Option<TextRange>) -> String {
        let doc = crate::source::python::parse(src).unwrap();
        let range = TextRange::new(at, at + name.len());
        let edits = move_import(src, &doc, range, within, "dask_kubernetes.operator", None);
        apply_edits(src, &edits.unwrap()).unwrap()
    }

    #[test]
    fn a_name_the_existing_import_has_just_leaves() {
        let src = "from dask_kubernetes.operator import KubeCluster\nfrom dask_kubernetes import KubeCluster\n";
        let at = src.rfind("KubeCluster").unwrap();
        assert_eq!(
            moved_within(src, at, "KubeCluster", None),
            "from dask_kubernetes.operator import KubeCluster\n"
        );
    }

    #[test]
    fn only_an_earlier_import_in_the_same_cell_is_joined() {
        // Two notebook cells, joined with a newline: cell 2's import stays in cell 2.
        let cell1 = "from dask_kubernetes.operator import KubeCluster\nc = KubeCluster()";
        let cell2 = "from dask_kubernetes import HelmCluster, KubeCluster\nd = KubeCluster()";
        let src = format!("{cell1}\n{cell2}");
        let cell = TextRange::new(cell1.len() + 1, src.len());
        let at = src.rfind("KubeCluster\n").unwrap();
        assert_eq!(
            moved_within(&src, at, "KubeCluster", Some(cell)),
            format!(
                "{cell1}\nfrom dask_kubernetes import HelmCluster\n\
                 from dask_kubernetes.operator import KubeCluster\nd = KubeCluster()"
            )
        );
        // Without the cell, the earlier import is joined.
        assert!(moved_within(&src, at, "KubeCluster", None).starts_with(cell1));
        // A later import of the module is not joined: the name would be bound too late.
        let src = "from dask_kubernetes import HelmCluster, KubeCluster\nfrom dask_kubernetes.operator import make_cluster_spec\n";
        let at = src.find("KubeCluster").unwrap();
        assert_eq!(
            moved_within(src, at, "KubeCluster", None),
            "from dask_kubernetes import HelmCluster\nfrom dask_kubernetes.operator import KubeCluster\nfrom dask_kubernetes.operator import make_cluster_spec\n"
        );
    }

    /// How often `name` is read outside the nodes `except`, by a walk of the whole tree
    /// (what `python-remove-keyword` asked per removed keyword before [`used_outside`]).
    fn uses_by_walk(src: &str, doc: &PyDocument, name: &str, except: &[Node<'_>]) -> usize {
        let mut count = 0;
        let mut cursor = doc.tree.walk();
        'walk: loop {
            let node = cursor.node();
            let inside = except
                .iter()
                .any(|e| e.start_byte() <= node.start_byte() && node.end_byte() <= e.end_byte());
            if !inside && node.kind_name() == "identifier" && text_of(src, node) == name {
                let not_a_use = node.parent().is_some_and(|p| {
                    (p.kind_name() == "attribute" && p.field(Field::Attribute) == Some(node))
                        || p.kind_name() == "dotted_name"
                });
                if !not_a_use {
                    count += 1;
                }
            }
            if !inside && cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        count
    }

    #[test]
    fn used_outside_agrees_with_a_walk_of_the_file() {
        let src = "from dask_kubernetes import KubeCluster, KubeConfig as KC\n\
                   import dask_kubernetes.classic\n\n\
                   def start(auth=KC()):\n\
                   \x20   cluster = KubeCluster(auth=[KC(context=\"prod\")], deploy_mode=\"local\")\n\
                   \x20   cluster.KubeConfig = KC\n\
                   \x20   return cluster, dask_kubernetes.classic\n";
        let doc = crate::source::python::parse(src).unwrap();
        let mut nodes = Vec::new();
        let mut cursor = doc.tree.walk();
        'walk: loop {
            nodes.push(cursor.node());
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        let names = [
            "KubeCluster",
            "KC",
            "KubeConfig",
            "cluster",
            "dask_kubernetes",
            "auth",
        ];
        let mut both = 0;
        for name in names {
            let uses = find_name_uses(src, &doc, name, LOOKUPS_UP_TO);
            for a in &nodes {
                for b in &nodes {
                    let by_walk = uses_by_walk(src, &doc, name, &[*a, *b]) > 0;
                    let except = [range(*a), range(*b)];
                    assert_eq!(
                        used_outside(&uses, &except),
                        by_walk,
                        "{name} outside {:?} and {:?}",
                        text_of(src, *a),
                        text_of(src, *b)
                    );
                    both += usize::from(by_walk);
                }
            }
        }
        // Both answers occur: the table is not all "unused".
        assert!(both > 0 && both < names.len() * nodes.len() * nodes.len());
        // An attribute's name and a module path are not uses.
        for name in ["classic", "KubeConfig"] {
            assert!(!used_outside(
                &find_name_uses(src, &doc, name, LOOKUPS_UP_TO),
                &[]
            ));
        }
    }

    /// Every name read in `doc`, by one walk of the whole tree (what [`name_uses`] was).
    fn name_uses_by_walk(
        text: &str,
        doc: &PyDocument,
    ) -> std::collections::BTreeMap<String, Vec<(TextRange, usize)>> {
        let mut uses: std::collections::BTreeMap<String, Vec<(TextRange, usize)>> =
            std::collections::BTreeMap::new();
        crate::source::python::each_node(&doc.tree, |node| {
            if node.kind_name() == "identifier" && is_read(node) {
                uses.entry(text_of(text, node).to_owned())
                    .or_default()
                    .push((range(node), node.start_position().row));
            }
        });
        uses
    }

    /// The search finds each name where a walk of the tree does, in every Python file and
    /// notebook of the fixtures and examples, and in code where a name's occurrences overlap
    /// or sit inside strings, comments, attributes and longer names.
    #[test]
    fn name_uses_are_those_a_walk_of_the_tree_finds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut codes = vec![
            "aa = 1\naaa = aa + aaa\nprint(f\"{aa}\", 'aa', aa.aa, x.aa)  # aa\n\
             import aa.aa\nfrom aa import aa as aa\nclass aaaa(aa): aa: int = aa\n\
             def f(aa=aa, *aaa, **aa_): return aa(aa)\nétaa = aa; aaé = aa\n"
                .to_owned(),
        ];
        for dir in ["fixtures", "examples"] {
            for entry in ignore::WalkBuilder::new(root.join(dir))
                .hidden(false)
                .build()
            {
                let path = entry.unwrap().into_path();
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                match path.extension().and_then(|e| e.to_str()) {
                    Some("py") => codes.push(text),
                    Some("ipynb") => codes.extend(
                        crate::source::notebook::parse(&text)
                            .ok()
                            .map(|nb| nb.python.clone()),
                    ),
                    _ => {}
                }
            }
        }
        let mut names = 0;
        for code in &codes {
            let Some(doc) = crate::source::python::parse(code) else {
                continue;
            };
            for (name, walked) in name_uses_by_walk(code, &doc) {
                // Looked up occurrence by occurrence, found by the walk taken past the
                // limit, and as rewriters ask.
                for limit in [usize::MAX, 0, LOOKUPS_UP_TO] {
                    let found = find_name_uses(code, &doc, &name, limit);
                    assert_eq!(found, walked, "{name} (limit {limit}) in {code}");
                }
                names += 1;
            }
        }
        assert!(
            codes.len() > 50 && names > 1000,
            "{} files, {names} names",
            codes.len()
        );
    }

    #[test]
    fn every_top_level_statement_is_found_at_its_range() {
        let mut src = String::from("import os  # a comment\n");
        for i in 0..300 {
            src.push_str(&format!(
                "x{i} = {i}; y{i} = x{i}\nfrom m{i} import n{i}\n# note {i}\n"
            ));
        }
        let doc = crate::source::python::parse(&src).unwrap();
        let statements = items(doc.tree.root_node());
        assert_eq!(statements.len(), 1 + 300 * 3);
        for stmt in statements {
            assert_eq!(
                top_level_at(&doc, range(stmt), stmt.kind_name()),
                Some(stmt)
            );
            assert_eq!(top_level_at(&doc, range(stmt), "class_definition"), None);
        }
        // A range that is no statement's is none.
        let at = src.find("x7 = 7").unwrap();
        assert_eq!(
            top_level_at(&doc, TextRange::new(at, at + 2), "expression_statement"),
            None
        );
    }

    #[test]
    fn plain_strings_only() {
        let src = "a = 'x.y'\nb = f'x{y}'\nc = \"q\\\"\"\n";
        let doc = crate::source::python::parse(src).unwrap();
        let strings: Vec<Option<String>> = ["'x.y'", "f'x{y}'", "\"q\\\"\""]
            .iter()
            .map(|s| {
                let at = src.find(s).unwrap();
                let node = node_at(&doc, TextRange::new(at, at + s.len())).unwrap();
                plain_string(src, node)
            })
            .collect();
        assert_eq!(strings, [Some("x.y".to_owned()), None, None]);
    }
}
