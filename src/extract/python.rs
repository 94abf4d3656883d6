//! Python front-end: a tree-sitter tree → constructs.
//!
//! Takes the text and its [`PyDocument`]; gives, with byte ranges into the text:
//! - `PyName` for every imported name (at the name as written) and for every attribute
//!   chain rooted at an imported name (`dask_kubernetes.classic.KubeCluster`, outermost chain
//!   only);
//! - `PyCall` for every call whose callee resolves through imports, or through a variable
//!   holding an instance of a known class (`cluster.adapt()` →
//!   `dask_kubernetes.KubeCluster.adapt`), with its keywords and positional arguments;
//! - `ConfigKey` for keys set by `dask.config.set` and for `DASK_…` environment variables;
//! - `PyString` for string literals whose value is a dotted name, and command `Word`s of
//!   strings and of lists of strings that are commands ([`shell`]: in an `args=`/`command=`
//!   keyword, a container dict's `args`/`command`, a `subprocess`-style call, or a command line
//!   by itself), never of a label value, a container name or a port name.
//!
//! One iterative walk with a tree cursor collects what matters, then resolution runs over the
//! collected nodes: nesting depth is input-controlled, so nothing here recurses over the tree.
//! Comments and docstrings never give facts; syntax errors only hide what they cover, as
//! tree-sitter keeps the valid parts of a broken file. Never reads files, never runs code.

use crate::source::python::{Field, FieldChild as _, KindName as _, PyDocument};
mod config;
mod literal;
pub mod make_pod_spec;
mod names;
mod shell;

use super::command::{self, Piece};
use super::model::{Construct, Fact, Keyword};
use crate::source::TextRange;
use foldhash::{HashMap, HashMapExt, HashSet};
use literal::{is_dotted_name, is_plain_string, literal, node_text, string_value, unparenthesize};
use names::{Names, awaited, built_class, chain, range_of};
use tree_sitter::Node;

/// Every construct of a Python source, in source order.
pub fn constructs<'a>(text: &'a str, doc: &PyDocument) -> Vec<Construct<'a>> {
    analyse(text, doc, usize::MAX)
        .constructs
        .unwrap_or_default()
}

/// What one walk of a Python tree gives.
pub struct Analysis<'a> {
    /// Every construct, in source order; `None` when the tree nests deeper than the limit
    /// given to [`analyse`] (nothing is resolved then).
    pub constructs: Option<Vec<Construct<'a>>>,
    /// The ranges of the `#` comments met (all of them, unless the walk stopped early).
    pub comments: Vec<TextRange>,
}

/// Constructs and comments in one walk of the tree, which stops as soon as it goes deeper
/// than `max_depth` (the walk is the per-file cost that matters: one, not one per question).
pub fn analyse<'a>(text: &'a str, doc: &PyDocument, max_depth: usize) -> Analysis<'a> {
    let mut out = Vec::new();
    let mut found = Found::default();
    let mut comments = Vec::new();
    if !walk(text, doc, max_depth, &mut found, &mut comments, &mut out) {
        return Analysis {
            constructs: None,
            comments,
        };
    }
    attribute_chains(&found, text, &mut out);
    calls(&mut found, text, &mut out);
    strings(&found, text, &mut out);
    // Error recovery can end a node inside a multi-byte character (`"…"é…`): such a range
    // can be neither shown nor edited, and nothing real is found there.
    out.retain(|c| text.get(c.range.as_range()).is_some());
    out.sort_by_key(|c| (c.range.start, c.range.end));
    Analysis {
        constructs: Some(out),
        comments,
    }
}

