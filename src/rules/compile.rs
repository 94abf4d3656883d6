//! Rule packs → a checked, indexed [`RuleSet`].
//!
//! Everything that can be wrong with a pack is found here, all at once (every bad rule is
//! reported, not just the first): unknown matchers or rewriters, bad versions, duplicate ids.
//! Matching a compiled `RuleSet` cannot fail.

use super::pack::{self, FixDef, MatchDef, RuleDef};
use super::trigger::{Literal, Then, Trigger};
use super::version::{Version, Window};
use crate::discover::SourceKind;
use crate::extract::model::KeyKind;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The built-in packs, compiled into the binary so dusk works offline and pinned.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    (
        "rules/dask-kubernetes.yaml",
        include_str!("../../rules/dask-kubernetes.yaml"),
    ),
    (
        "rules/distributed.yaml",
        include_str!("../../rules/distributed.yaml"),
    ),
    (
        "rules/dask-operator.yaml",
        include_str!("../../rules/dask-operator.yaml"),
    ),
    (
        "rules/dask-helm-chart.yaml",
        include_str!("../../rules/dask-helm-chart.yaml"),
    ),
    (
        "rules/cluster.yaml",
        include_str!("../../rules/cluster.yaml"),
    ),
];

/// Named value checks a pack may use (`value: {check: …}`).
pub const KNOWN_CHECKS: &[&str] = &[
    "rfc1123-label",
    "placeholder",
    "not-integer",
    "runs-dask-worker",
    "runs-dask-scheduler",
    "runs-dask",
];

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub component: String,
    pub window: Window,
    pub replacement: Option<String>,
    /// First release with the replacement (`replacement-in`).
    pub replacement_in: Option<Version>,
    pub message: String,
    pub explanation: Option<String>,
    pub docs: Option<String>,
    pub matcher: MatchDef,
    pub fix: Option<FixDef>,
    pub example: Option<pack::ExampleDef>,
    /// Where the rule was defined, for `rules explain`.
    pub origin: String,
}

/// What a pack knows about a component.
#[derive(Debug, Clone, Default)]
pub struct Component {
    pub releases: Vec<Version>,
    pub distributions: Vec<String>,
}

impl Component {
    pub fn newest(&self) -> Option<&Version> {
        self.releases.iter().max()
    }
}

/// All rules, indexed by the construct keys they can match.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub components: BTreeMap<String, Component>,
    pub renamed: HashMap<String, String>,
    /// Each pack's support policy, in load order.
    pub policies: Vec<PackPolicy>,
    index: HashMap<(KeyKind, String), Vec<usize>>,
    /// Every literal the prefilter looks for (ASCII case-insensitively), in any kind of file
    /// and any part of a trigger: what `dusk rules triggers` prints.
    pub triggers: Vec<String>,
    /// Per kind of file, the triggers one of which it must hold to match any rule.
    by_kind: BTreeMap<SourceKind, Vec<Trigger>>,
}

/// The policy block of one pack.
#[derive(Debug, Clone)]
pub struct PackPolicy {
    /// The pack's origin (its path), as rules' `origin` starts.
    pub origin: String,
    pub component: String,
    pub def: pack::PolicyDef,
}

/// One thing wrong with a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: String,
    pub rule: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rule {
            Some(rule) => write!(f, "{}: rule `{rule}`: {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// Why the rule packs could not be loaded. Lists every problem found.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("invalid rule pack:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
#[diagnostic(
    code(dusk::rules::invalid_pack),
    help("fix the listed rules; `rules/schema.json` describes every field")
)]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

/// A pack read loosely: its rules stay untyped until each is checked on its own.
#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct LoosePack {
    component: String,
    #[serde(default)]
    releases: Vec<String>,
    #[serde(default)]
    distributions: Vec<String>,
    #[serde(default)]
    renamed: BTreeMap<String, String>,
    #[serde(default)]
    policy: Option<pack::PolicyDef>,
    rules: Vec<serde_saphyr::Spanned<serde_json::Value>>,
}

