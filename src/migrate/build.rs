//! The one builder: a [`ClassicCluster`] → the Dask Operator's `DaskCluster`,
//! `DaskWorkerGroup`, `DaskAutoscaler` and `DaskJob` (the typed resources of
//! [`super::operator`]), with a [`Record`] of what happened to every field.
//!
//! Every path that writes operator resources goes through here: file fixes
//! (`pod-template-to-daskcluster`, `dask-config`'s `worker-template`, the flat 2022.4
//! schema) and `dusk plan --from-cluster` (live pods, Helm releases). The scheduler side —
//! its pod, ports, probes and Service — is written once, here.
//!
//! What the builder does to the classic worker pod, the way the operator's
//! `make_cluster_spec` and the controller need it:
//! - `restartPolicy` dropped: the operator runs workers and the scheduler as Deployments,
//!   which accept only `Always`;
//! - a positional `$(DASK_SCHEDULER_ADDRESS)` dropped from the worker's command (the
//!   controller sets the variable and the worker reads it);
//! - `--name $(DASK_WORKER_NAME)` added to a worker that runs `dask worker`/`dask-worker` as
//!   list items and has no `--name`, so scale-down retires workers by name.
//!
//! The scheduler, when the classic side did not describe its own: one `scheduler` container
//! with the worker's image, pull policy, env and resources, `dask scheduler --host 0.0.0.0`,
//! the ports `tcp-comm` (8786) and `http-dashboard` (8787) the controller finds it by and the
//! operator's `/health` probes; the worker pod's image pull secrets, service account, node
//! selector, tolerations and affinity. A scheduler pod of its own keeps its command and gets
//! the ports (and probes it lacks). The Service: the given type (`ClusterIP` by default),
//! selecting `dask.org/cluster-name: <name>`, `dask.org/component: scheduler`.
//!
//! Valid by construction: the name is checked (RFC 1123, at most 53 characters), every
//! quantity and env value is a string, and the types are the CRDs' (the property test in
//! `tests/it/oracle.rs` holds generated clusters against the real CRD schemas). Pure.

use super::Declined;
use super::operator::{
    DaskAutoscaler, DaskAutoscalerSpec, DaskCluster, DaskClusterSpec, DaskJob, DaskJobCluster,
    DaskJobRunner, DaskJobSpec, DaskScheduler, DaskWorker, DaskWorkerGroup, DaskWorkerGroupSpec,
    SimpleObjectMeta,
};
use crate::dask;
use crate::extract::classic::{ClassicCluster, ClassicPod, SchedulerPod, Source};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, HTTPGetAction, PodSpec, Probe, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// What the builder may not decide alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The targeted `distributed` has the `dask scheduler` command (2022.10.0 and later).
    pub new_cli: bool,
}

/// What became of one field of the classic cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fidelity {
    /// Carried over as it was.
    Carried,
    /// Carried over, changed as said.
    Transformed(String),
    /// Not supported by the operator: left out, for this reason.
    Dropped(String),
    /// Carried over, and it refers to an object that must exist where the cluster runs
    /// (a Secret, ConfigMap, ServiceAccount or PersistentVolumeClaim).
    Dependency(String),
}

/// One field's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The field, as a path in the classic description: `worker.containers[0].env`.
    pub field: String,
    pub source: Option<Source>,
    pub fidelity: Fidelity,
}

/// A built resource and the record of how.
#[derive(Debug, Clone)]
pub struct Built<T> {
    pub resource: T,
    pub record: Vec<Record>,
}

/// The DaskCluster for a classic cluster.
pub fn cluster(c: &ClassicCluster, options: Options) -> Result<Built<DaskCluster>, Declined> {
    check_name(&c.name.value)?;
    let mut record = Vec::new();
    let spec = cluster_spec(c, &c.name.value, options, &mut record)?;
    let mut resource = DaskCluster::new(&c.name.value, spec);
    resource.metadata = metadata(c, &c.name.value, &mut record);
    Ok(Built { resource, record })
}

