//! Constructs → hits: each construct meets only the rules indexed under its keys.

use super::compile::{Rule, RuleSet};
use super::pack::{MatchDef, ValueMatch};
use crate::extract::model::{Construct, Fact, Literal};
use crate::source::TextRange;
use crate::source::yaml::{Node, Value};

/// A rule matched at a range, with the values its message template may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub range: TextRange,
    pub vars: Vec<(&'static str, String)>,
}

/// Every hit of every rule on these constructs, in source order.
pub fn find_hits(set: &RuleSet, constructs: &[Construct<'_>]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for construct in constructs {
        for key in construct.keys() {
            for &i in set.candidates(&key) {
                match_rule(i, &set.rules[i], construct, &mut hits);
            }
        }
    }
    hits.sort_by_key(|h| (h.range.start, h.range.end, h.rule));
    hits.dedup_by(|a, b| a.rule == b.rule && a.range == b.range);
    hits
}

fn match_rule(i: usize, rule: &Rule, c: &Construct<'_>, out: &mut Vec<Hit>) {
    let hit = |range: TextRange, vars: Vec<(&'static str, String)>| Hit {
        rule: i,
        range,
        vars,
    };
    match (&rule.matcher, &c.fact) {
        (MatchDef::PythonImport(_), Fact::PyName { qualified }) => {
            out.push(hit(c.range, vec![("name", qualified.clone())]))
        }
        (MatchDef::PythonString(_), Fact::PyString { value }) => {
            out.push(hit(c.range, vec![("name", value.clone())]))
        }
        (
            MatchDef::PythonCall(m),
            Fact::PyCall {
                callee,
                keywords,
                positional,
            },
        ) => {
            let name = ("name", callee.clone());
            if let Some(wanted) = &m.keywords {
                for kw in keywords.iter().filter(|k| wanted.contains(&k.name)) {
                    out.push(hit(
                        kw.range,
                        vec![name.clone(), ("keyword", kw.name.clone())],
                    ));
                }
            } else if let Some(known) = &m.keywords_not_in {
                for kw in keywords.iter().filter(|k| !known.contains(&k.name)) {
                    out.push(hit(
                        kw.range,
                        vec![name.clone(), ("keyword", kw.name.clone())],
                    ));
                }
            } else if m.positional {
                if let Some(first) = positional.first() {
                    out.push(hit(*first, vec![name]));
                }
            } else {
                out.push(hit(c.range, vec![name]));
            }
        }
        (MatchDef::ConfigKey(m), Fact::ConfigKey { key, value, .. })
            if m.value
                .as_ref()
                .is_none_or(|v| value_matches(v, value, None)) =>
        {
            let mut vars = vec![("key", key.clone()), ("name", key.clone())];
            if let Some(text) = value.text() {
                vars.push(("value", text.to_owned()));
            }
            out.push(hit(c.range, vars));
        }
        (MatchDef::Command(_), Fact::Word { text, .. })
        | (MatchDef::Flag(_), Fact::Word { text, .. }) => {
            out.push(hit(c.range, vec![("name", text.clone())]))
        }
        (
            MatchDef::Manifest(m),
            Fact::Resource {
                api_version,
                kind,
                name,
                node,
            },
        ) => {
            if m.api_group
                .as_ref()
                .is_some_and(|g| !api_version.starts_with(g.as_str()))
            {
                return;
            }
            for path in m.path.to_vec() {
                let base = vec![
                    ("kind", kind.clone()),
                    ("name", name.clone().unwrap_or_default()),
                    ("path", path.clone()),
                ];
                let segments: Vec<&str> = path.split('.').collect();
                for reached in walk_path(node, &segments) {
                    match reached {
                        Reached::Present { key, value } => {
                            let literal = Literal::from_yaml(value);
                            if m.absent
                                || !m
                                    .value
                                    .as_ref()
                                    .is_none_or(|v| value_matches(v, &literal, Some(value)))
                            {
                                continue;
                            }
                            let mut vars = base.clone();
                            if let Some(t) = literal.text() {
                                vars.push(("value", t.to_owned()));
                            }
                            let range = if m.value.is_some() {
                                value.range
                            } else {
                                key.unwrap_or(value.range)
                            };
                            out.push(hit(range, vars));
                        }
                        Reached::Missing { parent } if m.absent => {
                            out.push(hit(parent.range, base.clone()))
                        }
                        Reached::Missing { .. } => {}
                    }
                }
            }
        }
        (MatchDef::HelmValue(m), Fact::HelmValue { key, node }) => {
            let literal = Literal::from_yaml(node);
            if m.value
                .as_ref()
                .is_none_or(|v| value_matches(v, &literal, Some(node)))
            {
                let mut vars = vec![("key", key.clone()), ("name", key.clone())];
                if let Some(t) = literal.text() {
                    vars.push(("value", t.to_owned()));
                }
                out.push(hit(c.range, vars));
            }
        }
        _ => {}
    }
}

