//! What applying would change, per object: the SSA body to send, the live object and the
//! server's dry-run result with noise removed and Secret data masked, and a unified diff
//! of the two. Also maps the server's invalid-field causes back to file lines.
//!
//! Pure: no I/O. `workflow` fetches the live object and the dry-run result; this module
//! only compares them.

use super::yaml::locate_field;
use super::{Error, InvalidCause, Kind, ObjectId};
use crate::source::LineIndex;
use miette::{LabeledSpan, NamedSource};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Where a desired object came from, so errors and plans can point at it.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A document of a YAML file.
    File {
        /// As given on the command line.
        path: String,
        text: Arc<str>,
        /// Index of the document in the file.
        document: usize,
        /// 1-based line where the document's object starts.
        line: usize,
    },
    /// Built from objects running in the cluster (`--from-cluster`).
    Live { from: String },
}

impl Origin {
    /// `cluster.yaml:3`, or `from classic KubeCluster dask/demo`.
    pub fn describe(&self) -> String {
        match self {
            Origin::File { path, line, .. } => format!("{path}:{line}"),
            Origin::Live { from } => format!("from {from}"),
        }
    }
}

/// One object dusk wants the cluster to have.
#[derive(Debug, Clone)]
pub struct Desired {
    pub id: ObjectId,
    /// The object as written (or built); `ssa_body` turns it into what is sent.
    pub object: Value,
    pub origin: Origin,
    /// Values never to print (they came from a Secret, see `helm::sensitive_values`): masked
    /// in the plan's objects, its diff and the API server's error messages.
    pub sensitive: Vec<String>,
    /// For a DaskCluster built from live classic objects, its migration report
    /// (`migrate::migration_report`, JSON): each field's fate, the new scheduler address,
    /// the steps left for a person.
    pub migration: Option<Value>,
}

/// What applying does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

/// The plan for one object.
#[derive(Debug, Clone)]
pub struct ObjectPlan {
    pub id: ObjectId,
    pub origin: Origin,
    pub action: Action,
    /// The live object, noise removed and Secrets masked; `None` if it does not exist.
    pub live: Option<Value>,
    /// What the server would store, noise removed and Secrets masked.
    pub proposed: Value,
    /// Unified diff from `live` to `proposed`; empty when unchanged.
    pub diff: String,
}

/// Counts for the plan's last line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PlanSummary {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
}

impl PlanSummary {
    pub fn of(plans: &[ObjectPlan]) -> PlanSummary {
        let mut s = PlanSummary::default();
        for p in plans {
            match p.action {
                Action::Create => s.create += 1,
                Action::Update => s.update += 1,
                Action::Unchanged => s.unchanged += 1,
            }
        }
        s
    }

    pub fn changes(&self) -> usize {
        self.create + self.update
    }
}

/// Metadata the server sets and owns: never sent, never diffed.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// kubectl's copy of the whole object; noise in every diff.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The object without server-owned metadata, kubectl's last-applied copy and `status`.
pub fn strip_noise(object: &Value) -> Value {
    let mut object = object.clone();
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    map.remove("status");
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in SERVER_METADATA {
            meta.remove(*key);
        }
        let now_empty = meta
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
            .map(|a| {
                a.remove(LAST_APPLIED);
                a.is_empty()
            });
        if now_empty == Some(true) {
            meta.remove("annotations");
        }
    }
    object
}

/// The body of a server-side apply: the object as written, without anything the server
/// owns, in `namespace` unless it names one.
pub fn ssa_body(desired: &Desired, namespace: &str) -> Value {
    let mut body = strip_noise(&desired.object);
    if desired.id.kind.namespaced
        && let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut)
    {
        meta.entry("namespace")
            .or_insert_with(|| Value::String(namespace.to_owned()));
    }
    body
}

