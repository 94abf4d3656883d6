//! Dask config keys set from Python: `dask.config.set({...})`, `dask.config.set(a__b=...)`,
//! and `DASK_…` environment variables written as dict keys, `os.environ[...]` indices or
//! `os.environ.setdefault`/`os.putenv` arguments.
//!
//! Takes nodes the walk already classified; gives `ConfigKey` constructs whose range is the
//! key as written. Only sets are reported: `dask.config.get("…")` reads and gives nothing.

use super::literal::{literal, string_value, unparenthesize};
use super::names::range_of;
use crate::extract::model::{
    ConfigOrigin, Construct, Fact, Literal, config_key_from_env, normalise_config_key,
};
use crate::source::TextRange;
use crate::source::python::{Field, FieldChild as _, KindName as _};
use foldhash::{HashSet, HashSetExt};
use tree_sitter::Node;

/// Callees whose first argument names an environment variable they set.
pub(super) const ENV_SETTERS: &[&str] = &["os.environ.setdefault", "os.putenv"];

/// The callee of `dask.config.set`, however it was imported.
pub(super) const CONFIG_SET: &str = "dask.config.set";

/// `ConfigKey` constructs for one group of keys (one call, one dict), so each parent key is
/// reported once per group and not once per child.
pub(super) struct KeyGroup<'o, 'a> {
    out: &'o mut Vec<Construct<'a>>,
    origin: ConfigOrigin,
    seen: HashSet<String>,
}

impl<'o, 'a> KeyGroup<'o, 'a> {
    pub(super) fn new(out: &'o mut Vec<Construct<'a>>, origin: ConfigOrigin) -> Self {
        Self {
            out,
            origin,
            seen: HashSet::new(),
        }
    }

    /// Report `key` (already normalised) and each parent key not yet reported in this group.
    pub(super) fn push(&mut self, key: &str, value: Literal, range: TextRange) {
        for (dot, _) in key.match_indices('.') {
            let parent = &key[..dot];
            if self.seen.insert(parent.to_owned()) {
                self.construct(parent.to_owned(), Literal::Other, range);
            }
        }
        self.seen.insert(key.to_owned());
        self.construct(key.to_owned(), value, range);
    }

    fn construct(&mut self, key: String, value: Literal, range: TextRange) {
        self.out.push(Construct {
            range,
            fact: Fact::ConfigKey {
                key,
                value,
                origin: self.origin,
            },
        });
    }
}

/// The keys a `dask.config.set(...)` call sets: its first positional argument if that is a
/// dict (nested dicts flattened), and its keyword arguments (`a__b_c=` → `a.b-c`).
pub(super) fn config_set<'a>(call: Node<'_>, text: &str, out: &mut Vec<Construct<'a>>) {
    let Some(arguments) = call.field(Field::Arguments) else {
        return;
    };
    let mut group = KeyGroup::new(out, ConfigOrigin::Python);
    let mut cursor = arguments.walk();
    let mut first_positional = true;
    for argument in arguments.named_children(&mut cursor) {
        match argument.kind_name() {
            "keyword_argument" => {
                let (Some(name), Some(value)) =
                    (argument.field(Field::Name), argument.field(Field::Value))
                else {
                    continue;
                };
                let Some(raw) = text.get(name.byte_range()) else {
                    continue;
                };
                let key = normalise_config_key(&raw.replace("__", "."));
                group.push(&key, literal(value, text), range_of(name));
            }
            "comment" | "dictionary_splat" => {}
            _ if argument.is_extra() => {}
            _ => {
                if std::mem::take(&mut first_positional) {
                    flatten(unparenthesize(argument), text, &mut group);
                }
            }
        }
    }
}

/// Every key of a (possibly nested) dict literal, dotted; an explicit stack, as dicts nest as
/// deep as the input says.
fn flatten(dict: Node<'_>, text: &str, group: &mut KeyGroup<'_, '_>) {
    if dict.kind_name() != "dictionary" {
        return;
    }
    let mut stack = vec![(dict, String::new())];
    while let Some((dict, prefix)) = stack.pop() {
        let mut cursor = dict.walk();
        for pair in dict.named_children(&mut cursor) {
            let Some((key_node, key, value)) = string_pair(pair, text) else {
                continue;
            };
            let key = normalise_config_key(&key);
            let full = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            group.push(&full, literal(value, text), range_of(key_node));
            let value = unparenthesize(value);
            if value.kind_name() == "dictionary" {
                stack.push((value, full));
            }
        }
    }
}

/// The `DASK_…` keys of one dict literal (`env={"DASK_KUBERNETES__NAME": "x"}`,
/// `os.environ.update({...})`).
pub(super) fn env_dict<'a>(dict: Node<'_>, text: &str, out: &mut Vec<Construct<'a>>) {
    let mut group = KeyGroup::new(out, ConfigOrigin::EnvVar);
    let mut cursor = dict.walk();
    for pair in dict.named_children(&mut cursor) {
        if let Some((key_node, var, value)) = string_pair(pair, text)
            && let Some(key) = dask_env_key(&var)
        {
            group.push(
                &key,
                Literal::from_env_value(literal(value, text)),
                range_of(key_node),
            );
        }
    }
}

/// A `DASK_…` variable as a subscript index (`os.environ["DASK_X"] = value`) or as the first
/// argument of an env setter (`value` is then its second argument).
pub(super) fn env_string<'a>(
    string: Node<'_>,
    value: Option<Node<'_>>,
    text: &str,
    out: &mut Vec<Construct<'a>>,
) {
    let string = unparenthesize(string);
    let Some(key) = string_value(string, text).and_then(|var| dask_env_key(&var)) else {
        return;
    };
    let value = value.map_or(Literal::Other, |v| {
        Literal::from_env_value(literal(v, text))
    });
    KeyGroup::new(out, ConfigOrigin::EnvVar).push(&key, value, range_of(string));
}

/// The first and second positional arguments of a call.
pub(super) fn first_two_positional(call: Node<'_>) -> (Option<Node<'_>>, Option<Node<'_>>) {
    let Some(arguments) = call.field(Field::Arguments) else {
        return (None, None);
    };
    let mut cursor = arguments.walk();
    let mut positional = arguments.named_children(&mut cursor).filter(|a| {
        !a.is_extra() && !matches!(a.kind_name(), "keyword_argument" | "dictionary_splat")
    });
    (positional.next(), positional.next())
}

/// A dict pair whose key is a string literal: (key node, key value, value node).
fn string_pair<'t>(pair: Node<'t>, text: &str) -> Option<(Node<'t>, String, Node<'t>)> {
    if pair.kind_name() != "pair" {
        return None;
    }
    let key_node = unparenthesize(pair.field(Field::Key)?);
    let value = pair.field(Field::Value)?;
    let key = string_value(key_node, text)?;
    Some((key_node, key, value))
}

fn dask_env_key(var: &str) -> Option<String> {
    config_key_from_env(var).filter(|key| !key.is_empty())
}
