//! A loopback Kubernetes API server for the cluster tests: hyper 1 on `127.0.0.1:0`, in this
//! process, on its own thread and runtime, gone when the test's [`FakeApi`] is dropped.
//!
//! It speaks the API for every call dusk makes: discovery (`/version`, `/api`, `/apis`,
//! `/apis/<group>/<version>`), get and list with label selectors and pagination, server-side
//! apply (`application/apply-patch+yaml`, with and without `dryRun=All`, field ownership and
//! conflicts in `ssa.rs`), CRD get, delete. Real applies are stored with uid,
//! resourceVersion, generation and managedFields, so dusk's noise stripping is exercised and
//! plan → apply → plan shows no changes. A test reaches it through a temporary kubeconfig,
//! so the real client code path runs; recorded error answers and delays can be scripted.
//! Bounded: request bodies over 4 MiB are refused, and the server stops with the test.

#![allow(dead_code)]

pub mod ssa;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{Value, json};
use ssa::{Owner, Stored};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MAX_BODY: usize = 4 * 1024 * 1024;
const OPERATOR_GROUP: &str = "kubernetes.dask.org";

/// (group, version, plural, kind, namespaced)
const RESOURCES: &[(&str, &str, &str, &str, bool)] = &[
    ("", "v1", "pods", "Pod", true),
    ("", "v1", "services", "Service", true),
    ("", "v1", "secrets", "Secret", true),
    ("", "v1", "namespaces", "Namespace", false),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
    ),
    ("apps", "v1", "deployments", "Deployment", true),
    ("apps", "v1", "statefulsets", "StatefulSet", true),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
    ),
    (OPERATOR_GROUP, "v1", "daskclusters", "DaskCluster", true),
    (
        OPERATOR_GROUP,
        "v1",
        "daskworkergroups",
        "DaskWorkerGroup",
        true,
    ),
    (
        OPERATOR_GROUP,
        "v1",
        "daskautoscalers",
        "DaskAutoscaler",
        true,
    ),
    (OPERATOR_GROUP, "v1", "daskjobs", "DaskJob", true),
];

/// (group, plural, namespace or "", name)
type Key = (String, String, String, String);

/// A canned answer for requests whose `METHOD path?query` contains `matches` (and not
/// `unless`), optionally after a delay.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub matches: String,
    pub unless: Option<String>,
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

struct State {
    objects: BTreeMap<Key, Stored>,
    namespaces: BTreeSet<String>,
    crds_installed: bool,
    scripted: Vec<Scripted>,
    requests: Vec<String>,
    resource_version: u64,
    uids: u64,
    /// What the fake controller sets `status.phase` of a new DaskCluster to.
    phase: Option<String>,
}

pub struct FakeApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl FakeApi {
    /// A server with the Dask Operator's CRDs installed.
    pub fn start() -> FakeApi {
        FakeApi::with_crds(true)
    }

