//! What the `dask` Helm chart (and the retired `stable/dask`) renders from one values
//! document: the scheduler and worker pods a release of it runs, and the fate of every
//! values key in a migration to the Dask Operator.
//!
//! Takes a values document already recognised by [`super::helm_values::is_dask_values`] and
//! a release name; gives a [`Rendering`] — per component the container (image, pull policy,
//! the exact `args` the chart's templates write, resources, env, mounts, probes) and the pod
//! settings, the worker groups (`additional_worker_groups` merged over `worker`, as the
//! chart's `merge` does), the scheduler Service — plus one [`Field`] per values key, located,
//! saying what a DaskCluster does with it. [`clusters`] makes it the classic-cluster model:
//! the one producer for Helm values, read by the rewriter `helm-values-to-daskcluster` (a
//! values file) and by `cluster::build::from_release` (a live release's values).
//!
//! The chart is not rendered by Helm here (no chart is available offline); the rendering
//! follows the templates as `../shared/reference/dask-facts.md` §5.1–5.2 describe them:
//! - [`Era::Dask`], the dask/dask chart since 2022.11.0 (the newest published is 2024.1.1):
//!   scheduler `[dask-scheduler, --port=<servicePort>, --dashboard-address=:8787,
//!   <extraArgs…>]`; worker `[<image.dask_worker>, <custom_scheduler_url or
//!   <fullname>-scheduler:<servicePort>>, (--nthreads <threads_per_worker | limits.cpu |
//!   default_resources.cpu> --memory-limit <limits.memory | default_resources.memory>, only
//!   when `resources.limits` is set), --no-dashboard, --dashboard-address <portDashboard>,
//!   (--worker-port <port>), <extraArgs…>]`; defaults of chart 2024.1.1 for what the values do
//!   not set (images `ghcr.io/dask/dask:2024.1.0`, Service `ClusterIP`, 3 workers);
//! - [`Era::Stable`], `stable/dask` (flat `image`/`imageTag` keys, or nested images of dask
//!   before 2.0, which only that chart shipped): scheduler `[dask-scheduler, --port,
//!   <servicePort>, --bokeh-port, 8787]`; worker `[<dask_worker>, <fullname>-scheduler:<port>,
//!   (--nthreads … --memory-limit …), --no-bokeh]`; Service `LoadBalancer` by default; no
//!   `extraArgs`, mounts, probes or security context.
//!
//! `fullname` is the chart's: `fullnameOverride`, else the release name when it contains the
//! chart name (`nameOverride` or `dask`), else `<release>-dask`. Never reads files.

use super::classic::{ClassicCluster, ClassicPod, SchedulerPod, Source, Sourced, Unsupported};
use super::helm_values::WHOLE_VALUES;
use crate::source::TextRange;
use crate::source::yaml::{self, Node, Value as YamlValue};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde_json::{Map, Value, json};

/// Which chart's templates render these values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// `stable/dask` (helm/charts), retired in November 2020.
    Stable,
    /// `dask/dask` (https://helm.dask.org).
    Dask,
}

impl Era {
    pub fn chart(self) -> &'static str {
        match self {
            Era::Stable => "stable/dask",
            Era::Dask => "dask/dask",
        }
    }
}

/// What a DaskCluster does with one values key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Copied as it is (to the field named).
    Carried(String),
    /// Carried in another form (how).
    Transformed(String),
    /// No operator equivalent (why, and what to do).
    NotSupported(String),
    /// Carried, and refers to something that must exist in the namespace.
    Dependency(String),
    /// Has no effect in this release (a disabled component), so nothing replaces it.
    NoEffect(String),
}

impl Fate {
    pub fn label(&self) -> &'static str {
        match self {
            Fate::Carried(_) => "carried",
            Fate::Transformed(_) => "transformed",
            Fate::NotSupported(_) => "not supported",
            Fate::Dependency(_) => "dependency",
            Fate::NoEffect(_) => "no effect",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Fate::Carried(s)
            | Fate::Transformed(s)
            | Fate::NotSupported(s)
            | Fate::Dependency(s)
            | Fate::NoEffect(s) => s,
        }
    }
}

/// One values key and its fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Dotted key (`worker.resources`, `additional_worker_groups.gpu.replicas`).
    pub key: String,
    /// The key in the values file.
    pub range: TextRange,
    pub fate: Fate,
}

