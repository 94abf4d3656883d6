//! Argo Workflows objects → the facts of every container their templates run.
//!
//! Takes one YAML document with `apiVersion: argoproj.io/…` (`Workflow`, `WorkflowTemplate`,
//! `ClusterWorkflowTemplate`, and `CronWorkflow` whose templates sit under
//! `spec.workflowSpec`). Gives the container facts ([`pod_template::container_constructs`])
//! of each template's `container`, `script`, `containerSet.containers[]`, `initContainers[]`
//! and `sidecars[]`, and names each `resource.manifest` string so the dispatcher can parse it
//! as a manifest of its own. `podSpecPatch` strings are not read. Never edits.

use super::model::Construct;
use super::pod_template;
use crate::source::yaml::Node;

/// An Argo Workflows object.
pub fn is_argo(root: &Node) -> bool {
    root.get_str("apiVersion")
        .is_some_and(|v| v.starts_with("argoproj.io/"))
}

/// The `templates` list of a workflow kind, wherever that kind keeps it.
pub fn templates_node(root: &Node) -> Option<&Node> {
    let spec = match root.get_str("kind") {
        Some("CronWorkflow") => root.path(&["spec", "workflowSpec"]),
        _ => root.get("spec"),
    };
    spec.and_then(|s| s.get("templates"))
}

/// The templates of a workflow kind, wherever that kind keeps them.
fn templates(root: &Node) -> &[Node] {
    templates_node(root)
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

/// Every container-like mapping of a template, in source order.
fn containers(template: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    for entry in template.as_map().unwrap_or_default() {
        match entry.key.as_str() {
            Some("container" | "script") => out.push(&entry.value),
            Some("containerSet") => {
                if let Some(items) = entry.value.get("containers").and_then(Node::as_seq) {
                    out.extend(items);
                }
            }
            Some("initContainers" | "sidecars") => {
                out.extend(entry.value.as_seq().unwrap_or_default());
            }
            _ => {}
        }
    }
    out
}

/// Container facts of every template.
pub fn constructs<'a>(root: &Node, src: &str, out: &mut Vec<Construct<'a>>) {
    for template in templates(root) {
        for container in containers(template) {
            pod_template::container_constructs(container, src, out);
        }
    }
}

/// The `resource.manifest` strings of every template (manifests the workflow creates).
pub fn manifests(root: &Node) -> Vec<&Node> {
    templates(root)
        .iter()
        .filter_map(|t| t.path(&["resource", "manifest"]))
        .filter(|m| m.as_string_scalar().is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::test_support::{facts, load};

    #[test]
    fn template_containers_scripts_and_sets() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nspec:\n  workflowSpec:\n    templates:\n    - name: sched\n      daemon: true\n      container: {image: x, args: [dask, scheduler, --idle-timeout=300]}\n    - name: s\n      script: {command: [dask-worker, --no-bokeh], source: 'print(1)'}\n    - name: set\n      containerSet:\n        containers: [{name: a, command: [dask-scheduler]}]\n      sidecars: [{name: b, args: [dask-worker]}]\n    - name: r\n      resource: {action: create, manifest: 'kind: Pod'}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(is_argo(root));
        assert_eq!(
            facts(src, root, constructs),
            [
                "program dask scheduler @ dask, scheduler",
                "flag --idle-timeout @ --idle-timeout",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
                "program dask-scheduler @ dask-scheduler",
                "program dask-worker @ dask-worker",
            ]
        );
        let m: Vec<_> = manifests(root).iter().map(|m| m.as_str()).collect();
        assert_eq!(m, [Some("kind: Pod")]);
    }
}