    pub fn with_crds(installed: bool) -> FakeApi {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            objects: BTreeMap::new(),
            namespaces: ["default", "dask", "dask-operator", "kube-system"]
                .into_iter()
                .map(String::from)
                .collect(),
            crds_installed: installed,
            scripted: Vec::new(),
            requests: Vec::new(),
            resource_version: 100,
            uids: 0,
            phase: Some("Running".into()),
        }));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let served = state.clone();
        let thread = std::thread::spawn(move || serve(listener, served, rx));
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        write_kubeconfig(&kubeconfig, &format!("http://{addr}"));
        FakeApi {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
            dir,
            kubeconfig,
        }
    }

    /// The kubeconfig (context `fake`, namespace `dask`) pointing at this server.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answer matching requests with a recorded response.
    pub fn respond(&self, matches: &str, status: u16, body: &str) {
        self.script(Scripted {
            matches: matches.into(),
            unless: None,
            status,
            body: body.into(),
            delay: Duration::ZERO,
        });
    }

    pub fn script(&self, s: Scripted) {
        self.lock().scripted.push(s);
    }

    /// What the fake controller reports for new DaskClusters (`None`: no status at all).
    pub fn set_phase(&self, phase: Option<&str>) {
        self.lock().phase = phase.map(str::to_owned);
    }

    /// Store an object as if another tool (`manager`, an Update) had created it.
    pub fn seed(&self, object: Value, manager: &str) {
        let mut st = self.lock();
        let key = key_of(&object);
        let mut object = object;
        st.uids += 1;
        st.resource_version += 1;
        let fields = ssa::leaves(&object);
        let meta = object["metadata"]
            .as_object_mut()
            .expect("seeded objects have metadata");
        meta.insert("uid".into(), json!(format!("seed-{}", st.uids)));
        meta.insert(
            "resourceVersion".into(),
            json!(st.resource_version.to_string()),
        );
        meta.insert("creationTimestamp".into(), json!("2026-11-01T08:00:00Z"));
        let mut owners = BTreeMap::new();
        owners.insert(
            manager.to_owned(),
            Owner {
                operation: "Update",
                api_version: object["apiVersion"].as_str().unwrap_or("v1").to_owned(),
                fields,
            },
        );
        st.objects.insert(key, Stored { object, owners });
    }

    /// The stored object, as a GET would return it.
    pub fn object(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let st = self.lock();
        st.objects
            .iter()
            .find(|(k, _)| k.1 == plural && k.2 == namespace && k.3 == name)
            .map(|(_, s)| rendered(s))
    }

    /// `METHOD path?query` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_kubeconfig(path: &Path, server: &str) {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: tester\n    namespace: dask\ncurrent-context: fake\nusers:\n- name: tester\n  user:\n    token: not-a-real-token\n"
    );
    std::fs::write(path, text).expect("write kubeconfig");
}

/// A kubeconfig pointing at a port nothing listens on.
pub fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let path = dir.join("kubeconfig");
    write_kubeconfig(&path, &format!("http://127.0.0.1:{port}"));
    path
}

fn serve(
    listener: std::net::TcpListener,
    state: Arc<Mutex<State>>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let state = state.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    });
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(reply(413, "text/plain", "request body too large".into())),
    };
    let line = format!("{method} {path}?{query}");
    let scripted = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.requests.push(line.clone());
        st.scripted
            .iter()
            .find(|s| {
                line.contains(&s.matches) && !s.unless.as_ref().is_some_and(|u| line.contains(u))
            })
            .cloned()
    };
    if let Some(s) = scripted {
        tokio::time::sleep(s.delay).await;
        return Ok(reply(s.status, "application/json", s.body));
    }
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let (status, ct, text) = route(&mut st, &method, &path, &query, &content_type, &body);
    Ok(reply(status, ct, text))
}

fn reply(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_str(content_type)
            .unwrap_or(hyper::header::HeaderValue::from_static("text/plain")),
    );
    r
}

type Answer = (u16, &'static str, String);

fn ok(v: Value) -> Answer {
    (200, "application/json", v.to_string())
}

fn not_served() -> Answer {
    (404, "text/plain", "404 page not found".into())
}

/// A `Status` answer, as the API server sends one.
pub fn status(code: u16, reason: &str, message: &str, details: Value) -> String {
    let mut s = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code});
    if !details.is_null() {
        s["details"] = details;
    }
    s.to_string()
}

fn fail(code: u16, reason: &str, message: &str, details: Value) -> Answer {
    (
        code,
        "application/json",
        status(code, reason, message, details),
    )
}

