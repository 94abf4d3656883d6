//! Pod specs and their containers → command words and `DASK_*` environment config keys.
//!
//! Takes one YAML document (a spanned tree) and the text its ranges index. Knows where pod
//! specs live in every kind of document dusk reads ([`pod_spec_nodes`], which the fix stage
//! reuses) and what a container says: its `command` + `args` as one command line, and each
//! `env` entry whose name is a dask config variable. Also recognises classic pod templates: a
//! `kind: Pod` without `apiVersion`, a bare pod (`spec.containers`) or a bare pod spec
//! (top-level `containers`), as `KubeCluster(pod_template=…)` and `worker-template` take them.
//! Never edits, never recurses over the tree (explicit worklists only).

use super::command::{self, Piece};
use super::model::{ConfigOrigin, Construct, Fact, Literal, config_key_from_env};
use super::{argo, dask_config};
use crate::source::yaml::{Node, Value};

/// Where each kind keeps its pod specs, as paths of mapping keys.
const POD_SPEC_PATHS: &[(&str, &[&[&str]])] = &[
    ("Pod", &[&["spec"]]),
    ("PodTemplate", &[&["template", "spec"]]),
    ("Deployment", &[&["spec", "template", "spec"]]),
    ("StatefulSet", &[&["spec", "template", "spec"]]),
    ("DaemonSet", &[&["spec", "template", "spec"]]),
    ("ReplicaSet", &[&["spec", "template", "spec"]]),
    ("ReplicationController", &[&["spec", "template", "spec"]]),
    ("Job", &[&["spec", "template", "spec"]]),
    (
        "CronJob",
        &[&["spec", "jobTemplate", "spec", "template", "spec"]],
    ),
    (
        "DaskCluster",
        &[&["spec", "scheduler", "spec"], &["spec", "worker", "spec"]],
    ),
    ("DaskWorkerGroup", &[&["spec", "worker", "spec"]]),
    (
        "DaskJob",
        &[
            &["spec", "job", "spec"],
            &["spec", "cluster", "spec", "scheduler", "spec"],
            &["spec", "cluster", "spec", "worker", "spec"],
        ],
    ),
];

/// Container lists of a pod spec.
const CONTAINER_KEYS: &[&str] = &["initContainers", "containers", "ephemeralContainers"];

/// Kinds a pod template file may name: `kind: Pod`, often without `apiVersion`.
fn pod_spec_paths(kind: &str) -> Option<&'static [&'static [&'static str]]> {
    POD_SPEC_PATHS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, paths)| *paths)
}

/// A classic pod template: `kind: Pod` without `apiVersion`, or no `kind` and the shape of a
/// pod (`spec.containers`) or of a pod spec (top-level `containers`).
pub fn is_pod_template(root: &Node) -> bool {
    if root.get("apiVersion").is_some() {
        return false;
    }
    match root.get_str("kind") {
        Some(kind) => kind == "Pod",
        None if root.get("kind").is_some() => false,
        None => bare_pod_spec(root).is_some(),
    }
}

/// The pod spec of a bare pod or bare pod spec.
fn bare_pod_spec(root: &Node) -> Option<&Node> {
    if has_containers(root) {
        return Some(root);
    }
    root.get("spec").filter(|spec| has_containers(spec))
}

fn has_containers(node: &Node) -> bool {
    node.get("containers").and_then(Node::as_seq).is_some()
}

/// Every pod-spec mapping in a document, in source order within each object: by kind for known objects (items of
/// a `kind: List` too), by shape for classic pod templates and for objects of kinds dusk does
/// not know (any mapping holding a `containers` list), and inside a dask config's
/// `kubernetes.worker-template`/`scheduler-template`. Argo documents hold containers but no
/// pod specs, so they give none.
pub fn pod_spec_nodes(doc: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    let mut todo = vec![doc];
    while let Some(node) = todo.pop() {
        if argo::is_argo(node) {
            continue;
        }
        match node.get_str("kind") {
            Some("List") => {
                if let Some(items) = node.get("items").and_then(Node::as_seq) {
                    todo.extend(items.iter().rev());
                }
            }
            Some(kind) if let Some(paths) = pod_spec_paths(kind) => {
                let mut specs: Vec<&Node> = paths
                    .iter()
                    .filter_map(|path| node.path(path))
                    .filter(|spec| spec.as_map().is_some())
                    .collect();
                specs.sort_by_key(|spec| spec.range.start);
                out.extend(specs);
            }
            Some(_) if node.get("apiVersion").is_some() => search_pod_specs(node, &mut out),
            Some(_) => {}
            None => {
                if let Some(spec) = bare_pod_spec(node) {
                    out.push(spec);
                } else if dask_config::is_dask_config(node) {
                    // Templates are pods or pod specs; reversed so they come out in order.
                    todo.extend(dask_config::pod_templates(node).into_iter().rev());
                }
            }
        }
    }
    out
}

