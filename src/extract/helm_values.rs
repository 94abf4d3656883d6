//! Values of the `dask` Helm chart (and of its predecessor `stable/dask`) → `HelmValue` facts
//! and the command lines the chart renders from them.
//!
//! Takes one YAML document plus the file's name and whether a `Chart.yaml` sits beside it.
//! Decides by shape, never by reading `Chart.yaml` (front-ends see only their document):
//! - anywhere: `scheduler` and `worker` mappings whose `image` has a `repository` (or, in early
//!   `stable/dask`, an `image` string with an `imageTag`), together with `jupyter`/`webUI` or an
//!   image repository naming dask; or a key only this chart has (`worker.image.dask_worker`,
//!   `worker.default_resources`, `worker.custom_scheduler_url`, `additional_worker_groups`);
//! - beside a `Chart.yaml`, in a `values*.yaml` file: an override file whose top-level keys are
//!   all the dask chart's and name at least one of its components.
//!
//! Another chart's values (other top-level keys, no dask shape) give nothing. Gives one
//! [`Fact::HelmValue`] with the key [`WHOLE_VALUES`] (`.`) for the document itself, at its
//! first top-level key (a values file of this chart deploys a classic scheduler and workers,
//! whatever it overrides); a [`Fact::HelmValue`] for every dotted key path (sequence items are `*`) at the key node;
//! words for `worker.image.dask_worker` followed by `worker.extraArgs` (and the same per
//! `additional_worker_groups` item), for `scheduler.extraArgs` (after the chart's
//! `dask-scheduler`), and for `jupyter.command` + `jupyter.args`; `DASK_*` variables of each
//! component's `env` list. Never edits, never recurses over the tree.

use super::command::{self, Piece};
use super::model::{Construct, Fact, WordKind};
use super::{manifest, pod_template};
use crate::source::TextRange;
use crate::source::yaml::{Node, Value};

/// The key of the construct that stands for a whole values document.
pub const WHOLE_VALUES: &str = ".";

/// The chart's top-level keys.
const CHART_KEYS: &[&str] = &[
    "nameOverride",
    "fullnameOverride",
    "scheduler",
    "webUI",
    "worker",
    "additional_worker_groups",
    "jupyter",
    // stable/dask before nested images.
    "pullPolicy",
];

/// The keys a values document of the chart has one of at its top level, whichever way
/// [`is_dask_values`] recognises it (the prefilter looks for them).
pub const COMPONENT_KEYS: &[&str] = &[
    "scheduler",
    "worker",
    "jupyter",
    "webUI",
    "additional_worker_groups",
];

/// Whether a document is values of the dask chart.
pub fn is_dask_values(root: &Node, file_name: Option<&str>, beside_chart: bool) -> bool {
    let Some(entries) = root.as_map() else {
        return false;
    };
    if manifest::is_object(root) {
        return false;
    }
    if chart_shape(root) || chart_only_keys(root) {
        return true;
    }
    let values_file = file_name
        .is_some_and(|n| n.starts_with("values") && (n.ends_with(".yaml") || n.ends_with(".yml")));
    beside_chart
        && values_file
        && entries
            .iter()
            .all(|e| e.key.as_str().is_some_and(|k| CHART_KEYS.contains(&k)))
        && ["scheduler", "worker", "jupyter", "webUI"]
            .iter()
            .any(|k| root.get(k).and_then(Node::as_map).is_some())
}

fn chart_shape(root: &Node) -> bool {
    let components = [root.get("scheduler"), root.get("worker")];
    if !components
        .iter()
        .all(|c| c.and_then(Node::as_map).is_some())
    {
        return false;
    }
    let repositories: Vec<&str> = components
        .iter()
        .flatten()
        .filter_map(|c| image_repository(c))
        .collect();
    !repositories.is_empty()
        && (root.get("jupyter").is_some()
            || root.get("webUI").is_some()
            || repositories.iter().any(|r| r.contains("dask")))
}