/// The DaskCluster for a classic cluster whose commands are first made to run on the
/// `distributed` in play ([`normalise_commands`]): for consumers that write the resource
/// whole (`plan --from-cluster`, the Python `make_cluster_spec(...)` writer, Helm values),
/// with no text fix loop after them. The pod-template rewriter keeps the commands as
/// written (its text edits mirror [`cluster`], and the command rules fix the text after).
pub fn cluster_on_cli(
    c: &ClassicCluster,
    options: Options,
) -> Result<Built<DaskCluster>, Declined> {
    let mut c = c.clone();
    let notes = normalise_commands(&mut c, options.new_cli);
    let mut built = cluster(&c, options)?;
    built.record.extend(notes);
    Ok(built)
}

/// Whether the image runs a `distributed` with the `dask worker`/`dask scheduler` commands
/// ([`dask::NEW_CLI_SINCE`]), when its tag says (a known Dask image with a version tag,
/// [`super::in_play::image_version`]); `None` when the image does not tell.
pub fn image_has_new_cli(image: Option<&str>) -> Option<bool> {
    let version = super::in_play::image_version(image?)?;
    let since = std::str::FromStr::from_str(dask::NEW_CLI_SINCE).ok()?;
    Some(version >= since)
}

/// Make the worker's (and an own scheduler pod's) command run on the CLI in play: with
/// `new_cli` (distributed 2022.10.0 and later, which reject the old spellings) `dask-worker`
/// → `dask worker`, `dask-scheduler` → `dask scheduler` (a path prefix stays), `--nprocs` →
/// `--nworkers`, `--no-bokeh`/`--bokeh` → `--no-dashboard`/`--dashboard`, `--bokeh-port N` →
/// `--dashboard-address :N`. Without it the commands stay as written: an image older than
/// 2022.10.0 has no `dask` command, and keeps the flags it accepts. Only list items are
/// touched; a shell wrapper (`sh -c "…"`) is left alone. The records say what changed.
pub fn normalise_commands(c: &mut ClassicCluster, new_cli: bool) -> Vec<Record> {
    let mut record = Vec::new();
    if !new_cli {
        return record;
    }
    let mut pods: Vec<(&str, &mut ClassicPod)> = vec![("worker", &mut c.worker)];
    if let SchedulerPod::Own(pod) = &mut c.scheduler {
        pods.push(("scheduler", pod));
    }
    for (side, pod) in pods {
        let source = pod
            .sources
            .get("containers[0].args")
            .or_else(|| pod.sources.get("containers[0].command"))
            .or(pod.source.as_ref())
            .cloned();
        let Some(container) = pod.spec.containers.first_mut() else {
            continue;
        };
        let mut changes: Vec<String> = Vec::new();
        for list in [&mut container.command, &mut container.args]
            .into_iter()
            .flatten()
        {
            if list.iter().any(|w| w == "-c") {
                continue;
            }
            changes.extend(modern_words(list));
        }
        if !changes.is_empty() {
            record.push(Record {
                field: format!("{side} command"),
                source,
                fidelity: Fidelity::Transformed(format!(
                    "{} (distributed {}+ rejects the old spellings)",
                    changes.join(", "),
                    dask::NEW_CLI_SINCE
                )),
            });
        }
    }
    record
}

/// Rewrite the legacy programs and renamed flags among `words` in place; what changed.
fn modern_words(words: &mut Vec<String>) -> Vec<String> {
    let mut changes = Vec::new();
    let mut out: Vec<String> = Vec::with_capacity(words.len() + 1);
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let (dir, prog) = w.rsplit_once('/').map_or(("", w.as_str()), |(d, p)| (d, p));
        match prog {
            "dask-worker" | "dask-scheduler" => {
                let sub = &prog["dask-".len()..];
                out.push(if dir.is_empty() {
                    "dask".to_owned()
                } else {
                    format!("{dir}/dask")
                });
                out.push(sub.to_owned());
                changes.push(format!("`{prog}` runs as `dask {sub}`"));
            }
            _ => {
                let (flag, value) = w
                    .split_once('=')
                    .map_or((w.as_str(), None), |(f, v)| (f, Some(v)));
                let renamed = match flag {
                    "--nprocs" => Some("--nworkers"),
                    "--no-bokeh" => Some("--no-dashboard"),
                    "--bokeh" => Some("--dashboard"),
                    _ => None,
                };
                if let Some(new) = renamed {
                    out.push(value.map_or_else(|| new.to_owned(), |v| format!("{new}={v}")));
                    changes.push(format!("`{flag}` is `{new}`"));
                } else if flag == "--bokeh-port" {
                    let address = |port: &str| format!(":{}", port.trim_start_matches(':'));
                    if let Some(v) = value {
                        out.push(format!("--dashboard-address={}", address(v)));
                    } else {
                        out.push("--dashboard-address".into());
                        if let Some(port) = words.get(i + 1) {
                            out.push(address(port));
                            i += 1;
                        }
                    }
                    changes.push("`--bokeh-port N` is `--dashboard-address :N`".into());
                } else {
                    out.push(w.clone());
                }
            }
        }
        i += 1;
    }
    *words = out;
    changes
}

