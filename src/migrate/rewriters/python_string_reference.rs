//! `python-string-reference`: name the operator's `KubeCluster` where a string names the
//! classic one.
//!
//! ## What it rewrites
//! A string literal whose whole value is a classic path (`"dask_kubernetes.KubeCluster"`,
//! `"dask_kubernetes.classic.KubeCluster"`, …), as tools that import a cluster class by name
//! take it: Prefect 1's `DaskExecutor(cluster_class=…)`, dask-gateway-style factories.
//!
//! ## Output
//! The string names `dask_kubernetes.operator.KubeCluster` (or the rule's `replacement`),
//! in its own quotes. When it is the `cluster_class=` of a call whose `cluster_kwargs=` is a
//! dict literal with a `"pod_template"` key, that key becomes `"custom_cluster_spec"`.
//!
//! ## Fix safety
//! Unsafe: the operator's KubeCluster takes other keywords; the `cluster_kwargs` passed by
//! name elsewhere need a person.
//!
//! In a YAML dask config, the reference is `labextension.factory: {module: dask_kubernetes,
//! class: KubeCluster}`: its module becomes `dask_kubernetes.operator`.
//!
//! ## Not handled
//! Strings built at run time (f-strings, concatenation), and `cluster_kwargs` that are not a
//! dict literal.

use crate::migrate::python_text::{items, node_at, plain_string, range, text_of};
use crate::migrate::{Context, Declined, OrDecline};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::{Field, FieldChild as _, KindName as _};
use tree_sitter::Node;

pub const OPERATOR_CLASS: &str = "dask_kubernetes.operator.KubeCluster";

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    // In a dask config, the reference is a labextension factory's `module` + `class`.
    if let Some(file) = cx.yaml() {
        let found = crate::migrate::yaml_text::entry_at(file, cx.range)
            .or_decline("the reference is not a mapping value dusk can rewrite")?;
        return super::dask_config::factory(cx.text, &found).or_decline(
            "the factory's `module` and `class` are not plain strings dusk can rewrite: \
             change them by hand",
        );
    }
    let doc = cx.python_doc()?;
    let old =
        node_at(doc, cx.range).and_then(|string| Some((string, plain_string(cx.text, string)?)));
    let (string, old) = old.or_decline(
        "the reference is not a plain string literal (an f-string, concatenation or escape): \
         change it by hand",
    )?;
    let dotted = |r: &&str| {
        r.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
    };
    let new = match cx
        .param("to")
        .and_then(|to| to.for_item(0, 1))
        .filter(dotted)
    {
        Some(r) => r,
        None if old.ends_with(".KubeCluster") => OPERATOR_CLASS,
        None => {
            return Err(Declined::new(format!(
                "the rule names no dotted replacement for `{old}`: change it by hand"
            )));
        }
    };
    if old == new {
        return Err(Declined::new(format!("`{old}` already names `{new}`")));
    }
    let start = string.start_byte() + 1;
    let mut edits = vec![Edit::replace(TextRange::new(start, start + old.len()), new)];
    edits.extend(pod_template_key(cx.text, string));
    Ok(Fix::new(
        edits,
        Applicability::Unsafe,
        format!("name `{new}` instead of `{old}`"),
    ))
}

/// In `f(cluster_class="…", cluster_kwargs={"pod_template": x})`, rename the key.
fn pod_template_key(text: &str, string: Node<'_>) -> Option<Edit> {
    let keyword = string
        .parent()
        .filter(|p| p.kind_name() == "keyword_argument")?;
    if text_of(text, keyword.field(Field::Name)?) != "cluster_class" {
        return None;
    }
    let args = keyword.parent()?;
    let kwargs = items(args).into_iter().find(|a| {
        a.kind_name() == "keyword_argument"
            && a.field(Field::Name)
                .is_some_and(|n| text_of(text, n) == "cluster_kwargs")
    })?;
    let dict = kwargs
        .field(Field::Value)
        .filter(|v| v.kind_name() == "dictionary")?;
    let key = items(dict)
        .into_iter()
        .filter(|p| p.kind_name() == "pair")
        .filter_map(|p| p.field(Field::Key))
        .find(|k| plain_string(text, *k).as_deref() == Some("pod_template"))?;
    let r = range(key);
    Some(Edit::replace(
        TextRange::new(r.start() + 1, r.end() - 1),
        "custom_cluster_spec",
    ))
}
