//! `replace-flag`: rename a flag of a Dask command line.
//!
//! ## What it rewrites
//! The flag word a finding points at (`--no-bokeh`, `--nprocs`), in a container's
//! `command`/`args`, a Helm value, or a Python string.
//!
//! ## Output
//! The flag replaced by the rule's `replacement` (`--no-dashboard`, `--nworkers`), or by
//! its part for this flag when it lists one per flag (`--no-dashboard / --dashboard`); an
//! `=value` after it stays.
//!
//! ## Fix safety
//! As the rule declares (a rename that keeps meaning is safe).
//!
//! ## Not handled
//! A flag the finding range does not cover verbatim (written with escapes), and rules
//! without a `replacement`.

use crate::migrate::{Context, Declined, OrDecline};
use crate::rules::pack::MatchDef;
use crate::source::edit::{Applicability, Edit, Fix};

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let MatchDef::Flag(flags) = &cx.rule.matcher else {
        return Err(Declined::new(
            "`replace-flag` only fixes rules that match a flag",
        ));
    };
    let flags = flags.to_vec();
    let written = cx.text.get(cx.range.as_range()).unwrap_or_default();
    let index = flags
        .iter()
        .position(|f| f == written)
        .or_decline_with(|| {
            format!("`{written}` is not written as one of the rule's flags here: change it by hand")
        })?;
    let replacement = cx
        .rule
        .replacement
        .as_deref()
        .and_then(|r| replacement_for(r, index, flags.len()))
        .or_decline_with(|| {
            format!("the rule names no single replacement for `{written}`: change it by hand")
        })?;
    Ok(Fix::new(
        vec![Edit::replace(cx.range, replacement)],
        Applicability::Safe,
        format!("replace `{written}` with `{replacement}`"),
    ))
}

/// The replacement of the rule's `index`-th flag: the rule's `replacement`, or its
/// `index`-th part when it lists one per flag (`--no-dashboard / --dashboard`).
fn replacement_for(replacement: &str, index: usize, flags: usize) -> Option<&str> {
    let parts: Vec<&str> = replacement.split(" / ").map(str::trim).collect();
    let chosen = match parts.len() {
        1 => parts[0],
        n if n == flags => parts[index],
        _ => return None,
    };
    let is_flag = chosen.starts_with('-') && !chosen.contains(char::is_whitespace);
    is_flag.then_some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_replacement_per_flag() {
        assert_eq!(
            replacement_for("--no-dashboard", 0, 1),
            Some("--no-dashboard")
        );
        assert_eq!(
            replacement_for("--no-dashboard / --dashboard", 1, 2),
            Some("--dashboard")
        );
        assert_eq!(replacement_for("a / b / c", 0, 2), None);
        assert_eq!(replacement_for("use the dashboard", 0, 1), None);
    }
}