/// A DaskWorkerGroup joining the DaskCluster `cluster_name`, running the classic workers.
pub fn worker_group(
    c: &ClassicCluster,
    cluster_name: &str,
    options: Options,
) -> Result<Built<DaskWorkerGroup>, Declined> {
    check_name(&c.name.value)?;
    let mut record = Vec::new();
    let worker = worker(c, options, &mut record)?;
    let mut resource = DaskWorkerGroup::new(
        &c.name.value,
        DaskWorkerGroupSpec {
            cluster: cluster_name.to_owned(),
            worker,
        },
    );
    resource.metadata = metadata(c, &c.name.value, &mut record);
    Ok(Built { resource, record })
}

/// The DaskAutoscaler for classic `adapt()` bounds, if the cluster had them.
pub fn autoscaler(c: &ClassicCluster) -> Option<Built<DaskAutoscaler>> {
    let adapt = c.adapt.as_ref()?;
    let mut resource = DaskAutoscaler::new(
        &c.name.value,
        DaskAutoscalerSpec {
            cluster: c.name.value.clone(),
            minimum: adapt.value.minimum,
            maximum: adapt.value.maximum,
        },
    );
    resource.metadata.namespace = c.namespace.as_ref().map(|n| n.value.clone());
    Some(Built {
        resource,
        record: vec![Record {
            field: "adapt".into(),
            source: Some(adapt.source.clone()),
            fidelity: Fidelity::Transformed(
                "a DaskAutoscaler with the same minimum and maximum (it scales only the \
                 default worker group)"
                    .into(),
            ),
        }],
    })
}

/// A DaskJob running `runner` against a cluster built from `c` (the operator names the
/// cluster after the job).
pub fn job(
    c: &ClassicCluster,
    runner: PodSpec,
    options: Options,
) -> Result<Built<DaskJob>, Declined> {
    check_name(&c.name.value)?;
    let mut record = Vec::new();
    let spec = cluster_spec(c, &c.name.value, options, &mut record)?;
    let mut resource = DaskJob::new(
        &c.name.value,
        DaskJobSpec {
            job: DaskJobRunner {
                metadata: None,
                spec: runner,
            },
            cluster: DaskJobCluster {
                metadata: None,
                spec,
            },
        },
    );
    resource.metadata = metadata(c, &c.name.value, &mut record);
    Ok(Built { resource, record })
}

/// A DaskCluster's name: an RFC 1123 label of at most 53 characters (63 minus
/// `-scheduler`), or why not.
pub fn check_name(name: &str) -> Result<(), Declined> {
    if crate::rules::matcher::is_rfc1123_label(name, 53) {
        Ok(())
    } else {
        Err(Declined::new(format!(
            "`{name}` is not a valid DaskCluster name (lower-case letters, digits and `-`, at \
             most 53 characters): choose one that is"
        )))
    }
}

/// Why a cluster the classic KubeCluster named per session keeps one name now (dask-facts
/// §4.0 and §4.1: the operator's KubeCluster takes a spec's name as it is, and by default
/// connects to a cluster of that name that exists).
pub const NAMED_PER_SESSION: &str = "the classic KubeCluster named each cluster it made \
    `dask-{user}-{uuid}`, new in every session; the DaskCluster has this one name, so sessions \
    running this code in one namespace share one cluster (the operator's KubeCluster connects \
    to the one that exists) and the first to close it deletes it for all";

