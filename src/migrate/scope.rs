//! A cheap scope check for fixed Python: which names a text uses but never binds.
//!
//! The fix loop compares the result of a fix with the text before it: a fix that leaves a
//! name unbound (an import rewritten while a call it declined still uses the old name, a
//! `dask_kubernetes.operator.KubeCluster` where only `import dask_kubernetes as dk` binds
//! anything) is rolled back. Flow-insensitive and file-wide, like the extractors: a binding
//! anywhere binds the name everywhere, so the check only ever misses a problem, never invents
//! one that was not already there before the fix.
//!
//! Also reported, as `pkg.sub`: a new attribute chain `pkg.sub.name` whose root is bound only
//! by a plain `import pkg` (or `import pkg as p`) with no `import pkg.sub` anywhere, since a
//! package does not load its submodules by being imported (`dask_kubernetes.operator` is not
//! an attribute of `dask_kubernetes` in 2026.3.0 until something imports it).

use crate::source::python::{Field, FieldChild as _, KindName as _, PyDocument};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Names Python provides without a binding.
const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "__name__",
    "__file__",
    "__doc__",
    "__builtins__",
    "__spec__",
    "__package__",
    "__loader__",
    "self",
    "cls",
    "Exception",
    "BaseException",
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "RuntimeError",
    "ImportError",
    "AttributeError",
    "NameError",
    "OSError",
    "IOError",
    "FileNotFoundError",
    "StopIteration",
    "NotImplementedError",
    "AssertionError",
    "KeyboardInterrupt",
    "SystemExit",
    "TimeoutError",
    "ConnectionError",
    "PermissionError",
    "ModuleNotFoundError",
    "Warning",
    "DeprecationWarning",
    "UserWarning",
    "NotImplemented",
    "Ellipsis",
    "True",
    "False",
    "None",
    "display",
    "get_ipython",
    "exit",
    "quit",
];

/// The names `doc` uses without binding them, and the submodules it reaches through a plain
/// package import without importing them.
pub fn unbound(text: &str, doc: &PyDocument) -> BTreeSet<String> {
    // The builtins are looked up apart: a set of them made per text hashed each name again.
    static BUILTIN: std::sync::OnceLock<HashSet<&str>> = std::sync::OnceLock::new();
    let builtin = BUILTIN.get_or_init(|| BUILTINS.iter().copied().collect());
    let mut bound: HashSet<&str> = HashSet::new();
    let mut used: Vec<Node<'_>> = Vec::new();
    // `import pkg` / `import pkg as p`: local name → package; and every imported module path.
    let mut plain_imports: HashMap<&str, String> = HashMap::new();
    let mut imported_modules: HashSet<String> = HashSet::new();
    let mut chains: Vec<Node<'_>> = Vec::new();
    let mut cursor = doc.tree.walk();
    // The nodes above the cursor, innermost last: asking a node for its parent walks down
    // from the root again, once per identifier and level.
    let mut ancestors: Vec<Node<'_>> = Vec::new();
    'walk: loop {
        let node = cursor.node();
        let kind = node.kind_name();
        match kind {
            "identifier" => {
                if is_binding(node, &ancestors) {
                    bound.insert(&text[node.byte_range()]);
                } else if is_load(node, ancestors.last().copied()) {
                    used.push(node);
                }
            }
            "import_statement" | "import_from_statement" => {
                imports(
                    node,
                    text,
                    &mut bound,
                    &mut plain_imports,
                    &mut imported_modules,
                );
            }
            "attribute"
                if ancestors
                    .last()
                    .is_none_or(|p| p.kind_name() != "attribute") =>
            {
                chains.push(node);
            }
            _ => {}
        }
        if !crate::source::python::holds_no_code(node, kind, text) && cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
            ancestors.pop();
        }
    }
    if bound.contains("*") {
        used.clear(); // `from x import *` binds names dusk cannot know
    }
    let mut out: BTreeSet<String> = used
        .iter()
        .map(|n| &text[n.byte_range()])
        .filter(|name| !bound.contains(name) && !builtin.contains(name))
        .map(str::to_owned)
        .collect();
    for chain in chains {
        let dotted = &text[chain.byte_range()];
        if dotted.contains(|c: char| c.is_whitespace() || c == '(' || c == '[') {
            continue;
        }
        let segments: Vec<&str> = dotted.split('.').collect();
        if segments.len() < 3 {
            continue;
        }
        let Some(package) = plain_imports.get(segments[0]) else {
            continue;
        };
        let module = format!("{package}.{}", segments[1]);
        if !imported_modules.contains(&module) {
            out.insert(format!("{}.{}", segments[0], segments[1]));
        }
    }
    out
}

