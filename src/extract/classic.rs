//! The one model of a classic Dask cluster: what every front-end that describes a cluster
//! produces, and the only thing `migrate::build` reads to write operator resources.
//!
//! A [`ClassicCluster`] says what the classic side ran — name, namespace, the worker's pod
//! (image, command, env, resources, volumes, placement, service account as a typed
//! `PodSpec`), the scheduler's pod or "like the workers", replicas, adapt bounds, Service
//! type, idle timeout, labels and annotations — and where each of those was written
//! ([`Source`]: a byte range of a file, a field of a live object, or a classic default).
//! What the front-end read but the operator cannot express is kept too
//! ([`ClassicCluster::unsupported`]), so nothing is dropped silently.
//!
//! Producers: [`pod_from_template`] (classic pod templates in files, in dask config's
//! `kubernetes.worker-template`, in ConfigMaps), `migrate::rewriters` for operator 2022.4's
//! flat resources and hand-run Deployments, [`super::python::make_pod_spec`] for classic
//! `make_pod_spec(...)` calls, [`super::helm_chart::clusters`] for the dask chart's values (a
//! values file or a live release), `cluster::build` for live pods. Adding a front-end means
//! writing one more producer; the builder and every consumer stay as they are.
//!
//! Pure: no I/O; a template that Kubernetes' types cannot read is an error with its line.

use crate::source::TextRange;
use crate::source::yaml::Node;
use k8s_openapi::api::core::v1::{EnvVar, PodSpec, ResourceRequirements};
use std::collections::BTreeMap;

/// Where a value of the model came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A byte range of the file the cluster was read from.
    Span(TextRange),
    /// A field of a live object: `Pod dask/w-1 spec.containers[0].env`.
    Live(String),
    /// Nobody wrote it: the classic implementation's default, said in words.
    Default(&'static str),
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source) -> Self {
        Self { value, source }
    }
}

/// A pod the classic side ran: its spec as written (container 0 runs Dask), its labels and
/// annotations, and where each of its fields was written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClassicPod {
    pub spec: PodSpec,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Where fields were written, by the field's path in the pod spec (`containers[0].env`,
    /// `volumes`, `nodeSelector`, …) or `metadata.labels` / `metadata.annotations`.
    pub sources: BTreeMap<String, Source>,
    /// Where the whole pod was written.
    pub source: Option<Source>,
}

impl ClassicPod {
    /// The Dask container (the first).
    pub fn dask_container(&self) -> Option<&k8s_openapi::api::core::v1::Container> {
        self.spec.containers.first()
    }

    /// The Dask container's `command` then `args`.
    pub fn command_words(&self) -> Vec<String> {
        self.dask_container()
            .map(|c| {
                c.command
                    .iter()
                    .flatten()
                    .chain(c.args.iter().flatten())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn image(&self) -> Option<&str> {
        self.dask_container()?.image.as_deref()
    }

    /// Where a field was written: its own source, else the pod's.
    pub fn source_of(&self, field: &str) -> Option<&Source> {
        self.sources.get(field).or(self.source.as_ref())
    }
}

/// The scheduler's pod.
#[derive(Debug, Clone, PartialEq)]
pub enum SchedulerPod {
    /// Run it like the workers, as `make_scheduler_spec` and the classic KubeCluster did:
    /// the worker's image, env, resources and placement; `env` and `resources` replace the
    /// worker's when given (operator 2022.4's `spec.scheduler.env`).
    LikeWorkers {
        env: Option<Sourced<Vec<EnvVar>>>,
        resources: Option<Sourced<Option<ResourceRequirements>>>,
    },
    /// Its own pod: a live scheduler pod, the Helm chart's scheduler values.
    Own(Box<ClassicPod>),
}

/// Classic `adapt(minimum, maximum)` bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adapt {
    pub minimum: i64,
    pub maximum: i64,
}

/// Something the front-end read that the operator has no place for.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported {
    /// What it was, as the user wrote it (`deploy_mode="local"`).
    pub what: String,
    pub source: Source,
    /// Why it has no operator equivalent, and what to do instead.
    pub reason: String,
}

/// A classic Dask cluster, as every front-end describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassicCluster {
    /// The operator resource's name (already an RFC 1123 label the producer chose or read).
    pub name: Sourced<String>,
    pub namespace: Option<Sourced<String>>,
    pub worker: ClassicPod,
    pub scheduler: SchedulerPod,
    pub replicas: Option<Sourced<i32>>,
    pub adapt: Option<Sourced<Adapt>>,
    /// The scheduler Service's type (`ClusterIP` when not given).
    pub service_type: Option<Sourced<String>>,
    /// Seconds; `None` leaves the operator's default (never delete an idle cluster).
    pub idle_timeout: Option<Sourced<i64>>,
    /// The resource's own labels and annotations (not the pods').
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub unsupported: Vec<Unsupported>,
    /// The classic KubeCluster named this cluster anew in each session (`dask-{user}-{uuid}`:
    /// no name was given), where the DaskCluster's name is fixed.
    pub named_per_session: bool,
}