/// Pod specs of an object of unknown kind: every mapping with a `containers` list, not
/// looking inside one once found.
fn search_pod_specs<'a>(object: &'a Node, out: &mut Vec<&'a Node>) {
    let mut todo = vec![object];
    let mut found = Vec::new();
    while let Some(node) = todo.pop() {
        match &node.value {
            Value::Map(entries) => {
                if node.get("containers").and_then(Node::as_seq).is_some() {
                    found.push(node);
                    continue;
                }
                todo.extend(
                    entries
                        .iter()
                        .filter(|e| !matches!(e.key.as_str(), Some("metadata" | "status")))
                        .map(|e| &e.value),
                );
            }
            Value::Seq(items) => todo.extend(items),
            Value::Scalar(_) => {}
        }
    }
    found.sort_by_key(|n| n.range.start);
    out.extend(found);
}

/// Words and env keys of every container of a pod spec.
pub fn pod_spec_constructs<'a>(spec: &Node, src: &str, out: &mut Vec<Construct<'a>>) {
    let Some(entries) = spec.as_map() else {
        return;
    };
    for entry in entries {
        if !matches!(entry.key.as_str(), Some(k) if CONTAINER_KEYS.contains(&k)) {
            continue;
        }
        for container in entry.value.as_seq().unwrap_or_default() {
            container_constructs(container, src, out);
        }
    }
}

/// One container: `command` + `args` as one command line, and `DASK_*` env variables.
pub fn container_constructs<'a>(container: &Node, src: &str, out: &mut Vec<Construct<'a>>) {
    let mut pieces = Vec::new();
    for key in ["command", "args"] {
        if let Some(node) = container.get(key) {
            pieces.extend(command_pieces(node, src));
        }
    }
    out.extend(command::constructs(&pieces));
    if let Some(env) = container.get("env") {
        env_constructs(env, out);
    }
}

/// A command as written: each item of a list is a piece, a scalar string is one piece.
/// Mappings and nulls are not commands.
pub fn command_pieces<'n>(node: &'n Node, src: &'n str) -> Vec<Piece<'n>> {
    let piece = |n: &'n Node| {
        let text = n.as_str().filter(|_| !n.is_null())?;
        Some(Piece {
            value: text,
            range: n.range,
            source: src,
        })
    };
    match node.as_seq() {
        Some(items) => items.iter().filter_map(piece).collect(),
        None => piece(node).into_iter().collect(),
    }
}

/// A config key for every `env` entry named `DASK_…`, at the name's value, with the entry's
/// `value` (null when absent, `Other` when it comes from `valueFrom`).
pub fn env_constructs<'a>(env: &Node, out: &mut Vec<Construct<'a>>) {
    for var in env.as_seq().unwrap_or_default() {
        let Some(name) = var.get("name") else {
            continue;
        };
        let Some(key) = name.as_str().and_then(config_key_from_env) else {
            continue;
        };
        let value = match (var.get("value"), var.get("valueFrom")) {
            (Some(v), _) => Literal::from_env_value(Literal::from_yaml(v)),
            (None, Some(_)) => Literal::Other,
            (None, None) => Literal::Null,
        };
        out.push(Construct {
            range: name.range,
            fact: Fact::ConfigKey {
                key,
                value,
                origin: ConfigOrigin::EnvVar,
            },
        });
    }
}

/// Every construct of a classic pod template document.
/// A classic pod template as a `Pod` resource, so manifest rules can match its containers
/// (a bare pod spec keeps its `containers` at the top). `apiVersion` is often left out of these
/// files; `v1` is what the classic KubeCluster assumed.
pub fn resource<'a>(root: &'a Node, out: &mut Vec<Construct<'a>>) {
    let range = match root.entry("kind") {
        Some(kind) => kind.value.range,
        None => crate::source::TextRange::empty(root.range.start()),
    };
    out.push(Construct {
        range,
        fact: Fact::Resource {
            api_version: root.get_str("apiVersion").unwrap_or("v1").to_owned(),
            kind: "Pod".to_owned(),
            name: root
                .path(&["metadata", "name"])
                .and_then(Node::as_str)
                .map(str::to_owned),
            node: root,
        },
    });
}