/// Record the names an import binds.
fn imports<'t>(
    node: Node<'_>,
    text: &'t str,
    bound: &mut HashSet<&'t str>,
    plain: &mut HashMap<&'t str, String>,
    modules: &mut HashSet<String>,
) {
    let from = node
        .field(Field::ModuleName)
        .map(|m| text[m.byte_range()].to_owned());
    if let Some(module) = &from {
        modules.insert(module.clone());
    }
    let mut cursor = node.walk();
    for name in node.fields(Field::Name, &mut cursor) {
        let (target, alias) = match name.kind_name() {
            "aliased_import" => (name.field(Field::Name), name.field(Field::Alias)),
            _ => (Some(name), None),
        };
        let Some(target) = target else { continue };
        let imported = &text[target.byte_range()];
        match (&from, alias) {
            (Some(module), alias) => {
                let local = alias.map_or(imported, |a| &text[a.byte_range()]);
                bound.insert(local);
                modules.insert(format!("{module}.{imported}"));
            }
            (None, Some(alias)) => {
                let local = &text[alias.byte_range()];
                bound.insert(local);
                plain.insert(local, imported.to_owned());
                modules.insert(imported.to_owned());
            }
            (None, None) => {
                let root = imported.split('.').next().unwrap_or(imported);
                bound.insert(root);
                plain.insert(root, root.to_owned());
                modules.insert(imported.to_owned());
            }
        }
    }
    // `from x import *` binds names dusk cannot know: nothing can be called unbound then.
    let mut cursor = node.walk();
    if node
        .children(&mut cursor)
        .any(|c| c.kind_name() == "wildcard_import")
    {
        bound.insert("*");
    }
}

/// Whether an identifier is bound where it stands: a definition's name, a parameter, an
/// assignment, loop, `with`, `except` or walrus target, `global`/`nonlocal`. `ancestors`
/// are the nodes above `node`, its parent last.
fn is_binding(node: Node<'_>, ancestors: &[Node<'_>]) -> bool {
    let mut child = node;
    let mut above = ancestors.iter().rev();
    // Targets may be nested in tuples, lists and patterns: walk up through them.
    for _ in 0..16 {
        let Some(&parent) = above.next() else {
            return false;
        };
        let field_is = |field: Field| parent.field(field).is_some_and(|f| f.id() == child.id());
        match parent.kind_name() {
            "function_definition" | "class_definition" => return field_is(Field::Name),
            "parameters"
            | "lambda_parameters"
            | "typed_parameter"
            | "default_parameter"
            | "typed_default_parameter"
            | "list_splat_pattern"
            | "dictionary_splat_pattern"
            | "keyword_separator" => {
                if matches!(
                    parent.kind_name(),
                    "default_parameter" | "typed_default_parameter"
                ) {
                    return field_is(Field::Name);
                }
                if parent.kind_name() == "typed_parameter" {
                    return child.kind_name() == "identifier";
                }
                return true;
            }
            "assignment" | "augmented_assignment" => return field_is(Field::Left),
            "for_statement" | "for_in_clause" => return field_is(Field::Left),
            "named_expression" => return field_is(Field::Name),
            "as_pattern_target" | "global_statement" | "nonlocal_statement" => return true,
            "as_pattern" => return field_is(Field::Alias),
            "except_clause" => {
                return child.kind_name() == "identifier"
                    && child.prev_sibling().is_some_and(|p| p.kind_name() == "as");
            }
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "parenthesized_expression"
            | "list_splat" => child = parent,
            _ => return false,
        }
    }
    false
}