fn metadata(
    c: &ClassicCluster,
    name: &str,
    record: &mut Vec<Record>,
) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    let fidelity = if c.named_per_session {
        Fidelity::Transformed(NAMED_PER_SESSION.into())
    } else {
        Fidelity::Carried
    };
    push(record, "name", Some(&c.name.source), fidelity);
    if let Some(ns) = &c.namespace {
        push(record, "namespace", Some(&ns.source), Fidelity::Carried);
    }
    k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        name: Some(name.to_owned()),
        namespace: c.namespace.as_ref().map(|n| n.value.clone()),
        labels: (!c.labels.is_empty()).then(|| c.labels.clone()),
        annotations: (!c.annotations.is_empty()).then(|| c.annotations.clone()),
        ..Default::default()
    }
}

fn cluster_spec(
    c: &ClassicCluster,
    name: &str,
    options: Options,
    record: &mut Vec<Record>,
) -> Result<DaskClusterSpec, Declined> {
    let worker = worker(c, options, record)?;
    let scheduler = scheduler(c, &worker.spec, name, options, record)?;
    if let Some(t) = &c.idle_timeout {
        push(record, "idle_timeout", Some(&t.source), Fidelity::Carried);
    }
    for u in &c.unsupported {
        push(
            record,
            &u.what,
            Some(&u.source),
            Fidelity::Dropped(u.reason.clone()),
        );
    }
    Ok(DaskClusterSpec {
        idle_timeout: c.idle_timeout.as_ref().map(|t| t.value),
        worker,
        scheduler,
    })
}

fn worker(
    c: &ClassicCluster,
    options: Options,
    record: &mut Vec<Record>,
) -> Result<DaskWorker, Declined> {
    let _ = options;
    let pod = &c.worker;
    if pod.spec.containers.is_empty() {
        return Err(Declined::new("the worker pod has no containers"));
    }
    let spec = worker_spec(pod, record);
    let replicas = c.replicas.as_ref().map_or(1, |r| r.value);
    push(
        record,
        "replicas",
        c.replicas.as_ref().map(|r| &r.source),
        Fidelity::Carried,
    );
    let meta = pod_metadata(pod, "worker", record);
    Ok(DaskWorker {
        replicas: Some(replicas),
        metadata: (!meta.is_empty()).then_some(meta),
        spec,
    })
}

/// A pod's labels and annotations, carried to the `side` (`worker`, `scheduler`) of the
/// DaskCluster.
fn pod_metadata(pod: &ClassicPod, side: &str, record: &mut Vec<Record>) -> SimpleObjectMeta {
    for field in ["labels", "annotations"] {
        if let Some(source) = pod.sources.get(&format!("metadata.{field}")) {
            push(
                record,
                &format!("{side}.metadata.{field}"),
                Some(source),
                Fidelity::Carried,
            );
        }
    }
    SimpleObjectMeta {
        labels: (!pod.labels.is_empty()).then(|| pod.labels.clone()),
        annotations: (!pod.annotations.is_empty()).then(|| pod.annotations.clone()),
    }
}

/// The classic worker pod as the operator runs it.
fn worker_spec(pod: &ClassicPod, record: &mut Vec<Record>) -> PodSpec {
    let mut spec = pod.spec.clone();
    if spec.restart_policy.take().is_some() {
        push(
            record,
            "worker.restartPolicy",
            pod.source_of("restartPolicy"),
            Fidelity::Dropped(
                "the operator runs workers as Deployments, which accept only `Always`".into(),
            ),
        );
    }
    let words = pod.command_words();
    let container = &mut spec.containers[0];
    let mut dropped_address = false;
    for list in [&mut container.command, &mut container.args]
        .into_iter()
        .flatten()
    {
        if list.len() > 1 && list.iter().any(|w| w == dask::SCHEDULER_ADDRESS) {
            list.retain(|w| w != dask::SCHEDULER_ADDRESS);
            dropped_address = true;
        }
    }
    let mut changes = Vec::new();
    if dropped_address {
        changes.push(
            "the positional `$(DASK_SCHEDULER_ADDRESS)` is dropped: the controller sets the \
             variable and the worker reads it",
        );
    }
    if dask::runs_a_worker(&words) && !dask::names_the_worker(&words) {
        let target = if container.args.is_some() {
            &mut container.args
        } else {
            &mut container.command
        };
        if let Some(list) = target {
            list.extend(dask::WORKER_NAME_ARGS.iter().map(|s| (*s).to_owned()));
            changes.push(
                "`--name $(DASK_WORKER_NAME)` is added, so scale-down retires workers by name",
            );
        }
    }
    let command_source = pod
        .sources
        .get("containers[0].args")
        .or_else(|| pod.sources.get("containers[0].command"))
        .or(pod.source.as_ref());
    push(
        record,
        "worker command",
        command_source,
        if changes.is_empty() {
            Fidelity::Carried
        } else {
            Fidelity::Transformed(changes.join("; "))
        },
    );
    for (field, source) in &pod.sources {
        if matches!(
            field.as_str(),
            "restartPolicy" | "containers[0].args" | "containers[0].command"
        ) || field.starts_with("metadata.")
        {
            continue;
        }
        push(
            record,
            &format!("worker.{field}"),
            Some(source),
            Fidelity::Carried,
        );
    }
    dependencies(&spec, "worker", pod, record);
    spec
}

