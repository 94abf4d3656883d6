//! The bridge between JSON values (what the API server speaks) and dusk's YAML: spanned
//! nodes → JSON for objects read from files, JSON → nodes for live objects the rules
//! match, JSON → YAML text for diffs, and API field paths → nodes for error locations.
//!
//! Pure. Every walk uses an explicit stack, so a deeply nested object cannot overflow the
//! stack. YAML output sorts mapping keys, as kubectl does, so diffs do not depend on the
//! order a server or a file used.

use crate::source::TextRange;
use crate::source::yaml::{Entry, Node, Scalar, Style, Value as YValue};
use serde_json::Value;

/// A live object as a YAML node tree for the rule matcher. Nodes carry no text: each node's
/// range is empty and starts at the node's index in `paths`, so a hit's range names the field
/// it was found at.
pub struct LiveTree {
    pub root: Node,
    /// The field path of each node (`spec.template.spec.containers[0].args`).
    pub paths: Vec<String>,
}

impl LiveTree {
    /// The field path a hit's range points at, if it points into this tree.
    pub fn path_at(&self, range: TextRange) -> Option<&str> {
        self.paths.get(range.start()).map(String::as_str)
    }
}

enum Build<'a> {
    Enter {
        value: &'a Value,
        key: Option<String>,
        path: String,
    },
    Map {
        id: usize,
        key: Option<String>,
        len: usize,
    },
    Seq {
        id: usize,
        key: Option<String>,
        len: usize,
    },
}

/// Convert a JSON value into a node tree (see [`LiveTree`]).
pub fn node_from_json(value: &Value) -> LiveTree {
    let mut paths: Vec<String> = Vec::new();
    let mut done: Vec<(Option<String>, Node)> = Vec::new();
    let mut todo = vec![Build::Enter {
        value,
        key: None,
        path: String::new(),
    }];
    while let Some(job) = todo.pop() {
        match job {
            Build::Enter { value, key, path } => {
                let id = paths.len();
                paths.push(path.clone());
                match value {
                    Value::Object(map) => {
                        todo.push(Build::Map {
                            id,
                            key,
                            len: map.len(),
                        });
                        for (k, v) in map.iter().rev() {
                            todo.push(Build::Enter {
                                value: v,
                                key: Some(k.clone()),
                                path: join_key(&path, k),
                            });
                        }
                    }
                    Value::Array(items) => {
                        todo.push(Build::Seq {
                            id,
                            key,
                            len: items.len(),
                        });
                        for (i, v) in items.iter().enumerate().rev() {
                            todo.push(Build::Enter {
                                value: v,
                                key: None,
                                path: format!("{path}[{i}]"),
                            });
                        }
                    }
                    scalar => done.push((key, scalar_node(scalar, id))),
                }
            }
            Build::Map { id, key, len } => {
                let children = done.split_off(done.len() - len);
                let entries = children
                    .into_iter()
                    .map(|(k, value)| Entry {
                        key: Node {
                            range: value.range,
                            value: YValue::Scalar(Scalar {
                                text: k.unwrap_or_default(),
                                style: Style::Plain,
                            }),
                        },
                        value,
                    })
                    .collect();
                done.push((key, node(id, YValue::Map(entries))));
            }
            Build::Seq { id, key, len } => {
                let items = done
                    .split_off(done.len() - len)
                    .into_iter()
                    .map(|(_, n)| n)
                    .collect();
                done.push((key, node(id, YValue::Seq(items))));
            }
        }
    }
    let root = done
        .pop()
        .map_or_else(|| scalar_node(&Value::Null, 0), |(_, n)| n);
    LiveTree { root, paths }
}

fn node(id: usize, value: YValue) -> Node {
    Node {
        range: TextRange::empty(id),
        value,
    }
}

fn scalar_node(value: &Value, id: usize) -> Node {
    let (text, style) = match value {
        Value::String(s) => (s.clone(), Style::Quoted),
        Value::Number(n) => (n.to_string(), Style::Plain),
        Value::Bool(b) => (b.to_string(), Style::Plain),
        _ => ("null".to_owned(), Style::Plain),
    };
    node(id, YValue::Scalar(Scalar { text, style }))
}

