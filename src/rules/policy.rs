//! `dusk rules check`: a pack's consistency and its windows against a support policy.
//!
//! Takes pack sources, gives a [`Report`] of violations and acknowledged exceptions; never
//! writes and never reads anything but the sources it is given.
//!
//! The policy is Kubernetes': each release is supported for N months after it came out, and
//! a construct may be removed only once every release still supported at the removal
//! already warned about it. A release just before the deprecation may have come out in the
//! same month as the deprecation, so a removal is allowed from `date(deprecated-in) + N
//! months`. A CalVer version dates itself to its month (`2023.9.0` is September 2023); a
//! SemVer release is dated by the pack's `policy.release-dates`. A SemVer release missing
//! there, of a component that later moved to CalVer, came out before the pack's first CalVer
//! release, which bounds a deprecation's date from above (never a removal's).

use super::compile::{self, PackSource, Rule, RuleSet};
use super::pack::MatchDef;
use super::version::Version;
use jiff::civil::Date;
use jiff::{Span, ToSpan};
use std::collections::{BTreeMap, BTreeSet};

/// Support months when neither the pack nor the command line says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Overrides every pack's `policy.support-months`.
    pub support_months: Option<u32>,
}

/// What kind of rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The pack does not load, or contradicts itself.
    Consistency,
    /// A removal comes before the policy allows it.
    Policy,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Consistency => "consistency",
            Kind::Policy => "policy",
        }
    }
}

/// One thing a pack breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: Kind,
    /// `path` or `path:line`.
    pub origin: String,
    pub rule: Option<String>,
    pub message: String,
    /// What would comply, when something would.
    pub help: Option<String>,
}

/// A policy violation the pack states as an exception, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub violation: Violation,
    pub reason: String,
}

/// One pack as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub origin: String,
    pub component: String,
    pub rules: usize,
    /// The months in force and where they came from; `None` when no policy applies.
    pub policy: Option<(u32, &'static str)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub packs: Vec<Checked>,
    pub violations: Vec<Violation>,
    pub acknowledged: Vec<Acknowledged>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

/// A pack that cannot be read as YAML at all (exit 2, not a violation).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot read rule pack `{origin}`: {reason}")]
#[diagnostic(
    code(dusk::rules::unreadable_pack),
    help("a pack is a YAML mapping; `rules/schema.json` describes it")
)]
pub struct ReadError {
    pub origin: String,
    pub reason: String,
}

/// Check packs: load them, check each rule's consistency, then its window against the
/// policy.
pub fn check(sources: &[PackSource], opts: Options) -> Result<Report, ReadError> {
    let mut report = Report::default();
    for source in sources {
        serde_saphyr::from_str::<serde_json::Value>(&source.text).map_err(|e| ReadError {
            origin: source.origin.clone(),
            reason: e.to_string().lines().next().unwrap_or("").to_owned(),
        })?;
        duplicate_ids(source, &mut report.violations);
    }
    // Repeated ids were reported above; the lenient compile lets the rest be checked.
    let set = match compile::compile_lenient(sources) {
        Ok(set) => set,
        Err(e) => {
            report
                .violations
                .extend(e.problems.into_iter().map(|p| Violation {
                    kind: Kind::Consistency,
                    origin: p.origin,
                    rule: p.rule,
                    message: p.message,
                    help: None,
                }));
            return Ok(report);
        }
    };
    for source in sources {
        let component = set
            .rules
            .iter()
            .find(|r| in_pack(r, &source.origin))
            .map(|r| r.component.clone())
            .or_else(|| pack_component(&source.text))
            .unwrap_or_default();
        let policy = opts
            .support_months
            .map(|m| (m, "--support-months"))
            .or_else(|| {
                set.policies
                    .iter()
                    .find(|p| p.origin == source.origin)
                    .map(|p| (p.def.support_months, "the pack's policy"))
            });
        report.packs.push(Checked {
            origin: source.origin.clone(),
            component,
            rules: set
                .rules
                .iter()
                .filter(|r| in_pack(r, &source.origin))
                .count(),
            policy,
        });
    }
    let calendar = Calendar::new(&set, &mut report.violations);
    for rule in &set.rules {
        consistency(rule, &mut report.violations);
        let Some(months) = months_for(&set, rule, opts) else {
            continue;
        };
        let exception = set
            .policies
            .iter()
            .filter(|p| p.component == rule.component)
            .find_map(|p| p.def.exceptions.get(&rule.id));
        match (policy(rule, months, &calendar), exception) {
            (Some(v), Some(reason)) => report.acknowledged.push(Acknowledged {
                violation: v,
                reason: reason.clone(),
            }),
            (Some(v), None) => report.violations.push(v),
            (None, Some(_)) if calendar.can_judge(rule) => report.violations.push(Violation {
                kind: Kind::Consistency,
                origin: rule.origin.clone(),
                rule: Some(rule.id.clone()),
                message: format!("stale exception: the window meets the {months}-month policy"),
                help: Some("remove the rule from `policy.exceptions`".into()),
            }),
            (None, _) => {}
        }
    }
    for p in &set.policies {
        for id in p.def.exceptions.keys() {
            if !set.rules.iter().any(|r| &r.id == id) {
                report.violations.push(Violation {
                    kind: Kind::Consistency,
                    origin: p.origin.clone(),
                    rule: Some(id.clone()),
                    message: "`policy.exceptions` names a rule no pack defines".into(),
                    help: None,
                });
            }
        }
    }
    Ok(report)
}