/// A pod the chart runs: its one container and the pod-level settings, as the chart
/// renders them (Kubernetes field names, JSON values).
#[derive(Clone, Debug, PartialEq)]
pub struct Pod {
    /// `name`, `image`, `imagePullPolicy`, `args`, and where set `resources`, `env`,
    /// `volumeMounts`, `livenessProbe`, `readinessProbe`.
    pub container: Map<String, Value>,
    /// `imagePullSecrets`, `volumes`, `nodeSelector`, `securityContext`, `affinity`,
    /// `tolerations`, `serviceAccountName`, where set.
    pub pod: Map<String, Value>,
    /// Pod annotations (`worker.annotations`).
    pub annotations: Option<Map<String, Value>>,
}

impl Pod {
    pub fn args(&self) -> Vec<String> {
        self.container
            .get("args")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default()
    }
}

/// One worker Deployment of the release.
#[derive(Clone, Debug, PartialEq)]
pub struct Workers {
    /// `None` for `worker`, the group's `name` for an `additional_worker_groups` item.
    pub group: Option<String>,
    pub replicas: i64,
    pub pod: Pod,
}

/// The scheduler Service.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub type_: String,
    pub port: i64,
    pub dashboard_port: i64,
    pub load_balancer_ip: Option<String>,
}

/// Everything a release renders from one values document.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendering {
    pub era: Era,
    pub fullname: String,
    /// `None` with `scheduler.enabled: false`.
    pub scheduler: Option<Pod>,
    pub service: Service,
    /// `worker` first, then each additional group.
    pub workers: Vec<Workers>,
    /// Where the workers (and every client) reach the scheduler today.
    pub scheduler_address: String,
    /// Whether the chart also runs a Jupyter server (`jupyter.enabled`, default true).
    pub jupyter: bool,
    pub fields: Vec<Field>,
}

/// Why a values document cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    pub range: TextRange,
    pub message: String,
}

/// Newest published dask/dask chart's default image (chart 2024.1.1, appVersion 2024.1.0).
const DASK_IMAGE: (&str, &str) = ("ghcr.io/dask/dask", "2024.1.0");
/// stable/dask's default image repository; its tag defaulted to `latest` in the flat era.
const STABLE_IMAGE: (&str, &str) = ("daskdev/dask", "latest");

/// Which chart renders `root`: flat image keys, or nested images of dask before 2.0, are
/// `stable/dask`; anything else the dask chart.
pub fn era(root: &Node) -> Era {
    let flat = root.get("pullPolicy").is_some()
        || ["scheduler", "worker", "jupyter"].iter().any(|c| {
            root.path(&[c, "imageTag"]).is_some()
                || root.path(&[c, "image"]).and_then(Node::as_str).is_some()
        });
    let old_dask = ["scheduler", "worker"].iter().any(|c| {
        let repo = root
            .path(&[c, "image", "repository"])
            .and_then(Node::as_str);
        let tag = root.path(&[c, "image", "tag"]).and_then(Node::as_str);
        repo.is_some_and(|r| r.starts_with("daskdev/dask"))
            && tag.is_some_and(|t| t.starts_with("0.") || t.starts_with("1."))
    });
    if flat || old_dask {
        Era::Stable
    } else {
        Era::Dask
    }
}

/// The chart's `fullname` for a release of it.
pub fn fullname(root: &Node, release: &str) -> String {
    if let Some(f) = root.get_str("fullnameOverride").filter(|f| !f.is_empty()) {
        return truncate(f);
    }
    let chart = root
        .get_str("nameOverride")
        .filter(|n| !n.is_empty())
        .unwrap_or("dask");
    if release.contains(chart) {
        truncate(release)
    } else {
        truncate(&format!("{release}-{chart}"))
    }
}