/// Where a field path led in one object.
enum Reached<'a> {
    /// The last key exists; `key` is its key node (absent for a `*` item).
    Present {
        key: Option<TextRange>,
        value: &'a Node,
    },
    /// Everything but the last key exists.
    Missing { parent: &'a Node },
}

fn walk_path<'a>(root: &'a Node, segments: &[&str]) -> Vec<Reached<'a>> {
    let mut out = Vec::new();
    let mut todo: Vec<(&Node, usize, Option<TextRange>)> = vec![(root, 0, None)];
    while let Some((node, depth, key)) = todo.pop() {
        let Some(segment) = segments.get(depth) else {
            out.push(Reached::Present { key, value: node });
            continue;
        };
        if *segment == "*" {
            // Reversed so the stack pops items in source order.
            if let Some(items) = node.as_seq() {
                todo.extend(items.iter().rev().map(|item| (item, depth + 1, None)));
            } else if let Some(entries) = node.as_map() {
                todo.extend(
                    entries
                        .iter()
                        .rev()
                        .map(|e| (&e.value, depth + 1, Some(e.key.range))),
                );
            }
            continue;
        }
        if let (Some(items), Ok(i)) = (node.as_seq(), segment.parse::<usize>()) {
            if let Some(item) = items.get(i) {
                todo.push((item, depth + 1, None));
            }
            continue;
        }
        match node.entry(segment) {
            Some(entry) => todo.push((&entry.value, depth + 1, Some(entry.key.range))),
            None if depth + 1 == segments.len() && matches!(node.value, Value::Map(_)) => {
                out.push(Reached::Missing { parent: node })
            }
            None => {}
        }
    }
    out
}

/// Whether a value satisfies every condition of a predicate.
pub fn value_matches(v: &ValueMatch, literal: &Literal, node: Option<&Node>) -> bool {
    if let Some(equals) = &v.equals
        && !literal
            .text()
            .is_some_and(|t| equals.to_vec().iter().any(|e| e == t))
    {
        return false;
    }
    if let Some(not_in) = &v.not_in
        && literal
            .text()
            .is_some_and(|t| not_in.iter().any(|e| e == t))
    {
        return false;
    }
    if let Some(t) = &v.type_
        && literal.type_name() != t
    {
        return false;
    }
    if let Some(flag) = &v.lacks {
        let Some(items) = node.and_then(Node::as_seq) else {
            return false;
        };
        // Each word of each item: a shell string such as `dask worker --name $(X)` counts.
        let with_value = format!("{flag}=");
        let has = items
            .iter()
            .filter_map(Node::as_str)
            .flat_map(str::split_whitespace)
            .any(|w| w == flag || w.starts_with(&with_value));
        if has {
            return false;
        }
    }
    if let Some(check) = &v.check {
        let text = literal.text().unwrap_or("");
        let failed = match check.as_str() {
            "rfc1123-label" => matches!(literal, Literal::String(_)) && !is_rfc1123_label(text, 53),
            "placeholder" => text.contains('{') && text.contains('}'),
            "not-integer" => {
                !matches!(literal, Literal::Number(n) if n.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()))
            }
            "runs-dask-worker" | "runs-dask-scheduler" | "runs-dask" => {
                node.is_some_and(|n| runs_program(n, programs_checked(check)))
            }
            _ => false,
        };
        if !failed {
            return false;
        }
    }
    true
}

/// Programs that start a Dask worker (the first four) or a Dask scheduler.
const DASK_PROGRAMS: &[&str] = &[
    "dask-worker",
    "dask worker",
    "dask-cuda-worker",
    "dask cuda",
    "dask-scheduler",
    "dask scheduler",
];

/// The programs a `runs-dask…` check looks for in a command (none for another check); the
/// prefilter lets a manifest through only when it names one.
pub fn programs_checked(check: &str) -> &'static [&'static str] {
    match check {
        "runs-dask-worker" => &DASK_PROGRAMS[..4],
        "runs-dask-scheduler" => &DASK_PROGRAMS[4..],
        "runs-dask" => DASK_PROGRAMS,
        _ => &[],
    }
}

/// Whether a command (a string, or a list of strings such as a container's `args`) starts one
/// of `programs` in command position.
fn runs_program(node: &Node, programs: &[&str]) -> bool {
    use crate::extract::command::{Piece, constructs};
    use crate::extract::model::{Fact, WordKind};
    let items: Vec<&Node> = match node.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![node],
    };
    let pieces: Vec<Piece> = items
        .iter()
        .filter_map(|n| {
            Some(Piece {
                value: n.as_str()?,
                range: n.range,
                source: "",
            })
        })
        .collect();
    constructs(&pieces).iter().any(|c| {
        matches!(&c.fact, Fact::Word { kind: WordKind::Program, text } if programs.contains(&text.as_str()))
    })
}

