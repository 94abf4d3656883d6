//! `quote-quantity`: write a numeric resource quantity as a string.
//!
//! ## What it rewrites
//! A plain numeric scalar a finding points at (`memory: 4`, `cpu: 0.5`,
//! `nvidia.com/gpu: 1`), or every numeric value of the mapping it points at (`limits:`).
//! The operator's CRDs type every quantity as a string, so an unquoted number is rejected.
//!
//! ## Output
//! The same text in double quotes: `memory: "4"`.
//!
//! ## Fix safety
//! Safe: Kubernetes reads the quoted quantity as the same amount.
//!
//! ## Not handled
//! Numbers written in a form Kubernetes reads differently as a string (`0x10`, `1e3` with a
//! sign, `.inf`): only plain decimal numbers are quoted.

use crate::migrate::{Context, Declined, OrDecline, yaml_text};
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::yaml::Node;

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let file = cx.yaml_file()?;
    let node = match yaml_text::entry_at(file, cx.range) {
        Some(found) if found.entry.key.range == cx.range || found.entry.value.range == cx.range => {
            &found.entry.value
        }
        _ => {
            yaml_text::node_at(file, cx.range)
                .or_decline("the finding is not at a YAML value")?
                .0
        }
    };
    let targets: Vec<&Node> = match node.as_map() {
        Some(entries) => entries.iter().map(|e| &e.value).collect(),
        None => vec![node],
    };
    let edits: Vec<Edit> = targets
        .into_iter()
        .filter(|n| n.is_number() && is_decimal(n.as_str().unwrap_or("")))
        .map(|n| Edit::replace(n.range, yaml_text::double_quoted(n.as_str().unwrap_or(""))))
        .collect();
    if edits.is_empty() {
        return Err(Declined::new(
            "no plain decimal quantity here to quote: write it as a string by hand",
        ));
    }
    Ok(Fix::new(edits, Applicability::Safe, "quote the quantity"))
}

/// `4`, `0.5`, `2e9`: what Kubernetes parses to the same amount once quoted.
fn is_decimal(text: &str) -> bool {
    let body = text.strip_prefix('+').unwrap_or(text);
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
}
