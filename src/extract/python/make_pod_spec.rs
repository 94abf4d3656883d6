//! A producer of the classic-cluster model: a classic `make_pod_spec(...)` call → the
//! [`ClassicCluster`] whose worker pod is the pod that call builds.
//!
//! The pod is the one dask-kubernetes' classic `make_pod_spec` (`classic/objects.py`)
//! returns for the call's arguments: one container `dask-worker` running `dask-worker
//! $(DASK_SCHEDULER_ADDRESS) --nthreads <threads_per_worker, 1> [--memory-limit <m>]
//! [--resources <r>]`, the `env` dict as env vars, `memory_limit`/`cpu_limit`/`gpu_limit`
//! (as `nvidia.com/gpu`) in `limits`, `memory_request`/`cpu_request` in `requests`, and
//! `restartPolicy: Never`. Each field keeps the span of the argument it came from.
//!
//! `labels` and `annotations` (dicts of strings) are the pod's; `extra_container_config` and
//! `extra_pod_config`, when they are literals, are merged into the container and the pod as
//! make_pod_spec merged them (a dict into the dict there, a list appended, anything else
//! replacing), each key with its span; a config Kubernetes' types cannot read is an error.
//! make_pod_spec's own `--death-timeout 60` is kept as [`Unsupported`] (the operator's
//! `make_cluster_spec` does not pass it).
//!
//! Only literal values are read. An argument that is an expression (`image=IMAGE`,
//! `cpu_limit=n`, a value of the `env` dict) stands in the model as a placeholder string
//! ([`Opaque`]), so it flows through the builder unchanged and the consumer writes the
//! expression back where the placeholder lands; an `env=` that is not a dict literal is kept
//! whole in [`Produced::env_expression`]. Pure: reads the tree, never evaluates anything.

use super::literal::{literal, string_value, unparenthesize};
use crate::extract::classic::{ClassicCluster, ClassicPod, Source, Sourced, Unsupported};
use crate::extract::model::Literal;
use crate::source::TextRange;
use crate::source::python::{Field, FieldChild as _, KindName as _};
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::Value;
use std::collections::BTreeMap;
use tree_sitter::Node;

/// `make_pod_spec`'s parameters, in order.
pub const PARAMS: &[&str] = &[
    "image",
    "labels",
    "threads_per_worker",
    "env",
    "extra_container_config",
    "extra_pod_config",
    "resources",
    "memory_limit",
    "memory_request",
    "cpu_limit",
    "cpu_request",
    "gpu_limit",
    "annotations",
];

/// Expressions standing in the model as placeholder strings.
#[derive(Debug, Default)]
pub struct Opaque<'t> {
    nodes: Vec<Node<'t>>,
}

impl<'t> Opaque<'t> {
    /// The placeholder for `node`.
    fn hold(&mut self, node: Node<'t>) -> String {
        self.nodes.push(node);
        format!("\u{E000}{}\u{E001}", self.nodes.len() - 1)
    }

    /// The expression a value of the model stands for, when it is a placeholder.
    pub fn expression(&self, value: &str) -> Option<Node<'t>> {
        let index = value.strip_prefix('\u{E000}')?.strip_suffix('\u{E001}')?;
        self.nodes.get(index.parse::<usize>().ok()?).copied()
    }
}

/// What one `make_pod_spec(...)` call gives.
#[derive(Debug)]
pub struct Produced<'t> {
    pub cluster: ClassicCluster,
    pub opaque: Opaque<'t>,
    /// `env=` when it is an expression, not a dict literal.
    pub env_expression: Option<Node<'t>>,
}

/// The arguments of a `make_pod_spec` call (its `argument_list`), by parameter name; `None`
/// for `*args`/`**kwargs`, an unknown keyword or too many positional arguments.
pub fn arguments<'t>(text: &str, args: Node<'t>) -> Option<Vec<(&'static str, Node<'t>)>> {
    let mut out = Vec::new();
    let mut cursor = args.walk();
    let items: Vec<Node<'t>> = args
        .named_children(&mut cursor)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    for (i, item) in items.into_iter().enumerate() {
        match item.kind_name() {
            "keyword_argument" => {
                let name = text.get(item.field(Field::Name)?.byte_range())?;
                let param = PARAMS.iter().find(|p| **p == name)?;
                out.push((*param, item.field(Field::Value)?));
            }
            "list_splat" | "dictionary_splat" => return None,
            _ => out.push((PARAMS.get(i)?, item)),
        }
    }
    Some(out)
}

