//! Checks on Dask Operator resources (`kubernetes.dask.org`), before dusk writes one.
//!
//! Takes YAML documents (or JSON values); gives [`Problem`]s. Always checked
//! ([`operator_checks`], all the fix loop uses, so `dusk fix` behaves the same everywhere):
//! the API version, names (a DaskCluster's or DaskJob's name must be an RFC 1123 label of at
//! most 53 characters, the operator's own rule; other kinds a DNS-1123 subdomain), label and
//! annotation values being strings, no `restartPolicy` other than `Always` in a pod spec the
//! operator runs as a Deployment (Kubernetes rejects it), and that the resource reads as the
//! operator's typed resource (`migrate::operator`, built on Kubernetes' own types: a number
//! where a quantity or env value string belongs, a list where a map belongs, is rejected).
//!
//! For tests and diagnostics ([`resource`]), when the real CRD schemas are at hand — `$DUSK_ORACLES/crds/<Kind>.schema.json`, prepared
//! by `scripts/prepare-oracles.sh` from the dask-kubernetes wheel — each resource is also
//! validated against its CRD's `openAPIV3Schema` the way the API server would, as far as JSON
//! Schema can say it (as `scripts/oracle/validate.py` does): nulls of non-nullable fields are
//! pruned first, unknown fields are pruned with a warning, `format` is not checked.
//! Never reads a schema more than once per process; never touches the network.

use crate::rules::matcher::is_rfc1123_label;
use crate::source::yaml::{Node, YamlFile};
use foldhash::{HashMap, HashMapExt};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The API group and version of every operator resource.
pub use crate::dask::API_VERSION;
/// The operator resource kinds.
pub const KINDS: &[&str] = &[
    "DaskCluster",
    "DaskWorkerGroup",
    "DaskJob",
    "DaskAutoscaler",
];

/// How bad a problem is: errors make a fix roll back; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

/// One thing wrong with one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub level: Level,
    pub kind: String,
    pub name: Option<String>,
    /// Dotted field path, such as `spec.worker.spec.restartPolicy`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name.as_deref().unwrap_or("<unnamed>");
        write!(
            f,
            "{} `{name}`: `{}`: {}",
            self.kind, self.path, self.message
        )
    }
}

/// Error-level problems of every operator resource in a YAML file, by [`operator_checks`]
/// (no CRD schema, so the result never depends on the environment).
pub fn yaml_file(file: &YamlFile, _text: &str) -> Vec<Problem> {
    file.documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .flat_map(|root| operator_checks(&to_json(root)))
        .filter(|p| p.level == Level::Error)
        .collect()
}

/// The operator resource kinds among a YAML text's documents, one entry per resource, sorted;
/// `None` when the text is not YAML. A fix that makes one of them disappear (by removing its
/// `apiVersion`, `kind` or the document) leaves nothing for [`resource`] to check, so the
/// fix loop compares these before and after.
pub fn resource_kinds(text: &str, limits: crate::source::yaml::Limits) -> Option<Vec<String>> {
    // Shared: the fix loop's check of the same text parsed it just before.
    let file = crate::source::yaml::parse_shared(text, limits).ok()?;
    Some(kinds_in(&file))
}

/// [`resource_kinds`] of a file already parsed.
pub fn kinds_in(file: &crate::source::yaml::YamlFile) -> Vec<String> {
    let mut kinds: Vec<String> = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .filter_map(|root| {
            let api = root.get_str("apiVersion")?;
            let kind = root.get_str("kind")?;
            (api.starts_with("kubernetes.dask.org/") && KINDS.contains(&kind))
                .then(|| kind.to_owned())
        })
        .collect();
    kinds.sort();
    kinds
}

/// Every problem of one resource, with the CRD schema when it is at hand; nothing for a
/// document that is not an operator resource.
pub fn resource(doc: &Value) -> Vec<Problem> {
    checks(doc, true)
}

/// The operator's own rules and Kubernetes' types, without any CRD schema.
pub fn operator_checks(doc: &Value) -> Vec<Problem> {
    checks(doc, false)
}