fn truncate(name: &str) -> String {
    name.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Render `root` as a release named `release` would.
pub fn render(root: &Node, release: &str) -> Result<Rendering, RenderError> {
    let values = yaml::to_json(root).map_err(|e| RenderError {
        range: e.range,
        message: e.message,
    })?;
    let era = era(root);
    let fullname = fullname(root, release);
    let get = |path: &str| values.pointer(path).filter(|v| !is_empty(v));
    let service_port = get("/scheduler/servicePort")
        .and_then(as_int)
        .unwrap_or(8786);
    let service = Service {
        type_: get("/scheduler/serviceType")
            .map(text)
            .unwrap_or_else(|| match era {
                Era::Stable => "LoadBalancer".into(),
                Era::Dask => "ClusterIP".into(),
            }),
        port: service_port,
        dashboard_port: get("/webUI/servicePort").and_then(as_int).unwrap_or(80),
        load_balancer_ip: get("/scheduler/loadBalancerIP").map(text),
    };
    let scheduler_address = format!("{fullname}-scheduler:{service_port}");
    let enabled = values
        .pointer("/scheduler/enabled")
        .is_none_or(|v| v != &json!(false));
    let scheduler_values = normalised(&values, "scheduler", era);
    let scheduler = enabled.then(|| scheduler_pod(&scheduler_values, &fullname, service_port, era));
    let worker_values = normalised(&values, "worker", era);
    let mut workers = vec![Workers {
        group: None,
        replicas: worker_values.get("replicas").and_then(as_int).unwrap_or(3),
        pod: worker_pod(&worker_values, &fullname, &scheduler_address, era),
    }];
    let groups = values
        .get("additional_worker_groups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, group) in groups.iter().enumerate() {
        let mut merged = worker_values.clone();
        merge(&mut merged, group);
        let name = group.get("name").map(text).ok_or_else(|| RenderError {
            range: group_range(root, i),
            message: format!(
                "`additional_worker_groups` item {} has no `name`; the chart names its Deployment after it",
                i + 1
            ),
        })?;
        workers.push(Workers {
            group: Some(name),
            replicas: merged.get("replicas").and_then(as_int).unwrap_or(3),
            pod: worker_pod(&merged, &fullname, &scheduler_address, era),
        });
    }
    let jupyter = values
        .pointer("/jupyter/enabled")
        .is_none_or(|v| v != &json!(false));
    Ok(Rendering {
        era,
        fullname,
        scheduler,
        service,
        workers,
        scheduler_address,
        jupyter,
        fields: fields(root, era),
    })
}

fn group_range(root: &Node, i: usize) -> TextRange {
    root.get("additional_worker_groups")
        .and_then(Node::as_seq)
        .and_then(|items| items.get(i))
        .map_or(root.range, |n| n.range)
}

/// A component's values with the chart's defaults under them and flat stable/dask image
/// keys moved to `image.{repository, tag, pullPolicy}`.
fn normalised(values: &Value, component: &str, era: Era) -> Value {
    let (repository, tag) = match era {
        Era::Stable => STABLE_IMAGE,
        Era::Dask => DASK_IMAGE,
    };
    let mut out = json!({
        "image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"},
        "default_resources": {"cpu": 1, "memory": "4GiB"},
        "portDashboard": 8790,
    });
    if component == "worker" {
        out["image"]["dask_worker"] = json!("dask-worker");
    }
    let mine = values.get(component).cloned().unwrap_or(Value::Null);
    let mut mine = match mine {
        Value::Object(m) => Value::Object(m),
        _ => json!({}),
    };
    // stable/dask before nested images: `image: daskdev/dask`, `imageTag`, top `pullPolicy`.
    if let Some(flat) = mine.get("image").and_then(Value::as_str).map(str::to_owned) {
        mine["image"] = json!({"repository": flat});
    }
    if let Some(tag) = mine.get("imageTag").cloned() {
        mine["image"]["tag"] = json!(text(&tag));
    }
    if let Some(policy) = values.get("pullPolicy").filter(|v| !is_empty(v)) {
        mine["image"]["pullPolicy"] = policy.clone();
    }
    merge(&mut out, &mine);
    out
}

fn image(v: &Value) -> String {
    let repo = v.pointer("/image/repository").map(text).unwrap_or_default();
    match v.pointer("/image/tag").filter(|t| !is_empty(t)) {
        Some(tag) => format!("{repo}:{}", text(tag)),
        None => repo,
    }
}

fn container(v: &Value, name: String, args: Vec<String>, era: Era) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("name".into(), json!(name));
    c.insert("image".into(), json!(image(v)));
    if let Some(p) = v.pointer("/image/pullPolicy").filter(|p| !is_empty(p)) {
        c.insert("imagePullPolicy".into(), p.clone());
    }
    c.insert("args".into(), json!(args));
    let mut keys = vec![("resources", "/resources"), ("env", "/env")];
    if era == Era::Dask {
        keys.extend([
            ("volumeMounts", "/mounts/volumeMounts"),
            ("livenessProbe", "/livenessProbe"),
            ("readinessProbe", "/readinessProbe"),
        ]);
    }
    for (field, path) in keys {
        if let Some(x) = v.pointer(path).filter(|x| !is_empty(x)) {
            c.insert(field.into(), x.clone());
        }
    }
    c
}

fn pod_fields(v: &Value, era: Era, with_volumes: bool) -> Map<String, Value> {
    let mut pod = Map::new();
    let mut keys = vec![
        ("imagePullSecrets", "/image/pullSecrets"),
        ("nodeSelector", "/nodeSelector"),
        ("affinity", "/affinity"),
        ("tolerations", "/tolerations"),
    ];
    if era == Era::Dask {
        keys.extend([
            ("securityContext", "/securityContext"),
            ("serviceAccountName", "/serviceAccountName"),
        ]);
        if with_volumes {
            keys.push(("volumes", "/mounts/volumes"));
        }
    }
    for (field, path) in keys {
        if let Some(x) = v.pointer(path).filter(|x| !is_empty(x)) {
            pod.insert(field.into(), x.clone());
        }
    }
    pod
}

