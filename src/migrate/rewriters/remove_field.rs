//! `remove-field`: delete the mapping entry a finding points at.
//!
//! ## What it rewrites
//! The entry whose key or value is the finding's range, such as `restartPolicy: Never` in a
//! DaskCluster's worker pod spec (the operator runs workers as Deployments, which reject it).
//!
//! ## Output
//! The entry's line(s) removed, with any comment trailing on them; in a flow mapping, the
//! entry and one comma.
//!
//! ## Fix safety
//! As the rule declares: removing `restartPolicy: Never` from an operator pod spec is safe,
//! since the resource is rejected with it.
//!
//! ## Not handled
//! The only entry of a mapping (removing it would turn the mapping into null); comments on
//! the lines above the entry stay.

use crate::migrate::{Context, Declined, OrDecline, yaml_text};
use crate::source::edit::{Applicability, Fix};

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let found = yaml_text::entry_at(cx.yaml_file()?, cx.range)
        .or_decline("the finding is not at a mapping key dusk can remove: remove it by hand")?;
    let key = found.entry.key.as_str().unwrap_or("field");
    let edit = yaml_text::remove_entry(cx.text, found.map, found.index).or_decline_with(|| {
        format!("`{key}` is written in a form dusk cannot remove cleanly: remove it by hand")
    })?;
    Ok(Fix::new(
        vec![edit],
        Applicability::Safe,
        format!("remove `{key}`"),
    ))
}