fn checks(doc: &Value, with_schema: bool) -> Vec<Problem> {
    let Some(kind) = doc.get("kind").and_then(Value::as_str) else {
        return Vec::new();
    };
    let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if !api_version.starts_with("kubernetes.dask.org/") || !KINDS.contains(&kind) {
        return Vec::new();
    }
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut out = Vec::new();
    let mut problem = |level, path: &str, message: String| {
        out.push(Problem {
            level,
            kind: kind.to_owned(),
            name: name.clone(),
            path: path.to_owned(),
            message,
        })
    };
    if api_version != API_VERSION {
        problem(
            Level::Error,
            "apiVersion",
            format!("`{api_version}` is not served; use `{API_VERSION}`"),
        );
    }
    check_metadata(kind, doc, &mut problem);
    check_restart_policy(kind, doc, &mut problem);
    if let Err(why) = read_typed(kind, doc) {
        problem(
            Level::Error,
            "spec",
            format!("Kubernetes' types reject it: {why}"),
        );
    }
    if let Some(schema) = schema_for(kind).filter(|_| with_schema) {
        for (level, path, message) in schema.check(doc) {
            problem(level, &path, message);
        }
    }
    out
}

/// `doc` read as the operator's typed resource of `kind`.
fn read_typed(kind: &str, doc: &Value) -> Result<(), String> {
    use super::operator::{DaskAutoscaler, DaskCluster, DaskJob, DaskWorkerGroup};
    let doc = super::rewriters::pod_template_to_daskcluster::without_nulls(doc.clone());
    let read = match kind {
        "DaskCluster" => serde_json::from_value::<DaskCluster>(doc).map(drop),
        "DaskWorkerGroup" => serde_json::from_value::<DaskWorkerGroup>(doc).map(drop),
        "DaskJob" => serde_json::from_value::<DaskJob>(doc).map(drop),
        "DaskAutoscaler" => serde_json::from_value::<DaskAutoscaler>(doc).map(drop),
        _ => Ok(()),
    };
    read.map_err(|e| e.to_string())
}

fn check_metadata(kind: &str, doc: &Value, problem: &mut impl FnMut(Level, &str, String)) {
    let Some(meta) = doc.get("metadata").and_then(Value::as_object) else {
        problem(Level::Error, "metadata", "missing or not a mapping".into());
        return;
    };
    match meta.get("name") {
        None if meta.get("generateName").is_some() => {}
        None | Some(Value::Null) => {
            problem(Level::Error, "metadata.name", "a name is required".into());
        }
        Some(Value::String(name)) => {
            if matches!(kind, "DaskCluster" | "DaskJob") && !is_rfc1123_label(name, 53) {
                problem(
                    Level::Error,
                    "metadata.name",
                    format!(
                        "`{name}` is rejected by the operator: a name must be an RFC 1123 label \
                         (lower-case letters, digits and `-`) of at most 53 characters"
                    ),
                );
            } else if !is_dns1123_subdomain(name) {
                problem(
                    Level::Error,
                    "metadata.name",
                    format!("`{name}` is not a DNS-1123 subdomain"),
                );
            }
        }
        Some(other) => problem(
            Level::Error,
            "metadata.name",
            format!("must be a string, not `{other}`"),
        ),
    }
    for field in ["labels", "annotations"] {
        let Some(map) = meta.get(field) else { continue };
        let Some(map) = map.as_object() else {
            problem(
                Level::Error,
                &format!("metadata.{field}"),
                "must be a mapping of strings".into(),
            );
            continue;
        };
        for (k, v) in map {
            if !v.is_string() {
                problem(
                    Level::Error,
                    &format!("metadata.{field}.{k}"),
                    format!("value `{v}` must be a string"),
                );
            }
        }
    }
}

/// Pod specs the operator runs in a Deployment, by kind.
fn deployment_pod_specs(kind: &str) -> &'static [&'static str] {
    match kind {
        "DaskCluster" => &["/spec/worker/spec", "/spec/scheduler/spec"],
        "DaskWorkerGroup" => &["/spec/worker/spec"],
        "DaskJob" => &[
            "/spec/cluster/spec/worker/spec",
            "/spec/cluster/spec/scheduler/spec",
        ],
        _ => &[],
    }
}

fn check_restart_policy(kind: &str, doc: &Value, problem: &mut impl FnMut(Level, &str, String)) {
    for pointer in deployment_pod_specs(kind) {
        let Some(policy) = doc.pointer(&format!("{pointer}/restartPolicy")) else {
            continue;
        };
        if policy.is_null() || policy == "Always" {
            continue;
        }
        let path = format!("{}.restartPolicy", pointer[1..].replace('/', "."));
        problem(
            Level::Error,
            &path,
            format!(
                "restartPolicy {policy} is rejected: the operator runs this pod spec in a \
                 Deployment, which supports only `Always`"
            ),
        );
    }
}