fn scheduler_pod(v: &Value, fullname: &str, port: i64, era: Era) -> Pod {
    let mut args = vec!["dask-scheduler".to_owned()];
    match era {
        Era::Dask => {
            args.push(format!("--port={port}"));
            args.push("--dashboard-address=:8787".into());
            args.extend(list(v.get("extraArgs")));
        }
        Era::Stable => args.extend([
            "--port".into(),
            port.to_string(),
            "--bokeh-port".into(),
            "8787".into(),
        ]),
    }
    Pod {
        container: container(v, format!("{fullname}-scheduler"), args, era),
        pod: pod_fields(v, era, false),
        annotations: None,
    }
}

fn worker_pod(v: &Value, fullname: &str, address: &str, era: Era) -> Pod {
    let get = |path: &str| v.pointer(path).filter(|x| !is_empty(x));
    let mut args = vec![
        get("/image/dask_worker")
            .map(text)
            .unwrap_or_else(|| "dask-worker".into()),
    ];
    match get("/custom_scheduler_url").filter(|_| era == Era::Dask) {
        Some(url) => args.push(text(url)),
        None => args.push(address.to_owned()),
    }
    if get("/resources/limits").is_some() {
        let threads = match era {
            Era::Dask => get("/threads_per_worker"),
            Era::Stable => None,
        }
        .or(get("/resources/limits/cpu"))
        .or(get("/default_resources/cpu"));
        let memory = get("/resources/limits/memory").or(get("/default_resources/memory"));
        args.extend([
            "--nthreads".into(),
            threads.map(text).unwrap_or_default(),
            "--memory-limit".into(),
            memory.map(text).unwrap_or_default(),
        ]);
    }
    match era {
        Era::Dask => {
            args.extend([
                "--no-dashboard".into(),
                "--dashboard-address".into(),
                get("/portDashboard")
                    .map(text)
                    .unwrap_or_else(|| "8790".into()),
            ]);
            if let Some(port) = get("/port") {
                args.extend(["--worker-port".into(), text(port)]);
            }
            args.extend(list(v.get("extraArgs")));
        }
        Era::Stable => args.push("--no-bokeh".into()),
    }
    let annotations = match era {
        Era::Dask => get("/annotations").and_then(Value::as_object).cloned(),
        Era::Stable => None,
    };
    Pod {
        container: container(v, format!("{fullname}-worker"), args, era),
        pod: pod_fields(v, era, true),
        annotations,
    }
}

/// The fate of every key the values set, in source order. Keys below a carried mapping
/// (`worker.resources.limits.cpu`) are not listed on their own.
fn fields(root: &Node, era: Era) -> Vec<Field> {
    let mut out = Vec::new();
    let Some(entries) = root.as_map() else {
        return out;
    };
    for entry in entries {
        let Some(top) = entry.key.as_str() else {
            continue;
        };
        match (top, &entry.value.value) {
            ("jupyter", YamlValue::Map(_)) => {
                let disabled = entry.value.get_str("enabled") == Some("false");
                out.push(Field {
                    key: top.to_owned(),
                    range: entry.key.range,
                    fate: if disabled {
                        Fate::NoEffect(
                            "`jupyter.enabled: false`: the release runs no Jupyter server".into(),
                        )
                    } else {
                        jupyter_fate()
                    },
                });
            }
            ("webUI", YamlValue::Map(inner)) => {
                for e in inner {
                    let Some(k) = e.key.as_str() else { continue };
                    let enabled = e.value.get_str("enabled") == Some("true");
                    let fate = match k {
                        "servicePort" => Fate::Carried(
                            "port `http-dashboard` of spec.scheduler.service".into(),
                        ),
                        "ingress" if enabled => Fate::NotSupported(
                            "the operator creates no Ingress; write one for the `<cluster>-scheduler` Service, port `http-dashboard`".into(),
                        ),
                        "ingress" => Fate::NoEffect("no ingress is enabled".into()),
                        _ => Fate::NoEffect("names a port of the chart's Service".into()),
                    };
                    out.push(Field {
                        key: format!("webUI.{k}"),
                        range: e.key.range,
                        fate,
                    });
                }
            }
            ("scheduler" | "worker", YamlValue::Map(inner)) => {
                for e in inner {
                    if let Some(k) = e.key.as_str() {
                        let key = format!("{top}.{k}");
                        let fate = fate(&key, &e.value, era);
                        nested(&mut out, &key, e, fate);
                    }
                }
            }
            ("additional_worker_groups", YamlValue::Seq(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let group = item
                        .get_str("name")
                        .map_or_else(|| (i + 1).to_string(), str::to_owned);
                    for e in item.as_map().unwrap_or_default() {
                        if let Some(k) = e.key.as_str() {
                            let key = format!("additional_worker_groups.{group}.{k}");
                            let fate = match k {
                                "name" => Fate::Transformed(
                                    "names the DaskWorkerGroup `<cluster>-<name>`".into(),
                                ),
                                _ => fate(&format!("worker.{k}"), &e.value, era),
                            };
                            nested(&mut out, &key, e, fate);
                        }
                    }
                }
            }
            _ => out.push(Field {
                key: top.to_owned(),
                range: entry.key.range,
                fate: top_fate(top),
            }),
        }
    }
    out
}

