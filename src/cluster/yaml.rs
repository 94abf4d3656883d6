//! The bridge between JSON values (what the API server speaks) and dusk's YAML: spanned
//! nodes → JSON for objects read from files, JSON → nodes for live objects the rules
//! match, JSON → YAML text for diffs, and API field paths → nodes for error locations.
//!
//! Pure. Every walk uses an explicit stack, so a deeply nested object cannot overflow the
//! stack. YAML output sorts mapping keys, as kubectl does, so diffs do not depend on the
//! order a server or a file used.

use crate::source::TextRange;
use crate::source::yaml::{Entry, Node, Scalar, Style, Value as YValue, is_core_number};
use serde_json::{Map, Number, Value};

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

enum Convert<'a> {
    Enter(&'a Node),
    Map(&'a [Entry]),
    Seq(usize),
}

/// Convert a spanned YAML node into JSON with YAML 1.2 core-schema typing (plain `3` is a
/// number, quoted `"3"` a string). A mapping key that is not a scalar is an error naming
/// where it is.
pub fn json_from_node(root: &Node) -> Result<Value, (TextRange, String)> {
    let mut done: Vec<Value> = Vec::new();
    let mut todo = vec![Convert::Enter(root)];
    while let Some(job) = todo.pop() {
        match job {
            Convert::Enter(node) => match &node.value {
                YValue::Scalar(_) => done.push(scalar_json(node)),
                YValue::Seq(items) => {
                    todo.push(Convert::Seq(items.len()));
                    todo.extend(items.iter().rev().map(Convert::Enter));
                }
                YValue::Map(entries) => {
                    if let Some(bad) = entries.iter().find(|e| e.key.as_scalar().is_none()) {
                        return Err((bad.key.range, "a mapping key must be a scalar".into()));
                    }
                    todo.push(Convert::Map(entries));
                    todo.extend(entries.iter().rev().map(|e| Convert::Enter(&e.value)));
                }
            },
            Convert::Seq(len) => {
                let items = done.split_off(done.len() - len);
                done.push(Value::Array(items));
            }
            Convert::Map(entries) => {
                let values = done.split_off(done.len() - entries.len());
                let mut map = Map::new();
                for (entry, value) in entries.iter().zip(values) {
                    // Keys were checked to be scalars above.
                    let key = entry.key.as_str().unwrap_or_default().to_owned();
                    map.insert(key, value);
                }
                done.push(Value::Object(map));
            }
        }
    }
    Ok(done.pop().unwrap_or(Value::Null))
}

fn scalar_json(node: &Node) -> Value {
    let Some(s) = node.as_scalar() else {
        return Value::Null;
    };
    if s.style != Style::Plain {
        return Value::String(s.text.clone());
    }
    if node.is_null() {
        return Value::Null;
    }
    match s.text.as_str() {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if is_core_number(&s.text)
        && let Some(n) = parse_number(&s.text)
    {
        return Value::Number(n);
    }
    Value::String(s.text.clone())
}

fn parse_number(text: &str) -> Option<Number> {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1i64, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let radix = |prefix: &str, radix: u32| {
        digits
            .strip_prefix(prefix)
            .and_then(|d| i64::from_str_radix(d, radix).ok())
            .map(|n| Number::from(sign * n))
    };
    if let Some(n) = radix("0x", 16).or_else(|| radix("0o", 8)) {
        return Some(n);
    }
    if let Ok(n) = text.trim_start_matches('+').parse::<i64>() {
        return Some(Number::from(n));
    }
    // `.inf` and `.nan` have no JSON form; they stay strings.
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

struct Emit<'a> {
    value: &'a Value,
    /// What precedes this value on its first line: `  key:` or `  - `.
    head: String,
    /// Whether `head` ends in `key:` (scalars follow after a space, collections on the next
    /// lines) rather than in `- ` or nothing (content continues on the same line).
    after_key: bool,
    /// Column of `head`'s key or dash.
    col: usize,
}

/// Render a JSON value as block YAML with sorted keys, kubectl style (sequence items at
/// their key's indentation).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    let mut todo = vec![Emit {
        value,
        head: String::new(),
        after_key: false,
        col: 0,
    }];
    while let Some(Emit {
        value,
        head,
        after_key,
        col,
    }) = todo.pop()
    {
        match value {
            Value::Object(map) if !map.is_empty() => {
                let key_col = if after_key {
                    out.push_str(&head);
                    out.push('\n');
                    col + 2
                } else {
                    head.len()
                };
                let mut keys: Vec<(&String, &Value)> = map.iter().collect();
                keys.sort_by(|a, b| a.0.cmp(b.0));
                for (i, (k, v)) in keys.into_iter().enumerate().rev() {
                    let lead = if i == 0 && !after_key {
                        head.clone()
                    } else {
                        " ".repeat(key_col)
                    };
                    todo.push(Emit {
                        value: v,
                        head: format!("{lead}{}:", key_text(k)),
                        after_key: true,
                        col: key_col,
                    });
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let dash_col = if after_key {
                    out.push_str(&head);
                    out.push('\n');
                    col
                } else {
                    head.len()
                };
                for (i, v) in items.iter().enumerate().rev() {
                    let lead = if i == 0 && !after_key {
                        head.clone()
                    } else {
                        " ".repeat(dash_col)
                    };
                    todo.push(Emit {
                        value: v,
                        head: format!("{lead}- "),
                        after_key: false,
                        col: dash_col,
                    });
                }
            }
            scalar => {
                out.push_str(&head);
                if after_key {
                    out.push(' ');
                }
                push_scalar(&mut out, scalar, col + 2);
                out.push('\n');
            }
        }
    }
    out
}