/// Replace Secret values with `***`, marking the ones that change as kubectl does.
pub fn mask_secrets(live: Option<&mut Value>, proposed: &mut Value) {
    let is_secret = |v: &Value| v.get("kind").and_then(Value::as_str) == Some("Secret");
    if !is_secret(proposed) {
        return;
    }
    let mut live = live.filter(|l| is_secret(l));
    for field in ["data", "stringData"] {
        let before: Map<String, Value> = live
            .as_deref()
            .and_then(|l| l.get(field))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let after: Map<String, Value> = proposed
            .get(field)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mark = |key: &String, value: &Value, other: &Map<String, Value>, side: &str| {
            let changed = other.get(key).is_some_and(|o| o != value);
            let text = if changed {
                format!("*** ({side})")
            } else {
                "***".to_owned()
            };
            (key.clone(), Value::String(text))
        };
        if let Some(l) = live.as_deref_mut().and_then(|l| l.get_mut(field)) {
            *l = Value::Object(
                before
                    .iter()
                    .map(|(k, v)| mark(k, v, &after, "before"))
                    .collect(),
            );
        }
        if let Some(p) = proposed.get_mut(field) {
            *p = Value::Object(
                after
                    .iter()
                    .map(|(k, v)| mark(k, v, &before, "after"))
                    .collect(),
            );
        }
    }
}

/// Replace every string equal to one of `sensitive` with `***`.
pub fn mask_values(value: &mut Value, sensitive: &[String]) {
    if sensitive.is_empty() {
        return;
    }
    match value {
        Value::String(s) if sensitive.contains(s) => *s = "***".to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|i| mask_values(i, sensitive)),
        Value::Object(map) => map.values_mut().for_each(|i| mask_values(i, sensitive)),
        _ => {}
    }
}

/// `text` with every occurrence of a sensitive value replaced by `***`. Values shorter than
/// four characters are left alone: replacing them inside other words would garble the text
/// and hide nothing worth hiding.
pub fn mask_text(text: &str, sensitive: &[String]) -> String {
    let mut out = text.to_owned();
    let mut by_length: Vec<&String> = sensitive.iter().filter(|s| s.len() >= 4).collect();
    by_length.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in by_length {
        out = out.replace(s.as_str(), "***");
    }
    out
}

/// An API error with sensitive values masked in its messages (a server names the invalid
/// value it refused).
pub fn mask_error(err: Error, sensitive: &[String]) -> Error {
    if sensitive.is_empty() {
        return err;
    }
    match err {
        Error::Invalid(mut invalid) => {
            for cause in &mut invalid.causes {
                cause.message = mask_text(&cause.message, sensitive);
            }
            for label in &mut invalid.labels {
                if let Some(text) = label.label() {
                    *label = LabeledSpan::new_with_span(
                        Some(mask_text(text, sensitive)),
                        *label.inner(),
                    );
                }
            }
            invalid.help = invalid.help.map(|h| mask_text(&h, sensitive));
            Error::Invalid(invalid)
        }
        Error::Api {
            request,
            message,
            code,
            reason,
            status,
        } => Error::Api {
            request,
            message: mask_text(&message, sensitive),
            code,
            reason,
            status,
        },
        other => other,
    }
}

/// Compare the live object with the server's dry-run result.
pub fn compare(desired: &Desired, live_raw: Option<&Value>, dry_run_raw: &Value) -> ObjectPlan {
    let mut live = live_raw.map(strip_noise);
    let mut proposed = strip_noise(dry_run_raw);
    mask_secrets(live.as_mut(), &mut proposed);
    if let Some(live) = live.as_mut() {
        mask_values(live, &desired.sensitive);
    }
    mask_values(&mut proposed, &desired.sensitive);
    let action = match &live {
        None => Action::Create,
        Some(l) if *l == proposed => Action::Unchanged,
        Some(_) => Action::Update,
    };
    let diff = if action == Action::Unchanged {
        String::new()
    } else {
        unified_diff(&desired.id, live.as_ref(), &proposed)
    };
    ObjectPlan {
        id: desired.id.clone(),
        origin: desired.origin.clone(),
        action,
        live,
        proposed,
        diff,
    }
}