fn in_pack(rule: &Rule, origin: &str) -> bool {
    rule.origin
        .strip_prefix(origin)
        .is_some_and(|rest| rest.starts_with(':'))
}

fn pack_component(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_saphyr::from_str(text).ok()?;
    v.get("component")?.as_str().map(str::to_owned)
}

/// The support months for a rule: the flag, else its own pack's policy, else another pack
/// of its component.
fn months_for(set: &RuleSet, rule: &Rule, opts: Options) -> Option<u32> {
    opts.support_months.or_else(|| {
        let own = set.policies.iter().find(|p| in_pack(rule, &p.origin));
        own.or_else(|| set.policies.iter().find(|p| p.component == rule.component))
            .map(|p| p.def.support_months)
    })
}

/// Ids repeated within one pack (across packs a later rule overrides an earlier one on
/// purpose), located at the repeat.
fn duplicate_ids(source: &PackSource, out: &mut Vec<Violation>) {
    #[derive(serde::Deserialize)]
    struct Rules {
        #[serde(default)]
        rules: Vec<serde_saphyr::Spanned<serde_json::Value>>,
    }
    let Ok(pack) = serde_saphyr::from_str::<Rules>(&source.text) else {
        return;
    };
    let mut seen = BTreeSet::new();
    for rule in &pack.rules {
        let Some(id) = rule.value.get("id").and_then(|i| i.as_str()) else {
            continue;
        };
        if !seen.insert(id.to_owned()) {
            out.push(Violation {
                kind: Kind::Consistency,
                origin: format!("{}:{}", source.origin, rule.referenced.line()),
                rule: Some(id.to_owned()),
                message: "id defined twice in this pack (the later definition wins)".into(),
                help: Some("ids are unique; rename one and list the old id under `renamed`".into()),
            });
        }
    }
}

