//! `add-worker-name`: name each operator worker after its Deployment.
//!
//! ## What it rewrites
//! A worker container's `args` list a finding points at, when it lacks `--name`. The
//! operator retires workers by name on scale-down; without `--name $(DASK_WORKER_NAME)` it
//! falls back to deleting the newest Deployments, which can lose data.
//!
//! ## Output
//! `--name` and `$(DASK_WORKER_NAME)` appended as two items, in the list's own style: `, --name,
//! $(DASK_WORKER_NAME)` before a flow list's `]`, or two `- ` lines at the items' indentation.
//!
//! ## Fix safety
//! Safe: the controller sets `DASK_WORKER_NAME` on every worker container.
//!
//! ## Not handled
//! Lists that are not a worker command of their own: a shell string (`sh -c "…"`), or a
//! list whose container runs no worker program; the container then needs a person.

use crate::migrate::{Context, Declined, OrDecline, yaml_text};
use crate::source::edit::{Applicability, Fix};
use crate::source::yaml::Node;

pub const NAME_ARGS: [&str; 2] = ["--name", "$(DASK_WORKER_NAME)"];

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let file = cx.yaml_file()?;
    let seq = match yaml_text::entry_at(file, cx.range) {
        Some(found)
            if found.entry.value.as_seq().is_some()
                && (found.entry.key.range == cx.range || found.entry.value.range == cx.range) =>
        {
            &found.entry.value
        }
        _ => yaml_text::node_at(file, cx.range)
            .map(|(n, _)| n)
            .filter(|n| n.as_seq().is_some())
            .or_decline(
                "the worker's command is a shell string, not a list: add \
                 `--name $(DASK_WORKER_NAME)` to it by hand",
            )?,
    };
    let container =
        container_of(file, seq).or_decline("the arguments are not in a container dusk can find")?;
    if !runs_a_worker(container) {
        return Err(Declined::new(
            "this container does not run `dask worker` directly (a wrapper script?): \
             pass `--name $(DASK_WORKER_NAME)` to the worker by hand",
        ));
    }
    if has_name(seq) {
        return Err(Declined::new(
            "the worker already has a `--name`: set it to `$(DASK_WORKER_NAME)` by hand",
        ));
    }
    let items: Vec<String> = NAME_ARGS.iter().map(|a| yaml_text::scalar(a)).collect();
    let edit = yaml_text::append_items(cx.text, seq, &items)
        .or_decline("the argument list is written in a form dusk cannot append to")?;
    Ok(Fix::new(
        vec![edit],
        Applicability::Safe,
        "add `--name $(DASK_WORKER_NAME)` to the worker's arguments",
    ))
}

/// The container mapping whose `args` (or `command`) is `seq`.
fn container_of<'a>(file: &'a crate::source::yaml::YamlFile, seq: &Node) -> Option<&'a Node> {
    yaml_text::entry_at(file, seq.range)
        .filter(|f| {
            matches!(f.entry.key.as_str(), Some("args" | "command"))
                && f.entry.value.range == seq.range
        })
        .map(|f| f.map)
}

/// The program words of a container's `command` and `args`, as list items.
fn words(container: &Node) -> Vec<&str> {
    ["command", "args"]
        .iter()
        .filter_map(|k| container.get(k)?.as_seq())
        .flatten()
        .filter_map(Node::as_str)
        .collect()
}

/// Whether the container runs a Dask worker program as a list item of its own (not in a
/// shell string).
pub(crate) fn runs_a_worker(container: &Node) -> bool {
    let words = words(container);
    if words.contains(&"-c") {
        return false;
    }
    words.iter().enumerate().any(|(i, w)| {
        let program = w.rsplit('/').next().unwrap_or(w);
        matches!(program, "dask-worker" | "dask-cuda-worker")
            || (program == "dask"
                && words
                    .get(i + 1)
                    .is_some_and(|n| *n == "worker" || *n == "cuda"))
    })
}

pub(crate) fn has_name(seq: &Node) -> bool {
    seq.as_seq()
        .into_iter()
        .flatten()
        .filter_map(Node::as_str)
        .any(|s| s == "--name" || s.starts_with("--name="))
}