/// A DNS-1123 subdomain: dot-separated RFC 1123 labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|label| is_rfc1123_label(label, 63))
}

/// A YAML node as the JSON value Kubernetes would read (YAML 1.2 core schema); a document
/// with a mapping as a key reads as null, which validation then rejects.
pub fn to_json(node: &Node) -> Value {
    crate::source::yaml::to_json(node).unwrap_or(Value::Null)
}

/// A CRD's `openAPIV3Schema`, compiled.
pub struct Schema {
    raw: Value,
    validator: jsonschema::Validator,
}

/// Where the CRD schemas are, if the oracles have been prepared.
pub fn schema_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("DUSK_ORACLES")?).join("crds");
    dir.is_dir().then_some(dir)
}

/// The compiled schema of `kind`, read once per process; `None` without oracles.
pub fn schema_for(kind: &str) -> Option<&'static Schema> {
    static SCHEMAS: OnceLock<HashMap<String, Schema>> = OnceLock::new();
    SCHEMAS
        .get_or_init(|| {
            let Some(dir) = schema_dir() else {
                return HashMap::new();
            };
            KINDS
                .iter()
                .filter_map(|k| {
                    let path = dir.join(format!("{k}.schema.json"));
                    let text = std::fs::read_to_string(path).ok()?;
                    let raw: Value = serde_json::from_str(&text).ok()?;
                    Some(((*k).to_owned(), Schema::new(raw).ok()?))
                })
                .collect()
        })
        .get(kind)
}

impl Schema {
    /// Compile an `openAPIV3Schema` (OpenAPI's `nullable` and `x-kubernetes-int-or-string`
    /// become JSON Schema).
    pub fn new(raw: Value) -> Result<Schema, String> {
        let mut json_schema = raw.clone();
        openapi_to_json_schema(&mut json_schema);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .build(&json_schema)
            .map_err(|e| e.to_string())?;
        Ok(Schema { raw, validator })
    }

    /// (level, path, message) for each way `doc` fails the schema, after pruning nulls the
    /// API server would prune; unknown fields are warnings.
    pub fn check(&self, doc: &Value) -> Vec<(Level, String, String)> {
        let mut doc = doc.clone();
        let mut out = Vec::new();
        for (pointer, what) in self.prune(&doc) {
            match what {
                Pruned::Null => {
                    remove_pointer(&mut doc, &pointer);
                }
                Pruned::Unknown => out.push((
                    Level::Warning,
                    dotted(&pointer),
                    "unknown field (the API server would prune it)".to_owned(),
                )),
            }
        }
        for error in self.validator.iter_errors(&doc) {
            out.push((
                Level::Error,
                dotted(error.instance_path().as_str()),
                error.to_string(),
            ));
        }
        out
    }