/// Checks of one rule that need no policy.
fn consistency(rule: &Rule, out: &mut Vec<Violation>) {
    let mut push = |message: String, help: Option<&str>| {
        out.push(Violation {
            kind: Kind::Consistency,
            origin: rule.origin.clone(),
            rule: Some(rule.id.clone()),
            message,
            help: help.map(str::to_owned),
        })
    };
    let (d, r) = (&rule.window.deprecated_in, &rule.window.removed_in);
    for (field, v) in [
        ("deprecated-in", d),
        ("removed-in", r),
        ("replacement-in", &rule.replacement_in),
    ] {
        if let Some(v) = v
            && v.is_calver()
            && calver_month(v).is_none()
        {
            push(
                format!(
                    "`{field}` {} has a year but no month 1-12: not CalVer",
                    v.text
                ),
                Some("write CalVer as YEAR.MONTH.N, such as `2024.5.0`"),
            );
        }
    }
    if let (Some(d), Some(r)) = (d, r)
        && d == r
    {
        push(
            format!("`deprecated-in` and `removed-in` are both {d}: no release warns first"),
            Some("deprecate in an earlier release, or drop `deprecated-in`"),
        );
    }
    if let Some(ri) = &rule.replacement_in {
        if rule.replacement.is_none() {
            push(
                "`replacement-in` without a `replacement`".into(),
                Some("name the replacement"),
            );
        }
        if let Some(d) = d
            && ri > d
        {
            push(
                format!(
                    "the replacement is available only from {ri}, after the deprecation in {d}"
                ),
                Some("deprecate once the replacement has shipped"),
            );
        }
    }
    // Only the names some matcher fills are placeholders; other braces are text (a message
    // may quote `{user}` as written in a manifest), since unknown names stay as written.
    let known = placeholders(rule);
    for name in used_placeholders(&rule.message) {
        if VOCABULARY.contains(&name.as_str()) && !known.contains(&name.as_str()) {
            let help = if name == "replacement" {
                "add a `replacement`".to_owned()
            } else {
                format!("this matcher fills {}", list(&known))
            };
            push(
                format!("message placeholder `{{{name}}}` is never filled"),
                Some(&help),
            );
        }
    }
}

/// Every placeholder name any matcher fills.
const VOCABULARY: &[&str] = &[
    "name",
    "keyword",
    "key",
    "value",
    "kind",
    "path",
    "replacement",
];

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{{{n}}}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The placeholders a rule's matches fill (see `matcher::match_rule`).
fn placeholders(rule: &Rule) -> Vec<&'static str> {
    let mut names = match &rule.matcher {
        MatchDef::PythonImport(_)
        | MatchDef::PythonString(_)
        | MatchDef::Command(_)
        | MatchDef::Flag(_) => vec!["name"],
        MatchDef::PythonCall(c) if c.keywords.is_some() || c.keywords_not_in.is_some() => {
            vec!["name", "keyword"]
        }
        MatchDef::PythonCall(_) => vec!["name"],
        MatchDef::ConfigKey(_) | MatchDef::HelmValue(_) => vec!["key", "name", "value"],
        MatchDef::Manifest(_) => vec!["kind", "name", "path", "value"],
    };
    if rule.replacement.is_some() {
        names.push("replacement");
    }
    names
}

/// `{word}` placeholders in a message (`{{`-free: messages have no escapes).
fn used_placeholders(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    out
}

/// How sure a release's date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dated {
    /// From `policy.release-dates`, or a CalVer version's month.
    On(Date),
    /// A SemVer release before the component's first CalVer release (this date).
    NoLaterThan(Date),
    Unknown,
}

/// Release dates of every component, from the packs' policies.
struct Calendar {
    dates: BTreeMap<String, Vec<(Version, Date)>>,
    /// Each component's earliest CalVer version any pack names.
    first_calver: BTreeMap<String, Version>,
    /// The releases each component's packs list.
    releases: BTreeMap<String, Vec<Version>>,
}

impl Calendar {
    fn new(set: &RuleSet, out: &mut Vec<Violation>) -> Calendar {
        let mut dates: BTreeMap<String, Vec<(Version, Date)>> = BTreeMap::new();
        for p in &set.policies {
            for (v, d) in &p.def.release_dates {
                let bad = |message: String| Violation {
                    kind: Kind::Consistency,
                    origin: p.origin.clone(),
                    rule: None,
                    message,
                    help: None,
                };
                let version = match v.parse::<Version>() {
                    Ok(version) => version,
                    Err(e) => {
                        out.push(bad(format!("`policy.release-dates`: {e}")));
                        continue;
                    }
                };
                match d.parse::<Date>() {
                    Ok(date) => dates
                        .entry(p.component.clone())
                        .or_default()
                        .push((version, date)),
                    Err(e) => out.push(bad(format!(
                        "`policy.release-dates`: `{d}` for {v} is not a date `YYYY-MM-DD`: {e}"
                    ))),
                }
            }
        }
        let mut first_calver: BTreeMap<String, Version> = BTreeMap::new();
        let mut see = |component: &str, v: &Version| {
            if v.is_calver() {
                let slot = first_calver
                    .entry(component.to_owned())
                    .or_insert_with(|| v.clone());
                if v < slot {
                    *slot = v.clone();
                }
            }
        };
        for (component, c) in &set.components {
            c.releases.iter().for_each(|v| see(component, v));
        }
        for rule in &set.rules {
            let w = &rule.window;
            for v in w.deprecated_in.iter().chain(&w.removed_in) {
                see(&rule.component, v);
            }
        }
        Calendar {
            dates,
            first_calver,
            releases: set
                .components
                .iter()
                .map(|(name, c)| (name.clone(), c.releases.clone()))
                .collect(),
        }
    }