/// `image` and `mounts` are listed per sub-key; everything else at its own key.
fn nested(out: &mut Vec<Field>, key: &str, e: &crate::source::yaml::Entry, fate: Fate) {
    let (component, last) = key.rsplit_once('.').unwrap_or(("worker", key));
    let component = if component.starts_with("scheduler") {
        "scheduler"
    } else if component.starts_with("jupyter") {
        "jupyter"
    } else {
        "worker"
    };
    if let (true, Some(subs)) = (matches!(last, "image" | "mounts"), e.value.as_map()) {
        for sub in subs {
            if let Some(k) = sub.key.as_str() {
                out.push(Field {
                    key: format!("{key}.{k}"),
                    range: sub.key.range,
                    fate: fate_of_nested(component, &format!("{last}.{k}")),
                });
            }
        }
        return;
    }
    out.push(Field {
        key: key.to_owned(),
        range: e.key.range,
        fate,
    });
}

/// The fate of `image.*` and `mounts.*` keys of a component.
fn fate_of_nested(component: &str, key: &str) -> Fate {
    if component == "jupyter" {
        return jupyter_fate();
    }
    let container = format!("spec.{component}.spec.containers[0]");
    let pod = format!("spec.{component}.spec");
    match key {
        "image.repository" | "image.tag" => Fate::Carried(format!("{container}.image")),
        "image.pullPolicy" => Fate::Carried(format!("{container}.imagePullPolicy")),
        "image.pullSecrets" => Fate::Dependency(format!(
            "{pod}.imagePullSecrets; the Secrets must exist in the DaskCluster's namespace"
        )),
        "image.dask_worker" => Fate::Transformed(format!(
            "the program of {container}.args (`dask worker` where the targeted distributed has it)"
        )),
        "mounts.volumes" => Fate::Dependency(format!(
            "{pod}.volumes; the claims, ConfigMaps and Secrets they name must exist"
        )),
        "mounts.volumeMounts" => Fate::Carried(format!("{container}.volumeMounts")),
        other => Fate::NotSupported(format!("`{other}` is not a key the chart reads")),
    }
}

fn jupyter_fate() -> Fate {
    Fate::NotSupported(
        "a DaskCluster runs no Jupyter server; keep it in its own release or JupyterHub".into(),
    )
}

fn top_fate(key: &str) -> Fate {
    match key {
        "nameOverride" | "fullnameOverride" => Fate::Transformed(
            "the chart's resource names; the DaskCluster's name is the cluster's".into(),
        ),
        "pullPolicy" => Fate::Carried("imagePullPolicy of every container".into()),
        "jupyter" => jupyter_fate(),
        "webUI" => Fate::NotSupported("the web UI Service port and ingress have no operator equivalent; the dashboard is port `http-dashboard` (8787) of `<cluster>-scheduler`".into()),
        k if k == WHOLE_VALUES => Fate::Carried(String::new()),
        _ => Fate::NotSupported("not a key of the dask chart".into()),
    }
}