/// Block YAML with keys sorted, kubectl style, so live and proposed objects differ by content,
/// never by the order the server or a file wrote keys in.
fn to_yaml(value: &Value) -> String {
    serde_saphyr::to_string(&sorted(value)).unwrap_or_default()
}

/// A copy with every mapping's keys sorted (serde_json keeps insertion order here). The API
/// server's JSON is at most serde_json's 128 levels deep, so recursion is bounded.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn unified_diff(id: &ObjectId, live: Option<&Value>, proposed: &Value) -> String {
    let old = live.map(to_yaml).unwrap_or_default();
    let new = to_yaml(proposed);
    let name = match &id.namespace {
        Some(ns) => format!("{}/{ns}/{}", id.kind.kind, id.name),
        None => format!("{}/{}", id.kind.kind, id.name),
    };
    let old_header = if live.is_some() {
        format!("live/{name}")
    } else {
        "/dev/null".to_owned()
    };
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&old_header, &format!("proposed/{name}"))
        .to_string()
}

/// The help text listing each invalid field, with its file location when known.
pub fn causes_help(causes: &[InvalidCause]) -> String {
    let lines: Vec<String> = causes
        .iter()
        .map(|c| {
            let at = c
                .location
                .as_ref()
                .map(|l| format!("{l}: "))
                .unwrap_or_default();
            if c.field.is_empty() {
                format!("{at}{}", c.message)
            } else {
                format!("{at}`{}`: {}", c.field, c.message)
            }
        })
        .collect();
    format!("the server named these fields:\n{}", lines.join("\n"))
}

/// Point an invalid-object error at the file and lines its fields came from.
pub fn attach_origin(err: Error, origin: &Origin) -> Error {
    let Error::Invalid(invalid) = err else {
        return err;
    };
    let super::Invalid {
        object,
        code,
        reason,
        mut causes,
        status,
        ..
    } = *invalid;
    let mut labels = Vec::new();
    let mut source_code = None;
    let origin_text = match origin {
        Origin::Live { from } => format!(" (built from {from})"),
        Origin::File {
            path,
            text,
            document,
            ..
        } => {
            let root = crate::source::yaml::parse(text, Default::default())
                .ok()
                .and_then(|mut f| std::mem::take(&mut f.documents).into_iter().nth(*document))
                .and_then(|d| d.root);
            let index = LineIndex::new(text);
            if let Some(root) = &root {
                for cause in causes.iter_mut().filter(|c| !c.field.is_empty()) {
                    let Some((range, exact)) = locate_field(root, &cause.field) else {
                        continue;
                    };
                    let at = index.line_column(text, range.start());
                    cause.location = Some(format!("{path}:{}:{}", at.line, at.column));
                    let label = if exact {
                        cause.message.clone()
                    } else {
                        format!("in here: `{}`: {}", cause.field, cause.message)
                    };
                    labels.push(LabeledSpan::new_with_span(Some(label), range.as_range()));
                }
            }
            if !labels.is_empty() {
                source_code = Some(NamedSource::new(path.clone(), text.to_string()));
            }
            format!(" from `{path}`")
        }
    };
    Error::Invalid(Box::new(super::Invalid {
        object,
        origin: origin_text,
        code,
        reason,
        help: Some(causes_help(&causes)),
        causes,
        source_code,
        labels,
        status,
    }))
}

/// Sort desired objects into apply order: DaskClusters first, then what names them; by
/// namespace and name within a kind, so plans read the same every run.
pub fn apply_order(objects: &mut [Desired]) {
    objects.sort_by(|a, b| {
        (a.id.kind.apply_rank(), &a.id.namespace, &a.id.name).cmp(&(
            b.id.kind.apply_rank(),
            &b.id.namespace,
            &b.id.name,
        ))
    });
}

/// The operator kinds among the desired objects, in apply order, once each.
pub fn kinds_needed(objects: &[Desired]) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = objects.iter().map(|d| d.id.kind).collect();
    kinds.sort_by_key(Kind::apply_rank);
    kinds.dedup();
    kinds
}