/// What the walk collects for the resolution steps.
#[derive(Default)]
struct Found<'t> {
    names: Names,
    /// Outermost attribute chains.
    chains: Vec<Node<'t>>,
    /// Every call, in pre-order (so a call's inner calls come after it).
    calls: Vec<Node<'t>>,
    /// String literals that are not docstrings nor parts of a concatenation.
    strings: Vec<Node<'t>>,
    /// Lists and tuples whose first item is a plain string: command lines.
    command_lists: Vec<Node<'t>>,
    /// Strings that are items of a command list (their words come from the list).
    list_items: HashSet<usize>,
    /// Variables assigned from an expression: (`cluster` or `self.cluster`, the expression).
    targets: Vec<(String, Node<'t>)>,
    /// Nodes that must not be collected again: inner attributes of a chain, parts of a
    /// concatenated string, docstrings.
    skip: HashSet<usize>,
    /// `os.environ["DASK_X"] = value`: the subscript's id → the assigned value.
    assigned: HashMap<usize, Node<'t>>,
    /// The parent of every node [`shell::in_command_context`] walks up from or through,
    /// recorded by the walk: tree-sitter's `Node::parent` searches down from the root, so
    /// calling it for every string of a long module is quadratic.
    parents: HashMap<usize, Node<'t>>,
}

/// Pre-order walk of the whole tree, ERROR nodes included, with a cursor (no recursion).
/// Collects comments on the way; `false` (and an early stop) past `max_depth` levels.
fn walk<'t>(
    text: &str,
    doc: &'t PyDocument,
    max_depth: usize,
    found: &mut Found<'t>,
    comments: &mut Vec<TextRange>,
    out: &mut Vec<Construct<'_>>,
) -> bool {
    let mut cursor = doc.tree.walk();
    // The ancestors of the cursor's node, innermost last (its length is the depth).
    let mut ancestors: Vec<Node<'t>> = Vec::new();
    loop {
        let node = cursor.node();
        // Asked once per node: a kind is a lookup of the node's symbol.
        let kind = node.kind_name();
        if kind == "comment" {
            comments.push(range_of(node));
        } else {
            if shell::WALKS_UP_FROM.contains(&kind)
                && let Some(&parent) = ancestors.last()
            {
                found.parents.insert(node.id(), parent);
            }
            visit(node, kind, text, found, out);
        }
        if !crate::source::python::holds_no_code(node, kind, text) && cursor.goto_first_child() {
            ancestors.push(node);
            if ancestors.len() > max_depth {
                return false;
            }
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return true;
            }
            ancestors.pop();
        }
    }
}

fn visit<'t>(
    node: Node<'t>,
    kind: &str,
    text: &str,
    found: &mut Found<'t>,
    out: &mut Vec<Construct<'_>>,
) {
    match kind {
        "import_statement" | "import_from_statement" => found.names.import(node, text, out),
        "attribute" => {
            if !found.skip.contains(&node.id()) {
                found.chains.push(node);
            }
            if let Some(object) = node.field(Field::Object)
                && object.kind_name() == "attribute"
            {
                found.skip.insert(object.id());
            }
        }
        "call" => found.calls.push(node),
        "expression_statement" => {
            let mut items = items(node);
            if let (Some(only), None) = (items.next(), items.next())
                && matches!(only.kind_name(), "string" | "concatenated_string")
            {
                found.skip.insert(only.id()); // a docstring, or a string used as a comment
            }
        }
        "concatenated_string" => {
            for part in items(node) {
                found.skip.insert(part.id());
            }
            if !found.skip.contains(&node.id()) {
                found.strings.push(node);
            }
        }
        "string" if !found.skip.contains(&node.id()) => found.strings.push(node),
        "list" | "tuple" if is_command_list(node, text) => {
            found.command_lists.push(node);
            for item in items(node) {
                found.list_items.insert(item.id());
            }
        }
        "dictionary" => config::env_dict(node, text, out),
        "subscript" => {
            if let Some(index) = node.field(Field::Subscript) {
                let value = found.assigned.get(&node.id()).copied();
                config::env_string(index, value, text, out);
            }
        }
        "assignment" => assignment(node, text, found),
        "as_pattern" => {
            let target = node
                .field(Field::Alias)
                .and_then(|alias| items(alias).next());
            if let (Some(value), Some(target)) = (items(node).next(), target) {
                add_target(target, value, text, found);
            }
        }
        "named_expression" => {
            if let (Some(name), Some(value)) = (node.field(Field::Name), node.field(Field::Value)) {
                add_target(name, value, text, found);
            }
        }
        _ => {}
    }
}