/// A pack's text and where it came from.
pub struct PackSource {
    pub origin: String,
    pub text: String,
}

impl PackSource {
    pub fn builtin() -> Vec<PackSource> {
        BUILTIN_PACKS
            .iter()
            .map(|(origin, text)| PackSource {
                origin: (*origin).to_owned(),
                text: (*text).to_owned(),
            })
            .collect()
    }

    pub fn read(path: &std::path::Path) -> Result<PackSource, Problem> {
        // Bounded and by type: `--rules /dev/zero` must not read forever.
        crate::discover::read_regular(path, 16 << 20)
            .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
            .map(|text| PackSource {
                origin: path.display().to_string(),
                text,
            })
            .map_err(|e| Problem {
                origin: path.display().to_string(),
                rule: None,
                message: format!("cannot read: {e}"),
            })
    }
}

/// Compile packs in order; a later rule with an earlier rule's id replaces it (so a user's
/// pack can override a built-in rule). Within one pack an id must be unique: a second rule
/// with the same id would silently replace the first.
pub fn compile(sources: &[PackSource]) -> Result<RuleSet, LoadError> {
    compile_with(sources, true)
}

/// [`compile`], but a rule repeating an id of its own pack replaces the earlier one instead of
/// being a problem: for `dusk rules check`, which reports repeated ids itself and goes on to
/// check the rest of the pack.
pub fn compile_lenient(sources: &[PackSource]) -> Result<RuleSet, LoadError> {
    compile_with(sources, false)
}

