//! Constructs: the typed, spanned facts front-ends find in documents and rules match.
//!
//! Every front-end (Python, notebook, manifest, pod template, dask config, Helm values,
//! Argo) produces [`Construct`]s; `rules::matcher` looks each one up by its [`Construct::keys`]
//! in an index, so a construct only meets the rules that could match it.

use crate::source::TextRange;
use crate::source::yaml::Node;

/// One fact about a document, with the range a finding about it should point at.
#[derive(Debug, Clone)]
pub struct Construct<'a> {
    pub range: TextRange,
    pub fact: Fact<'a>,
}

/// A literal value as far as rules care: its type and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    String(String),
    Number(String),
    Bool(bool),
    Null,
    /// A mapping, sequence, call, name or anything else that is not a scalar literal.
    Other,
}

impl Literal {
    pub fn type_name(&self) -> &'static str {
        match self {
            Literal::String(_) => "string",
            Literal::Number(_) => "number",
            Literal::Bool(_) => "boolean",
            Literal::Null => "null",
            Literal::Other => "other",
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Literal::String(s) | Literal::Number(s) => Some(s),
            Literal::Bool(true) => Some("true"),
            Literal::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// An environment variable's value as dask reads it: dask parses `DASK_…` values with
    /// Python's `ast.literal_eval`, so `"300"` is the integer 300 and `"True"` a boolean;
    /// anything that is not a Python literal stays a string.
    pub fn from_env_value(literal: Literal) -> Literal {
        let Literal::String(text) = &literal else {
            return literal;
        };
        let t = text.trim();
        match t {
            "True" => Literal::Bool(true),
            "False" => Literal::Bool(false),
            "None" => Literal::Null,
            _ if !t.is_empty()
                && t.trim_start_matches(['-', '+'])
                    .chars()
                    .all(|c| c.is_ascii_digit()) =>
            {
                Literal::Number(t.to_owned())
            }
            _ if t.parse::<f64>().is_ok_and(f64::is_finite)
                && t.chars().any(|c| c.is_ascii_digit()) =>
            {
                Literal::Number(t.to_owned())
            }
            _ => literal,
        }
    }

    /// The literal a YAML node holds.
    pub fn from_yaml(node: &Node) -> Literal {
        use crate::source::yaml::{Style, Value};
        match &node.value {
            Value::Scalar(s) if s.style != Style::Plain => Literal::String(s.text.clone()),
            Value::Scalar(_) if node.is_null() => Literal::Null,
            Value::Scalar(s) if node.is_number() => Literal::Number(s.text.clone()),
            Value::Scalar(s) => match s.text.as_str() {
                "true" | "True" | "TRUE" => Literal::Bool(true),
                "false" | "False" | "FALSE" => Literal::Bool(false),
                _ => Literal::String(s.text.clone()),
            },
            _ => Literal::Other,
        }
    }
}

/// Where a dask config key was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// A dask config YAML file (`~/.config/dask/*.yaml`, a ConfigMap's embedded file, …).
    File,
    /// `dask.config.set({...})` or `dask.config.set(key=...)` in Python.
    Python,
    /// A `DASK_KUBERNETES__…` environment variable (manifest `env:`, Dockerfile `ENV`, Python).
    EnvVar,
}

/// A keyword argument of a Python call.
#[derive(Debug, Clone)]
pub struct Keyword {
    pub name: String,
    /// The whole `name=value` argument.
    pub range: TextRange,
    pub value: Literal,
}

/// Whether a command-line word is the program or one of its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordKind {
    /// A program in command position: `dask-worker`, or `dask worker` as two words joined.
    Program,
    /// A flag of a Dask command, without any `=value`: `--no-bokeh`.
    Flag,
}

