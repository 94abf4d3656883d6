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
//! Keywords passed through `**kwargs` dictionaries. `scheduler_pod_template=` of a call
//! whose `python-classic-cluster` fix is in the same run: that fix carries it into the
//! DaskCluster's scheduler spec (or says to move it there by hand).

use crate::migrate::python_text::{
    ancestor, comment_above, imported_names, items, name_uses, node_at, range, remove_from_list,
    shorten, statement_removal, taken_argument, text_of, top_level_of, used_outside,
};
use crate::migrate::{Context, Declined, OrDecline};
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::{Field, FieldChild as _, KindName as _};

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
        .filter(|p| p.kind_name() == "argument_list")
        .or_decline(not_keyword)?;
    let list = items(args);
    let index = list
        .iter()
        .position(|n| *n == keyword)
        .or_decline(not_keyword)?;
    let name = text_of(cx.text, keyword.field(Field::Name).or_decline(not_keyword)?);
    // The constructor's fix carries the scheduler's template into the DaskCluster (or says
    // to move it by hand): removed here first, it would be lost to that fix.
    if name == "scheduler_pod_template" && constructor_pending(cx, args.parent()) {
        return Err(Declined::new(
            "the `classic-kubecluster-constructor` fix of this call moves \
             `scheduler_pod_template=` into the DaskCluster's scheduler spec",
        ));
    }
    // A call that stays classic keeps its classic keywords: removed, they would change what
    // the classic cluster does (where `deploy_mode=` runs the scheduler) for nothing.
    if let Some(call) = args.parent()
        && super::python_classic_cluster::stays_classic(cx, call)
    {
        return Err(Declined::new(
            "this call stays the classic `KubeCluster` in this run (its \
             `classic-kubecluster-constructor` finding says why), and so do its classic \
             keywords",
        ));
    }
    let in_adapt = args
        .parent()
        .and_then(|call| call.field(Field::Function))
        .and_then(|f| f.field(Field::Attribute))
        .is_some_and(|a| text_of(cx.text, a) == "adapt");
    let removed = shorten(text_of(cx.text, keyword));
    let removal = remove_from_list(&list, index).or_decline_with(|| {
        format!("`{name}=` is written in a form dusk cannot remove cleanly: remove it by hand")
    })?;
    let mut edits = vec![
        Edit::delete(removal),
        comment_above(
            cx.text,
            keyword,
            &format!("dusk: removed `{removed}`: {}", reason(name, in_adapt)),
        ),
    ];
    edits.extend(imports_only_used_in(cx, keyword));
    Ok(
        Fix::new(edits, Applicability::Unsafe, format!("remove `{name}=`"))
            .taking(taken_argument(keyword)),
    )
}

/// Whether `call` has a `python-classic-cluster` finding of this run.
fn constructor_pending(cx: &Context<'_>, call: Option<tree_sitter::Node<'_>>) -> bool {
    let (Some(doc), Some(call)) = (cx.python(), call) else {
        return false;
    };
    cx.pending.iter().any(|(rule, r)| {
        rule.fix
            .as_ref()
            .is_some_and(|f| f.rewriter == "python-classic-cluster")
            && node_at(doc, *r).is_some_and(|n| n.id() == call.id())
    })
}

/// Names imported with `from … import` that only `removed` (a keyword or expression a fix
/// removes or replaces) uses: `KubeConfig` of `auth=[KubeConfig(...)]`, `classic` of
/// `classic.KubeCluster`. The fix would leave them unused, so they leave their import too
/// (the whole statement when nothing else is left in it).
///
/// The file's imports and where each name is read come from the pass's memo
/// ([`top_level_of`], [`name_uses`]): walked per removed keyword, they made a file of N
/// findings cost N walks of the file.
pub(crate) fn imports_only_used_in(cx: &Context<'_>, removed: tree_sitter::Node<'_>) -> Vec<Edit> {
    let Some(doc) = cx.python() else {
        return Vec::new();
    };
    let text = cx.text;
    let mut used_inside: Vec<&str> = Vec::new();
    // A cursor made at a node does not leave its subtree.
    let mut cursor = removed.walk();
    'walk: loop {
        let node = cursor.node();
        if node.kind_name() == "identifier" {
            used_inside.push(text_of(text, node));
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    let mut edits = Vec::new();
    if used_inside.is_empty() {
        return edits;
    }
    for stmt in top_level_of(cx, doc, "import_from_statement") {
        let names = imported_names(stmt);
        let unused: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                let local = n.field(Field::Alias).unwrap_or(**n);
                let local = text_of(text, local);
                used_inside.contains(&local)
                    && !used_outside(&name_uses(cx, local), &[range(removed), range(stmt)])
            })
            .map(|(i, _)| i)
            .collect();
        match unused.len() {
            0 => {}
            n if n == names.len() => edits.push(Edit::delete(statement_removal(text, stmt))),
            // One name per fix: neighbouring removals would share a comma.
            _ => edits.extend(remove_from_list(&names, unused[0]).map(Edit::delete)),
        }
    }
    edits
}