    fn date(&self, component: &str, v: &Version) -> Dated {
        if let Some((_, d)) = self
            .dates
            .get(component)
            .and_then(|ds| ds.iter().find(|(x, _)| x == v))
        {
            return Dated::On(*d);
        }
        if let Some(d) = calver_month(v) {
            return Dated::On(d);
        }
        match self.first_calver.get(component).and_then(calver_month) {
            Some(first) => Dated::NoLaterThan(first),
            None => Dated::Unknown,
        }
    }

    /// Whether the policy can be evaluated for a rule (so an exception can be stale).
    fn can_judge(&self, rule: &Rule) -> bool {
        // A rule that removes nothing never breaks the policy.
        let Some(r) = &rule.window.removed_in else {
            return true;
        };
        let removal = matches!(self.date(&rule.component, r), Dated::On(_));
        let deprecation = rule
            .window
            .deprecated_in
            .as_ref()
            .is_none_or(|d| self.date(&rule.component, d) != Dated::Unknown);
        removal && deprecation
    }

    /// The first release dated on or after `date`: a CalVer version named after its month
    /// when the component uses CalVer by then, else the first dated SemVer release.
    fn first_release_from(&self, component: &str, removal: &Version, date: Date) -> String {
        let day_one = if date.day() == 1 {
            date
        } else {
            date.first_of_month().checked_add(1.month()).unwrap_or(date)
        };
        if removal.is_calver() {
            return format!("{}.{}.0", day_one.year(), day_one.month());
        }
        let known = self.releases.get(component).into_iter().flatten();
        let dated = self
            .dates
            .get(component)
            .into_iter()
            .flatten()
            .map(|(v, _)| v);
        known
            .chain(dated)
            .filter(|v| matches!(self.date(component, v), Dated::On(d) if d >= date))
            .min()
            .map_or_else(
                || format!("the first release from {date}"),
                ToString::to_string,
            )
    }
}

fn calver_month(v: &Version) -> Option<Date> {
    if !v.is_calver() {
        return None;
    }
    Date::new(i16::try_from(v.major).ok()?, i8::try_from(v.minor).ok()?, 1).ok()
}

fn month_text(d: Date) -> String {
    if d.day() == 1 {
        format!("{:04}-{:02}", d.year(), d.month())
    } else {
        d.to_string()
    }
}

fn months_between(from: Date, to: Date) -> i64 {
    let span: Span = match from.until((jiff::Unit::Month, to)) {
        Ok(span) => span,
        Err(_) => return 0,
    };
    i64::from(span.get_months())
}

