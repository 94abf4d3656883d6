//! `python-classic-cluster`: use the operator's `KubeCluster` instead of the classic one.
//!
//! ## What it rewrites
//! - `from dask_kubernetes import KubeCluster` (and the `classic`/`core` paths): imported
//!   from `dask_kubernetes.operator`; a statement importing other names keeps them and a new
//!   statement follows. Attribute chains in code (`dask_kubernetes.KubeCluster`) likewise.
//! - `KubeCluster(pod_template, …)`, `KubeCluster(pod_template=…)`,
//!   `KubeCluster.from_yaml(path, …)`, `KubeCluster.from_dict(spec, …)`: the template becomes
//!   `custom_cluster_spec=…`; other positional arguments get their classic names; `name`,
//!   `namespace`, `n_workers`, `env` and `idle_timeout` stay (a literal time string such as
//!   `"5 minutes"` becomes integer seconds, as the operator wants); classic-only keywords are
//!   removed, each with a `# dusk: removed …` comment above the statement.
//!
//! ## Output
//! Text edits on the call's arguments and the import; the rest of the line is untouched.
//! Imports and chains move only once no call or keyword fix is pending in the file, so
//! calls are migrated while they still resolve to the classic class.
//!
//! ## Fix safety
//! Unsafe: `custom_cluster_spec` needs a DaskCluster, so the template it names must be
//! migrated too (`pod-template-to-daskcluster` does that for YAML files, `python-make-pod-spec`
//! for `make_pod_spec` calls); dropped keywords change behaviour; the operator deletes an
//! idle cluster where the classic one only stopped its scheduler.
//!
//! ## Not handled
//! Templates passed through `**kwargs`, more positional arguments than the classic signature
//! has, `import dask_kubernetes.classic` module objects, and idle timeouts that are not a
//! literal string.

use crate::migrate::python_text::{
    ancestor, comment_above, items, move_import, node_at, plain_string, range, shorten, text_of,
};
use crate::migrate::{Context, Declined, OrDecline};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use tree_sitter::Node;

pub const OPERATOR: &str = "dask_kubernetes.operator";

/// The classic constructor's parameters, in order.
const CLASSIC_PARAMS: &[&str] = &[
    "pod_template",
    "name",
    "namespace",
    "n_workers",
    "host",
    "port",
    "env",
    "auth",
    "idle_timeout",
    "deploy_mode",
    "interface",
    "protocol",
    "dashboard_address",
    "security",
    "scheduler_service_wait_timeout",
    "scheduler_service_name_resolution_retries",
    "scheduler_pod_template",
    "apply_default_affinity",
];

/// Keywords the operator's KubeCluster does not take.
const CLASSIC_ONLY: &[&str] = &[
    "host",
    "port",
    "auth",
    "deploy_mode",
    "interface",
    "protocol",
    "dashboard_address",
    "security",
    "scheduler_service_wait_timeout",
    "scheduler_service_name_resolution_retries",
    "scheduler_pod_template",
    "apply_default_affinity",
    "diagnostics_port",
    "scheduler_port",
    "ip",
    "processes",
    "threads_per_worker",
    "services",
    "service_kwargs",
    "worker_class",
];

/// Rewriters whose pending call or keyword fixes an import move must wait for.
pub const CALL_REWRITERS: &[&str] = &[
    "python-classic-cluster",
    "python-make-pod-spec",
    "python-remove-keyword",
];

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let doc = cx.python_doc()?;
    let node = node_at(doc, cx.range).or_decline("the finding is not at Python code")?;
    if node.kind() == "call" {
        return constructor(cx, node);
    }
    if calls_pending(cx) {
        return Err(Declined::new(
            "the import moves once the classic calls that use it are migrated: \
             fix those first (they are listed too)",
        ));
    }
    let edits = if ancestor(node, &["import_from_statement"]).is_some() {
        if !text_of(cx.text, node).ends_with("KubeCluster") {
            return Err(Declined::new(
                "only the `KubeCluster` name of this import moves to the operator: \
                 change the rest by hand",
            ));
        }
        move_import(cx.text, doc, cx.range, OPERATOR, None)
            .or_decline("the import is written in a form dusk cannot split: change it by hand")?
    } else if node.kind() == "attribute" && text_of(cx.text, node).ends_with(".KubeCluster") {
        vec![Edit::replace(
            range(node),
            format!("{OPERATOR}.KubeCluster"),
        )]
    } else {
        return Err(Declined::new(format!(
            "`{}` is not an import, attribute or call of the classic `KubeCluster` dusk can \
             rewrite: change it by hand",
            shorten(text_of(cx.text, node))
        )));
    };
    Ok(Fix::new(
        edits,
        Applicability::Unsafe,
        format!("import `KubeCluster` from `{OPERATOR}`"),
    ))
}

/// Whether a call or keyword finding that an import move would hide still has a fix to
/// apply (its rewriter, asked now, gives one).
pub fn calls_pending(cx: &Context<'_>) -> bool {
    let Some(doc) = cx.python() else {
        return false;
    };
    cx.pending.iter().any(|(rule, r)| {
        let Some(name) = rule.fix.as_ref().map(|f| f.rewriter.as_str()) else {
            return false;
        };
        CALL_REWRITERS.contains(&name)
            && *r != cx.range
            && node_at(doc, *r).is_some_and(|n| matches!(n.kind(), "call" | "keyword_argument"))
            && crate::migrate::rewriter(name)
                .is_some_and(|rewrite| rewrite(&cx.for_finding(rule, *r)).is_ok())
    })
}