fn push_scalar(out: &mut String, value: &Value, block_indent: usize) {
    match value {
        Value::String(s) => match block_literal(s, block_indent) {
            Some(block) => out.push_str(&block),
            None => out.push_str(&key_text(s)),
        },
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        other => out.push_str(&other.to_string()),
    }
}

/// A multi-line string as a `|` block, when it can be written as one faithfully.
fn block_literal(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n')
        || s.starts_with([' ', '\n'])
        || s.ends_with("\n\n")
        || s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return None;
    }
    let (body, chomp) = match s.strip_suffix('\n') {
        Some(body) => (body, "|"),
        None => (s, "|-"),
    };
    let pad = " ".repeat(indent);
    let mut out = chomp.to_owned();
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    Some(out)
}

/// A string as a plain scalar when YAML would read it back as the same string, else
/// double-quoted (a JSON string is a valid YAML double-quoted scalar).
fn key_text(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

fn is_plain_safe(s: &str) -> bool {
    const AMBIGUOUS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    !AMBIGUOUS.contains(&s)
        && !is_core_number(s)
        && !s.starts_with(|c: char| "?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !(s.starts_with('-') && (s.len() == 1 || s.starts_with("- ") || s.starts_with("---")))
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.chars().any(char::is_control)
        && !(first.is_ascii_digit() && s.parse::<f64>().is_ok())
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
    fn yaml_output_sorts_keys_and_reads_back_the_same() {
        let value = json!({
            "spec": {"worker": {"replicas": 2, "spec": {"containers": [
                {"name": "worker", "args": ["dask-worker", "--nthreads", "2"], "env": []}
            ]}}},
            "metadata": {"name": "demo", "labels": {"dask.org/x": "yes", "n": "3"}},
            "data": {"script": "line one\nline two\n", "empty": "", "colon": "a: b"},
            "list": [[1, 2], {}],
        });
        let text = to_yaml(&value);
        assert_eq!(
            text,
            "data:\n  colon: \"a: b\"\n  empty: \"\"\n  script: |\n    line one\n    line two\nlist:\n- - 1\n  - 2\n- {}\nmetadata:\n  labels:\n    dask.org/x: \"yes\"\n    \"n\": \"3\"\n  name: demo\nspec:\n  worker:\n    replicas: 2\n    spec:\n      containers:\n      - args:\n        - dask-worker\n        - --nthreads\n        - \"2\"\n        env: []\n        name: worker\n"
        );
        assert_eq!(json_from_node(&parse(&text)).unwrap(), value);
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