/// The policy violation of one rule, if any.
fn policy(rule: &Rule, months: u32, calendar: &Calendar) -> Option<Violation> {
    let removed = rule.window.removed_in.as_ref()?;
    let violation = |message: String, help: Option<String>| Violation {
        kind: Kind::Policy,
        origin: rule.origin.clone(),
        rule: Some(rule.id.clone()),
        message,
        help,
    };
    let component = &rule.component;
    let removal = calendar.date(component, removed);
    let Ok(support) = Span::new().try_months(i64::from(months)) else {
        return Some(too_long(&violation, months));
    };
    let Some(deprecated) = &rule.window.deprecated_in else {
        let Dated::On(removal_date) = removal else {
            return Some(violation(
                format!("removed in {removed} with no release deprecating it first"),
                Some(format!(
                    "date {removed} under `policy.release-dates` to learn the first compliant removal"
                )),
            ));
        };
        let Ok(allowed) = removal_date.checked_add(support) else {
            return Some(too_long(&violation, months));
        };
        return Some(violation(
            format!(
                "removed in {removed} ({}) with no release deprecating it first",
                month_text(removal_date)
            ),
            Some(format!(
                "deprecated in {removed} instead, the first compliant removal is {} (allowed from {})",
                calendar.first_release_from(component, removed, allowed),
                month_text(allowed)
            )),
        ));
    };
    let Dated::On(removal_date) = removal else {
        return Some(violation(
            format!("cannot date the removal release {removed}"),
            Some(format!(
                "list it under `policy.release-dates` of the `{component}` pack"
            )),
        ));
    };
    let (deprecation_date, bound) = match calendar.date(component, deprecated) {
        Dated::On(d) => (d, ""),
        Dated::NoLaterThan(d) => (d, "no later than "),
        Dated::Unknown => {
            return Some(violation(
                format!("cannot date the deprecation release {deprecated}"),
                Some(format!(
                    "list it under `policy.release-dates` of the `{component}` pack"
                )),
            ));
        }
    };
    let Ok(allowed) = deprecation_date.checked_add(support) else {
        return Some(too_long(&violation, months));
    };
    if removal_date >= allowed {
        return None;
    }
    Some(violation(
        format!(
            "removed in {removed} ({}), {} months after its deprecation in {deprecated} ({bound}{}); \
             releases before {deprecated} are still supported then under a {months}-month policy",
            month_text(removal_date),
            months_between(deprecation_date, removal_date),
            month_text(deprecation_date),
        ),
        Some(format!(
            "the first compliant removal is {} (allowed from {})",
            calendar.first_release_from(component, removed, allowed),
            month_text(allowed)
        )),
    ))
}

/// A support period past the calendar's end: no removal is ever allowed.
fn too_long(violation: &dyn Fn(String, Option<String>) -> Violation, months: u32) -> Violation {
    violation(
        format!("a {months}-month support period never allows a removal"),
        Some("use a support period of at most a few years".into()),
    )
}