/// An RFC 1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric,
/// at most `max` characters.
pub fn is_rfc1123_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_dask_worker_in_lists_and_shell_strings() {
        let file = crate::source::yaml::parse(
            "a: [dask-worker, $(X)]\nb: [dask, worker]\nc: ['pip install x && dask-worker']\nd: [celery, worker]\ne: [dask, scheduler]\n",
            Default::default(),
        )
        .unwrap();
        let root = file.documents[0].root.as_ref().unwrap();
        let v = ValueMatch {
            check: Some("runs-dask-worker".into()),
            ..Default::default()
        };
        for (key, expect) in [
            ("a", true),
            ("b", true),
            ("c", true),
            ("d", false),
            ("e", false),
        ] {
            let node = root.get(key).unwrap();
            assert_eq!(
                value_matches(&v, &Literal::from_yaml(node), Some(node)),
                expect,
                "{key}"
            );
        }
    }

    #[test]
    fn rfc1123_labels() {
        assert!(is_rfc1123_label("dask-demo-1", 53));
        assert!(!is_rfc1123_label("Dask", 53));
        assert!(!is_rfc1123_label("dask-{user}", 53));
        assert!(!is_rfc1123_label("-x", 53));
        assert!(!is_rfc1123_label(&"a".repeat(54), 53));
    }

    #[test]
    fn lacks_checks_flag_and_equals_form() {
        let file = crate::source::yaml::parse(
            "a: [--name, x]\nb: [--name=$(X)]\nc: [--nthreads, '1']\n\
             d: ['dask worker --name $(X)']\ne: ['dask worker --named']\n",
            Default::default(),
        )
        .unwrap();
        let root = file.documents[0].root.as_ref().unwrap();
        let v = ValueMatch {
            lacks: Some("--name".into()),
            ..Default::default()
        };
        for (key, expect) in [
            ("a", false),
            ("b", false),
            ("c", true),
            ("d", false),
            ("e", true),
        ] {
            let node = root.get(key).unwrap();
            assert_eq!(
                value_matches(&v, &Literal::from_yaml(node), Some(node)),
                expect,
                "{key}"
            );
        }
    }

    /// Hits of a one-rule pack on the first document of `yaml`, as (matched text, path var).
    fn manifest_hits(matcher: &str, yaml: &str) -> Vec<(String, String)> {
        let pack = format!(
            "component: x\nrules:\n  - {{id: r, title: t, message: m, match: {{manifest: {matcher}}}}}\n"
        );
        let set = crate::rules::compile::compile(&[crate::rules::compile::PackSource {
            origin: "test".into(),
            text: pack,
        }])
        .unwrap();
        let file = crate::source::yaml::parse(yaml, Default::default()).unwrap();
        let root = file.documents[0].root.as_ref().unwrap();
        let construct = Construct {
            range: root.range,
            fact: Fact::Resource {
                api_version: "kubernetes.dask.org/v1".into(),
                kind: "DaskCluster".into(),
                name: None,
                node: root,
            },
        };
        find_hits(&set, &[construct])
            .into_iter()
            .map(|h| {
                let path = h.vars.iter().find(|v| v.0 == "path").unwrap().1.clone();
                (yaml[h.range.as_range()].to_owned(), path)
            })
            .collect()
    }

    #[test]
    fn star_walks_mapping_values_and_numbers_pick_items() {
        let yaml = "spec:\n  worker:\n    spec:\n      containers:\n      - resources: {limits: {cpu: 1, memory: '2G'}, requests: {cpu: 0.5}}\n      - resources: {limits: {cpu: 3}}\n";
        let hits = manifest_hits(
            "{kind: DaskCluster, path: 'spec.*.spec.containers.0.resources.*.*', value: {type: number}}",
            yaml,
        );
        let texts: Vec<&str> = hits.iter().map(|h| h.0.as_str()).collect();
        assert_eq!(texts, ["1", "0.5"]);
    }

    #[test]
    fn each_path_of_a_list_is_walked_and_named() {
        let yaml = "spec:\n  image: x\n  replicas: 2\n  worker: {}\n";
        let hits = manifest_hits(
            "{kind: DaskCluster, path: [spec.image, spec.replicas, spec.protocol]}",
            yaml,
        );
        assert_eq!(
            hits,
            [
                ("image".to_owned(), "spec.image".to_owned()),
                ("replicas".to_owned(), "spec.replicas".to_owned())
            ]
        );
    }
}
