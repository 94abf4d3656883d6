//! Rule packs as written: the serde types of `rules/*.yaml`.
//!
//! These are what a pack *says*; `compile` turns them into a checked, indexed `RuleSet`.
//! Field docs here become the descriptions in `rules/schema.json`.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One rule pack: the rules of one component and the releases it knows.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Pack {
    /// The component every rule of this pack belongs to unless it names another, such as
    /// `dask-kubernetes`, `distributed`, `dask-operator` or your own.
    pub component: String,
    /// Releases of the component this pack knows, oldest first. The newest is the default
    /// target version.
    #[serde(default)]
    pub releases: Vec<String>,
    /// Python distribution names whose pinned version is this component's current version
    /// (read from requirements, pyproject.toml, lock files).
    #[serde(default)]
    pub distributions: Vec<String>,
    /// Old rule ids that still work in `--select`, `--ignore` and suppressions.
    #[serde(default)]
    pub renamed: BTreeMap<String, String>,
    /// The deprecation policy `dusk rules check` holds this pack's windows to.
    #[serde(default)]
    pub policy: Option<PolicyDef>,
    pub rules: Vec<RuleDef>,
}

/// A support policy in the Kubernetes style: each release is supported for
/// `support-months`, and a construct may be removed only once every release still supported
/// at the removal already warned about it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyDef {
    /// How long each release is supported, in months.
    pub support_months: u32,
    /// Release dates (`YYYY-MM-DD`) of versions whose date the version itself does not tell
    /// (SemVer); a CalVer version `YYYY.M.P` is dated to its month.
    #[serde(default)]
    pub release_dates: BTreeMap<String, String>,
    /// Rules whose window breaks the policy on purpose or because upstream did, each with its
    /// reason. `dusk rules check` lists them without failing.
    #[serde(default)]
    pub exceptions: BTreeMap<String, String>,
}

/// One rule: what it matches, when it is deprecated and removed, and what to say.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RuleDef {
    /// Stable kebab-case id naming the pattern flagged, never the fix.
    pub id: String,
    /// A short title for `dusk rules list`.
    pub title: String,
    /// Overrides the pack's component.
    #[serde(default)]
    pub component: Option<String>,
    /// First release that warns about the construct (CalVer `YYYY.M.P` or SemVer).
    #[serde(default)]
    pub deprecated_in: Option<String>,
    /// First release in which the construct no longer works.
    #[serde(default)]
    pub removed_in: Option<String>,
    /// What to use instead.
    #[serde(default)]
    pub replacement: Option<String>,
    /// First release in which the replacement is available; `dusk rules check` requires it
    /// no later than `deprecated-in`.
    #[serde(default)]
    pub replacement_in: Option<String>,
    /// The finding's message. `{name}`, `{keyword}`, `{key}`, `{value}`, `{kind}`, `{path}`
    /// and `{replacement}` are filled in from the match.
    pub message: String,
    /// Longer explanation for `dusk rules explain`.
    #[serde(default)]
    pub explanation: Option<String>,
    /// Documentation link.
    #[serde(default)]
    pub docs: Option<String>,
    /// What the rule matches: exactly one matcher.
    #[serde(rename = "match")]
    pub matcher: MatchDef,
    /// The fix, where one exists.
    #[serde(default)]
    pub fix: Option<FixDef>,
    /// An example for `dusk rules explain`: the construct and what replaces it.
    #[serde(default)]
    pub example: Option<ExampleDef>,
}

/// One name or several.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// What a rule matches. Dotted Python names may end in `.*` to mean a whole module.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum MatchDef {
    /// A Python name imported (`from a import b`, `import a.b`) or reached through an
    /// imported module (`a.b` as an attribute chain).
    PythonImport(OneOrMany),
    /// A call of a Python callable, resolved through imports.
    PythonCall(CallMatch),
    /// A Python string literal whose value is one of these dotted names.
    PythonString(OneOrMany),
    /// A dask config key, in a config file, `dask.config.set` or a `DASK_…` variable.
    ConfigKey(ConfigKeyMatch),
    /// A program run by a container, a Helm value, an Argo step or a Python command string.
    Command(OneOrMany),
    /// A flag of a Dask command line (`--no-bokeh`, also as `--no-bokeh=…`).
    Flag(OneOrMany),
    /// A field of a Kubernetes object, by kind and path.
    Manifest(ManifestMatch),
    /// A key of the dask Helm chart's values.
    HelmValue(HelmValueMatch),
}

/// Calls of `callee`, optionally only with some keywords or arguments.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CallMatch {
    /// Qualified callee, such as `dask_kubernetes.KubeCluster.from_yaml`.
    pub callee: OneOrMany,
    /// Match each of these keyword arguments (one finding per keyword present).
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    /// Match each keyword argument that is *not* in this list (unknown keywords).
    #[serde(default)]
    pub keywords_not_in: Option<Vec<String>>,
    /// Match a call that passes any positional argument.
    #[serde(default)]
    pub positional: bool,
}

/// A dask config key, optionally only with a value of some type.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigKeyMatch {
    /// Dotted keys as dask normalises them, such as `kubernetes.worker-template`.
    pub key: OneOrMany,
    #[serde(default)]
    pub value: Option<ValueMatch>,
}

/// A predicate on a value.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ValueMatch {
    /// The value is one of these (compared as text).
    #[serde(default)]
    pub equals: Option<OneOrMany>,
    /// The value has this type: `string`, `number`, `boolean`, `null`.
    #[serde(rename = "type", default)]
    pub type_: Option<String>,
    /// The value is not one of these.
    #[serde(default)]
    pub not_in: Option<Vec<String>>,
    /// A sequence none of whose items, nor any whitespace-separated word of an item (so
    /// `sh -c "dask worker --name x"` counts), is this text or starts with `<this>=`.
    #[serde(default)]
    pub lacks: Option<String>,
    /// A named check implemented in Rust: `rfc1123-label`, `placeholder`, `not-integer`, `runs-dask-worker`, `runs-dask` (a worker or a scheduler).
    #[serde(default)]
    pub check: Option<String>,
}

/// A field of Kubernetes objects of some kinds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ManifestMatch {
    /// Object kinds, such as `DaskCluster`.
    pub kind: OneOrMany,
    /// API group prefix of `apiVersion`, such as `kubernetes.dask.org`.
    #[serde(default)]
    pub api_group: Option<String>,
    /// Dotted field path, or several (each is walked; a hit names the one that matched).
    /// `*` walks every item of a sequence and every value of a mapping
    /// (`spec.worker.spec.containers.*.resources.limits.*`); a number picks one item of a
    /// sequence (`containers.0.args`).
    pub path: OneOrMany,
    /// Match when the field is present with a value satisfying this predicate.
    #[serde(default)]
    pub value: Option<ValueMatch>,
    /// Match when the field is absent (its parent path must exist).
    #[serde(default)]
    pub absent: bool,
}

/// A key of the dask Helm chart's values.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct HelmValueMatch {
    /// Dotted keys, such as `webUI.servicePort`.
    pub key: OneOrMany,
    #[serde(default)]
    pub value: Option<ValueMatch>,
}

/// The fix for a rule.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FixDef {
    /// The named rewriter that builds the edits.
    pub rewriter: String,
    /// `safe` fixes keep behaviour; `unsafe` ones need review (`--unsafe-fixes`).
    pub applicability: crate::source::edit::Applicability,
    /// What the fix does, for reports.
    #[serde(default)]
    pub description: Option<String>,
}

/// Example code for `dusk rules explain`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExampleDef {
    pub bad: String,
    #[serde(default)]
    pub good: Option<String>,
}