/// The report as text: one line per violation with its help, then the acknowledged
/// exceptions, then a summary.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for p in &report.packs {
        let policy = match p.policy {
            Some((m, from)) => format!("{m}-month support policy ({from})"),
            None => {
                "no support policy (add `policy: {support-months: N}` or pass `--support-months`)"
                    .into()
            }
        };
        out.push_str(&format!(
            "checked {} ({}, {} rules): {policy}\n",
            p.origin, p.component, p.rules
        ));
    }
    let line = |v: &Violation| {
        let rule = v.rule.as_ref().map_or(String::new(), |r| format!(" `{r}`"));
        let mut s = format!("{}{rule}: {}\n", v.origin, v.message);
        if let Some(h) = &v.help {
            s.push_str(&format!("  help: {h}\n"));
        }
        s
    };
    if !report.violations.is_empty() && !out.is_empty() {
        out.push('\n');
    }
    for v in &report.violations {
        out.push_str(&format!("error[{}] {}", v.kind.as_str(), line(v)));
    }
    if !report.acknowledged.is_empty() {
        out.push('\n');
    }
    for a in &report.acknowledged {
        out.push_str(&format!("acknowledged {}", line(&a.violation)));
        out.push_str(&format!("  reason: {}\n", a.reason.trim()));
    }
    out.push_str(&format!(
        "\n{} violation{}, {} acknowledged exception{}\n",
        report.violations.len(),
        if report.violations.len() == 1 {
            ""
        } else {
            "s"
        },
        report.acknowledged.len(),
        if report.acknowledged.len() == 1 {
            ""
        } else {
            "s"
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, months: Option<u32>) -> Report {
        check(
            &[PackSource {
                origin: "p.yaml".into(),
                text: text.into(),
            }],
            Options {
                support_months: months,
            },
        )
        .unwrap()
    }

    fn pack(window: &str, extra: &str) -> String {
        format!(
            "component: c\n{extra}rules:\n  - {{id: r, title: t, message: m, match: {{python-import: a.b}}, {window}}}\n"
        )
    }

    macro_rules! policy {
        ($($name:ident: $window:expr, $months:expr => $ok:expr;)*) => {$(
            #[test]
            fn $name() {
                let report = run(&pack($window, ""), Some($months));
                assert_eq!(report.is_clean(), $ok, "{}", render(&report));
            }
        )*};
    }
    policy! {
        exactly_the_support_period: "deprecated-in: 2023.9.0, removed-in: 2024.9.0", 12 => true;
        one_month_short: "deprecated-in: 2023.9.0, removed-in: 2024.8.0", 12 => false;
        dask_kubernetes_constructor: "deprecated-in: 2023.9.0, removed-in: 2024.5.0", 12 => false;
        dask_kubernetes_import: "deprecated-in: 2022.10.0, removed-in: 2024.5.0", 12 => true;
        shorter_policy: "deprecated-in: 2023.9.0, removed-in: 2024.5.0", 6 => true;
        no_deprecation: "removed-in: 2024.5.0", 12 => false;
        past_the_calendar: "deprecated-in: 2023.9.0, removed-in: 2024.5.0", 4_000_000 => false;
        deprecation_only: "deprecated-in: 2024.5.0", 12 => true;
    }

    #[test]
    fn violation_names_first_compliant_removal() {
        let report = run(
            &pack("deprecated-in: 2023.9.0, removed-in: 2024.5.0", ""),
            Some(12),
        );
        let v = &report.violations[0];
        assert_eq!(v.rule.as_deref(), Some("r"));
        assert_eq!(
            v.help.as_deref(),
            Some("the first compliant removal is 2024.9.0 (allowed from 2024-09)")
        );
    }

    #[test]
    fn semver_needs_release_dates() {
        let report = run(
            &pack("deprecated-in: 1.2.0, removed-in: 1.4.0", ""),
            Some(3),
        );
        assert!(report.violations[0].message.contains("cannot date"));
        let dated = pack(
            "deprecated-in: 1.2.0, removed-in: 1.4.0",
            "policy:\n  support-months: 3\n  release-dates: {1.2.0: 2024-01-15, 1.3.0: 2024-03-01, 1.4.0: 2024-04-20}\n",
        );
        assert!(
            run(&dated, None).is_clean(),
            "{}",
            render(&run(&dated, None))
        );
        let short = dated.replace("1.4.0: 2024-04-20", "1.4.0: 2024-04-10");
        let report = run(&short, None);
        assert_eq!(
            report.violations[0].help.as_deref(),
            Some(
                "the first compliant removal is the first release from 2024-04-15 (allowed from 2024-04-15)"
            )
        );
    }

    #[test]
    fn exceptions_are_acknowledged_and_stale_ones_flagged() {
        let excepted = pack(
            "deprecated-in: 2023.9.0, removed-in: 2024.5.0",
            "policy: {support-months: 12, exceptions: {r: upstream did}}\n",
        );
        let report = run(&excepted, None);
        assert!(report.is_clean());
        assert_eq!(report.acknowledged[0].reason, "upstream did");
        let stale = excepted.replace("2024.5.0", "2025.5.0");
        assert!(run(&stale, None).violations[0].message.contains("stale"));
        let nothing_removed = excepted.replace(", removed-in: 2024.5.0", "");
        assert!(
            run(&nothing_removed, None).violations[0]
                .message
                .contains("stale")
        );
    }

    #[test]
    fn placeholders_must_be_filled() {
        let text = "component: c\nrules:\n  - {id: r, title: t, message: '{keyword} {replacement}', match: {python-import: a.b}}\n";
        let report = run(text, None);
        assert_eq!(report.violations.len(), 2, "{}", render(&report));
    }

    #[test]
    fn calver_month_out_of_range() {
        let report = run(&pack("deprecated-in: 2024.13.0", ""), Some(12));
        assert!(
            report.violations[0].message.contains("no month"),
            "{}",
            render(&report)
        );
    }

    #[test]
    fn not_yaml_is_a_read_error() {
        let err = check(
            &[PackSource {
                origin: "p.yaml".into(),
                text: "rules: [".into(),
            }],
            Options::default(),
        )
        .unwrap_err();
        assert_eq!(err.origin, "p.yaml");
    }
}