fn constructor(cx: &Context<'_>, call: Node<'_>) -> Result<Fix, Declined> {
    let text = cx.text;
    let at = cx.line(call.start_byte());
    let function = call
        .child_by_field_name("function")
        .or_decline("the call has no function")?;
    let args = call
        .child_by_field_name("arguments")
        .filter(|a| a.kind() == "argument_list")
        .or_decline_with(|| {
            format!("the call at {at} passes a generator, not arguments: rewrite it by hand")
        })?;
    let method = (function.kind() == "attribute")
        .then(|| function.child_by_field_name("attribute"))
        .flatten()
        .map(|a| text_of(text, a));
    let from_method = matches!(method, Some("from_yaml" | "from_dict"));
    let mut edits = Vec::new();
    if from_method {
        let object = function
            .child_by_field_name("object")
            .or_decline("the method has no object")?;
        edits.push(Edit::delete(TextRange::new(
            object.end_byte(),
            function.end_byte(),
        )));
    }
    let list = items(args);
    let mut removed = vec![false; list.len()];
    let mut comments = Vec::new();
    let mut positional = 0;
    for (i, item) in list.iter().enumerate() {
        match item.kind() {
            "keyword_argument" => {
                let name_node = item
                    .child_by_field_name("name")
                    .or_decline("a keyword argument has no name")?;
                let name = text_of(text, name_node);
                if name == "pod_template" {
                    edits.push(Edit::replace(range(name_node), "custom_cluster_spec"));
                } else if CLASSIC_ONLY.contains(&name) {
                    removed[i] = true;
                    comments.push(shorten(text_of(text, *item)));
                } else if name == "idle_timeout"
                    && let Some(value) = item.child_by_field_name("value")
                    && let Some(seconds) = plain_string(text, value).as_deref().and_then(seconds)
                {
                    edits.push(Edit::replace(range(value), seconds.to_string()));
                }
            }
            "list_splat" | "dictionary_splat" => {}
            _ => {
                let param = match positional {
                    0 => "custom_cluster_spec",
                    p if !from_method => CLASSIC_PARAMS.get(p).copied().or_decline_with(|| {
                        format!(
                            "the call at {at} passes more positional arguments than the \
                             classic `KubeCluster` takes: name them and rerun"
                        )
                    })?,
                    _ => {
                        return Err(Declined::new(format!(
                            "`{}` at {at} takes one positional argument, this call passes \
                             more: name them and rerun",
                            method.unwrap_or("from_yaml")
                        )));
                    }
                };
                positional += 1;
                if CLASSIC_ONLY.contains(&param) {
                    removed[i] = true;
                    comments.push(format!("{param}={}", shorten(text_of(text, *item))));
                } else {
                    edits.push(Edit::insert(item.start_byte(), format!("{param}=")));
                }
            }
        }
    }
    edits.extend(remove_many(&list, &removed).into_iter().map(Edit::delete));
    for c in &comments {
        edits.push(comment_above(
            text,
            call,
            &format!("dusk: removed `{c}`: no Dask Operator equivalent"),
        ));
    }
    if edits.is_empty() {
        let keyword = |k: &str| {
            list.iter().any(|i| {
                i.child_by_field_name("name")
                    .is_some_and(|n| text_of(text, n) == k)
            })
        };
        let splat = list
            .iter()
            .any(|i| matches!(i.kind(), "list_splat" | "dictionary_splat"));
        return Err(Declined::new(if keyword("custom_cluster_spec") {
            format!(
                "the call at {at} already passes `custom_cluster_spec=`: what is left is its \
                 import (`classic-kubecluster-import` moves it)"
            )
        } else if splat {
            format!(
                "the call at {at} passes its arguments through `*args`/`**kwargs`: pass the \
                 migrated pod template as `custom_cluster_spec=` by hand"
            )
        } else {
            format!(
                "the call at {at} passes no pod template (classic read it from the dask \
                 config): pass a DaskCluster as `custom_cluster_spec=`, or `image=`, by hand"
            )
        }));
    }
    Ok(Fix::new(
        edits,
        Applicability::Unsafe,
        "build the operator's KubeCluster from a custom cluster spec",
    ))
}

/// Ranges deleting the `removed` items of a comma-separated list, each with one comma.
pub fn remove_many(items: &[Node<'_>], removed: &[bool]) -> Vec<TextRange> {
    let Some(last_kept) = removed.iter().rposition(|r| !r) else {
        return match (items.first(), items.last()) {
            (Some(a), Some(b)) => vec![TextRange::new(a.start_byte(), b.end_byte())],
            _ => Vec::new(),
        };
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate().take(last_kept) {
        if removed[i] {
            out.push(TextRange::new(item.start_byte(), items[i + 1].start_byte()));
        }
    }
    if last_kept + 1 < items.len() {
        let end = items[items.len() - 1].end_byte();
        out.push(TextRange::new(items[last_kept].end_byte(), end));
    }
    out
}

/// Seconds in a dask time string such as `"5 minutes"`, `"30s"`, `"1.5h"`.
pub fn seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "ms" | "millisecond" | "milliseconds" => 0.001,
        _ => return None,
    };
    let s = (number * factor).round();
    (s.is_finite() && s >= 0.0).then_some(s as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dask_time_strings_become_seconds() {
        for (text, want) in [
            ("5 minutes", Some(300)),
            ("30s", Some(30)),
            ("1.5h", Some(5400)),
            ("60", Some(60)),
            ("2 fortnights", None),
            ("", None),
        ] {
            assert_eq!(seconds(text), want, "{text}");
        }
    }
}
