//! Dask config files → config keys, pod template facts, and the labextension factory.
//!
//! Takes one YAML document. A dask config is a mapping whose `kubernetes` section holds a key
//! only dask-kubernetes uses, or whose top-level keys are all dask sections with at least one
//! that only dask uses (`distributed`, `labextension`, `jobqueue`, …). Another tool's
//! `kubernetes: {context: …, namespace: …}` next to its own keys is not one. Gives a
//! [`Fact::ConfigKey`] (origin `File`) for every key path, parents included, at the key node;
//! the container facts of the pod templates under `kubernetes.worker-template` and
//! `scheduler-template`; the words of `kubernetes.worker-command`; and a [`Fact::PyString`]
//! for `labextension.factory: {module, class}` so rules on Python names see it. Never edits,
//! never recurses over the tree.

use super::model::{ConfigOrigin, Construct, Fact, Literal, normalise_config_key};
use super::{command, manifest, pod_template};
use crate::source::yaml::Node;

/// `kubernetes.*` keys that only dask-kubernetes uses (normalised): one is enough.
const DASK_KUBERNETES_KEYS: &[&str] = &[
    "count",
    "worker-template",
    "worker-template-path",
    "scheduler-template",
    "scheduler-template-path",
    "idle-timeout",
    "deploy-mode",
    "dashboard-address",
    "scheduler-service-type",
    "scheduler-service-template",
    "scheduler-pdb-template",
    "scheduler-service-wait-timeout",
    "scheduler-service-name-resolution-retries",
    "worker-command",
    "custom-cluster-spec",
    "create-mode",
    "shutdown-on-close",
    "resource-timeout",
    "port-forward-cluster-ip",
    "scheduler-forward-port",
    "scheduler-jupyter",
    // Not real keys, but written by users following old docs (dask-facts.md §1.6).
    "worker-name",
    "scheduler-timeout",
];

/// Top-level sections only dask (and its plugins) use.
const DISTINCT_SECTIONS: &[&str] = &[
    "distributed",
    "labextension",
    "jobqueue",
    "gateway",
    "temporary-directory",
];

/// Top-level sections dask uses whose names other tools use too.
const SHARED_SECTIONS: &[&str] = &[
    "kubernetes",
    "array",
    "dataframe",
    "logging",
    "admin",
    "optimization",
    "tokenize",
    "visualization",
    "scheduler",
    "ucx",
    "rmm",
    "cloudprovider",
    "yarn",
];

/// Values that are Kubernetes objects or free-form maps, not config structure: their inner
/// keys are not reported as config keys.
const OPAQUE_KEYS: &[&str] = &[
    "kubernetes.worker-template",
    "kubernetes.scheduler-template",
    "kubernetes.scheduler-service-template",
    "kubernetes.scheduler-pdb-template",
    "kubernetes.custom-cluster-spec",
    "kubernetes.env",
    "kubernetes.resources",
];

/// Whether a document is a dask config file.
pub fn is_dask_config(root: &Node) -> bool {
    let Some(entries) = root.as_map() else {
        return false;
    };
    if manifest::is_object(root) {
        return false;
    }
    let dask_kubernetes_key = root
        .get("kubernetes")
        .and_then(Node::as_map)
        .is_some_and(|k| {
            k.iter().any(|e| {
                e.key
                    .as_str()
                    .is_some_and(|key| DASK_KUBERNETES_KEYS.contains(&&*normalise_config_key(key)))
            })
        });
    let sections: Vec<String> = entries
        .iter()
        .map(|e| e.key.as_str().map(normalise_config_key).unwrap_or_default())
        .collect();
    // Another tool's file may borrow a dask key name under its own `kubernetes:` (a Ray
    // cluster config, say); its other top-level keys give it away. Dask's own config holds
    // dask sections, and at most as many foreign ones.
    let foreign = sections
        .iter()
        .filter(|s| {
            !DISTINCT_SECTIONS.contains(&&***s)
                && !SHARED_SECTIONS.contains(&&***s)
                && *s != "kubernetes"
        })
        .count();
    if dask_kubernetes_key {
        return foreign * 2 <= sections.len();
    }
    let all_dask = sections
        .iter()
        .all(|s| DISTINCT_SECTIONS.contains(&&**s) || SHARED_SECTIONS.contains(&&**s));
    all_dask && sections.iter().any(|s| DISTINCT_SECTIONS.contains(&&**s))
}

/// The pod templates a dask config holds (`kubernetes.worker-template`, `scheduler-template`).
pub fn pod_templates(root: &Node) -> Vec<&Node> {
    let Some(kubernetes) = root.get("kubernetes").and_then(Node::as_map) else {
        return Vec::new();
    };
    kubernetes
        .iter()
        .filter(|e| {
            e.key.as_str().is_some_and(|k| {
                matches!(
                    &*normalise_config_key(k),
                    "worker-template" | "scheduler-template"
                )
            })
        })
        .map(|e| &e.value)
        .filter(|t| t.as_map().is_some())
        .collect()
}

