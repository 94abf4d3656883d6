//! `dusk rules timeline`: which rules are deprecated and removed at each release of a
//! component, as a text table or a self-contained HTML page with one SVG bar per rule.
//!
//! Takes a compiled [`RuleSet`], gives text; never writes, loads nothing from the network
//! (the page has no scripts, fonts or links).

use super::compile::{Rule, RuleSet};
use super::version::Version;

/// One component's releases and rules.
pub struct Component<'a> {
    pub name: String,
    /// Every release the packs or the rules' windows name, oldest first, without duplicates.
    pub releases: Vec<Version>,
    pub rules: Vec<&'a Rule>,
}

/// The components to show: all, in the order their first rule appears, or just `only`.
/// `None` when `only` names no component with rules.
pub fn components<'a>(set: &'a RuleSet, only: Option<&str>) -> Option<Vec<Component<'a>>> {
    let mut names: Vec<&str> = Vec::new();
    for rule in &set.rules {
        if !names.contains(&rule.component.as_str()) {
            names.push(&rule.component);
        }
    }
    if let Some(only) = only {
        names.retain(|n| *n == only);
        if names.is_empty() {
            return None;
        }
    }
    Some(
        names
            .into_iter()
            .map(|name| {
                let rules: Vec<&Rule> = set.rules.iter().filter(|r| r.component == name).collect();
                let mut releases: Vec<Version> = set
                    .components
                    .get(name)
                    .map(|c| c.releases.clone())
                    .unwrap_or_default();
                for r in &rules {
                    releases.extend(r.window.deprecated_in.iter().cloned());
                    releases.extend(r.window.removed_in.iter().cloned());
                }
                releases.sort();
                releases.dedup();
                Component {
                    name: name.to_owned(),
                    releases,
                    rules,
                }
            })
            .collect(),
    )
}

/// Whether a rule warns at a release (deprecated, not yet removed).
fn warns(rule: &Rule, at: &Version) -> bool {
    rule.window.deprecated_in.as_ref().is_some_and(|d| at >= d)
        && rule.window.removed_in.as_ref().is_none_or(|r| at < r)
}

fn removed(rule: &Rule, at: &Version) -> bool {
    rule.window.removed_in.as_ref().is_some_and(|r| at >= r)
}