/// The fate of `component.key` (worker keys also stand for an additional group's).
fn fate(key: &str, node: &Node, era: Era) -> Fate {
    let (component, k) = key.split_once('.').unwrap_or((key, ""));
    if component == "jupyter" {
        return jupyter_fate();
    }
    if component == "webUI" {
        return top_fate("webUI");
    }
    let container = format!("spec.{component}.spec.containers[0]");
    let pod = format!("spec.{component}.spec");
    let stable_only = |field: &str| {
        if era == Era::Stable {
            Fate::NotSupported(format!("stable/dask did not read `{field}`"))
        } else {
            Fate::Carried(format!("{pod}.{field}"))
        }
    };
    match (component, k) {
        (_, "image") | (_, "imageTag") => Fate::Carried(format!("{container}.image")),
        (_, "resources") => Fate::Carried(format!("{container}.resources")),
        (_, "env") => Fate::Carried(format!("{container}.env")),
        (_, "nodeSelector") | (_, "tolerations") | (_, "affinity") => {
            Fate::Carried(format!("{pod}.{k}"))
        }
        (_, "securityContext") => stable_only("securityContext"),
        (_, "serviceAccountName") => Fate::Dependency(format!(
            "{pod}.serviceAccountName; the ServiceAccount must exist in the DaskCluster's namespace"
        )),
        (_, "livenessProbe") | (_, "readinessProbe") if component == "worker" => {
            Fate::Carried(format!("{container}.{k}"))
        }
        ("scheduler", "livenessProbe") | ("scheduler", "readinessProbe") => Fate::Carried(format!(
            "{container}.{k} (instead of the operator's `/health` probe)"
        )),
        (_, "extraArgs") => Fate::Carried(format!("{container}.args, after the chart's own")),
        (_, "name") => Fate::Transformed(
            "the container is named `scheduler` or `worker`, as the operator names them".into(),
        ),
        (_, "component") => Fate::Transformed(
            "the operator labels pods `dask.org/component` itself".into(),
        ),
        ("scheduler", "enabled") if node.as_str() == Some("false") => Fate::NotSupported(
            "a DaskCluster always runs its own scheduler; the workers join it instead of `worker.custom_scheduler_url`".into(),
        ),
        ("scheduler", "enabled") => Fate::Carried("spec.scheduler".into()),
        ("scheduler", "replicas") => Fate::Transformed(
            "the operator runs exactly one scheduler".into(),
        ),
        ("scheduler", "serviceType") => Fate::Carried("spec.scheduler.service.type".into()),
        ("scheduler", "servicePort") => Fate::Transformed(
            "port `tcp-comm` of spec.scheduler.service (the scheduler itself listens on 8786)".into(),
        ),
        ("scheduler", "loadBalancerIP") => {
            Fate::Carried("spec.scheduler.service.loadBalancerIP".into())
        }
        ("scheduler", "serviceAnnotations") => Fate::NotSupported(
            "spec.scheduler.service is a ServiceSpec without metadata; annotate the `<cluster>-scheduler` Service after the operator creates it".into(),
        ),
        ("scheduler", "metrics") | ("worker", "metrics") => Fate::NotSupported(
            "the operator creates no ServiceMonitor or PodMonitor; write one selecting `dask.org/cluster-name`".into(),
        ),
        ("worker", "replicas") => Fate::Carried("spec.worker.replicas".into()),
        ("worker", "threads_per_worker") => Fate::Transformed(
            "`--nthreads` in the worker args, as the chart renders it (only with `resources.limits`)".into(),
        ),
        ("worker", "default_resources") => Fate::Transformed(
            "`--nthreads`/`--memory-limit` in the worker args where the chart used them; not a resource request".into(),
        ),
        ("worker", "custom_scheduler_url") => Fate::NotSupported(
            "DaskCluster workers always join the cluster's own scheduler".into(),
        ),
        ("worker", "portDashboard") => Fate::Carried(
            "`--dashboard-address` in the worker args".into(),
        ),
        ("worker", "port") => Fate::Carried("`--worker-port` in the worker args".into()),
        ("worker", "annotations") => Fate::Carried("spec.worker.metadata.annotations".into()),
        ("worker", "strategy") => Fate::NotSupported(
            "the operator manages its worker Deployments' rollout itself".into(),
        ),
        ("worker", "aptPackages") => Fate::NotSupported(
            "removed in chart 4.1.7; use the `EXTRA_APT_PACKAGES` env variable".into(),
        ),
        ("worker", "limits") | ("worker", "requests") | ("scheduler", "limits")
        | ("scheduler", "requests") => Fate::NotSupported(
            "the chart never read it; use `resources`".into(),
        ),
        (_, other) => Fate::NotSupported(format!("`{other}` is not read by the chart's {component}")),
    }
}

/// Helm's `merge`: maps merge key by key, the first argument wins; anything else replaces.
fn merge(base: &mut Value, over: &Value) {
    let mut todo: Vec<(&mut Value, &Value)> = vec![(base, over)];
    while let Some((target, source)) = todo.pop() {
        match (target, source) {
            (Value::Object(t), Value::Object(s)) => {
                for (k, v) in s {
                    match t.get_mut(k) {
                        Some(existing @ Value::Object(_)) if v.is_object() => {
                            // Recurse by value: rebuild the child, then put it back.
                            let mut child = existing.take();
                            merge(&mut child, v);
                            t.insert(k.clone(), child);
                        }
                        _ => {
                            if !v.is_null() {
                                t.insert(k.clone(), v.clone());
                            }
                        }
                    }
                }
            }
            (target, source) => *target = source.clone(),
        }
    }
}