/// Records for the objects a pod spec refers to, which must exist where it runs.
fn dependencies(spec: &PodSpec, side: &str, pod: &ClassicPod, record: &mut Vec<Record>) {
    let mut needs: Vec<(String, String)> = Vec::new();
    if let Some(sa) = &spec.service_account_name {
        needs.push((
            "serviceAccountName".into(),
            format!("ServiceAccount `{sa}`"),
        ));
    }
    for s in spec.image_pull_secrets.iter().flatten() {
        needs.push(("imagePullSecrets".into(), format!("Secret `{}`", s.name)));
    }
    for v in spec.volumes.iter().flatten() {
        if let Some(s) = v.secret.as_ref().and_then(|s| s.secret_name.as_ref()) {
            needs.push(("volumes".into(), format!("Secret `{s}`")));
        }
        if let Some(cm) = &v.config_map {
            needs.push(("volumes".into(), format!("ConfigMap `{}`", cm.name)));
        }
        if let Some(pvc) = &v.persistent_volume_claim {
            needs.push((
                "volumes".into(),
                format!("PersistentVolumeClaim `{}`", pvc.claim_name),
            ));
        }
    }
    for (i, c) in spec.containers.iter().enumerate() {
        for e in c.env.iter().flatten() {
            let from = e.value_from.as_ref();
            if let Some(s) = from.and_then(|f| f.secret_key_ref.as_ref()) {
                needs.push((
                    format!("containers[{i}].env"),
                    format!("Secret `{}`", s.name),
                ));
            }
            if let Some(cm) = from.and_then(|f| f.config_map_key_ref.as_ref()) {
                needs.push((
                    format!("containers[{i}].env"),
                    format!("ConfigMap `{}`", cm.name),
                ));
            }
        }
        for e in c.env_from.iter().flatten() {
            if let Some(s) = &e.secret_ref {
                needs.push((
                    format!("containers[{i}].envFrom"),
                    format!("Secret `{}`", s.name),
                ));
            }
            if let Some(cm) = &e.config_map_ref {
                needs.push((
                    format!("containers[{i}].envFrom"),
                    format!("ConfigMap `{}`", cm.name),
                ));
            }
        }
    }
    needs.sort();
    needs.dedup();
    for (field, what) in needs {
        push(
            record,
            &format!("{side}.{field}"),
            pod.source_of(&field),
            Fidelity::Dependency(format!("{what} must exist in the cluster's namespace")),
        );
    }
}