/// Whether an identifier reads a variable (not an attribute name, keyword name, import part),
/// given its parent.
fn is_load(node: Node<'_>, parent: Option<Node<'_>>) -> bool {
    let Some(parent) = parent else {
        return false;
    };
    let field_is = |field: Field| parent.field(field).is_some_and(|f| f.id() == node.id());
    match parent.kind_name() {
        "attribute" => field_is(Field::Object),
        "keyword_argument" => field_is(Field::Value),
        "dotted_name"
        | "aliased_import"
        | "import_statement"
        | "import_from_statement"
        | "relative_import"
        | "future_import_statement" => false,
        "decorator"
        | "call"
        | "argument_list"
        | "expression_statement"
        | "return_statement"
        | "binary_operator"
        | "boolean_operator"
        | "comparison_operator"
        | "not_operator"
        | "unary_operator"
        | "subscript"
        | "list"
        | "tuple"
        | "set"
        | "dictionary"
        | "pair"
        | "conditional_expression"
        | "parenthesized_expression"
        | "assignment"
        | "augmented_assignment"
        | "if_statement"
        | "elif_clause"
        | "while_statement"
        | "for_statement"
        | "for_in_clause"
        | "if_clause"
        | "with_item"
        | "await"
        | "list_splat"
        | "dictionary_splat"
        | "interpolation"
        // `width` in `f"{x:>{width}}"`: an interpolation in a format spec.
        | "format_expression"
        | "raise_statement"
        | "assert_statement"
        | "yield"
        | "slice"
        | "lambda"
        | "generator_expression"
        | "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension"
        | "argument"
        | "type"
        | "delete_statement" => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        let doc = crate::source::python::parse(src).unwrap();
        unbound(src, &doc).into_iter().collect()
    }

    #[test]
    fn bound_names_are_not_reported() {
        let src = "import os\nfrom a.b import c as d, e\nimport x.y\n\
                   def f(p, q=1, *args, r: int = 2, **kw):\n    return p + q + r + len(args) + kw\n\
                   class K:\n    pass\n\
                   for i, (j, k) in enumerate([]):\n    print(i, j, k)\n\
                   with open('f') as fh:\n    data = fh.read()\n\
                   try:\n    pass\nexcept Exception as err:\n    print(err)\n\
                   [n for n in range(3)]\n(w := 3)\n\
                   print(os.path, d, e, x.y, K, f, data, w)\n";
        assert_eq!(names(src), Vec::<String>::new());
    }

    #[test]
    fn a_name_used_but_never_bound_is_reported() {
        let src = "from dask_kubernetes.operator import make_cluster_spec\n\
                   spec = make_pod_spec(image='x')\ncluster = dk.KubeCluster(name='a', n=n_workers)\n";
        assert_eq!(names(src), ["dk", "make_pod_spec", "n_workers"]);
    }

    #[test]
    fn a_submodule_reached_through_a_plain_import_is_reported() {
        let src = "import dask_kubernetes\nc = dask_kubernetes.operator.KubeCluster(name='a')\n";
        assert_eq!(names(src), ["dask_kubernetes.operator"]);
        let src = "import dask_kubernetes\nimport dask_kubernetes.operator\n\
                   c = dask_kubernetes.operator.KubeCluster(name='a')\n";
        assert_eq!(names(src), Vec::<String>::new());
        let src = "import dask_kubernetes as dk\nc = dk.operator.KubeCluster(name='a')\n";
        assert_eq!(names(src), ["dk.operator"]);
    }

    #[test]
    fn a_name_read_in_an_f_string_is_used_and_a_string_is_no_name() {
        // The walk steps over strings without `{`: their words are not names.
        let src = "print(f\"dashboard at {cluster.dashboard_link!r:>{width}} for {user}\")\n\
                   print('cluster', \"n_workers\", b'spec', '''KubeCluster''')\n";
        assert_eq!(names(src), ["cluster", "user", "width"]);
    }

    #[test]
    fn a_star_import_binds_everything() {
        assert_eq!(names("from x import *\nprint(y)\n"), Vec::<String>::new());
    }
}
