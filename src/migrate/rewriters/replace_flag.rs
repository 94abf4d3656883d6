//! `replace-flag`: rename a flag of a Dask command line.
//!
//! ## What it rewrites
//! The flag word a finding points at (`--no-bokeh`, `--nprocs`), in a container's
//! `command`/`args`, a Helm value, or a Python string.
//!
//! ## Output
//! The flag replaced by the rule's `fix: {with: {to: …}}` (`--no-dashboard`, `--nworkers`),
//! or by its item for this flag when it lists one per matched flag
//! (`to: [--no-dashboard, --dashboard]`); an `=value` after it stays.
//!
//! ## Fix safety
//! As the rule declares (a rename that keeps meaning is safe).
//!
//! ## Not handled
//! A flag the finding range does not cover verbatim (written with escapes).

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
        .param("to")
        .and_then(|to| to.for_item(index, flags.len()))
        .or_decline_with(|| {
            format!("the rule names no replacement for `{written}` (`with: {{to: …}}`)")
        })?;
    Ok(Fix::new(
        vec![Edit::replace(cx.range, replacement)],
        Applicability::Safe,
        format!("replace `{written}` with `{replacement}`"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::pack::FixParam;

    #[test]
    fn one_replacement_or_one_per_flag() {
        let one = FixParam::One("--no-dashboard".into());
        assert_eq!(one.for_item(1, 2), Some("--no-dashboard"));
        let each = FixParam::Many(vec!["--no-dashboard".into(), "--dashboard".into()]);
        assert_eq!(each.for_item(1, 2), Some("--dashboard"));
        assert_eq!(each.for_item(0, 3), None);
    }
}