fn list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default()
}

/// A value as Helm's `quote`/`toString` prints it.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// Helm's `with`/`default` emptiness: null, `false`, 0, "", empty map or list.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
    }
}

/// The rendering as the classic-cluster model, the one producer for Helm values (a values
/// file's fix and a live release's `plan --from-cluster` both read it): one
/// [`ClassicCluster`] named `name` for the release's `worker` and scheduler, then one per
/// `additional_worker_groups` item, named `group_name(<group>)`. Every field's source is
/// `source` (the rendering, not one key); keys the operator cannot express are
/// [`Unsupported`], at their key's range.
///
/// The pods are the chart's as rendered, with what belongs to the chart's topology made the
/// operator's: the worker's positional scheduler address (`<fullname>-scheduler:8786`) is
/// dropped (the controller sets `DASK_SCHEDULER_ADDRESS`), the scheduler's `--port` is 8786
/// (where the Service's `tcp-comm` points), quantities and env values are strings. The
/// commands are otherwise the chart's: the builder (`migrate::build::normalise_commands`)
/// makes them run on the `distributed` in play and adds `--name $(DASK_WORKER_NAME)`.
pub fn clusters(
    name: &str,
    r: &Rendering,
    source: &Source,
    group_name: impl Fn(&str) -> String,
) -> Result<Vec<ClassicCluster>, String> {
    let mut clusters = Vec::new();
    for w in &r.workers {
        let cluster_name = match &w.group {
            None => name.to_owned(),
            Some(g) => group_name(g),
        };
        let mut c = w.pod.container.clone();
        c.insert("name".into(), json!("worker"));
        let mut args = w.pod.args();
        if args.len() > 1 {
            args.remove(1);
        }
        c.insert("args".into(), json!(split_program(args)));
        let mut worker = ClassicPod {
            spec: pod_spec(c, &w.pod.pod)?,
            source: Some(source.clone()),
            ..ClassicPod::default()
        };
        if let Some(a) = &w.pod.annotations {
            worker.annotations = a.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        }
        let mut cluster = ClassicCluster::new(Sourced::new(cluster_name, source.clone()), worker);
        cluster.replicas = Some(Sourced::new(
            i32::try_from(w.replicas)
                .map_err(|_| format!("{} worker replicas is too many", w.replicas))?,
            source.clone(),
        ));
        if w.group.is_none() {
            if let Some(pod) = &r.scheduler {
                let mut c = pod.container.clone();
                c.insert("name".into(), json!("scheduler"));
                c.insert("args".into(), json!(scheduler_args(pod.args())));
                cluster.scheduler = SchedulerPod::Own(Box::new(ClassicPod {
                    spec: pod_spec(c, &pod.pod)?,
                    source: Some(source.clone()),
                    ..ClassicPod::default()
                }));
            }
            cluster.service_type = Some(Sourced::new(r.service.type_.clone(), source.clone()));
            cluster.idle_timeout = Some(Sourced::new(
                0,
                Source::Default("the operator's default: never delete an idle cluster"),
            ));
            for f in &r.fields {
                if let Fate::NotSupported(reason) = &f.fate {
                    cluster.unsupported.push(Unsupported {
                        what: f.key.clone(),
                        source: Source::Span(f.range),
                        reason: reason.clone(),
                    });
                }
            }
        }
        clusters.push(cluster);
    }
    Ok(clusters)
}

/// The chart's program value may hold several words (`dask_worker: "dask cuda worker"`).
fn split_program(mut args: Vec<String>) -> Vec<String> {
    if args.is_empty() {
        return args;
    }
    let program: Vec<String> = args[0].split_whitespace().map(str::to_owned).collect();
    args.splice(0..1, program);
    args
}

/// The chart's scheduler args with the scheduler listening on 8786, where the Service's
/// `tcp-comm` port points.
fn scheduler_args(rendered: Vec<String>) -> Vec<String> {
    let mut rest = split_program(rendered);
    let mut i = 1;
    while i < rest.len() {
        if rest[i].starts_with("--port=") {
            rest[i] = "--port=8786".into();
        } else if rest[i] == "--port" && i + 1 < rest.len() {
            rest[i + 1] = "8786".into();
            i += 1;
        }
        i += 1;
    }
    rest
}