#[cfg(test)]
mod yaml_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_output_sorts_keys_and_reads_back_the_same() {
        let value = json!({
            "spec": {"worker": {"replicas": 2, "spec": {"containers": [
                {"name": "worker", "args": ["dask-worker", "--nthreads", "2"], "env": []}
            ]}}},
            "metadata": {"name": "demo", "labels": {"dask.org/x": "yes", "n": "3"}},
            "data": {"script": "line one\nline two\n", "empty": "", "colon": "a: b"},
            "list": [[1, 2], {}],
        });
        let text = to_yaml(&value);
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with([' ', '-']))
            .collect();
        assert_eq!(keys, ["data:", "list:", "metadata:", "spec:"], "{text}");
        let file = crate::source::yaml::parse(&text, Default::default()).unwrap();
        let back =
            super::super::yaml::json_from_node(file.documents[0].root.as_ref().unwrap()).unwrap();
        assert_eq!(back, value, "{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desired(object: Value) -> Desired {
        Desired {
            id: ObjectId {
                kind: Kind::DASK_CLUSTER,
                namespace: Some("dask".into()),
                name: "demo".into(),
            },
            object,
            sensitive: Vec::new(),
            migration: None,
            origin: Origin::Live {
                from: "test".into(),
            },
        }
    }

    #[test]
    fn noise_is_stripped_and_changes_are_diffed() {
        let live = json!({"apiVersion": "kubernetes.dask.org/v1", "kind": "DaskCluster",
            "metadata": {"name": "demo", "namespace": "dask", "uid": "u1", "resourceVersion": "7",
                "generation": 2, "creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "dusk"}],
                "annotations": {LAST_APPLIED: "{}"}},
            "spec": {"worker": {"replicas": 2}}, "status": {"phase": "Running"}});
        let mut merged = live.clone();
        merged["spec"]["worker"]["replicas"] = json!(3);
        merged["metadata"]["resourceVersion"] = json!("8");
        let plan = compare(&desired(json!({})), Some(&live), &merged);
        assert_eq!(plan.action, Action::Update);
        assert_eq!(
            plan.diff,
            "--- live/DaskCluster/dask/demo\n+++ proposed/DaskCluster/dask/demo\n@@ -5,4 +5,4 @@\n   namespace: dask\n spec:\n   worker:\n-    replicas: 2\n+    replicas: 3\n"
        );
        let same = compare(&desired(json!({})), Some(&live), &live);
        assert_eq!((same.action, same.diff.as_str()), (Action::Unchanged, ""));
        let created = compare(&desired(json!({})), None, &merged);
        assert_eq!(created.action, Action::Create);
        assert!(created.diff.starts_with("--- /dev/null\n+++ proposed/"));
        assert!(!created.diff.contains("managedFields") && !created.diff.contains("Running"));
    }

    #[test]
    fn secret_values_never_show() {
        let mut live = json!({"kind": "Secret", "data": {"a": "b2xk", "same": "eA=="}});
        let mut proposed =
            json!({"kind": "Secret", "data": {"a": "bmV3", "same": "eA==", "added": "eQ=="}});
        mask_secrets(Some(&mut live), &mut proposed);
        assert_eq!(live["data"], json!({"a": "*** (before)", "same": "***"}));
        assert_eq!(
            proposed["data"],
            json!({"a": "*** (after)", "same": "***", "added": "***"})
        );
    }

    #[test]
    fn ssa_body_drops_server_fields_and_fills_the_namespace() {
        let d = desired(
            json!({"kind": "DaskCluster", "metadata": {"name": "demo", "uid": "x"},
            "status": {"phase": "Running"}}),
        );
        assert_eq!(
            ssa_body(&d, "dask"),
            json!({"kind": "DaskCluster", "metadata": {"name": "demo", "namespace": "dask"}})
        );
    }
}