impl ClassicCluster {
    /// A cluster named `name` whose workers run `worker` and whose scheduler runs like them.
    pub fn new(name: Sourced<String>, worker: ClassicPod) -> Self {
        Self {
            name,
            namespace: None,
            worker,
            scheduler: SchedulerPod::LikeWorkers {
                env: None,
                resources: None,
            },
            replicas: None,
            adapt: None,
            service_type: None,
            idle_timeout: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            unsupported: Vec::new(),
            named_per_session: false,
        }
    }
}

/// The pod spec of a classic pod template document, if it is one: `kind: Pod` (with or
/// without `apiVersion: v1`), a bare pod (`metadata` + `spec.containers`) or a bare pod spec
/// (top-level `containers`).
pub fn pod_spec_of(root: &Node) -> Option<&Node> {
    let kind = root.get_str("kind");
    let api = root.get_str("apiVersion");
    if kind == Some("Pod") && api.is_none_or(|a| a == "v1") {
        return root.get("spec").filter(|s| s.get("containers").is_some());
    }
    if kind.is_some() || api.is_some() {
        return None;
    }
    if let Some(spec) = root.get("spec").filter(|s| s.get("containers").is_some()) {
        return Some(spec);
    }
    root.get("containers").map(|_| root)
}

/// The worker pod of a classic pod template (`template` is its document root or the
/// mapping holding it), with the span of every top-level pod spec field and of the Dask
/// container's fields. `spec_json` is the pod spec as Kubernetes would read it (after any
/// text edits the caller made); `Err` says why Kubernetes' types reject it.
pub fn pod_from_template(
    template: &Node,
    spec_json: serde_json::Value,
) -> Result<ClassicPod, String> {
    let spec: PodSpec = serde_json::from_value(spec_json).map_err(|e| e.to_string())?;
    let mut sources = BTreeMap::new();
    if let Some(spec_node) = pod_spec_of(template) {
        for e in spec_node.as_map().into_iter().flatten() {
            if let Some(k) = e.key.as_str() {
                sources.insert(k.to_owned(), Source::Span(e.value.range));
            }
        }
        let first = spec_node
            .get("containers")
            .and_then(Node::as_seq)
            .and_then(|s| s.first());
        for e in first.and_then(Node::as_map).into_iter().flatten() {
            if let Some(k) = e.key.as_str() {
                sources.insert(format!("containers[0].{k}"), Source::Span(e.value.range));
            }
        }
    }
    let meta = template.get("metadata");
    let map = |field: &str| -> BTreeMap<String, String> {
        meta.and_then(|m| m.get(field))
            .map(Node::string_map)
            .unwrap_or_default()
    };
    for field in ["labels", "annotations"] {
        if let Some(n) = meta.and_then(|m| m.get(field)) {
            sources.insert(format!("metadata.{field}"), Source::Span(n.range));
        }
    }
    Ok(ClassicPod {
        spec,
        labels: map("labels"),
        annotations: map("annotations"),
        sources,
        source: Some(Source::Span(template.range)),
    })
}