/// A list or tuple whose first item is a plain string reads as one command line.
fn is_command_list(node: Node<'_>, text: &str) -> bool {
    items(node)
        .next()
        .is_some_and(|first| is_plain_string(first, text))
}

/// `a = b = value`, `x: T = value`, `os.environ["DASK_X"] = value`.
fn assignment<'t>(node: Node<'t>, text: &str, found: &mut Found<'t>) {
    let Some(left) = node.field(Field::Left) else {
        return;
    };
    // The value of a chained assignment is the right of its innermost assignment; a loop
    // rather than recursion, as chains are as long as the input says.
    let mut value = node.field(Field::Right);
    while let Some(inner) = value.filter(|v| v.kind_name() == "assignment") {
        value = inner.field(Field::Right);
    }
    let Some(value) = value else {
        return;
    };
    if left.kind_name() == "subscript" {
        found.assigned.insert(left.id(), value);
    }
    add_target(left, value, text, found);
}

fn add_target<'t>(target: Node<'t>, value: Node<'t>, text: &str, found: &mut Found<'t>) {
    if let Some(segments) = chain(target, text) {
        found.targets.push((segments.join("."), value));
    }
}

/// The named children of a node that are not comments, as they are asked for (through a
/// cursor: indexing children one by one is quadratic in a long list; and whether a list is
/// a command asks for its first item, not all of them).
fn items(node: Node<'_>) -> Items<'_> {
    Items {
        cursor: node.walk(),
        started: false,
        done: false,
    }
}

/// [`items`]' iterator.
struct Items<'t> {
    cursor: tree_sitter::TreeCursor<'t>,
    started: bool,
    done: bool,
}

impl<'t> Iterator for Items<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        while !self.done {
            let moved = if self.started {
                self.cursor.goto_next_sibling()
            } else {
                self.started = true;
                self.cursor.goto_first_child()
            };
            if !moved {
                self.done = true;
                break;
            }
            let child = self.cursor.node();
            if child.is_named() && !child.is_extra() {
                return Some(child);
            }
        }
        None
    }
}

/// A `PyName` for each outermost attribute chain rooted at an imported name.
fn attribute_chains(found: &Found<'_>, text: &str, out: &mut Vec<Construct<'_>>) {
    for &node in &found.chains {
        let Some(segments) = chain(node, text) else {
            continue;
        };
        if !found.names.is_imported(segments[0]) {
            continue;
        }
        if let Some(qualified) = found.names.resolve(&segments) {
            out.push(Construct {
                range: range_of(node),
                fact: Fact::PyName { qualified },
            });
        }
    }
}

/// `PyCall`s, and the config keys set by calls. Callees resolve in two rounds: the first
/// through imports only, which tells which variables hold instances of which class; the second
/// also through those instances.
fn calls(found: &mut Found<'_>, text: &str, out: &mut Vec<Construct<'_>>) {
    let first = resolve_calls(found, text);
    for (key, value) in &found.targets {
        let value = unwrap_value(*value);
        if value.kind_name() == "call"
            && let Some(class) = first.get(&value.id()).and_then(|c| built_class(c))
        {
            found.names.bind_instance(key.clone(), class);
        }
    }
    let callees = resolve_calls(found, text);
    for &call in &found.calls {
        let Some(callee) = callees.get(&call.id()) else {
            continue;
        };
        if callee == config::CONFIG_SET {
            config::config_set(call, text, out);
        } else if config::ENV_SETTERS.contains(&callee.as_str()) {
            let (variable, value) = config::first_two_positional(call);
            if let Some(variable) = variable {
                config::env_string(variable, value, text, out);
            }
        }
        let (keywords, positional) = arguments(call, text);
        out.push(Construct {
            range: range_of(call),
            fact: Fact::PyCall {
                callee: callee.clone(),
                keywords,
                positional,
            },
        });
    }
}

/// The callee of every call that resolves. Calls are visited innermost first (reverse
/// pre-order), so `KubeCluster(...).adapt()` finds its inner call already resolved.
fn resolve_calls(found: &Found<'_>, text: &str) -> HashMap<usize, String> {
    let mut callees = HashMap::new();
    for &call in found.calls.iter().rev() {
        let Some(function) = call.field(Field::Function) else {
            continue;
        };
        if let Some(callee) = found.names.resolve_expr(function, text, &callees) {
            callees.insert(call.id(), callee);
        }
    }
    callees
}

