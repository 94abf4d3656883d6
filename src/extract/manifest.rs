//! Kubernetes objects → a `Resource` fact per object and the facts of every container.
//!
//! Takes one YAML document that is a Kubernetes object (`apiVersion` and `kind`; the items of
//! a `kind: List` are objects too). Gives a [`Fact::Resource`] per object, located at its
//! `kind` value (one line that names the object reads best in a diagnostic; manifest rules
//! point at the field they match anyway), plus a `DaskCluster` resource for the cluster a
//! `DaskJob` embeds, and the container facts of every pod spec
//! ([`pod_template::pod_spec_nodes`]). Also names the ConfigMap strings that may hold YAML,
//! for the dispatcher to parse. Never edits, never recurses over the tree.

use super::model::{Construct, Fact};
use super::pod_template;
use crate::source::yaml::Node;

/// A Kubernetes object: a mapping with string `apiVersion` and `kind`.
pub fn is_object(root: &Node) -> bool {
    root.get_str("apiVersion").is_some() && root.get_str("kind").is_some()
}

/// Every construct of an object document (Argo's containers are `argo`'s job).
pub fn constructs<'a>(root: &'a Node, src: &str, out: &mut Vec<Construct<'a>>) {
    resources(root, out);
    for spec in pod_template::pod_spec_nodes(root) {
        pod_template::pod_spec_constructs(spec, src, out);
    }
}

/// The objects of a document: itself, and the items of a `List` (nested lists too).
pub fn objects(root: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(node) = todo.pop() {
        if !is_object(node) {
            continue;
        }
        out.push(node);
        if node.get_str("kind") == Some("List")
            && let Some(items) = node.get("items").and_then(Node::as_seq)
        {
            todo.extend(items.iter().rev());
        }
    }
    out
}

/// `Resource` facts of an object and of the objects inside it.
pub fn resources<'a>(root: &'a Node, out: &mut Vec<Construct<'a>>) {
    for object in objects(root) {
        let (Some(api_version), Some(kind)) = (object.get_str("apiVersion"), object.get("kind"))
        else {
            continue;
        };
        let name = object.path(&["metadata", "name"]).and_then(Node::as_str);
        out.push(resource(api_version, kind, name, object, kind.range));
        if let Some(cluster) = daskjob_cluster(object) {
            // The controller creates this DaskCluster under the job's own name.
            let entry = object.path(&["spec"]).and_then(|s| s.entry("cluster"));
            let range = entry.map_or(kind.range, |e| e.key.range);
            out.push(Construct {
                range,
                fact: Fact::Resource {
                    api_version: api_version.to_owned(),
                    kind: "DaskCluster".into(),
                    name: name.map(str::to_owned),
                    node: cluster,
                },
            });
        }
    }
}

fn resource<'a>(
    api_version: &str,
    kind: &Node,
    name: Option<&str>,
    node: &'a Node,
    range: crate::source::TextRange,
) -> Construct<'a> {
    Construct {
        range,
        fact: Fact::Resource {
            api_version: api_version.to_owned(),
            kind: kind.as_str().unwrap_or_default().to_owned(),
            name: name.map(str::to_owned),
            node,
        },
    }
}

/// The DaskCluster a DaskJob embeds under `spec.cluster`.
fn daskjob_cluster(object: &Node) -> Option<&Node> {
    if object.get_str("kind") != Some("DaskJob")
        || !object
            .get_str("apiVersion")
            .is_some_and(|v| v.starts_with("kubernetes.dask.org/"))
    {
        return None;
    }
    object
        .path(&["spec", "cluster"])
        .filter(|c| c.as_map().is_some())
}

/// ConfigMap `data` strings that may hold YAML (a `.yaml`/`.yml` key, or several lines with a
/// `key:`), with their keys, for the dispatcher to parse as documents of their own.
pub fn config_map_yaml(root: &Node) -> Vec<(&str, &Node)> {
    let mut out = Vec::new();
    for object in objects(root) {
        if object.get_str("kind") != Some("ConfigMap") {
            continue;
        }
        let Some(entries) = object.get("data").and_then(Node::as_map) else {
            continue;
        };
        for entry in entries {
            let (Some(key), Some(text)) = (entry.key.as_str(), entry.value.as_string_scalar())
            else {
                continue;
            };
            let yaml_name = key.ends_with(".yaml") || key.ends_with(".yml");
            if yaml_name || (text.contains('\n') && text.contains(':')) {
                out.push((key, &entry.value));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::test_support::{facts, load};

    #[test]
    fn deployment_resource_and_worker_words() {
        let src = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dask-worker}\nspec:\n  template:\n    spec:\n      containers:\n      - name: w\n        args: [dask-worker, dask-scheduler:8786, --no-bokeh]\n        env:\n        - {name: DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING, value: \"False\"}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(is_object(root));
        assert_eq!(
            facts(src, root, constructs),
            [
                "resource apps/v1 Deployment Some(\"dask-worker\") @ Deployment",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
                "env distributed.scheduler.work-stealing = Bool(false) @ DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING",
            ]
        );
    }

    #[test]
    fn list_items_and_daskjob_cluster_are_resources() {
        let src = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: kubernetes.dask.org/v1\n  kind: DaskJob\n  metadata: {name: nightly}\n  spec:\n    job: {spec: {containers: [{name: j, args: [python, run.py]}]}}\n    cluster:\n      spec: {worker: {spec: {restartPolicy: Never, containers: []}}}\n- {apiVersion: v1, kind: Service}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert_eq!(
            facts(src, root, constructs),
            [
                "resource v1 List None @ List",
                "resource kubernetes.dask.org/v1 DaskJob Some(\"nightly\") @ DaskJob",
                "resource kubernetes.dask.org/v1 DaskCluster Some(\"nightly\") @ cluster",
                "resource v1 Service None @ Service",
                "program python @ python",
            ]
        );
    }

    #[test]
    fn config_map_yaml_strings() {
        let src = "apiVersion: v1\nkind: ConfigMap\ndata:\n  dask.yaml: |\n    kubernetes: {}\n  script.sh: echo hi\n  other: |\n    a: 1\n    b: 2\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        let keys: Vec<&str> = config_map_yaml(root).iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["dask.yaml", "other"]);
    }
}
