//! `replace-flag`: rename a flag of a Dask command line.
//!
//! ## What it rewrites
//! The flag word a finding points at (`--no-bokeh`, `--nprocs`), in a container's
//! `command`/`args`, a Helm value, or a Python string.
//!
//! ## Output
//! The flag replaced by the rule's `replacement` (`--no-dashboard`, `--nworkers`); an
//! `=value` after it stays.
//!
//! ## Fix safety
//! As the rule declares (a rename that keeps meaning is safe).
//!
//! ## Not handled
//! A flag the finding range does not cover verbatim (written with escapes), and rules
//! without a `replacement`.

use crate::migrate::Context;
use crate::rules::pack::MatchDef;
use crate::source::edit::{Applicability, Edit, Fix};

pub fn rewrite(cx: &Context<'_>) -> Option<Fix> {
    let replacement = cx.rule.replacement.as_deref()?;
    let MatchDef::Flag(flags) = &cx.rule.matcher else {
        return None;
    };
    let written = cx.text.get(cx.range.as_range())?;
    if !flags.to_vec().iter().any(|f| f == written) || replacement.contains(char::is_whitespace) {
        return None;
    }
    Some(Fix::new(
        vec![Edit::replace(cx.range, replacement)],
        Applicability::Safe,
        format!("replace `{written}` with `{replacement}`"),
    ))
}