/// An assigned expression without parentheses and `await`, which do not change what it is.
fn unwrap_value(mut node: Node<'_>) -> Node<'_> {
    loop {
        let inner = match node.kind_name() {
            "parenthesized_expression" => unparenthesize(node),
            "await" => awaited(node).unwrap_or(node),
            _ => return node,
        };
        if inner == node {
            return node;
        }
        node = inner;
    }
}

/// The keyword and positional arguments of a call; `**kwargs` is neither.
fn arguments(call: Node<'_>, text: &str) -> (Vec<Keyword>, Vec<TextRange>) {
    let mut keywords = Vec::new();
    let mut positional = Vec::new();
    let Some(arguments) = call.field(Field::Arguments) else {
        return (keywords, positional);
    };
    if arguments.kind_name() == "generator_expression" {
        return (keywords, vec![range_of(arguments)]);
    }
    for argument in items(arguments) {
        match argument.kind_name() {
            "keyword_argument" => {
                let (Some(name), Some(value)) =
                    (argument.field(Field::Name), argument.field(Field::Value))
                else {
                    continue;
                };
                keywords.push(Keyword {
                    name: node_text(name, text).to_owned(),
                    range: range_of(argument),
                    value: literal(value, text),
                });
            }
            "dictionary_splat" => {}
            _ => positional.push(range_of(argument)),
        }
    }
    (keywords, positional)
}

/// The command words of a notebook's `!` shell lines (`source::notebook`: `ranges` are the
/// commands' ranges in the joined cells `text`, where the `!` became `#`).
pub fn notebook_shell<'a>(text: &str, ranges: &[TextRange]) -> Vec<Construct<'a>> {
    let mut out = Vec::new();
    for &range in ranges {
        let Some(value) = text.get(range.as_range()) else {
            continue;
        };
        let piece = Piece {
            value,
            range,
            source: text,
        };
        out.extend(command::constructs(&[piece]));
    }
    out
}

/// `PyString`s and the command words of strings and of command lists.
fn strings(found: &Found<'_>, text: &str, out: &mut Vec<Construct<'_>>) {
    for &node in &found.strings {
        let Some(value) = string_value(node, text) else {
            continue; // interpolated: its value is not known
        };
        let range = range_of(node);
        if is_dotted_name(&value) {
            out.push(Construct {
                range,
                fact: Fact::PyString {
                    value: value.clone(),
                },
            });
        }
        if !found.list_items.contains(&node.id())
            && (shell::in_command_context(node, text, &found.parents)
                || shell::reads_as_command(value.split_whitespace().map(Some)))
        {
            let piece = Piece {
                value: &value,
                range,
                source: text,
            };
            out.extend(command::constructs(&[piece]));
        }
    }
    for &list in &found.command_lists {
        let literal: Vec<(Option<String>, TextRange)> = items(list)
            .map(|item| (string_value(item, text), range_of(item)))
            .collect();
        // A list of names (`["dask-scheduler", "dask-worker"]`) is not a command line.
        if !shell::in_command_context(list, text, &found.parents)
            && !shell::reads_as_command(literal.iter().map(|(v, _)| v.as_deref()))
        {
            continue;
        }
        let values: Vec<(String, TextRange)> = literal
            .into_iter()
            // Anything but a plain string (a variable, an f-string) is one opaque word
            // that is neither a program nor a flag.
            .map(|(value, range)| (value.unwrap_or_else(|| OPAQUE.to_owned()), range))
            .collect();
        let pieces: Vec<Piece<'_>> = values
            .iter()
            .map(|(value, range)| Piece {
                value,
                range: *range,
                source: text,
            })
            .collect();
        out.extend(command::constructs(&pieces));
    }
}

/// The word a non-literal item of a command list stands for.
const OPAQUE: &str = "<expr>";

#[cfg(test)]
mod tests;