fn scheduler(
    c: &ClassicCluster,
    worker: &PodSpec,
    name: &str,
    options: Options,
    record: &mut Vec<Record>,
) -> Result<DaskScheduler, Declined> {
    let spec = match &c.scheduler {
        SchedulerPod::LikeWorkers { env, resources } => {
            let w = &worker.containers[0];
            let mut container = scheduler_container(options.new_cli);
            container.image = w.image.clone();
            container.image_pull_policy = w.image_pull_policy.clone();
            container.env = match env {
                Some(e) => (!e.value.is_empty()).then(|| e.value.clone()),
                None => w.env.clone(),
            };
            container.env_from = w.env_from.clone();
            container.resources = match resources {
                Some(r) => r.value.clone(),
                None => w.resources.clone(),
            };
            push(
                record,
                "scheduler",
                Some(&Source::Default(
                    "the classic KubeCluster ran its scheduler from the worker template",
                )),
                Fidelity::Transformed(
                    "a scheduler pod with the worker's image, env, resources and placement, \
                     as `make_scheduler_spec` builds it"
                        .into(),
                ),
            );
            PodSpec {
                containers: vec![container],
                image_pull_secrets: worker.image_pull_secrets.clone(),
                service_account_name: worker.service_account_name.clone(),
                node_selector: worker.node_selector.clone(),
                tolerations: worker.tolerations.clone(),
                affinity: worker.affinity.clone(),
                ..PodSpec::default()
            }
        }
        SchedulerPod::Own(pod) => {
            let mut spec = pod.spec.clone();
            if spec.containers.is_empty() {
                return Err(Declined::new("the scheduler pod has no containers"));
            }
            if spec.restart_policy.take().is_some() {
                push(
                    record,
                    "scheduler.restartPolicy",
                    pod.source_of("restartPolicy"),
                    Fidelity::Dropped(
                        "the operator runs the scheduler as a Deployment, which accepts only \
                         `Always`"
                            .into(),
                    ),
                );
            }
            let first = &mut spec.containers[0];
            first.ports = Some(scheduler_ports());
            first.readiness_probe.get_or_insert_with(readiness_probe);
            first.liveness_probe.get_or_insert_with(liveness_probe);
            push(
                record,
                "scheduler",
                pod.source.as_ref(),
                Fidelity::Transformed(
                    "its own pod, with the ports `tcp-comm` and `http-dashboard` the \
                     controller finds it by"
                        .into(),
                ),
            );
            dependencies(&spec, "scheduler", pod, record);
            spec
        }
    };
    // A scheduler pod of its own keeps its labels and annotations.
    let metadata = match &c.scheduler {
        SchedulerPod::Own(pod) => {
            let meta = pod_metadata(pod, "scheduler", record);
            (!meta.is_empty()).then_some(meta)
        }
        SchedulerPod::LikeWorkers { .. } => None,
    };
    let service_type = c.service_type.as_ref().map(|t| t.value.as_str());
    if let Some(t) = &c.service_type {
        push(record, "service_type", Some(&t.source), Fidelity::Carried);
    }
    Ok(DaskScheduler {
        metadata,
        spec,
        service: service(name, service_type.unwrap_or("ClusterIP")),
    })
}

/// The scheduler container `make_scheduler_spec` writes, without image, env and resources.
fn scheduler_container(new_cli: bool) -> Container {
    Container {
        name: "scheduler".into(),
        args: Some(
            dask::scheduler_program(new_cli)
                .iter()
                .chain(&["--host", "0.0.0.0"])
                .map(|s| (*s).to_owned())
                .collect(),
        ),
        ports: Some(scheduler_ports()),
        readiness_probe: Some(readiness_probe()),
        liveness_probe: Some(liveness_probe()),
        ..Container::default()
    }
}

fn scheduler_ports() -> Vec<ContainerPort> {
    [dask::COMM_PORT, dask::DASHBOARD_PORT]
        .iter()
        .map(|(name, number)| ContainerPort {
            name: Some((*name).into()),
            container_port: *number,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        })
        .collect()
}

fn probe(initial: i32, period: i32, timeout: Option<i32>) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            port: IntOrString::String(dask::DASHBOARD_PORT.0.into()),
            path: Some("/health".into()),
            ..HTTPGetAction::default()
        }),
        initial_delay_seconds: Some(initial),
        period_seconds: Some(period),
        timeout_seconds: timeout,
        ..Probe::default()
    }
}

fn readiness_probe() -> Probe {
    probe(0, 1, Some(300))
}

fn liveness_probe() -> Probe {
    probe(15, 20, None)
}

