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
//! As the rule declares (a rename that keeps meaning is safe), and only when the version in
//! play (`migrate::in_play`) has the new spelling, which appeared with the rule's
//! `deprecated-in` (`--nworkers` in 2022.2.0): `--nprocs` in a `daskdev/dask:2022.1.0`
//! container is left for a person.
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
    // The new spelling exists since the rule's deprecation: not in an older image or pin.
    if let Some(since) = &cx.rule.window.deprecated_in
        && cx.rule.component == "distributed"
        && let Some(v) = crate::migrate::in_play::distributed(cx)
        && !v.has(&since.to_string())
    {
        return Err(Declined::new(format!(
            "`{replacement}` arrived in distributed {since}, but {} runs {}: upgrade it, then \
             `dusk fix` renames the flag",
            v.describe(cx.path, cx.text),
            v.version
        )));
    }
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