/// `image.repository`, or in early `stable/dask` an `image` string beside an `imageTag`.
fn image_repository(component: &Node) -> Option<&str> {
    match component.get("image") {
        Some(image) if image.as_map().is_some() => image.get_str("repository"),
        Some(image) if component.get("imageTag").is_some() => image.as_str(),
        _ => None,
    }
}

fn chart_only_keys(root: &Node) -> bool {
    root.path(&["worker", "image", "dask_worker"]).is_some()
        || root.path(&["worker", "default_resources"]).is_some()
        || root.path(&["worker", "custom_scheduler_url"]).is_some()
        || root
            .get("additional_worker_groups")
            .and_then(Node::as_seq)
            .is_some()
}

/// Every construct of a dask chart values document.
pub fn constructs<'a>(root: &'a Node, src: &str, out: &mut Vec<Construct<'a>>) {
    if let Some(first) = root.as_map().and_then(|entries| entries.first()) {
        out.push(Construct {
            range: first.key.range,
            fact: Fact::HelmValue {
                key: WHOLE_VALUES.to_owned(),
                node: root,
            },
        });
    }
    helm_values(root, out);
    if let Some(worker) = root.get("worker") {
        worker_command(worker, src, out);
    }
    for group in root
        .get("additional_worker_groups")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        worker_command(group, src, out);
    }
    if let Some(scheduler) = root.get("scheduler") {
        chart_command(scheduler, "dask-scheduler", None, src, out);
    }
    if let Some(jupyter) = root.get("jupyter") {
        let mut pieces = Vec::new();
        for key in ["command", "args"] {
            if let Some(node) = jupyter.get(key) {
                pieces.extend(pod_template::command_pieces(node, src));
            }
        }
        out.extend(command::constructs(&pieces));
    }
    for component in ["scheduler", "worker", "jupyter"] {
        if let Some(env) = root.path(&[component, "env"]) {
            pod_template::env_constructs(env, out);
        }
    }
}

/// The worker's command line: `image.dask_worker` (the chart's default `dask-worker` when
/// unset), the scheduler address the chart adds, then `extraArgs`.
fn worker_command<'a>(worker: &Node, src: &str, out: &mut Vec<Construct<'a>>) {
    let program = worker.path(&["image", "dask_worker"]);
    chart_command(worker, "dask-worker", program, src, out);
}

/// Words of `program` followed by `component.extraArgs`. Without a `program` node the
/// chart's default stands in, so the flags are known to be Dask's, but it is not reported:
/// it is not in the file.
fn chart_command<'a>(
    component: &Node,
    default: &'static str,
    program: Option<&Node>,
    src: &str,
    out: &mut Vec<Construct<'a>>,
) {
    let extra = component.entry("extraArgs");
    let mut pieces = match program {
        Some(node) => pod_template::command_pieces(node, src),
        None => Vec::new(),
    };
    let stand_in = pieces.is_empty();
    if stand_in {
        let Some(extra) = extra else {
            return;
        };
        pieces.push(Piece {
            value: default,
            range: TextRange::empty(extra.key.range.start()),
            source: "",
        });
    }
    if let Some(extra) = extra {
        pieces.extend(pod_template::command_pieces(&extra.value, src));
    }
    out.extend(command::constructs(&pieces).into_iter().filter(|c| {
        !(stand_in
            && c.range.is_empty()
            && matches!(
                c.fact,
                Fact::Word {
                    kind: WordKind::Program,
                    ..
                }
            ))
    }));
}

