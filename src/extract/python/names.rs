//! Names in one Python file: what each imported name stands for, which variables hold an
//! instance of a known class, and how an expression resolves to a qualified name through
//! them.
//!
//! Flow-insensitive by design: a binding anywhere in the file holds everywhere in it, so
//! `import dask` inside a function still resolves `dask.config.set` at module level. That is
//! wrong only for code that rebinds an imported name, which classic Dask code does not do.

use super::literal::{node_text, unparenthesize};
use crate::extract::model::{Construct, Fact};
use crate::source::TextRange;
use crate::source::python::{Field, FieldChild as _, KindName as _};
use foldhash::HashMap;
use tree_sitter::Node;

/// Local names → the qualified names they stand for.
#[derive(Debug, Default)]
pub(super) struct Names {
    /// `import a.b` binds `a` → `a`; `import a.b as x` binds `x` → `a.b`;
    /// `from a import b as c` binds `c` → `a.b`.
    imports: HashMap<String, String>,
    /// `cluster = KubeCluster()` binds `cluster` → `dask_kubernetes.KubeCluster`; attribute
    /// targets such as `self.cluster` are keyed by their dotted text.
    instances: HashMap<String, String>,
    /// The most segments of any instance key, so resolving a long chain tries only the
    /// prefixes that could be a key (a 10,000-link chain must not cost 10,000 joins).
    instance_depth: usize,
}

impl Names {
    /// Record an `import` or `from … import` statement and give the `PyName` constructs of
    /// the names it imports. Relative, star and `__future__` imports bind and give nothing.
    pub(super) fn import<'a>(&mut self, node: Node<'_>, text: &str, out: &mut Vec<Construct<'a>>) {
        let module = match node.kind_name() {
            "import_statement" => None,
            "import_from_statement" => {
                let Some(module) = node.field(Field::ModuleName) else {
                    return;
                };
                if module.kind_name() != "dotted_name" {
                    return; // `from . import x`, `from .a import x`
                }
                Some(dotted(module, text))
            }
            _ => return,
        };
        let mut cursor = node.walk();
        for name in node.fields(Field::Name, &mut cursor) {
            let (target, alias) = match name.kind_name() {
                "dotted_name" => (name, None),
                "aliased_import" => {
                    let (Some(target), Some(alias)) =
                        (name.field(Field::Name), name.field(Field::Alias))
                    else {
                        continue;
                    };
                    (target, Some(node_text(alias, text)))
                }
                _ => continue,
            };
            let imported = dotted(target, text);
            if imported.is_empty() {
                continue;
            }
            let qualified = match &module {
                Some(module) => format!("{module}.{imported}"),
                None => imported.clone(),
            };
            let local = match (alias, &module) {
                (Some(alias), _) => (alias.to_owned(), qualified.clone()),
                // `from a import b` binds `b`.
                (None, Some(_)) => (last_segment(&imported).to_owned(), qualified.clone()),
                // `import a.b.c` binds only `a`, to the module `a`.
                (None, None) => {
                    let root = first_segment(&imported).to_owned();
                    (root.clone(), root)
                }
            };
            self.imports.insert(local.0, local.1);
            out.push(Construct {
                range: range_of(target),
                fact: Fact::PyName { qualified },
            });
        }
    }

    /// Record that the variable `key` holds an instance of `class`.
    pub(super) fn bind_instance(&mut self, key: String, class: String) {
        self.instance_depth = self.instance_depth.max(key.split('.').count());
        self.instances.insert(key, class);
    }

    /// Whether `name` was bound by an import.
    pub(super) fn is_imported(&self, name: &str) -> bool {
        self.imports.contains_key(name)
    }

    /// The qualified name of a chain of identifiers (`a.b.c` as `["a", "b", "c"]`): through
    /// the import of its first segment, else through the longest prefix that holds an
    /// instance, followed by at least one attribute (`cluster.adapt` → `Class.adapt`).
    pub(super) fn resolve(&self, segments: &[&str]) -> Option<String> {
        let (first, rest) = segments.split_first()?;
        if let Some(qualified) = self.imports.get(*first) {
            return Some(join(qualified, rest));
        }
        let longest = self.instance_depth.min(segments.len() - 1);
        (1..=longest).rev().find_map(|split| {
            let key = segments[..split].join(".");
            self.instances
                .get(&key)
                .map(|class| join(class, &segments[split..]))
        })
    }

    /// The qualified name an expression stands for: an identifier or attribute chain resolved
    /// by [`Names::resolve`], or attributes of a call that builds a known class
    /// (`KubeCluster(...).adapt` with `built` holding the inner call's callee).
    pub(super) fn resolve_expr(
        &self,
        node: Node<'_>,
        text: &str,
        built: &HashMap<usize, String>,
    ) -> Option<String> {
        let mut attributes = Vec::new();
        let mut node = node;
        // A loop, not recursion: chains and wrappers nest as deep as the input says.
        loop {
            match node.kind_name() {
                "attribute" => {
                    attributes.push(node_text(node.field(Field::Attribute)?, text));
                    node = node.field(Field::Object)?;
                }
                "identifier" => {
                    attributes.push(node_text(node, text));
                    attributes.reverse();
                    return self.resolve(&attributes);
                }
                "call" if !attributes.is_empty() => {
                    let class = built.get(&node.id()).and_then(|c| built_class(c))?;
                    attributes.reverse();
                    return Some(join(&class, &attributes));
                }
                "parenthesized_expression" if !attributes.is_empty() => {
                    node = unparenthesize(node);
                    if node.kind_name() == "parenthesized_expression" {
                        return None; // `()`: nothing inside
                    }
                }
                "await" if !attributes.is_empty() => {
                    node = awaited(node)?;
                }
                _ => return None,
            }
        }
    }
}

/// The identifiers of a chain `a.b.c` rooted at a plain identifier, outermost last; `None`
/// for anything else (a call, a subscript, parentheses) in the chain.
pub(super) fn chain<'t>(node: Node<'_>, text: &'t str) -> Option<Vec<&'t str>> {
    let mut segments = Vec::new();
    let mut node = node;
    loop {
        match node.kind_name() {
            "attribute" => {
                segments.push(node_text(node.field(Field::Attribute)?, text));
                node = node.field(Field::Object)?;
            }
            "identifier" => {
                segments.push(node_text(node, text));
                segments.reverse();
                return Some(segments);
            }
            _ => return None,
        }
    }
}

/// The class a call to `callee` builds: a class-like name (`KubeCluster(...)`), or the class
/// of a `from_*` constructor (`KubeCluster.from_yaml(...)`). Functions build nothing we know.
pub(super) fn built_class(callee: &str) -> Option<String> {
    let (owner, last) = callee.rsplit_once('.').unwrap_or(("", callee));
    if last.starts_with("from_") && is_class_like(last_segment(owner)) {
        return Some(owner.to_owned());
    }
    is_class_like(last).then(|| callee.to_owned())
}

/// Python convention: classes are CapWords, functions and modules lower case.
fn is_class_like(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// The expression under `await`, if any.
pub(super) fn awaited(node: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .find(|child| !child.is_extra())
}

/// The text of a `dotted_name`, without any whitespace or comments between its parts.
fn dotted(node: Node<'_>, text: &str) -> String {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|part| part.kind_name() == "identifier")
        .map(|part| node_text(part, text))
        .collect::<Vec<_>>()
        .join(".")
}

fn join(head: &str, rest: &[&str]) -> String {
    let mut out = head.to_owned();
    for segment in rest {
        out.push('.');
        out.push_str(segment);
    }
    out
}

fn first_segment(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

pub(super) fn range_of(node: Node<'_>) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}
