//! `python-import-operator`: import the operator API from `dask_kubernetes.operator`.
//!
//! ## What it rewrites
//! `dask_kubernetes.experimental` (where the operator's `KubeCluster` lived from 2022.5.0
//! until it moved in 2022.10.0) in the import or dotted name a finding points at:
//! `from dask_kubernetes.experimental import KubeCluster`, `import
//! dask_kubernetes.experimental`, `dask_kubernetes.experimental.KubeCluster(…)`.
//!
//! ## Output
//! The same statement with `dask_kubernetes.operator`; nothing else on the line changes.
//!
//! ## Fix safety
//! Safe: the operator module exports the same names with the same behaviour.
//!
//! ## Not handled
//! `from dask_kubernetes import experimental` (the module bound to a name) and dynamic
//! imports (`importlib.import_module("…")`).

use crate::migrate::{Context, Declined, OrDecline};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::{Field, FieldChild as _};

pub const OLD: &str = "dask_kubernetes.experimental";
pub const NEW: &str = crate::dask::OPERATOR_MODULE;

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let doc = cx.python_doc()?;
    let unreadable = "the import is written in a form dusk cannot rewrite: change it by hand";
    let mut node = doc
        .tree
        .root_node()
        .descendant_for_byte_range(cx.range.start(), cx.range.end())
        .or_decline(unreadable)?;
    // The module of a `from … import` statement around the name, else the dotted name or
    // attribute chain at the finding.
    let target = loop {
        if node.kind() == "import_from_statement" {
            break node.field(Field::ModuleName).or_decline(unreadable)?;
        }
        if matches!(node.kind(), "dotted_name" | "attribute")
            && cx.text[node.start_byte()..node.end_byte()].starts_with(OLD)
            && node
                .parent()
                .is_none_or(|p| !matches!(p.kind(), "dotted_name" | "attribute"))
        {
            break node;
        }
        node = node.parent().or_decline(unreadable)?;
    };
    let text = &cx.text[target.start_byte()..target.end_byte()];
    let rest = text.strip_prefix(OLD).or_decline(unreadable)?;
    if !(rest.is_empty() || rest.starts_with('.')) {
        return Err(Declined::new(unreadable));
    }
    let start = target.start_byte();
    Ok(Fix::new(
        vec![Edit::replace(TextRange::new(start, start + OLD.len()), NEW)],
        Applicability::Safe,
        format!("import from `{NEW}`"),
    ))
}