    /// JSON pointers of nulls to prune and of unknown fields, walking document and schema
    /// together.
    fn prune(&self, doc: &Value) -> Vec<(String, Pruned)> {
        let mut out = Vec::new();
        let mut todo: Vec<(String, &Value, &Value, bool)> =
            vec![(String::new(), doc, &self.raw, true)];
        while let Some((pointer, value, schema, top)) = todo.pop() {
            match value {
                Value::Object(map) => {
                    let props = schema.get("properties").and_then(Value::as_object);
                    let additional = schema.get("additionalProperties");
                    let preserve = schema
                        .get("x-kubernetes-preserve-unknown-fields")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    for (key, child) in map {
                        let child_pointer = format!("{pointer}/{}", escape_pointer(key));
                        let sub = props
                            .and_then(|p| p.get(key))
                            .or(additional.filter(|a| a.is_object()));
                        let Some(sub) = sub else {
                            let meta =
                                top && matches!(key.as_str(), "apiVersion" | "kind" | "metadata");
                            let typed = props.is_some()
                                || schema.get("type").and_then(Value::as_str) == Some("object");
                            if !meta && !preserve && additional != Some(&Value::Bool(true)) && typed
                            {
                                out.push((child_pointer, Pruned::Unknown));
                            }
                            continue;
                        };
                        if child.is_null() && sub.get("nullable") != Some(&Value::Bool(true)) {
                            out.push((child_pointer, Pruned::Null));
                            continue;
                        }
                        todo.push((child_pointer, child, sub, false));
                    }
                }
                Value::Array(items) => {
                    if let Some(sub) = schema.get("items").filter(|s| s.is_object()) {
                        for (i, item) in items.iter().enumerate() {
                            todo.push((format!("{pointer}/{i}"), item, sub, false));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

enum Pruned {
    Null,
    Unknown,
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `/spec/worker/spec/containers/0/image` → `spec.worker.spec.containers[0].image`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    if out.is_empty() { "<root>".into() } else { out }
}

fn remove_pointer(doc: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(map)) = doc.pointer_mut(parent) {
        map.remove(&last);
    }
}

/// OpenAPI v3 schema → JSON Schema draft 4, in place: `nullable: true` adds `null` to the
/// type; `x-kubernetes-int-or-string: true` allows integers and strings.
fn openapi_to_json_schema(schema: &mut Value) {
    let mut todo: Vec<&mut Value> = vec![schema];
    while let Some(node) = todo.pop() {
        match node {
            Value::Object(map) => {
                if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
                    map.remove("type");
                    map.insert(
                        "anyOf".into(),
                        serde_json::json!([{"type": "integer"}, {"type": "string"}]),
                    );
                }
                if map.get("nullable") == Some(&Value::Bool(true))
                    && let Some(Value::String(t)) = map.get("type").cloned()
                {
                    map.insert("type".into(), serde_json::json!([t, "null"]));
                }
                todo.extend(map.values_mut());
            }
            Value::Array(items) => todo.extend(items.iter_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(src: &str) -> Value {
        let file = crate::source::yaml::parse(src, Default::default()).unwrap();
        to_json(file.documents[0].root.as_ref().unwrap())
    }

    #[test]
    fn yaml_becomes_json_with_core_schema_types() {
        let v = yaml("a: 1\nb: '1'\nc: [true, null, 1.5, x]\nd: {e: 0x10}\n");
        assert_eq!(
            v,
            json!({"a": 1, "b": "1", "c": [true, null, 1.5, "x"], "d": {"e": 16}})
        );
    }

    #[test]
    fn deep_yaml_converts_without_recursion() {
        let src = format!("{}1{}", "[".repeat(150), "]".repeat(150));
        let file = crate::source::yaml::parse(&src, Default::default()).unwrap();
        let v = to_json(file.documents[0].root.as_ref().unwrap());
        assert!(v.is_array());
    }

    fn cluster(name: &str, policy: Option<&str>) -> Value {
        let mut spec = json!({"containers": [{"name": "worker", "image": "x"}]});
        if let Some(p) = policy {
            spec["restartPolicy"] = json!(p);
        }
        json!({
            "apiVersion": API_VERSION, "kind": "DaskCluster", "metadata": {"name": name},
            "spec": {"worker": {"spec": spec}, "scheduler": {"spec": {"containers": []}, "service": {}}}
        })
    }

    #[test]
    fn operator_names_are_rfc1123_labels_of_at_most_53() {
        assert!(resource(&cluster("ok-name", None)).is_empty());
        let long = "a".repeat(54);
        for bad in ["Upper", "dask-{user}", long.as_str(), "a.b"] {
            let problems = resource(&cluster(bad, None));
            assert!(
                problems.iter().any(|p| p.path == "metadata.name"),
                "{bad}: {problems:?}"
            );
        }
    }

    #[test]
    fn restart_policy_other_than_always_is_an_error() {
        let problems = resource(&cluster("c", Some("Never")));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "spec.worker.spec.restartPolicy");
        assert!(resource(&cluster("c", Some("Always"))).is_empty());
    }

    #[test]
    fn other_documents_are_not_checked() {
        assert!(resource(&json!({"apiVersion": "v1", "kind": "Pod"})).is_empty());
    }

    #[test]
    fn schema_checks_types_prunes_nulls_and_warns_about_unknown_fields() {
        let schema = Schema::new(json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "required": ["replicas"], "properties": {
                    "replicas": {"type": "integer"},
                    "port": {"x-kubernetes-int-or-string": true},
                    "env": {"type": "array", "items": {"type": "string"}}
                }}
            }
        }))
        .unwrap();
        let ok = json!({"kind": "X", "spec": {"replicas": 1, "port": "http", "env": null}});
        assert!(schema.check(&ok).is_empty(), "{:?}", schema.check(&ok));
        let bad = json!({"spec": {"replicas": "1", "port": 8786, "extra": 1}});
        let problems = schema.check(&bad);
        assert!(
            problems
                .iter()
                .any(|p| p.0 == Level::Error && p.1 == "spec.replicas"),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.0 == Level::Warning && p.1 == "spec.extra"),
            "{problems:?}"
        );
        assert!(!problems.iter().any(|p| p.1 == "spec.port"), "{problems:?}");
    }
}