fn route(
    st: &mut State,
    method: &str,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> Answer {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["version"] => ok(json!({"major": "1", "minor": "37", "gitVersion": "v1.37.0",
            "gitCommit": "fake", "gitTreeState": "clean", "buildDate": "2026-10-01T00:00:00Z",
            "goVersion": "go1.25", "compiler": "gc", "platform": "linux/amd64"})),
        ["api"] => ok(json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": []})),
        ["apis"] => ok(group_list(st.crds_installed)),
        ["apis", group, version] => match resource_list(group, version, st.crds_installed) {
            Some(v) => ok(v),
            None => not_served(),
        },
        ["api", "v1", rest @ ..] => resource(st, "", rest, method, query, content_type, body),
        ["apis", group, _version, rest @ ..] => {
            if *group == OPERATOR_GROUP && !st.crds_installed {
                return not_served();
            }
            resource(st, group, rest, method, query, content_type, body)
        }
        _ => not_served(),
    }
}

fn group_list(crds: bool) -> Value {
    let mut groups: Vec<&str> = RESOURCES
        .iter()
        .map(|r| r.0)
        .filter(|g| !g.is_empty() && (crds || *g != OPERATOR_GROUP))
        .collect();
    groups.dedup();
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let gv = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
            json!({"name": g, "versions": [gv], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resource_list(group: &str, version: &str, crds: bool) -> Option<Value> {
    if group == OPERATOR_GROUP && !crds {
        return None;
    }
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.0 == group && r.1 == version)
        .map(|r| {
            json!({"name": r.2, "singularName": r.3.to_lowercase(), "namespaced": r.4,
            "kind": r.3, "verbs": ["get", "list", "patch", "delete"]})
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": format!("{group}/{version}"), "resources": resources}))
}

fn kind_of(group: &str, plural: &str) -> Option<(&'static str, &'static str, bool)> {
    RESOURCES
        .iter()
        .find(|r| r.0 == group && r.2 == plural)
        .map(|r| (r.1, r.3, r.4))
}

fn key_of(object: &Value) -> Key {
    let api_version = object["apiVersion"].as_str().unwrap_or("v1");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = object["kind"].as_str().unwrap_or("");
    let plural = RESOURCES
        .iter()
        .find(|r| r.0 == group && r.3 == kind)
        .map_or("unknown", |r| r.2);
    (
        group.to_owned(),
        plural.to_owned(),
        object["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        object["metadata"]["name"].as_str().unwrap_or("").to_owned(),
    )
}

fn rendered(s: &Stored) -> Value {
    let mut o = s.object.clone();
    o["metadata"]["managedFields"] = ssa::managed_fields(&s.owners);
    o
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=b,c!=d,e,!f,g in (x,y)` against labels.
fn selector_matches(selector: &str, labels: &serde_json::Map<String, Value>) -> bool {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in selector.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    terms.push(current);
    terms
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .all(|t| {
            let get = |k: &str| labels.get(k.trim()).and_then(Value::as_str);
            if let Some((k, v)) = t.split_once("!=") {
                get(k) != Some(v.trim())
            } else if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
                get(k) == Some(v.trim())
            } else if let Some((k, set)) = t.split_once(" in ") {
                let set = set.trim().trim_start_matches('(').trim_end_matches(')');
                get(k).is_some_and(|v| set.split(',').any(|s| s.trim() == v))
            } else if let Some(k) = t.strip_prefix('!') {
                get(k).is_none()
            } else {
                get(t).is_some()
            }
        })
}

#[allow(clippy::too_many_arguments)]
fn resource(
    st: &mut State,
    group: &str,
    rest: &[&str],
    method: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> Answer {
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        [plural] => (None, *plural, None),
        _ => return not_served(),
    };
    let Some((version, kind, namespaced)) = kind_of(group, plural) else {
        return not_served();
    };
    if plural == "customresourcedefinitions" {
        return crd(st, name);
    }
    if plural == "namespaces" {
        return match name {
            Some(n) if st.namespaces.contains(n) => {
                ok(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}))
            }
            Some(n) => fail(
                404,
                "NotFound",
                &format!("namespaces \"{n}\" not found"),
                json!({"name": n, "kind": "namespaces"}),
            ),
            None => not_served(),
        };
    }
    let api_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    let resource_name = if group.is_empty() {
        plural.to_owned()
    } else {
        format!("{plural}.{group}")
    };
    let ns = if namespaced {
        namespace.unwrap_or("")
    } else {
        ""
    };
    match (method, name) {
        ("GET", None) => list(st, group, plural, namespace, kind, &api_version, query),
        ("GET", Some(name)) => {
            let key = (
                group.to_owned(),
                plural.to_owned(),
                ns.to_owned(),
                name.to_owned(),
            );
            match st.objects.get(&key) {
                Some(s) => ok(rendered(s)),
                None => fail(
                    404,
                    "NotFound",
                    &format!("{resource_name} \"{name}\" not found"),
                    json!({"name": name, "group": group, "kind": plural}),
                ),
            }
        }
        ("PATCH", Some(name)) => {
            if content_type != "application/apply-patch+yaml" {
                return fail(
                    415,
                    "UnsupportedMediaType",
                    &format!(
                        "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml; got {content_type}"
                    ),
                    Value::Null,
                );
            }
            let Some(manager) = query_param(query, "fieldManager").map(decode) else {
                return fail(
                    400,
                    "BadRequest",
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                    Value::Null,
                );
            };
            if namespaced && !st.namespaces.contains(ns) {
                return fail(
                    404,
                    "NotFound",
                    &format!("namespaces \"{ns}\" not found"),
                    json!({"name": ns, "kind": "namespaces"}),
                );
            }
            let Ok(config) = serde_json::from_slice::<Value>(body) else {
                return fail(
                    400,
                    "BadRequest",
                    "error decoding YAML: not JSON or YAML",
                    Value::Null,
                );
            };
            if config["kind"] != json!(kind)
                || config["apiVersion"] != json!(api_version)
                || config["metadata"]["name"] != json!(name)
            {
                return fail(
                    400,
                    "BadRequest",
                    "the apiVersion, kind or name in the body does not match the URL",
                    Value::Null,
                );
            }
            let dry_run = query_param(query, "dryRun") == Some("All");
            let force = query_param(query, "force") == Some("true");
            let key = (
                group.to_owned(),
                plural.to_owned(),
                ns.to_owned(),
                name.to_owned(),
            );
            apply(st, key, &config, &manager, dry_run, force)
        }
        ("DELETE", Some(name)) => {
            let key = (
                group.to_owned(),
                plural.to_owned(),
                ns.to_owned(),
                name.to_owned(),
            );
            match st.objects.remove(&key) {
                Some(_) => ok(json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Success", "details": {"name": name, "group": group, "kind": plural}})),
                None => fail(
                    404,
                    "NotFound",
                    &format!("{resource_name} \"{name}\" not found"),
                    json!({"name": name, "group": group, "kind": plural}),
                ),
            }
        }
        _ => fail(
            405,
            "MethodNotAllowed",
            "the server does not allow this method",
            Value::Null,
        ),
    }
}

fn crd(st: &State, name: Option<&str>) -> Answer {
    let dask = [
        "daskclusters",
        "daskworkergroups",
        "daskautoscalers",
        "daskjobs",
    ]
    .map(|p| format!("{p}.{OPERATOR_GROUP}"));
    match name {
        Some(n) if st.crds_installed && dask.iter().any(|d| d == n) => ok(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": n, "uid": "crd-uid", "resourceVersion": "1"},
            "spec": {"group": OPERATOR_GROUP, "scope": "Namespaced"}})),
        Some(n) => fail(
            404,
            "NotFound",
            &format!("customresourcedefinitions.apiextensions.k8s.io \"{n}\" not found"),
            json!({"name": n, "group": "apiextensions.k8s.io", "kind": "customresourcedefinitions"}),
        ),
        None => not_served(),
    }
}

fn list(
    st: &State,
    group: &str,
    plural: &str,
    namespace: Option<&str>,
    kind: &str,
    api_version: &str,
    query: &str,
) -> Answer {
    let selector = query_param(query, "labelSelector").map(decode);
    let limit: usize = query_param(query, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let offset: usize = query_param(query, "continue")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let empty = serde_json::Map::new();
    let matching: Vec<Value> = st
        .objects
        .iter()
        .filter(|(k, _)| k.0 == group && k.1 == plural && namespace.is_none_or(|ns| k.2 == ns))
        .map(|(_, s)| rendered(s))
        .filter(|o| {
            let labels = o["metadata"]["labels"].as_object().unwrap_or(&empty);
            selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, labels))
        })
        .map(|mut o| {
            // Real list answers leave these out of each item.
            if let Some(m) = o.as_object_mut() {
                m.remove("apiVersion");
                m.remove("kind");
            }
            o
        })
        .collect();
    let page: Vec<Value> = matching.iter().skip(offset).take(limit).cloned().collect();
    let mut metadata = json!({"resourceVersion": st.resource_version.to_string()});
    if offset + page.len() < matching.len() {
        metadata["continue"] = json!((offset + page.len()).to_string());
    }
    ok(
        json!({"kind": format!("{kind}List"), "apiVersion": api_version,
        "metadata": metadata, "items": page}),
    )
}

/// Defaults the DaskCluster CRD schema applies.
fn default_daskcluster(o: &mut Value) {
    if o["kind"] != "DaskCluster" {
        return;
    }
    if o["spec"].is_object() && o["spec"].get("idleTimeout").is_none() {
        o["spec"]["idleTimeout"] = json!(0);
    }
    if o["spec"]["worker"].is_object() && o["spec"]["worker"].get("replicas").is_none() {
        o["spec"]["worker"]["replicas"] = json!(1);
    }
}

fn apply(
    st: &mut State,
    key: Key,
    config: &Value,
    manager: &str,
    dry_run: bool,
    force: bool,
) -> Answer {
    let existing = st.objects.get(&key);
    let created = existing.is_none();
    let mut stored = match ssa::apply(existing, config, manager, force) {
        Ok(s) => s,
        Err(conflicts) => {
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|(m, f)| json!({"reason": "FieldManagerConflict",
                    "message": format!("conflict with \"{m}\" using {}", config["apiVersion"].as_str().unwrap_or("")),
                    "field": f}))
                .collect();
            let n = conflicts.len();
            let message = format!(
                "Apply failed with {n} conflict{}: {}",
                if n == 1 { "" } else { "s" },
                conflicts
                    .iter()
                    .map(|(m, f)| format!("conflict with \"{m}\": {f}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            return (
                409,
                "application/json",
                status(
                    409,
                    "Conflict",
                    &message,
                    json!({"name": key.3, "group": key.0, "kind": key.1, "causes": causes}),
                ),
            );
        }
    };
    default_daskcluster(&mut stored.object);
    let old_spec = existing.map(|s| s.object["spec"].clone());
    let (uid, generation, created_at) = match existing {
        Some(s) => (
            s.object["metadata"]["uid"].clone(),
            s.object["metadata"]["generation"].as_u64().unwrap_or(1),
            s.object["metadata"]["creationTimestamp"].clone(),
        ),
        None => {
            st.uids += 1;
            (
                json!(format!("uid-{}", st.uids)),
                0,
                json!("2026-11-22T10:00:00Z"),
            )
        }
    };
    let generation = if old_spec.as_ref() == Some(&stored.object["spec"]) {
        generation
    } else {
        generation + 1
    };
    let rv = if dry_run {
        st.resource_version
    } else {
        st.resource_version + 1
    };
    let meta = &mut stored.object["metadata"];
    meta["namespace"] = if key.2.is_empty() {
        Value::Null
    } else {
        json!(key.2)
    };
    if key.2.is_empty() {
        meta.as_object_mut().map(|m| m.remove("namespace"));
    }
    meta["uid"] = uid;
    meta["generation"] = json!(generation);
    meta["creationTimestamp"] = created_at;
    meta["resourceVersion"] = json!(rv.to_string());
    if created
        && stored.object["kind"] == "DaskCluster"
        && let Some(phase) = &st.phase
    {
        stored.object["status"] = json!({"phase": phase});
    }
    let answer = rendered(&stored);
    if !dry_run {
        st.resource_version = rv;
        st.objects.insert(key, stored);
    }
    (
        if created { 201 } else { 200 },
        "application/json",
        answer.to_string(),
    )
}