/// A `HelmValue` for every key path, at its key, in source order.
fn helm_values<'a>(root: &'a Node, out: &mut Vec<Construct<'a>>) {
    let mut found = Vec::new();
    let mut todo: Vec<(&'a Node, String)> = vec![(root, String::new())];
    while let Some((node, prefix)) = todo.pop() {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    let Some(key) = entry.key.as_str() else {
                        continue;
                    };
                    let path = join(&prefix, key);
                    found.push(Construct {
                        range: entry.key.range,
                        fact: Fact::HelmValue {
                            key: path.clone(),
                            node: &entry.value,
                        },
                    });
                    todo.push((&entry.value, path));
                }
            }
            Value::Seq(items) => {
                let path = join(&prefix, "*");
                todo.extend(items.iter().map(|item| (item, path.clone())));
            }
            Value::Scalar(_) => {}
        }
    }
    found.sort_by_key(|c| c.range.start);
    out.extend(found);
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::test_support::{facts, load};

    fn is_values(src: &str, name: &str, beside_chart: bool) -> bool {
        let file = load(src);
        is_dask_values(
            file.documents[0].root.as_ref().unwrap(),
            Some(name),
            beside_chart,
        )
    }

    #[test]
    fn values_keys_and_commands() {
        let src = "scheduler:\n  image: {repository: ghcr.io/dask/dask, tag: x}\n  extraArgs: [--bokeh-port, '8787']\nworker:\n  image:\n    repository: ghcr.io/dask/dask\n    dask_worker: dask-worker\n  extraArgs: [--no-bokeh]\n  env:\n  - {name: DASK_X, value: '1'}\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        assert!(is_dask_values(root, Some("my.yaml"), false));
        assert_eq!(
            facts(src, root, constructs),
            [
                "helm . @ scheduler",
                "helm scheduler @ scheduler",
                "helm scheduler.image @ image",
                "helm scheduler.image.repository @ repository",
                "helm scheduler.image.tag @ tag",
                "helm scheduler.extraArgs @ extraArgs",
                "helm worker @ worker",
                "helm worker.image @ image",
                "helm worker.image.repository @ repository",
                "helm worker.image.dask_worker @ dask_worker",
                "helm worker.extraArgs @ extraArgs",
                "helm worker.env @ env",
                "helm worker.env.*.name @ name",
                "helm worker.env.*.value @ value",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
                "flag --bokeh-port @ --bokeh-port",
                "env x = Number(\"1\") @ DASK_X",
            ]
        );
    }

    #[test]
    fn shapes_and_look_alikes() {
        // stable/dask before nested images.
        assert!(is_values(
            "scheduler: {image: daskdev/dask, imageTag: 0.17.1}\nworker: {image: daskdev/dask, imageTag: 0.17.1}\njupyter: {enabled: false}\n",
            "dask_config.yaml",
            false
        ));
        // An override file beside the chart.
        assert!(is_values(
            "worker:\n  replicas: 10\n",
            "values-prod.yaml",
            true
        ));
        assert!(!is_values(
            "worker:\n  replicas: 10\n",
            "values-prod.yaml",
            false
        ));
        assert!(!is_values(
            "worker:\n  replicas: 10\n",
            "override.yaml",
            true
        ));
        // Another chart beside its own Chart.yaml: other top-level keys.
        assert!(!is_values(
            "scheduler:\n  image: {repository: quay.io/x/sched}\nworker:\n  image: {repository: quay.io/x/worker}\nredis: {enabled: true}\n",
            "values.yaml",
            true
        ));
        // The same shape without dask evidence is not the dask chart.
        assert!(!is_values(
            "scheduler:\n  image: {repository: quay.io/x/sched}\nworker:\n  image: {repository: quay.io/x/worker}\n",
            "values.yaml",
            false
        ));
        assert!(!is_values(
            "apiVersion: v1\nkind: Pod\nworker: {image: {dask_worker: x}}\n",
            "values.yaml",
            true
        ));
    }

    #[test]
    fn extra_args_without_program_use_the_chart_default_silently() {
        let src = "worker:\n  default_resources: {cpu: 1}\n  extraArgs: [--nprocs, '2']\n";
        let file = load(src);
        let root = file.documents[0].root.as_ref().unwrap();
        let got: Vec<String> = facts(src, root, constructs)
            .into_iter()
            .filter(|f| !f.starts_with("helm"))
            .collect();
        assert_eq!(got, ["flag --nprocs @ --nprocs"]);
    }
}