/// A pod spec from the chart's container and pod fields, quantities and env values made
/// the strings Kubernetes expects.
fn pod_spec(container: Map<String, Value>, pod: &Map<String, Value>) -> Result<PodSpec, String> {
    let mut container = Value::Object(container);
    for part in ["limits", "requests"] {
        if let Some(Value::Object(q)) = container.pointer_mut(&format!("/resources/{part}")) {
            for v in q.values_mut() {
                if !v.is_string() {
                    *v = json!(text(v));
                }
            }
        }
    }
    if let Some(Value::Array(env)) = container.get_mut("env") {
        for var in env {
            if let Some(v) = var
                .get_mut("value")
                .filter(|v| !v.is_string() && !v.is_null())
            {
                *v = json!(text(v));
            }
        }
    }
    let mut spec = Value::Object(pod.clone());
    spec["containers"] = json!([container]);
    let unreadable = |e: serde_json::Error| {
        format!("Kubernetes' types cannot read the pod these values render ({e}): fix the value")
    };
    let container: Container =
        serde_json::from_value(spec["containers"][0].clone()).map_err(unreadable)?;
    let mut spec: PodSpec = serde_json::from_value(spec).map_err(unreadable)?;
    spec.containers = vec![container];
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::test_support::load;

    fn rendering(src: &str, release: &str) -> Rendering {
        let file = load(src);
        render(file.documents[0].root.as_ref().unwrap(), release).unwrap()
    }

    #[test]
    fn fullname_follows_the_chart_helper() {
        let file = load("worker: {replicas: 1}\n");
        let root = file.documents[0].root.as_ref().unwrap();
        assert_eq!(fullname(root, "analytics"), "analytics-dask");
        assert_eq!(fullname(root, "dask-prod"), "dask-prod");
        let file = load("fullnameOverride: ml\nworker: {replicas: 1}\n");
        let root = file.documents[0].root.as_ref().unwrap();
        assert_eq!(fullname(root, "analytics"), "ml");
    }

    #[test]
    fn limits_bring_nthreads_and_memory_limit() {
        let r = rendering(
            "worker:\n  resources:\n    limits: {cpu: 2, memory: 8G}\n  threads_per_worker: 4\n",
            "demo",
        );
        assert_eq!(
            r.workers[0].pod.args(),
            [
                "dask-worker",
                "demo-dask-scheduler:8786",
                "--nthreads",
                "4",
                "--memory-limit",
                "8G",
                "--no-dashboard",
                "--dashboard-address",
                "8790"
            ]
        );
        let r = rendering("worker:\n  threads_per_worker: 4\n", "demo");
        assert_eq!(
            r.workers[0].pod.args(),
            [
                "dask-worker",
                "demo-dask-scheduler:8786",
                "--no-dashboard",
                "--dashboard-address",
                "8790"
            ]
        );
    }

    #[test]
    fn additional_groups_merge_over_the_worker() {
        let r = rendering(
            "worker:\n  replicas: 2\n  env: [{name: A, value: x}]\nadditional_worker_groups:\n  - name: gpu\n    replicas: 1\n    extraArgs: [--resources, GPU=1]\n",
            "demo",
        );
        assert_eq!(r.workers.len(), 2);
        assert_eq!(r.workers[1].group.as_deref(), Some("gpu"));
        assert_eq!(r.workers[1].replicas, 1);
        assert_eq!(
            r.workers[1].pod.container["env"],
            json!([{"name": "A", "value": "x"}])
        );
        assert!(
            r.workers[1]
                .pod
                .args()
                .ends_with(&["--resources".into(), "GPU=1".into()])
        );
    }

    #[test]
    fn an_unnamed_group_is_a_located_error() {
        let file = load("worker: {replicas: 1}\nadditional_worker_groups:\n  - replicas: 2\n");
        let err = render(file.documents[0].root.as_ref().unwrap(), "demo").unwrap_err();
        assert!(err.message.contains("no `name`"), "{err}");
        assert!(!err.range.is_empty());
    }

    #[test]
    fn stable_flat_values() {
        let r = rendering(
            "scheduler: {image: daskdev/dask, imageTag: 0.17.1}\nworker: {image: daskdev/dask, imageTag: 0.17.1, replicas: 6}\npullPolicy: Always\n",
            "old",
        );
        assert_eq!(r.era, Era::Stable);
        assert_eq!(r.service.type_, "LoadBalancer");
        let w = &r.workers[0].pod;
        assert_eq!(w.container["image"], "daskdev/dask:0.17.1");
        assert_eq!(w.container["imagePullPolicy"], "Always");
        assert_eq!(
            w.args(),
            ["dask-worker", "old-dask-scheduler:8786", "--no-bokeh"]
        );
        assert_eq!(
            r.scheduler.unwrap().args(),
            ["dask-scheduler", "--port", "8786", "--bokeh-port", "8787"]
        );
    }
}