/// `a.b` + `c` → `a.b.c`; keys with dots or brackets are written `a.b["x.y/z"]`.
fn join_key(path: &str, key: &str) -> String {
    if key.contains(['.', '[', ']']) {
        format!("{path}[{key}]")
    } else if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Convert a spanned YAML node into JSON (see [`crate::source::yaml::to_json`]). A mapping
/// key that is not a scalar is an error naming where it is.
pub fn json_from_node(root: &Node) -> Result<Value, (TextRange, String)> {
    crate::source::yaml::to_json(root).map_err(|e| (e.range, e.message))
}

/// One step of an API field path: a key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `.spec.containers[0].image` or `metadata.labels[app]` → steps.
fn field_steps(field: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut current = String::new();
    let mut chars = field.trim_start_matches('.').chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !current.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut current)));
                }
            }
            '[' => {
                if !current.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut current)));
                }
                let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                let inner = inner.trim_matches('"');
                steps.push(match inner.parse() {
                    Ok(i) => Step::Index(i),
                    Err(_) => Step::Key(inner.to_owned()),
                });
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        steps.push(Step::Key(current));
    }
    steps
}

/// The range an API field path (`spec.worker.spec.containers[0].image`) points at in a
/// document: the key of the deepest field found. `exact` is false when only a parent of the
/// field exists (the server named a field the file does not set, such as a default).
pub fn locate_field(root: &Node, field: &str) -> Option<(TextRange, bool)> {
    let steps = field_steps(field);
    let mut node = root;
    let mut found: Option<TextRange> = None;
    for step in &steps {
        let next = match step {
            Step::Key(k) => node.entry(k).map(|e| (e.key.range, &e.value)),
            Step::Index(i) => node.as_seq().and_then(|s| s.get(*i)).map(|n| (n.range, n)),
        };
        let Some((range, child)) = next else {
            return found.map(|r| (r, false));
        };
        found = Some(range);
        node = child;
    }
    found.map(|r| (r, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(src: &str) -> Node {
        let file = crate::source::yaml::parse(src, Default::default()).unwrap();
        file.documents[0].root.clone().unwrap()
    }

    #[test]
    fn yaml_scalars_keep_their_types() {
        let node = parse("a: 3\nb: '3'\nc: true\nd: ~\ne: 1.5\nf: 0x10\ng: 2Gi\nh: .inf\n");
        assert_eq!(
            json_from_node(&node).unwrap(),
            json!({"a": 3, "b": "3", "c": true, "d": null, "e": 1.5, "f": 16, "g": "2Gi", "h": ".inf"})
        );
    }

    #[test]
    fn live_tree_names_each_field() {
        let tree = node_from_json(
            &json!({"metadata": {"labels": {"dask.org/cluster-name": "x"}},
            "spec": {"containers": [{"args": ["a"]}]}}),
        );
        let args = tree
            .root
            .path(&["spec", "containers"])
            .and_then(|c| c.as_seq()?.first()?.get("args"))
            .unwrap();
        assert_eq!(tree.path_at(args.range), Some("spec.containers[0].args"));
        let label = tree.root.path(&["metadata", "labels"]).unwrap();
        let entry = &label.as_map().unwrap()[0];
        assert_eq!(
            tree.path_at(entry.key.range),
            Some("metadata.labels[dask.org/cluster-name]")
        );
        assert_eq!(entry.value.as_str(), Some("x"));
    }

    #[test]
    fn fields_are_located_in_the_document() {
        let src = "kind: DaskCluster\nspec:\n  worker:\n    replicas: three\n    spec:\n      containers:\n      - name: w\n        image: x\n";
        let root = parse(src);
        let (range, exact) = locate_field(&root, "spec.worker.replicas").unwrap();
        assert!(exact);
        assert_eq!(&src[range.as_range()], "replicas");
        let (range, exact) = locate_field(&root, ".spec.worker.spec.containers[0].image").unwrap();
        assert!(exact);
        assert_eq!(&src[range.as_range()], "image");
        let (range, exact) = locate_field(&root, "spec.worker.spec.containers[0].ports").unwrap();
        assert!(!exact);
        assert!(src[range.as_range()].starts_with("name: w"));
        assert_eq!(locate_field(&root, "nothing"), None);
    }
}