fn compile_with(sources: &[PackSource], unique_ids: bool) -> Result<RuleSet, LoadError> {
    let mut problems = Vec::new();
    let mut set = RuleSet::default();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for source in sources {
        let pack: LoosePack = match serde_saphyr::from_str(&source.text) {
            Ok(pack) => pack,
            Err(e) => {
                problems.push(Problem {
                    origin: source.origin.clone(),
                    rule: None,
                    message: one_line(&e.to_string()),
                });
                continue;
            }
        };
        let component = set.components.entry(pack.component.clone()).or_default();
        for release in &pack.releases {
            match release.parse::<Version>() {
                Ok(v) => component.releases.push(v),
                Err(e) => problems.push(Problem {
                    origin: source.origin.clone(),
                    rule: None,
                    message: format!("`releases`: {e}"),
                }),
            }
        }
        component
            .distributions
            .extend(pack.distributions.iter().cloned());
        set.renamed.extend(pack.renamed.clone());
        if let Some(def) = pack.policy.clone() {
            set.policies.push(PackPolicy {
                origin: source.origin.clone(),
                component: pack.component.clone(),
                def,
            });
        }
        // Where each id of this pack was first defined.
        let mut in_pack: HashMap<String, String> = HashMap::new();
        for spanned in pack.rules {
            let line = spanned.referenced.line();
            let origin = format!("{}:{line}", source.origin);
            let id = spanned
                .value
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned();
            if let Some(first) = in_pack.get(&id).filter(|_| unique_ids) {
                problems.push(Problem {
                    origin: origin.clone(),
                    rule: Some(id.clone()),
                    message: format!("duplicate rule id: already defined at {first}"),
                });
                continue;
            }
            in_pack.insert(id.clone(), origin.clone());
            // Each rule is read on its own, so one bad rule never hides the others' problems.
            let def: RuleDef = match serde_json::from_value(spanned.value) {
                Ok(def) => def,
                Err(e) => {
                    problems.push(Problem {
                        origin,
                        rule: Some(id),
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            match compile_rule(def, &pack.component, &origin, unique_ids) {
                Ok(rule) => match by_id.get(&rule.id) {
                    Some(&i) => set.rules[i] = rule,
                    None => {
                        by_id.insert(rule.id.clone(), set.rules.len());
                        set.rules.push(rule);
                    }
                },
                Err(messages) => problems.extend(messages.into_iter().map(|message| Problem {
                    origin: origin.clone(),
                    rule: Some(id.clone()),
                    message,
                })),
            }
        }
    }
    for (old, new) in &set.renamed {
        if !by_id.contains_key(new) {
            problems.push(Problem {
                origin: "renamed".into(),
                rule: Some(old.clone()),
                message: format!("renamed to unknown rule `{new}`"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    set.build_index();
    Ok(set)
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `strict` is false for `dusk rules check`, which reports message placeholders itself, with
/// the rest of the pack's problems, instead of failing the load on them.
fn compile_rule(
    def: RuleDef,
    pack_component: &str,
    origin: &str,
    strict: bool,
) -> Result<Rule, Vec<String>> {
    let mut errors = Vec::new();
    if !is_kebab(&def.id) {
        errors.push("id must be kebab-case (`a-z`, `0-9`, `-`)".to_owned());
    }
    let mut version = |field: &str, text: &Option<String>| {
        text.as_ref().and_then(|t| {
            t.parse::<Version>()
                .map_err(|e| errors.push(format!("`{field}`: {e}")))
                .ok()
        })
    };
    let window = Window {
        deprecated_in: version("deprecated-in", &def.deprecated_in),
        removed_in: version("removed-in", &def.removed_in),
    };
    let replacement_in = version("replacement-in", &def.replacement_in);
    if let (Some(d), Some(r)) = (&window.deprecated_in, &window.removed_in)
        && d > r
    {
        errors.push(format!("`deprecated-in` {d} is after `removed-in` {r}"));
    }
    if let Some(fix) = &def.fix {
        check_fix(fix, &def.matcher, &mut errors);
    }
    if strict {
        check_placeholders(&def.message, &def.matcher, &mut errors);
    }
    check_matcher(&def.matcher, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Rule {
        component: def.component.unwrap_or_else(|| pack_component.to_owned()),
        id: def.id,
        title: def.title,
        window,
        replacement: def.replacement,
        replacement_in,
        message: def.message,
        explanation: def.explanation,
        docs: def.docs,
        matcher: def.matcher,
        fix: def.fix,
        example: def.example,
        origin: origin.to_owned(),
    })
}

/// The fix names a registered rewriter and gives it the parameters it declares, typed.
fn check_fix(fix: &pack::FixDef, matcher: &MatchDef, errors: &mut Vec<String>) {
    use crate::migrate::{ParamKind, REWRITERS};
    let Some(known) = REWRITERS.iter().find(|r| r.name == fix.rewriter) else {
        let names: Vec<&str> = REWRITERS.iter().map(|r| r.name).collect();
        errors.push(format!(
            "unknown rewriter `{}` (known: {})",
            fix.rewriter,
            names.join(", ")
        ));
        return;
    };
    for (name, value) in &fix.with {
        let Some(param) = known.params.iter().find(|p| p.name == name) else {
            let names: Vec<&str> = known.params.iter().map(|p| p.name).collect();
            errors.push(format!(
                "`{}` takes no parameter `{name}` (it takes: {})",
                known.name,
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ));
            continue;
        };
        let items = match matcher {
            MatchDef::Flag(f) => f.to_vec().len(),
            MatchDef::Command(c) => c.to_vec().len(),
            _ => 1,
        };
        match (param.kind, value) {
            (ParamKind::Text, pack::FixParam::One(_)) => {}
            (ParamKind::TextPerItem, pack::FixParam::One(_)) => {}
            (ParamKind::TextPerItem, pack::FixParam::Many(list)) if list.len() == items => {}
            (ParamKind::TextPerItem, pack::FixParam::Many(list)) => errors.push(format!(
                "`with.{name}` lists {} values for {items} matched items: give one value, or \
                 one per item",
                list.len()
            )),
            (ParamKind::Text, pack::FixParam::Many(_)) => {
                errors.push(format!("`with.{name}` must be one string, not a list"))
            }
        }
    }
    for param in known.params.iter().filter(|p| p.required) {
        if !fix.with.contains_key(param.name) {
            errors.push(format!(
                "`{}` needs `with: {{{}: …}}` ({})",
                known.name, param.name, param.help
            ));
        }
    }
}

/// The `{placeholders}` a message may use: what the rule's matcher fills in, and
/// `{replacement}`. A placeholder of the vocabulary that this matcher never fills (`{keyword}`
/// on a config key) is an error; other braces are text (`dask-{user}-{uuid}`), left as
/// written.
fn check_placeholders(message: &str, matcher: &MatchDef, errors: &mut Vec<String>) {
    let known: &[&str] = match matcher {
        MatchDef::PythonCall(_) => &["name", "keyword"],
        MatchDef::ConfigKey(_) | MatchDef::HelmValue(_) => &["key", "name", "value"],
        MatchDef::Manifest(_) => &["kind", "name", "path", "value"],
        _ => &["name"],
    };
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        const VOCABULARY: &[&str] = &["name", "keyword", "key", "value", "kind", "path"];
        if VOCABULARY.contains(&name) && !known.contains(&name) {
            errors.push(format!(
                "message placeholder `{{{name}}}` is never filled for this matcher (it fills: \
                 {}, replacement)",
                known.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
}

fn check_matcher(m: &MatchDef, errors: &mut Vec<String>) {
    let value = match m {
        MatchDef::ConfigKey(c) => c.value.as_ref(),
        MatchDef::Manifest(mm) => mm.value.as_ref(),
        MatchDef::HelmValue(h) => h.value.as_ref(),
        _ => None,
    };
    if let Some(v) = value {
        if let Some(check) = &v.check
            && !KNOWN_CHECKS.contains(&check.as_str())
        {
            errors.push(format!(
                "unknown check `{check}` (known: {})",
                KNOWN_CHECKS.join(", ")
            ));
        }
        if let Some(t) = &v.type_
            && !["string", "number", "boolean", "null"].contains(&t.as_str())
        {
            errors.push(format!(
                "unknown value type `{t}` (use string, number, boolean or null)"
            ));
        }
    }
    if let MatchDef::PythonCall(c) = m
        && c.keywords.is_some()
        && c.keywords_not_in.is_some()
    {
        errors.push("`keywords` and `keywords-not-in` cannot be combined".to_owned());
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl RuleSet {
    /// The built-in packs.
    pub fn builtin() -> Result<RuleSet, LoadError> {
        compile(&PackSource::builtin())
    }

    fn build_index(&mut self) {
        let mut triggers = std::collections::BTreeSet::new();
        let mut by_kind: BTreeMap<SourceKind, std::collections::BTreeSet<Trigger>> =
            BTreeMap::new();
        for (i, rule) in self.rules.iter().enumerate() {
            for (key, literals) in index_keys(&rule.matcher) {
                self.index.entry(key).or_default().push(i);
                for KindTrigger { trigger, kinds } in literals {
                    triggers.extend(trigger.texts().map(str::to_owned));
                    for &kind in kinds {
                        by_kind.entry(kind).or_default().insert(trigger.clone());
                    }
                }
            }
        }
        self.triggers = triggers.into_iter().collect();
        self.by_kind = by_kind
            .into_iter()
            .map(|(kind, set)| (kind, set.into_iter().collect()))
            .collect();
    }

    /// The triggers a file of this kind must hold one of (ASCII case-insensitively) for any
    /// rule to match in it: what its front-end can turn into a construct some rule's key
    /// names. Empty when no rule could match such a file.
    pub fn triggers_for(&self, kind: SourceKind) -> &[Trigger] {
        self.by_kind.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Rules that could match a construct with this key.
    pub fn candidates(&self, key: &(KeyKind, String)) -> &[usize] {
        self.index.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        let id = self.renamed.get(id).map_or(id, String::as_str);
        self.rules.iter().find(|r| r.id == id)
    }

    /// The id a (possibly renamed) rule id now has.
    pub fn canonical_id<'a>(&'a self, id: &'a str) -> &'a str {
        self.renamed.get(id).map_or(id, String::as_str)
    }

    /// The target a component is graded at when the user gives none.
    pub fn default_target(&self, component: &str) -> Option<&Version> {
        self.components.get(component)?.newest()
    }
}

/// What a file must hold for a key to be extracted from it, and the kinds of file whose
/// front-ends can extract that key.
struct KindTrigger {
    trigger: Trigger,
    kinds: &'static [SourceKind],
}

/// Front-ends that see Python code (a notebook is scanned as its JSON, where the code's
/// double quotes are escaped as `\"` but still present).
const PYTHON: &[SourceKind] = &[SourceKind::Python, SourceKind::Notebook];
const YAML: &[SourceKind] = &[SourceKind::Yaml];
/// Every front-end: all see command lines (Python strings, YAML `args`, Dockerfile `CMD`)
/// and config keys (at least as `DASK_…` environment variables).
const EVERY: &[SourceKind] = &[
    SourceKind::Python,
    SourceKind::Notebook,
    SourceKind::Yaml,
    SourceKind::Dockerfile,
];

fn trigger(text: impl Into<String>, kinds: &'static [SourceKind]) -> KindTrigger {
    KindTrigger {
        trigger: Trigger::plain(text),
        kinds,
    }
}

/// The index keys of a matcher, each with the triggers a file must hold one of for a
/// construct with that key to be extracted from it (per front-end: `dask_kubernetes` only
/// matters in Python, a kind only in YAML).
fn index_keys(m: &MatchDef) -> Vec<((KeyKind, String), Vec<KindTrigger>)> {
    let root = |name: &str| name.split('.').next().unwrap_or(name).to_owned();
    // A Python name resolves through an import, which spells its top-level module.
    let names = |kind: KeyKind, names: Vec<String>| -> Vec<_> {
        names
            .into_iter()
            .map(|n| {
                let t = vec![trigger(root(&n), PYTHON)];
                ((kind, n), t)
            })
            .collect()
    };
    match m {
        MatchDef::PythonImport(n) => names(KeyKind::PyName, n.to_vec()),
        MatchDef::PythonCall(c) => names(KeyKind::PyCall, c.callee.to_vec()),
        // A dotted string may be written in pieces (`"a" ".b"`, or a YAML
        // `labextension.factory: {module: a, class: b}`): only its first segment is sure.
        MatchDef::PythonString(n) => n
            .to_vec()
            .into_iter()
            .map(|s| {
                let t = vec![trigger(root(&s), PYTHON), trigger(root(&s), YAML)];
                ((KeyKind::PyString, s), t)
            })
            .collect(),
        MatchDef::ConfigKey(c) => c
            .key
            .to_vec()
            .into_iter()
            .map(|k| {
                let t = config_triggers(&k);
                ((KeyKind::ConfigKey, k), t)
            })
            .collect(),
        // A program is one word (`dask-worker`, after any `/…/`), or a pair of words
        // (`dask worker`) that may be two list items: then only the first word is sure.
        MatchDef::Command(n) => n
            .to_vec()
            .into_iter()
            .map(|p| {
                let word = if p.contains(char::is_whitespace) {
                    root_word(&p)
                } else {
                    p.clone()
                };
                ((KeyKind::Program, p), vec![trigger(word, EVERY)])
            })
            .collect(),
        // A flag is reported as written, up to any `=`.
        MatchDef::Flag(n) => n
            .to_vec()
            .into_iter()
            .map(|f| {
                let t = vec![trigger(f.clone(), EVERY)];
                ((KeyKind::Flag, f), t)
            })
            .collect(),
        MatchDef::Manifest(mm) => {
            // A kind as common as `Job` or `Pod` would let most of a repository through to
            // parsing: a rule that only fires on a Dask command needs that command instead.
            let programs = mm
                .value
                .as_ref()
                .and_then(|v| v.check.as_deref())
                .map(super::matcher::programs_checked)
                .filter(|p| !p.is_empty());
            mm.kind
                .to_vec()
                .into_iter()
                .map(|k| {
                    let t = match programs {
                        Some(programs) => programs.iter().map(|p| program_trigger(p)).collect(),
                        None => vec![trigger(k.clone(), YAML)],
                    };
                    ((KeyKind::Resource, k), t)
                })
                .collect()
        }
        // A values file of the dask chart names dask (its images) and has one of the chart's
        // component keys; `dask` alone is in every `DASK_…` variable of a shop's manifests.
        MatchDef::HelmValue(h) => h
            .key
            .to_vec()
            .into_iter()
            .map(|k| {
                let also = crate::extract::helm_values::COMPONENT_KEYS
                    .iter()
                    .map(|key| Literal::new(*key, Then::KeyColon))
                    .collect();
                let trigger = Trigger {
                    literal: Literal::new("dask", Then::Anything),
                    also,
                };
                let t = KindTrigger {
                    trigger,
                    kinds: YAML,
                };
                ((KeyKind::HelmValue, k), vec![t])
            })
            .collect(),
    }
}

/// The trigger of a manifest that runs `program`: the program's name, or for a pair of words
/// (`dask worker`, maybe two list items) the first word where it ends.
fn program_trigger(program: &str) -> KindTrigger {
    let Some((first, _)) = program.split_once(char::is_whitespace) else {
        return trigger(program, YAML);
    };
    KindTrigger {
        trigger: Trigger::one(Literal::new(first, Then::WordEnd)),
        kinds: YAML,
    }
}

/// The literals a config key is spelled with. A key appears as its segments:
/// `worker-template:` in YAML, `WORKER_TEMPLATE` in an environment variable, so the longest
/// segment (in both spellings) is a sure literal. When that is the generic first segment
/// (`kubernetes` of `kubernetes.count.max`, which every manifest's `app.kubernetes.io` label
/// contains), the literal is the segment as a config key writes it: a YAML key
/// (`kubernetes:`), a Python string (`"kubernetes`), or an environment variable or keyword
/// argument (`DASK_KUBERNETES__…`, `kubernetes__count__max=`).
fn config_triggers(key: &str) -> Vec<KindTrigger> {
    let segment = config_trigger(key);
    let first = key.split('.').next().unwrap_or(key);
    if segment != first || !key.contains('.') {
        let mut out = vec![trigger(segment.clone(), EVERY)];
        if segment.contains('-') {
            out.push(trigger(segment.replace('-', "_"), EVERY));
        }
        return out;
    }
    vec![
        trigger(format!("{first}:"), YAML),
        trigger(format!("{first}\":"), YAML),
        trigger(format!("{first}':"), YAML),
        trigger(format!("\"{first}"), PYTHON),
        trigger(format!("'{first}"), PYTHON),
        trigger(format!("{}__", first.replace('-', "_")), EVERY),
    ]
}

/// The longest segment of a dotted config key, preferring a later one on a tie
/// (`kubernetes.worker-template` → `worker-template`, `kubernetes.count.max` → `kubernetes`).
fn config_trigger(key: &str) -> String {
    key.split('.')
        .max_by_key(|s| s.len())
        .unwrap_or(key)
        .to_owned()
}

fn root_word(program: &str) -> String {
    program
        .split([' ', '-'])
        .next()
        .unwrap_or(program)
        .to_owned()
}

/// Paths of extra packs are read here so `cli` gets one error listing every problem.
pub fn load(extra: &[PathBuf]) -> Result<RuleSet, LoadError> {
    let mut sources = PackSource::builtin();
    let mut problems = Vec::new();
    for path in extra {
        match PackSource::read(path) {
            Ok(s) => sources.push(s),
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    compile(&sources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(text: &str) -> Result<RuleSet, LoadError> {
        compile(&[PackSource {
            origin: "test.yaml".into(),
            text: text.into(),
        }])
    }

    #[test]
    fn builtin_packs_compile() {
        let set = RuleSet::builtin().unwrap();
        assert!(!set.rules.is_empty());
        assert!(set.default_target("dask-kubernetes").is_some());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = pack(
            r#"
component: x
rules:
  - id: Bad_Id
    title: t
    message: m
    deprecated-in: latest
    match: { python-import: a.b }
  - id: ok-id
    title: t
    message: m
    removed-in: 2024.13.x
    match: { python-import: a.b }
    fix: { rewriter: nope, applicability: safe }
"#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("kebab-case"), "{text}");
        assert!(
            text.contains("`deprecated-in`: `latest` is not a version"),
            "{text}"
        );
        assert!(text.contains("`removed-in`"), "{text}");
        assert!(text.contains("unknown rewriter `nope`"), "{text}");
    }

    #[test]
    fn fix_parameters_and_message_placeholders_are_checked_at_load() {
        let err = pack(
            r#"
component: x
rules:
  - id: flag-typo
    title: t
    message: "`{name}` is gone; use `{replacement}`"
    removed-in: 1.0.0
    match: { flag: [--a, --b] }
    fix: { rewriter: replace-flag, applicability: safe, with: { to: [--c, --d, --e] } }
  - id: flag-missing
    title: t
    message: m
    removed-in: 1.0.0
    match: { flag: [--a] }
    fix: { rewriter: replace-flag, applicability: safe }
  - id: unknown-param
    title: t
    message: m
    removed-in: 1.0.0
    match: { flag: [--a] }
    fix: { rewriter: remove-field, applicability: safe, with: { from: x } }
  - id: never-filled
    title: t
    message: "`{keyword}` of `{key}`, as in `dask-{user}`"
    removed-in: 1.0.0
    match: { config-key: { key: kubernetes.host } }
"#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`with.to` lists 3 values for 2 matched items"),
            "{text}"
        );
        assert!(
            text.contains("`replace-flag` needs `with: {to: …}`"),
            "{text}"
        );
        assert!(
            text.contains("`remove-field` takes no parameter `from` (it takes: none)"),
            "{text}"
        );
        assert!(
            text.contains("message placeholder `{keyword}` is never filled"),
            "{text}"
        );
        assert!(!text.contains("`{user}`"), "{text}");
        assert!(!text.contains("`{key}`"), "{text}");
    }

    #[test]
    fn later_pack_overrides_rule_with_same_id() {
        let a = "component: x\nrules:\n  - {id: r, title: a, message: one, match: {python-import: a.b}}\n";
        let b = "component: x\nrules:\n  - {id: r, title: b, message: two, match: {python-import: a.c}}\n";
        let set = compile(&[
            PackSource {
                origin: "a".into(),
                text: a.into(),
            },
            PackSource {
                origin: "b".into(),
                text: b.into(),
            },
        ])
        .unwrap();
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].message, "two");
        assert!(set.candidates(&(KeyKind::PyName, "a.b".into())).is_empty());
        assert_eq!(set.candidates(&(KeyKind::PyName, "a.c".into())), &[0]);
    }

    #[test]
    fn a_duplicate_id_within_a_pack_is_an_error() {
        let err = pack(
            "component: x\nrules:\n  - {id: r, title: a, message: one, match: {python-import: a.b}}\n  - {id: r, title: b, message: two, match: {python-import: a.c}}\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(
                "test.yaml:4: rule `r`: duplicate rule id: already defined at test.yaml:3"
            ),
            "{text}"
        );
    }

    #[test]
    fn config_key_triggers_are_specific() {
        assert_eq!(
            config_trigger("kubernetes.worker-template"),
            "worker-template"
        );
        assert_eq!(config_trigger("kubernetes.count.max"), "kubernetes");
        assert_eq!(config_trigger("kubernetes.port"), "kubernetes");
        assert_eq!(config_trigger("labextension"), "labextension");
        // Short words occur in nearly every file (`import`, `account`, `localhost`).
        let set = RuleSet::builtin().unwrap();
        for word in ["port", "host", "count", "protocol"] {
            assert!(
                !set.triggers.iter().any(|t| t == word),
                "{:?}",
                set.triggers
            );
        }
    }

    #[test]
    fn generic_kinds_are_never_triggers() {
        // `Job` or `Pod` matched case-insensitively lets most of a repository through to
        // parsing (the benchmark went from 1.4x to 13x ripgrep when they slipped in).
        let set = RuleSet::builtin().unwrap();
        for generic in ["Job", "Pod", "Deployment", "StatefulSet", "Service"] {
            assert!(
                !set.triggers.iter().any(|t| t == generic),
                "{generic} in {:?}",
                set.triggers
            );
        }
    }

    #[test]
    fn triggers_are_per_front_end() {
        let set = RuleSet::builtin().unwrap();
        let has = |kind, t: &str| set.triggers_for(kind).iter().any(|x| x.is_plain(t));
        // Most Python files of a Dask shop import dask, most manifests carry an
        // `app.kubernetes.io` label: neither word alone gets a file parsed.
        for kind in [
            SourceKind::Python,
            SourceKind::Notebook,
            SourceKind::Dockerfile,
        ] {
            assert!(!has(kind, "dask"), "{kind:?}: {:?}", set.triggers_for(kind));
            assert!(!has(kind, "kubernetes"), "{kind:?}");
        }
        assert!(has(SourceKind::Python, "dask_kubernetes"));
        assert!(has(SourceKind::Python, "dask-worker"));
        assert!(has(SourceKind::Python, "\"kubernetes"));
        assert!(!has(SourceKind::Python, "DaskCluster"));
        assert!(has(SourceKind::Yaml, "kubernetes:"));
        assert!(!has(SourceKind::Yaml, "kubernetes"));
        assert!(has(SourceKind::Yaml, "DaskCluster"));
        assert!(!has(SourceKind::Yaml, "KubeCluster"));
        assert!(has(SourceKind::Dockerfile, "kubernetes__"));
        // Every `DASK_…` variable and dask image of a shop's manifests has `dask`: alone it
        // gets no manifest parsed. A manifest needs it as a command word (a hand-rolled
        // workload's `[dask, worker]`), or a values file beside a chart component key.
        assert!(!has(SourceKind::Yaml, "dask"));
        let yaml = set.triggers_for(SourceKind::Yaml);
        assert!(yaml.iter().any(|t| t.literal.text == "dask"
            && t.literal.then == Then::WordEnd
            && t.also.is_empty()));
        assert!(yaml.iter().any(|t| {
            t.literal.text == "dask"
                && t.also
                    .iter()
                    .any(|l| l.text == "worker" && l.then == Then::KeyColon)
        }));
        // `dusk rules triggers` prints the union, which the benchmark gives ripgrep.
        for kind in [SourceKind::Python, SourceKind::Yaml, SourceKind::Dockerfile] {
            for t in set.triggers_for(kind) {
                for text in t.texts() {
                    assert!(set.triggers.iter().any(|u| u == text), "{text}");
                }
            }
        }
    }

    #[test]
    fn unknown_matcher_is_a_load_error() {
        let err = pack("component: x\nrules:\n  - {id: r, title: a, message: m, match: {python-everything: a}}\n").unwrap_err();
        assert!(err.to_string().contains("test.yaml"), "{err}");
    }
}