/// Whether an argument is given: not `None` and not an empty literal (`{}`, `[]`, `""`),
/// which make_pod_spec treats as not given.
pub fn given(text: &str, node: Node<'_>) -> bool {
    let t = text.get(node.byte_range()).unwrap_or("").trim();
    !matches!(t, "None" | "{}" | "[]" | "\"\"" | "''")
}

/// The classic cluster a `make_pod_spec(...)` call with `arguments` describes, named `name`.
/// `Err` says why the call describes no pod (no `image`).
pub fn produce<'t>(
    text: &str,
    call: Node<'t>,
    arguments: &[(&'static str, Node<'t>)],
    name: Sourced<String>,
) -> Result<Produced<'t>, String> {
    let mut opaque = Opaque::default();
    let arg = |param: &str| {
        arguments
            .iter()
            .find(|(p, _)| *p == param)
            .map(|(_, n)| *n)
            .filter(|n| given(text, *n))
    };
    let span = |node: Node<'_>| Source::Span(TextRange::new(node.start_byte(), node.end_byte()));
    let mut sources = BTreeMap::new();
    let image_node = arg("image").ok_or("the call passes no `image`")?;
    let image = scalar(text, image_node, &mut opaque);
    sources.insert("containers[0].image".to_owned(), span(image_node));

    let mut args = vec![
        "dask-worker".to_owned(),
        crate::dask::SCHEDULER_ADDRESS.to_owned(),
        "--nthreads".to_owned(),
        arg("threads_per_worker").map_or_else(|| "1".to_owned(), |n| scalar(text, n, &mut opaque)),
    ];
    for (param, flag) in [
        ("memory_limit", "--memory-limit"),
        ("resources", "--resources"),
    ] {
        if let Some(n) = arg(param) {
            args.extend([flag.to_owned(), scalar(text, n, &mut opaque)]);
        }
    }
    sources.insert("containers[0].args".to_owned(), span(call));

    let quantities = |pairs: &[(&str, &str)], opaque: &mut Opaque<'t>| {
        let map: BTreeMap<String, Quantity> = pairs
            .iter()
            .filter_map(|(param, key)| {
                let n = arg(param)?;
                Some(((*key).to_owned(), Quantity(scalar(text, n, opaque))))
            })
            .collect();
        (!map.is_empty()).then_some(map)
    };
    let limits = quantities(
        &[
            ("memory_limit", "memory"),
            ("cpu_limit", "cpu"),
            ("gpu_limit", "nvidia.com/gpu"),
        ],
        &mut opaque,
    );
    let requests = quantities(
        &[("memory_request", "memory"), ("cpu_request", "cpu")],
        &mut opaque,
    );
    let resources = (limits.is_some() || requests.is_some()).then(|| ResourceRequirements {
        limits,
        requests,
        ..ResourceRequirements::default()
    });
    if let Some(first) = [
        "memory_limit",
        "cpu_limit",
        "gpu_limit",
        "memory_request",
        "cpu_request",
    ]
    .iter()
    .find_map(|p| arg(p))
    {
        sources.insert("containers[0].resources".to_owned(), span(first));
    }

    let mut env_expression = None;
    let env = match arg("env").map(unparenthesize) {
        None => None,
        Some(n) if n.kind_name() == "dictionary" => {
            sources.insert("containers[0].env".to_owned(), span(n));
            Some(env_vars(text, n, &mut opaque))
        }
        Some(n) => {
            env_expression = Some(n);
            None
        }
    };

    sources.insert(
        "restartPolicy".to_owned(),
        Source::Default("make_pod_spec sets `restartPolicy: Never`"),
    );
    let mut spec = PodSpec {
        restart_policy: Some("Never".into()),
        containers: vec![Container {
            name: "dask-worker".into(),
            image: Some(image),
            args: Some(args),
            env,
            resources,
            ..Container::default()
        }],
        ..PodSpec::default()
    };
    // The extra configs, when they are literals, merged as make_pod_spec merged them.
    for (param, container) in [
        ("extra_container_config", true),
        ("extra_pod_config", false),
    ] {
        let Some(node) = arg(param).map(unparenthesize) else {
            continue;
        };
        let Some(Value::Object(extra)) = json_literal(text, node) else {
            continue;
        };
        let mut json = serde_json::to_value(&spec).map_err(|e| e.to_string())?;
        let target = if container {
            &mut json["containers"][0]
        } else {
            &mut json
        };
        merge_config(target, &extra);
        spec = serde_json::from_value(json)
            .map_err(|e| format!("`{param}` is not what Kubernetes' types can read ({e})"))?;
        for key in extra.keys() {
            let field = if container {
                format!("containers[0].{key}")
            } else {
                key.clone()
            };
            sources.insert(field, span(node));
        }
    }
    let string_map = |param: &str| -> BTreeMap<String, String> {
        match arg(param).and_then(|n| json_literal(text, unparenthesize(n))) {
            Some(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
                .collect(),
            _ => BTreeMap::new(),
        }
    };
    let (labels, annotations) = (string_map("labels"), string_map("annotations"));
    for (param, map) in [("labels", &labels), ("annotations", &annotations)] {
        if let (false, Some(n)) = (map.is_empty(), arg(param)) {
            sources.insert(format!("metadata.{param}"), span(n));
        }
    }
    let worker = ClassicPod {
        spec,
        labels,
        annotations,
        sources,
        source: Some(span(call)),
    };
    let mut cluster = ClassicCluster::new(name, worker);
    cluster.unsupported.push(Unsupported {
        what: "--death-timeout 60".into(),
        source: Source::Default("make_pod_spec adds `--death-timeout 60` to the worker"),
        reason: "the operator's workers run in Deployments that restart them; \
                 `make_cluster_spec` does not pass it"
            .into(),
    });
    Ok(Produced {
        cluster,
        opaque,
        env_expression,
    })
}