/// The scheduler Service of cluster `name`: `service_type`, selecting its scheduler.
pub fn service(name: &str, service_type: &str) -> ServiceSpec {
    let ports = [dask::COMM_PORT, dask::DASHBOARD_PORT]
        .iter()
        .map(|(port_name, number)| ServicePort {
            name: Some((*port_name).into()),
            protocol: Some("TCP".into()),
            port: *number,
            target_port: Some(IntOrString::String((*port_name).into())),
            ..ServicePort::default()
        })
        .collect();
    ServiceSpec {
        type_: Some(service_type.into()),
        selector: Some(BTreeMap::from([
            (dask::CLUSTER_NAME_LABEL.to_owned(), name.to_owned()),
            (dask::COMPONENT_LABEL.to_owned(), "scheduler".to_owned()),
        ])),
        ports: Some(ports),
        ..ServiceSpec::default()
    }
}

fn push(record: &mut Vec<Record>, field: &str, source: Option<&Source>, fidelity: Fidelity) {
    record.push(Record {
        field: field.to_owned(),
        source: source.cloned(),
        fidelity,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::classic::{Adapt, Sourced};
    use k8s_openapi::api::core::v1::{EnvVar, LocalObjectReference};

    fn classic(args: &[&str]) -> ClassicCluster {
        let pod = ClassicPod {
            spec: PodSpec {
                restart_policy: Some("Never".into()),
                image_pull_secrets: Some(vec![LocalObjectReference {
                    name: "registry".into(),
                }]),
                containers: vec![Container {
                    name: "worker".into(),
                    image: Some("ghcr.io/dask/dask:2024.1.0".into()),
                    args: Some(args.iter().map(|s| (*s).to_owned()).collect()),
                    env: Some(vec![EnvVar {
                        name: "EXTRA_PIP_PACKAGES".into(),
                        value: Some("s3fs".into()),
                        ..EnvVar::default()
                    }]),
                    ..Container::default()
                }],
                ..PodSpec::default()
            },
            ..ClassicPod::default()
        };
        ClassicCluster::new(Sourced::new("etl".into(), Source::Default("test")), pod)
    }

    #[test]
    fn the_worker_is_made_an_operator_worker_and_the_record_says_how() {
        let c = classic(&[
            "dask-worker",
            "$(DASK_SCHEDULER_ADDRESS)",
            "--nthreads",
            "2",
        ]);
        let built = cluster(&c, Options { new_cli: true }).unwrap();
        let spec = &built.resource.spec;
        assert_eq!(spec.worker.replicas, Some(1));
        assert_eq!(spec.worker.spec.restart_policy, None);
        assert_eq!(
            spec.worker.spec.containers[0].args.as_deref().unwrap(),
            [
                "dask-worker",
                "--nthreads",
                "2",
                "--name",
                "$(DASK_WORKER_NAME)"
            ]
        );
        let sched = &spec.scheduler.spec;
        assert_eq!(
            sched.containers[0].args.as_deref().unwrap(),
            ["dask", "scheduler", "--host", "0.0.0.0"]
        );
        assert_eq!(sched.containers[0].env, spec.worker.spec.containers[0].env);
        assert_eq!(
            sched.image_pull_secrets,
            spec.worker.spec.image_pull_secrets
        );
        let fates: Vec<(&str, &Fidelity)> = built
            .record
            .iter()
            .map(|r| (r.field.as_str(), &r.fidelity))
            .collect();
        assert!(fates.iter().any(|(f, fid)| *f == "worker.restartPolicy"
            && matches!(fid, Fidelity::Dropped(_))));
        assert!(fates.iter().any(|(f, fid)| *f == "worker command"
            && matches!(fid, Fidelity::Transformed(t) if t.contains("--name"))));
        assert!(fates.iter().any(|(f, fid)| *f == "worker.imagePullSecrets"
            && matches!(fid, Fidelity::Dependency(d) if d.contains("Secret `registry`"))));
    }

    #[test]
    fn a_named_worker_and_a_shell_wrapper_keep_their_command() {
        for args in [
            &["dask-worker", "--name", "w"][..],
            &["sh", "-c", "dask-worker $(DASK_SCHEDULER_ADDRESS)"][..],
        ] {
            let built = cluster(&classic(args), Options::default()).unwrap();
            assert_eq!(
                built.resource.spec.worker.spec.containers[0]
                    .args
                    .as_deref()
                    .unwrap(),
                args
            );
        }
    }

    #[test]
    fn adapt_bounds_become_an_autoscaler_and_bad_names_are_declined() {
        let mut c = classic(&["dask-worker"]);
        assert!(autoscaler(&c).is_none());
        c.adapt = Some(Sourced::new(
            Adapt {
                minimum: 1,
                maximum: 10,
            },
            Source::Default("test"),
        ));
        let a = autoscaler(&c).unwrap().resource;
        assert_eq!((a.spec.minimum, a.spec.maximum), (1, 10));
        assert_eq!(a.spec.cluster, "etl");
        c.name.value = "ETL_cluster".into();
        let err = cluster(&c, Options::default()).unwrap_err();
        assert!(err.reason.contains("not a valid DaskCluster name"), "{err}");
    }

    #[test]
    fn commands_run_on_the_cli_in_play() {
        let mut c = classic(&[
            "/opt/conda/bin/dask-worker",
            "$(DASK_SCHEDULER_ADDRESS)",
            "--nprocs",
            "2",
            "--no-bokeh",
            "--bokeh-port=8789",
        ]);
        let mut scheduler = ClassicPod::default();
        scheduler.spec.containers.push(Container {
            name: "scheduler".into(),
            args: Some(vec![
                "dask-scheduler".into(),
                "--bokeh-port".into(),
                "8787".into(),
            ]),
            ..Container::default()
        });
        c.scheduler = SchedulerPod::Own(Box::new(scheduler));
        // An old image keeps its command: `dask worker` does not exist there.
        let old = cluster_on_cli(&c, Options { new_cli: false }).unwrap();
        let args = old.resource.spec.worker.spec.containers[0]
            .args
            .clone()
            .unwrap();
        assert_eq!(&args[..3], ["/opt/conda/bin/dask-worker", "--nprocs", "2"]);
        let new = cluster_on_cli(&c, Options { new_cli: true }).unwrap();
        assert_eq!(
            new.resource.spec.worker.spec.containers[0]
                .args
                .as_deref()
                .unwrap(),
            [
                "/opt/conda/bin/dask",
                "worker",
                "--nworkers",
                "2",
                "--no-dashboard",
                "--dashboard-address=:8789",
                "--name",
                "$(DASK_WORKER_NAME)"
            ]
        );
        assert_eq!(
            new.resource.spec.scheduler.spec.containers[0]
                .args
                .as_deref()
                .unwrap(),
            ["dask", "scheduler", "--dashboard-address", ":8787"]
        );
        let notes: Vec<&Record> = new
            .record
            .iter()
            .filter(|r| r.field.ends_with(" command") && matches!(&r.fidelity, Fidelity::Transformed(t) if t.contains("rejects the old")))
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        // A shell wrapper hides the program: left alone.
        let sh = classic(&["sh", "-c", "dask-worker --nprocs 2"]);
        let built = cluster_on_cli(&sh, Options { new_cli: true }).unwrap();
        assert_eq!(
            built.resource.spec.worker.spec.containers[0]
                .args
                .as_deref()
                .unwrap(),
            ["sh", "-c", "dask-worker --nprocs 2"]
        );
        assert_eq!(
            image_has_new_cli(Some("daskdev/dask:2022.1.0")),
            Some(false)
        );
        assert_eq!(
            image_has_new_cli(Some("ghcr.io/dask/dask:2024.1.0")),
            Some(true)
        );
        assert_eq!(image_has_new_cli(Some("example.org/dask:1.0")), None);
    }

    #[test]
    fn a_job_runs_its_cluster_under_the_job_name() {
        let c = classic(&["dask-worker"]);
        let runner = PodSpec {
            restart_policy: Some("OnFailure".into()),
            containers: vec![Container {
                name: "job".into(),
                image: Some("ghcr.io/dask/dask:2024.1.0".into()),
                args: Some(vec!["python".into(), "run.py".into()]),
                ..Container::default()
            }],
            ..PodSpec::default()
        };
        let j = job(&c, runner, Options::default()).unwrap().resource;
        assert_eq!(j.spec.job.spec.restart_policy.as_deref(), Some("OnFailure"));
        let selector = j.spec.cluster.spec.scheduler.service.selector.unwrap();
        assert_eq!(selector[dask::CLUSTER_NAME_LABEL], "etl");
    }
}