pub fn constructs<'a>(root: &Node, src: &str, out: &mut Vec<Construct<'a>>) {
    for spec in pod_spec_nodes(root) {
        pod_spec_constructs(spec, src, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::test_support::{facts, load};

    #[test]
    fn classic_template_args_and_env() {
        let src = "kind: Pod\nspec:\n  restartPolicy: Never\n  containers:\n  - name: w\n    args: [dask-worker, --nthreads, '2', --no-bokeh]\n    env:\n    - name: DASK_DISTRIBUTED__WORKER__DAEMON\n      value: \"False\"\n    - name: EXTRA_PIP_PACKAGES\n      value: s3fs\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(is_pod_template(root));
        let got = facts(src, root, constructs);
        assert_eq!(
            got,
            [
                "program dask-worker @ dask-worker",
                "flag --nthreads @ --nthreads",
                "flag --no-bokeh @ --no-bokeh",
                "env distributed.worker.daemon = Bool(false) @ DASK_DISTRIBUTED__WORKER__DAEMON",
            ]
        );
    }

    #[test]
    fn command_and_args_make_one_line_and_scalar_command_is_one_piece() {
        let src = "containers:\n- command: [/bin/sh, -c]\n  args: ['exec dask-worker --no-bokeh']\n- command: \"dask-scheduler --bokeh-port 8787\"\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(is_pod_template(root));
        let got = facts(src, root, constructs);
        assert_eq!(
            got,
            [
                "program sh @ /bin/sh",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
                "program dask-scheduler @ dask-scheduler",
                "flag --bokeh-port @ --bokeh-port",
            ]
        );
    }

    #[test]
    fn pod_specs_by_kind() {
        let src = "apiVersion: kubernetes.dask.org/v1\nkind: DaskJob\nspec:\n  job:\n    spec: {containers: [{name: job}]}\n  cluster:\n    spec:\n      worker:\n        spec: {containers: [{name: w}]}\n      scheduler:\n        spec: {containers: [{name: s}]}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        let names: Vec<_> = pod_spec_nodes(root)
            .iter()
            .map(|s| s.path(&["containers"]).unwrap().as_seq().unwrap()[0].get_str("name"))
            .collect();
        assert_eq!(names, [Some("job"), Some("w"), Some("s")]);
        assert!(!is_pod_template(root));
    }

    #[test]
    fn unknown_kinds_are_searched_by_shape_and_lists_by_item() {
        let src = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: example.com/v1\n  kind: TrainingJob\n  metadata: {containers: [{name: no}]}\n  spec:\n    replicas:\n      main:\n        template:\n          spec: {containers: [{name: yes}]}\n- apiVersion: batch/v1\n  kind: CronJob\n  spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: cron}]}}}}}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        let names: Vec<_> = pod_spec_nodes(root)
            .iter()
            .map(|s| s.path(&["containers"]).unwrap().as_seq().unwrap()[0].get_str("name"))
            .collect();
        assert_eq!(names, [Some("yes"), Some("cron")]);
    }

    #[test]
    fn dask_config_templates_and_argo_documents() {
        let src = "kubernetes:\n  scheduler-template: {kind: Pod, spec: {containers: [{name: s}]}}\n  worker_template: {spec: {containers: [{name: w}]}}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        let names: Vec<_> = pod_spec_nodes(root)
            .iter()
            .map(|s| s.path(&["containers"]).unwrap().as_seq().unwrap()[0].get_str("name"))
            .collect();
        assert_eq!(names, [Some("s"), Some("w")]);
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: {templates: [{containerSet: {containers: [{name: a}]}}]}\n";
        let file = load(src);
        assert!(pod_spec_nodes(file.documents[0].root.as_ref().unwrap()).is_empty());
    }

    #[test]
    fn env_value_from_and_missing_value() {
        let src = "containers:\n- env:\n  - name: DASK_A\n    valueFrom: {secretKeyRef: {name: s, key: k}}\n  - name: DASK_B\n  - {name: PATH, value: /bin}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        let got = facts(src, root, constructs);
        assert_eq!(got, ["env a = Other @ DASK_A", "env b = Null @ DASK_B"]);
    }

    #[test]
    fn look_alikes_are_not_pod_templates() {
        for src in [
            "kind: Service\nspec: {ports: []}\n",
            "apiVersion: v1\nkind: Pod\nspec: {containers: []}\n",
            "containers: not-a-list\n",
            "spec: {template: {}}\n",
        ] {
            let file = load(src);
            let root = file.documents[0].root.as_ref().unwrap();
            assert!(!is_pod_template(root), "{src}");
        }
    }
}