/// make_pod_spec's merge of an extra config into the container or pod (`_set_k8s_attribute`):
/// a dict deep-merged into the one there, a list appended to it, anything else replacing it.
fn merge_config(target: &mut Value, extra: &serde_json::Map<String, Value>) {
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    for (key, value) in extra {
        let old = target.get(key).cloned().unwrap_or(Value::Null);
        target[key] = match (old, value) {
            (mut old @ Value::Object(_), Value::Object(new)) => {
                deep_merge(&mut old, new);
                old
            }
            (Value::Array(mut old), Value::Array(new)) => {
                old.extend(new.iter().cloned());
                Value::Array(old)
            }
            (_, new) => new.clone(),
        };
    }
}

/// Dicts merged key by key at every depth; anything else replaced. Iterative.
fn deep_merge(target: &mut Value, over: &serde_json::Map<String, Value>) {
    let mut todo: Vec<(&mut Value, &serde_json::Map<String, Value>)> = vec![(target, over)];
    while let Some((target, over)) = todo.pop() {
        let Value::Object(map) = target else {
            continue;
        };
        let mut nested = Vec::new();
        for (k, v) in over {
            match (map.get(k), v) {
                (Some(Value::Object(_)), Value::Object(_)) => nested.push(k),
                _ => {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        for (k, child) in map.iter_mut() {
            if nested.contains(&k)
                && let Some(Value::Object(sub)) = over.get(k)
            {
                todo.push((child, sub));
            }
        }
    }
}

/// A Python literal (dicts with string keys, lists, tuples, strings, numbers, booleans,
/// `None`) as JSON; `None` when any part is not a literal.
pub fn json_literal(text: &str, node: Node<'_>) -> Option<Value> {
    let node = unparenthesize(node);
    fn children(n: Node<'_>) -> Vec<Node<'_>> {
        let mut cursor = n.walk();
        n.named_children(&mut cursor)
            .filter(|c| c.kind_name() != "comment")
            .collect()
    }
    Some(match node.kind_name() {
        "dictionary" => {
            let mut map = serde_json::Map::new();
            for pair in children(node) {
                if pair.kind_name() != "pair" {
                    return None;
                }
                let key = string_value(unparenthesize(pair.field(Field::Key)?), text)?;
                map.insert(key, json_literal(text, pair.field(Field::Value)?)?);
            }
            Value::Object(map)
        }
        "list" | "tuple" => Value::Array(
            children(node)
                .into_iter()
                .map(|n| json_literal(text, n))
                .collect::<Option<Vec<_>>>()?,
        ),
        _ => match literal(node, text) {
            Literal::String(s) => Value::String(s),
            Literal::Number(n) => serde_json::from_str(&n).ok()?,
            Literal::Bool(b) => Value::Bool(b),
            Literal::Null => Value::Null,
            Literal::Other => return None,
        },
    })
}

/// A value as make_pod_spec's `str(…)` gives it: a literal's text, else a placeholder.
fn scalar<'t>(text: &str, node: Node<'t>, opaque: &mut Opaque<'t>) -> String {
    match literal(node, text) {
        Literal::String(s) | Literal::Number(s) => s,
        Literal::Bool(b) => if b { "True" } else { "False" }.to_owned(),
        Literal::Null | Literal::Other => opaque.hold(node),
    }
}

/// A dict literal's items as env vars, in order; `**splat` items are held whole as a
/// variable named by a placeholder.
fn env_vars<'t>(text: &str, dict: Node<'t>, opaque: &mut Opaque<'t>) -> Vec<EnvVar> {
    let mut cursor = dict.walk();
    let items: Vec<Node<'t>> = dict
        .named_children(&mut cursor)
        .filter(|n| n.kind_name() != "comment")
        .collect();
    items
        .into_iter()
        .map(|item| {
            let (Some(key), Some(value)) = (item.field(Field::Key), item.field(Field::Value))
            else {
                return EnvVar {
                    name: opaque.hold(item),
                    ..EnvVar::default()
                };
            };
            let name = match string_value(unparenthesize(key), text) {
                Some(s) => s,
                None => opaque.hold(key),
            };
            EnvVar {
                name,
                value: Some(scalar(text, value, opaque)),
                ..EnvVar::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::python::parse;

    fn first_call(doc: &crate::source::python::PyDocument) -> Node<'_> {
        let mut cursor = doc.tree.walk();
        loop {
            let node = cursor.node();
            if node.kind_name() == "call" {
                return node;
            }
            assert!(cursor.goto_first_child() || cursor.goto_next_sibling());
        }
    }

    #[test]
    fn a_call_gives_the_pod_classic_make_pod_spec_built() {
        let text = "spec = make_pod_spec('daskdev/dask:2021.3.0', threads_per_worker=2,\n    memory_limit='4G', cpu_limit=1, gpu_limit=GPUS,\n    env={'EXTRA_PIP_PACKAGES': 's3fs', 'TOKEN': os.environ['T']})\n";
        let doc = parse(text).unwrap();
        let call = first_call(&doc);
        let args = arguments(text, call.field(Field::Arguments).unwrap()).unwrap();
        let name = Sourced::new("etl".to_owned(), Source::Default("test"));
        let p = produce(text, call, &args, name).unwrap();
        let pod = &p.cluster.worker;
        let c = pod.dask_container().unwrap();
        assert_eq!(c.image.as_deref(), Some("daskdev/dask:2021.3.0"));
        assert_eq!(
            c.args.as_deref().unwrap(),
            [
                "dask-worker",
                "$(DASK_SCHEDULER_ADDRESS)",
                "--nthreads",
                "2",
                "--memory-limit",
                "4G"
            ]
        );
        let limits = c.resources.as_ref().unwrap().limits.as_ref().unwrap();
        assert_eq!(limits["memory"].0, "4G");
        assert_eq!(limits["cpu"].0, "1");
        let gpu = p.opaque.expression(&limits["nvidia.com/gpu"].0).unwrap();
        assert_eq!(&text[gpu.byte_range()], "GPUS");
        let env = c.env.as_ref().unwrap();
        assert_eq!(env[0].value.as_deref(), Some("s3fs"));
        let token = p
            .opaque
            .expression(env[1].value.as_deref().unwrap())
            .unwrap();
        assert_eq!(&text[token.byte_range()], "os.environ['T']");
        assert_eq!(pod.spec.restart_policy.as_deref(), Some("Never"));
        assert!(
            matches!(pod.sources["containers[0].image"], Source::Span(r) if &text[r.as_range()] == "'daskdev/dask:2021.3.0'")
        );
        assert_eq!(p.cluster.unsupported[0].what, "--death-timeout 60");
    }

    #[test]
    fn splats_and_unknown_keywords_are_not_read_and_image_is_needed() {
        let text =
            "make_pod_spec(**kw)\nmake_pod_spec(image='x', colour=1)\nmake_pod_spec(env={})\n";
        let doc = parse(text).unwrap();
        let root = doc.tree.root_node();
        let calls: Vec<Node<'_>> = (0..3)
            .map(|i| root.named_child(i).unwrap().named_child(0).unwrap())
            .collect();
        fn args(c: Node<'_>) -> Node<'_> {
            c.field(Field::Arguments).unwrap()
        }
        assert!(arguments(text, args(calls[0])).is_none());
        assert!(arguments(text, args(calls[1])).is_none());
        let a = arguments(text, args(calls[2])).unwrap();
        let name = Sourced::new("x".to_owned(), Source::Default("test"));
        assert!(
            produce(text, calls[2], &a, name)
                .unwrap_err()
                .contains("no `image`")
        );
    }
}
