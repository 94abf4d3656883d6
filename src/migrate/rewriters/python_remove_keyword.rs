//! `python-remove-keyword`: drop a keyword argument that has no operator equivalent.
//!
//! ## What it rewrites
//! The `name=value` argument a finding points at: classic-only `KubeCluster` keywords
//! (`deploy_mode`, `host`, `port`, `auth`, `security`, `scheduler_service_wait_timeout`, …),
//! keywords the classic cluster once passed to a `LocalCluster`, and `adapt()` tuning
//! keywords (`target_duration`, `wait_count`, `interval`, …) the operator's `adapt` rejects.
//!
//! ## Output
//! The argument and one comma removed, and a comment above the statement saying what was
//! removed and why: `# dusk: removed `deploy_mode="local"`: the operator always runs the
//! scheduler in the cluster`.
//!
//! ## Fix safety
//! Unsafe: it drops behaviour (local scheduler, custom auth, adaptive tuning) that the
//! operator does not offer; the comment is there for the reviewer.
//!
//! ## Not handled
//! Keywords passed through `**kwargs` dictionaries.

use crate::migrate::python_text::{
    ancestor, comment_above, items, node_at, remove_from_list, shorten, text_of,
};
use crate::migrate::{Context, Declined, OrDecline};
use crate::source::edit::{Applicability, Edit, Fix};

/// Why a keyword has no place in the operator's API.
fn reason(keyword: &str, in_adapt: bool) -> &'static str {
    if in_adapt {
        return "the operator's adapt() takes only minimum and maximum";
    }
    match keyword {
        "deploy_mode" | "host" | "port" | "interface" | "protocol" | "dashboard_address" => {
            "the operator always runs the scheduler in the cluster"
        }
        "security" => "configure TLS in the DaskCluster's pod specs",
        "auth" => {
            "the operator's KubeCluster finds credentials itself (kubeconfig or service account)"
        }
        "apply_default_affinity" => {
            "write tolerations and affinity into the DaskCluster's pod specs"
        }
        "scheduler_service_wait_timeout" => "the closest operator setting is resource_timeout",
        "scheduler_pod_template" => {
            "put the scheduler's pod in the DaskCluster's spec.scheduler.spec"
        }
        "diagnostics_port" | "scheduler_port" | "ip" | "processes" | "threads_per_worker"
        | "services" | "service_kwargs" | "worker_class" => {
            "only dask-kubernetes before 0.10 passed it to a LocalCluster"
        }
        _ => "no Dask Operator equivalent",
    }
}

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let doc = cx.python_doc()?;
    let not_keyword = "the finding is not at a `name=value` keyword argument: remove it by hand";
    let keyword = node_at(doc, cx.range)
        .and_then(|n| ancestor(n, &["keyword_argument"]))
        .or_decline(not_keyword)?;
    let args = keyword
        .parent()
        .filter(|p| p.kind() == "argument_list")
        .or_decline(not_keyword)?;
    let list = items(args);
    let index = list
        .iter()
        .position(|n| *n == keyword)
        .or_decline(not_keyword)?;
    let name = text_of(
        cx.text,
        keyword
            .child_by_field_name("name")
            .or_decline(not_keyword)?,
    );
    let in_adapt = args
        .parent()
        .and_then(|call| call.child_by_field_name("function"))
        .and_then(|f| f.child_by_field_name("attribute"))
        .is_some_and(|a| text_of(cx.text, a) == "adapt");
    let removed = shorten(text_of(cx.text, keyword));
    let removal = remove_from_list(&list, index).or_decline_with(|| {
        format!("`{name}=` is written in a form dusk cannot remove cleanly: remove it by hand")
    })?;
    Ok(Fix::new(
        vec![
            Edit::delete(removal),
            comment_above(
                cx.text,
                keyword,
                &format!("dusk: removed `{removed}`: {}", reason(name, in_adapt)),
            ),
        ],
        Applicability::Unsafe,
        format!("remove `{name}=`"),
    ))
}