#[derive(Debug, Clone)]
pub enum Fact<'a> {
    /// A qualified Python name that is imported or referenced through an imported module:
    /// `from dask_kubernetes import KubeCluster` gives `dask_kubernetes.KubeCluster` at
    /// `KubeCluster`; `dask_kubernetes.classic.make_pod_spec` used as an attribute chain gives
    /// that name at the chain.
    PyName { qualified: String },
    /// A call whose callee resolves through imports to a qualified name. Methods called on
    /// a value built by a known class resolve to `Class.method`
    /// (`cluster = KubeCluster(...); cluster.adapt()` → `dask_kubernetes.KubeCluster.adapt`).
    PyCall {
        callee: String,
        keywords: Vec<Keyword>,
        /// Ranges of the positional arguments.
        positional: Vec<TextRange>,
    },
    /// A string literal (not a docstring) whose whole value could be a dotted name.
    PyString { value: String },
    /// A dask config key, dotted and normalised the way dask does (`_` → `-`, lower case),
    /// such as `kubernetes.worker-template`; also each parent key.
    ConfigKey {
        key: String,
        value: Literal,
        origin: ConfigOrigin,
    },
    /// A word of a command line: in a container's `command`/`args`, a Helm value, an Argo
    /// template, a Dockerfile, or a Python string or list of strings.
    Word { kind: WordKind, text: String },
    /// A Kubernetes object (one YAML document, or an object embedded in one such as a
    /// DaskJob's cluster). Manifest matchers walk `node` by field path.
    Resource {
        api_version: String,
        kind: String,
        name: Option<String>,
        node: &'a Node,
    },
    /// A key of the dask Helm chart's values, dotted (`worker.image.dask_worker`).
    HelmValue { key: String, node: &'a Node },
}

/// The kind part of a match key, one per matcher in a rule pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    PyName,
    PyCall,
    PyString,
    ConfigKey,
    Program,
    Flag,
    Resource,
    HelmValue,
}

impl Construct<'_> {
    /// The index keys this construct is looked up by. A dotted Python name also yields its
    /// module wildcards (`a.b.c` → `a.b.c`, `a.b.*`, `a.*`) so a rule can name a whole module.
    pub fn keys(&self) -> Vec<(KeyKind, String)> {
        match &self.fact {
            Fact::PyName { qualified } => dotted_keys(KeyKind::PyName, qualified),
            Fact::PyCall { callee, .. } => dotted_keys(KeyKind::PyCall, callee),
            Fact::PyString { value } => vec![(KeyKind::PyString, value.clone())],
            Fact::ConfigKey { key, .. } => vec![(KeyKind::ConfigKey, key.clone())],
            Fact::Word {
                kind: WordKind::Program,
                text,
            } => vec![(KeyKind::Program, text.clone())],
            Fact::Word {
                kind: WordKind::Flag,
                text,
            } => vec![(KeyKind::Flag, text.clone())],
            Fact::Resource { kind, .. } => vec![(KeyKind::Resource, kind.clone())],
            Fact::HelmValue { key, .. } => vec![(KeyKind::HelmValue, key.clone())],
        }
    }
}

fn dotted_keys(kind: KeyKind, name: &str) -> Vec<(KeyKind, String)> {
    let mut keys = vec![(kind, name.to_owned())];
    let mut end = name.len();
    while let Some(dot) = name[..end].rfind('.') {
        keys.push((kind, format!("{}.*", &name[..dot])));
        end = dot;
    }
    keys
}

/// Config-key normalisation lives with the rest of the Dask vocabulary.
pub use crate::dask::{config_key_from_env, normalise_config_key};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_names_yield_module_wildcards() {
        let keys: Vec<String> = dotted_keys(KeyKind::PyName, "a.b.c")
            .into_iter()
            .map(|k| k.1)
            .collect();
        assert_eq!(keys, ["a.b.c", "a.b.*", "a.*"]);
    }

    #[test]
    fn env_values_are_typed_as_dask_reads_them() {
        let env = |s: &str| Literal::from_env_value(Literal::String(s.into()));
        assert_eq!(env("300"), Literal::Number("300".into()));
        assert_eq!(env("1.5"), Literal::Number("1.5".into()));
        assert_eq!(env("True"), Literal::Bool(true));
        assert_eq!(env("5 minutes"), Literal::String("5 minutes".into()));
        assert_eq!(env("inf"), Literal::String("inf".into()));
        assert_eq!(Literal::from_env_value(Literal::Other), Literal::Other);
    }

    #[test]
    fn env_vars_become_config_keys() {
        assert_eq!(
            config_key_from_env("DASK_KUBERNETES__WORKER_TEMPLATE").as_deref(),
            Some("kubernetes.worker-template")
        );
        assert_eq!(
            config_key_from_env("DASK_KUBERNETES__COUNT__MAX").as_deref(),
            Some("kubernetes.count.max")
        );
        assert_eq!(config_key_from_env("PATH"), None);
    }
}