/// The table: per release, how many rules warn and fail there, and what changes.
pub fn text(components: &[Component<'_>]) -> String {
    let mut out = String::new();
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{} ({} rules)\n{:<12} {:>5} {:>6}  changes\n",
            c.name,
            c.rules.len(),
            "release",
            "warns",
            "errors"
        ));
        for v in &c.releases {
            let warn = c.rules.iter().filter(|r| warns(r, v)).count();
            let err = c.rules.iter().filter(|r| removed(r, v)).count();
            let mut changes: Vec<String> = Vec::new();
            for r in &c.rules {
                if r.window.deprecated_in.as_ref() == Some(v) {
                    changes.push(format!("deprecated: {}", r.id));
                }
            }
            for r in &c.rules {
                if r.window.removed_in.as_ref() == Some(v) {
                    changes.push(format!("removed:    {}", r.id));
                }
            }
            let first = changes.first().map_or("", String::as_str);
            out.push_str(format!("{:<12} {warn:>5} {err:>6}  {first}", v.to_string()).trim_end());
            out.push('\n');
            for change in changes.iter().skip(1) {
                out.push_str(&format!("{:<12} {:>5} {:>6}  {change}\n", "", "", ""));
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const LABEL_W: usize = 330;
const COL_W: usize = 64;
const ROW_H: usize = 20;
const TOP: usize = 70;

/// One component's SVG: a column per release, a row and a bar per rule (amber while
/// deprecated, red from the removal on).
pub fn svg(c: &Component<'_>) -> String {
    let cols = c.releases.len().max(1);
    let width = LABEL_W + cols * COL_W + 20;
    let height = TOP + c.rules.len() * ROW_H + 20;
    let col = |v: &Version| c.releases.iter().position(|r| r == v).unwrap_or(0);
    // A release is a point at the centre of its column: gridline, label and bar ends align.
    let x = |i: usize| LABEL_W + i * COL_W + COL_W / 2;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" data-component=\"{name}\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"deprecation timeline of {name}\">\n",
        name = escape(&c.name)
    );
    for (i, v) in c.releases.iter().enumerate() {
        let cx = x(i);
        out.push_str(&format!(
            "  <line class=\"grid\" x1=\"{x}\" y1=\"{top}\" x2=\"{x}\" y2=\"{bottom}\"/>\n  \
             <text class=\"release\" x=\"{cx}\" y=\"{ty}\" transform=\"rotate(-40 {cx} {ty})\">{v}</text>\n",
            x = x(i),
            top = TOP - 6,
            bottom = height - 14,
            ty = TOP - 10,
            v = escape(&v.to_string()),
        ));
    }
    for (row, rule) in c.rules.iter().enumerate() {
        let y = TOP + row * ROW_H;
        let end = x(cols - 1) + COL_W / 2;
        let title = format!(
            "{}: {}",
            rule.id,
            match (&rule.window.deprecated_in, &rule.window.removed_in) {
                (Some(d), Some(r)) => format!("deprecated in {d}, removed in {r}"),
                (Some(d), None) => format!("deprecated in {d}"),
                (None, Some(r)) => format!("removed in {r}"),
                (None, None) => "no window".to_owned(),
            }
        );
        out.push_str(&format!(
            "  <text class=\"rule\" x=\"{}\" y=\"{}\">{}</text>\n  <g class=\"bar\" data-rule=\"{}\"><title>{}</title>",
            LABEL_W - 8,
            y + ROW_H - 6,
            escape(&rule.id),
            escape(&rule.id),
            escape(&title),
        ));
        let start = rule
            .window
            .deprecated_in
            .as_ref()
            .or(rule.window.removed_in.as_ref())
            .map_or(x(0), |v| x(col(v)));
        let removal = rule.window.removed_in.as_ref().map(|v| x(col(v)));
        let warn_end = removal.unwrap_or(end);
        if rule.window.deprecated_in.is_some() || removal.is_none() {
            out.push_str(&format!(
                "<rect class=\"deprecated\" x=\"{start}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                y + 3,
                warn_end.saturating_sub(start).max(2),
                ROW_H - 6
            ));
        }
        if let Some(r) = removal {
            out.push_str(&format!(
                "<rect class=\"removed\" x=\"{r}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                y + 3,
                end.saturating_sub(r).max(2),
                ROW_H - 6
            ));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// A self-contained page: a legend and one SVG per component.
pub fn html(components: &[Component<'_>]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>dusk rule timeline</title>\n<style>\n\
         body { font-family: sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }\n\
         h2 { font-size: 18px; margin: 28px 0 4px; }\n\
         .legend span { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 14px; }\n\
         svg .grid { stroke: #ddd; }\n\
         svg text { font-size: 12px; fill: #1d1d1f; }\n\
         svg .rule { text-anchor: end; font-family: monospace; }\n\
         svg .release { text-anchor: start; }\n\
         svg .deprecated, .legend .deprecated { fill: #e8a317; background: #e8a317; }\n\
         svg .removed, .legend .removed { fill: #c0392b; background: #c0392b; }\n\
         </style>\n</head>\n<body>\n<h1>Rule timeline</h1>\n\
         <p class=\"legend\">Each bar is one rule; columns are releases.\
         <span class=\"deprecated\"></span>deprecated (a warning)\
         <span class=\"removed\"></span>removed (an error)</p>\n",
    );
    for c in components {
        out.push_str(&format!(
            "<h2>{} <small>({} rules)</small></h2>\n",
            escape(&c.name),
            c.rules.len()
        ));
        out.push_str(&svg(c));
    }
    out.push_str("</body>\n</html>\n");
    out
}