/// Every construct of a dask config document.
pub fn constructs<'a>(root: &Node, src: &str, out: &mut Vec<Construct<'a>>) {
    config_keys(root, out);
    for template in pod_templates(root) {
        pod_template::constructs(template, src, out);
    }
    if let Some(kubernetes) = root.get("kubernetes").and_then(Node::as_map) {
        for entry in kubernetes {
            if entry.key.as_str().map(normalise_config_key).as_deref() == Some("worker-command") {
                let pieces = pod_template::command_pieces(&entry.value, src);
                out.extend(command::constructs(&pieces));
            }
        }
    }
    if let Some(factory) = root.get("labextension").and_then(|l| l.entry("factory"))
        && let (Some(module), Some(class)) = (
            factory.value.get("module").and_then(Node::as_string_scalar),
            factory.value.get("class").and_then(Node::as_string_scalar),
        )
    {
        out.push(Construct {
            range: factory.key.range,
            fact: Fact::PyString {
                value: format!("{module}.{class}"),
            },
        });
    }
}

/// A `ConfigKey` for every key path of mappings, parents first, in source order; sequences
/// and opaque values end a path.
fn config_keys<'a>(root: &Node, out: &mut Vec<Construct<'a>>) {
    let mut keys = Vec::new();
    let mut todo: Vec<(&Node, String)> = vec![(root, String::new())];
    while let Some((node, prefix)) = todo.pop() {
        let Some(entries) = node.as_map() else {
            continue;
        };
        let mut children = Vec::new();
        for entry in entries {
            let Some(key) = entry.key.as_str() else {
                continue;
            };
            let path = if prefix.is_empty() {
                normalise_config_key(key)
            } else {
                format!("{prefix}.{}", normalise_config_key(key))
            };
            keys.push(Construct {
                range: entry.key.range,
                fact: Fact::ConfigKey {
                    key: path.clone(),
                    value: Literal::from_yaml(&entry.value),
                    origin: ConfigOrigin::File,
                },
            });
            if !OPAQUE_KEYS.contains(&path.as_str()) {
                children.push((&entry.value, path));
            }
        }
        todo.extend(children.into_iter().rev());
    }
    // A stack visits parents before children, but not in source order.
    keys.sort_by_key(|c| c.range.start);
    out.extend(keys);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::test_support::{facts, load};

    fn is_config(src: &str) -> bool {
        let file = load(src);
        is_dask_config(file.documents[0].root.as_ref().unwrap())
    }

    #[test]
    fn keys_parents_values_and_templates() {
        let src = "kubernetes:\n  count:\n    max: 30\n  dashboard_address: ':8787'\n  worker-template:\n    spec:\n      containers:\n      - args: [dask-worker, --no-bokeh]\n  worker-command: dask-worker\nlabextension:\n  factory: {module: dask_kubernetes, class: KubeCluster}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(is_dask_config(root));
        assert_eq!(
            facts(src, root, constructs),
            [
                "config kubernetes = Other @ kubernetes",
                "config kubernetes.count = Other @ count",
                "config kubernetes.count.max = Number(\"30\") @ max",
                "config kubernetes.dashboard-address = String(\":8787\") @ dashboard_address",
                "config kubernetes.worker-template = Other @ worker-template",
                "config kubernetes.worker-command = String(\"dask-worker\") @ worker-command",
                "config labextension = Other @ labextension",
                "config labextension.factory = Other @ factory",
                "config labextension.factory.module = String(\"dask_kubernetes\") @ module",
                "config labextension.factory.class = String(\"KubeCluster\") @ class",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
                "program dask-worker @ dask-worker",
                "pystring dask_kubernetes.KubeCluster @ factory",
            ]
        );
    }

    #[test]
    fn classification_and_look_alikes() {
        assert!(is_config("kubernetes:\n  worker-template-path: /t.yaml\n"));
        assert!(is_config("kubernetes:\n  name: x\ndistributed: {}\n"));
        assert!(is_config(
            "distributed:\n  dashboard: {link: x}\nlogging: {}\n"
        ));
        assert!(is_config(
            "kubernetes:\n  scheduler_service_type: LoadBalancer\n"
        ));
        // Another tool's config: a kubernetes section of common keys, non-dask siblings.
        assert!(!is_config(
            "kubernetes:\n  context: prod\n  namespace: tools\ncluster: east\nlogging: {level: debug}\n"
        ));
        assert!(!is_config("kubernetes:\n  namespace: x\n  image: y\n"));
        assert!(!is_config("logging: {}\narray: {}\n"));
        assert!(!is_config(
            "apiVersion: v1\nkind: ConfigMap\nkubernetes: {count: 1}\n"
        ));
        assert!(!is_config("- kubernetes\n"));
        // A Ray cluster config borrowing a dask key name under its own `kubernetes:`.
        assert!(!is_config(
            "cluster_name: ray\nprovider: {type: kubernetes}\nkubernetes:\n  worker-template: none\nhead_node_type: head\n"
        ));
        // A dask config with one section of an extension dask does not know stays a dask config.
        assert!(is_config(
            "kubernetes:\n  worker-template: {}\ncoiled: {}\n"
        ));
    }
}
