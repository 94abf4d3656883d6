//! Live classic Dask → DaskClusters, for `dusk plan --from-cluster`.
//!
//! What it rewrites: a classic KubeCluster's running pods (worker image, command, env,
//! resources and pod settings, the scheduler pod and Service type) and a dask Helm release's
//! values (chart defaults merged under the user's values).
//! Output: one DaskCluster each, shaped like `make_cluster_spec`: worker args keep the classic
//! ones and get `--name $(DASK_WORKER_NAME)`, the scheduler container exposes the `tcp-comm`
//! and `http-dashboard` ports the controller looks for.
//! Dropped on purpose: what the API server or the classic KubeCluster added at run time
//! (service-account token volumes, default tolerations with `tolerationSeconds`, node name,
//! priority, the per-pod `--name`, `DASK_SCHEDULER_ADDRESS`) and `restartPolicy: Never`,
//! which the operator's Deployments reject.
//! Not handled: the chart's Jupyter server, classic `adapt()` bounds (not visible in the
//! cluster) and `idle_timeout` (kept only in the classic scheduler's args).
//! Pure: takes objects already read.

use super::helm::Release;
use super::plan::{Desired, Origin};
use super::scan::{CLUSTER_NAME_LABEL, ClassicCluster};
use super::{Error, Kind, ObjectId};
use crate::rules::matcher::is_rfc1123_label;
use serde_json::{Map, Value, json};

/// Environment the controller injects itself; a copied value would point at the old
/// classic scheduler.
const INJECTED_ENV: &[&str] = &["DASK_SCHEDULER_ADDRESS"];

/// A DaskCluster replacing a classic KubeCluster still running in the cluster.
pub fn from_classic(cluster: &ClassicCluster<'_>) -> Result<Desired, Error> {
    let from = format!(
        "classic KubeCluster `{}/{}`",
        cluster.namespace, cluster.name
    );
    let cannot = |reason: &str| Error::CannotBuild {
        from: from.clone(),
        reason: reason.to_owned(),
    };
    check_name(&cluster.name).map_err(|r| cannot(&r))?;
    let workers = cluster.pods("worker");
    let Some(worker) = workers.first() else {
        return Err(cannot("it has no worker pods to copy the worker spec from"));
    };
    let worker_spec = worker_pod_spec(worker.get("spec").unwrap_or(&Value::Null))
        .ok_or_else(|| cannot("its worker pod has no containers"))?;
    let scheduler_spec = match cluster.pods("scheduler").first() {
        Some(pod) => scheduler_pod_spec(pod.get("spec").unwrap_or(&Value::Null))
            .ok_or_else(|| cannot("its scheduler pod has no containers"))?,
        None => scheduler_like_worker(&worker_spec),
    };
    let service_type = cluster
        .service()
        .and_then(|s| s.pointer("/spec/type"))
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    let mut worker_section = json!({"replicas": workers.len(), "spec": worker_spec});
    if let Some(m) = user_metadata(worker.get("metadata")) {
        worker_section["metadata"] = m;
    }
    let object = daskcluster(
        &cluster.name,
        &cluster.namespace,
        worker_section,
        scheduler_spec,
        service_type,
    );
    Ok(Desired {
        id: ObjectId {
            kind: Kind::DASK_CLUSTER,
            namespace: Some(cluster.namespace.clone()),
            name: cluster.name.clone(),
        },
        object,
        sensitive: Vec::new(),
        origin: Origin::Live {
            from: format!("{from} ({} worker pods)", workers.len()),
        },
    })
}

/// A DaskCluster replacing a release of the dask Helm chart.
pub fn from_release(release: &Release) -> Result<Desired, Error> {
    let from = format!("Helm release `{}/{}`", release.namespace, release.name);
    check_name(&release.name).map_err(|reason| Error::CannotBuild {
        from: from.clone(),
        reason,
    })?;
    let mut values = release.defaults.clone();
    merge(&mut values, &release.values);
    let v = |path: &str| values.pointer(path).filter(|v| !v.is_null());
    let image = |component: &str| {
        let repo = v(&format!("/{component}/image/repository"))
            .and_then(Value::as_str)
            .unwrap_or("ghcr.io/dask/dask");
        match v(&format!("/{component}/image/tag")).and_then(Value::as_str) {
            Some(tag) => format!("{repo}:{tag}"),
            None => repo.to_owned(),
        }
    };
    let mut worker_args: Vec<Value> = vec![
        v("/worker/image/dask_worker")
            .cloned()
            .unwrap_or_else(|| "dask-worker".into()),
    ];
    if let Some(threads) = v("/worker/threads_per_worker").or(v("/worker/resources/limits/cpu")) {
        worker_args.extend([json!("--nthreads"), json!(scalar_text(threads))]);
    }
    if let Some(memory) = v("/worker/resources/limits/memory") {
        worker_args.extend([json!("--memory-limit"), json!(scalar_text(memory))]);
    }
    worker_args.extend(extra_args(v("/worker/extraArgs")));
    worker_args.extend([json!("--name"), json!("$(DASK_WORKER_NAME)")]);
    let mut worker = json!({"name": "worker", "image": image("worker"), "args": worker_args});
    copy_fields(&mut worker, &values["worker"], &["env", "resources"]);
    copy_mounts(&mut worker, &values["worker"]);
    let mut worker_spec = json!({"containers": [worker]});
    copy_pod_fields(&mut worker_spec, &values["worker"]);
    copy_volumes(&mut worker_spec, &values["worker"]);

    let mut scheduler_args = vec![json!("dask-scheduler"), json!("--host"), json!("0.0.0.0")];
    scheduler_args.extend(extra_args(v("/scheduler/extraArgs")));
    let mut scheduler =
        json!({"name": "scheduler", "image": image("scheduler"), "args": scheduler_args});
    copy_fields(&mut scheduler, &values["scheduler"], &["env", "resources"]);
    scheduler_ports_and_probes(&mut scheduler);
    let mut scheduler_spec = json!({"containers": [scheduler]});
    copy_pod_fields(&mut scheduler_spec, &values["scheduler"]);

    let replicas = v("/worker/replicas").cloned().unwrap_or(json!(3));
    let service_type = v("/scheduler/serviceType")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    let object = daskcluster(
        &release.name,
        &release.namespace,
        json!({"replicas": replicas, "spec": worker_spec}),
        scheduler_spec,
        service_type,
    );
    Ok(Desired {
        id: ObjectId {
            kind: Kind::DASK_CLUSTER,
            namespace: Some(release.namespace.clone()),
            name: release.name.clone(),
        },
        object,
        sensitive: super::helm::sensitive_values(&release.values),
        origin: Origin::Live {
            from: format!("{from} (chart {}-{})", release.chart, release.chart_version),
        },
    })
}

fn check_name(name: &str) -> Result<(), String> {
    if is_rfc1123_label(name, 53) {
        Ok(())
    } else {
        Err(format!(
            "its name `{name}` is not a valid DaskCluster name (lower-case letters, digits and `-`, at most 53 characters)"
        ))
    }
}

fn daskcluster(
    name: &str,
    namespace: &str,
    worker: Value,
    scheduler_spec: Value,
    service_type: &str,
) -> Value {
    json!({
        "apiVersion": Kind::DASK_CLUSTER.api_version(),
        "kind": "DaskCluster",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "worker": worker,
            "scheduler": {
                "spec": scheduler_spec,
                "service": {
                    "type": service_type,
                    "selector": {CLUSTER_NAME_LABEL: name, "dask.org/component": "scheduler"},
                    "ports": [
                        {"name": "tcp-comm", "protocol": "TCP", "port": 8786, "targetPort": "tcp-comm"},
                        {"name": "http-dashboard", "protocol": "TCP", "port": 8787, "targetPort": "http-dashboard"},
                    ],
                },
            },
        },
    })
}

/// Labels and annotations the user gave the classic pods (not the ones classic added).
fn user_metadata(meta: Option<&Value>) -> Option<Value> {
    let meta = meta?;
    let keep = |field: &str, drop: &dyn Fn(&str) -> bool| -> Option<Value> {
        let map: Map<String, Value> = meta
            .get(field)?
            .as_object()?
            .iter()
            .filter(|(k, _)| !drop(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!map.is_empty()).then_some(Value::Object(map))
    };
    let labels = keep("labels", &|k| {
        k.starts_with("dask.org/") || matches!(k, "app" | "user" | "pod-template-hash")
    });
    let annotations = keep("annotations", &|k| {
        k.starts_with("kubectl.kubernetes.io/") || k.starts_with("kopf.zalando.org")
    });
    let mut out = Map::new();
    if let Some(l) = labels {
        out.insert("labels".into(), l);
    }
    if let Some(a) = annotations {
        out.insert("annotations".into(), a);
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// A pod spec as written, without what the API server and the classic cluster added.
fn clean_pod_spec(spec: &Value) -> Option<Value> {
    let mut spec = spec.as_object()?.clone();
    for key in [
        "nodeName",
        "priority",
        "preemptionPolicy",
        "restartPolicy",
        "serviceAccount",
    ] {
        spec.remove(key);
    }
    let token_volumes: Vec<String> = spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("name")?.as_str())
        .filter(|n| n.starts_with("kube-api-access-"))
        .map(str::to_owned)
        .collect();
    retain(&mut spec, "volumes", |v| {
        !token_volumes
            .iter()
            .any(|t| v.get("name").and_then(Value::as_str) == Some(t))
    });
    // DefaultTolerationSeconds adds these to every pod.
    retain(&mut spec, "tolerations", |t| {
        let key = t.get("key").and_then(Value::as_str).unwrap_or("");
        !(t.get("tolerationSeconds").is_some()
            && matches!(
                key,
                "node.kubernetes.io/not-ready" | "node.kubernetes.io/unreachable"
            ))
    });
    let containers = spec.get_mut("containers")?.as_array_mut()?;
    if containers.is_empty() {
        return None;
    }
    for c in containers.iter_mut().filter_map(Value::as_object_mut) {
        c.remove("terminationMessagePath");
        c.remove("terminationMessagePolicy");
        retain(c, "volumeMounts", |m| {
            !token_volumes
                .iter()
                .any(|t| m.get("name").and_then(Value::as_str) == Some(t))
        });
        retain(c, "env", |e| {
            !INJECTED_ENV.contains(&e.get("name").and_then(Value::as_str).unwrap_or(""))
        });
    }
    Some(Value::Object(spec))
}

/// Keep items of an array field that pass; drop the field when none are left.
fn retain(map: &mut Map<String, Value>, field: &str, keep: impl Fn(&Value) -> bool) {
    if let Some(items) = map.get_mut(field).and_then(Value::as_array_mut) {
        items.retain(keep);
        if items.is_empty() {
            map.remove(field);
        }
    }
}

fn worker_pod_spec(spec: &Value) -> Option<Value> {
    let mut spec = clean_pod_spec(spec)?;
    let first = spec.pointer_mut("/containers/0")?.as_object_mut()?;
    // Classic appended `--name <pod name>`; the operator names workers after their Deployment.
    let mut args: Vec<Value> = Vec::new();
    let mut skip_next = false;
    for a in first
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let s = a.as_str().unwrap_or("");
        if skip_next {
            skip_next = false;
        } else if s == "--name" {
            skip_next = true;
        } else if !s.starts_with("--name=") {
            args.push(a);
        }
    }
    args.extend([json!("--name"), json!("$(DASK_WORKER_NAME)")]);
    first.insert("args".into(), Value::Array(args));
    Some(spec)
}

fn scheduler_pod_spec(spec: &Value) -> Option<Value> {
    let mut spec = clean_pod_spec(spec)?;
    let first = spec.pointer_mut("/containers/0")?;
    scheduler_ports_and_probes(first);
    Some(spec)
}

/// No scheduler pod (classic `deploy_mode="local"` ran it in the client): build one from the
/// worker's image, env and resources, as `make_scheduler_spec` does.
fn scheduler_like_worker(worker_spec: &Value) -> Value {
    let worker = worker_spec.pointer("/containers/0").unwrap_or(&Value::Null);
    let mut scheduler = json!({
        "name": "scheduler",
        "image": worker.get("image").cloned().unwrap_or(json!("ghcr.io/dask/dask:latest")),
        "args": ["dask-scheduler", "--host", "0.0.0.0"],
    });
    copy_fields(&mut scheduler, worker, &["env", "resources"]);
    scheduler_ports_and_probes(&mut scheduler);
    json!({"containers": [scheduler]})
}

/// The controller finds the scheduler by these port names; the probes are
/// `make_scheduler_spec`'s.
fn scheduler_ports_and_probes(container: &mut Value) {
    let Some(c) = container.as_object_mut() else {
        return;
    };
    c.insert(
        "ports".into(),
        json!([
            {"name": "tcp-comm", "containerPort": 8786, "protocol": "TCP"},
            {"name": "http-dashboard", "containerPort": 8787, "protocol": "TCP"},
        ]),
    );
    c.entry("readinessProbe").or_insert_with(|| {
        json!({"httpGet": {"port": "http-dashboard", "path": "/health"},
               "initialDelaySeconds": 0, "periodSeconds": 1, "timeoutSeconds": 300})
    });
    c.entry("livenessProbe").or_insert_with(|| {
        json!({"httpGet": {"port": "http-dashboard", "path": "/health"},
               "initialDelaySeconds": 15, "periodSeconds": 20})
    });
}

/// Copy non-empty fields from chart values (or a container) into a container.
fn copy_fields(into: &mut Value, from: &Value, fields: &[&str]) {
    for f in fields {
        if let Some(v) = from.get(*f).filter(|v| !is_empty(v)) {
            into[*f] = v.clone();
        }
    }
}

fn copy_pod_fields(spec: &mut Value, values: &Value) {
    copy_fields(
        spec,
        values,
        &[
            "tolerations",
            "affinity",
            "nodeSelector",
            "securityContext",
            "serviceAccountName",
        ],
    );
    if let Some(secrets) = values
        .pointer("/image/pullSecrets")
        .filter(|v| !is_empty(v))
    {
        spec["imagePullSecrets"] = secrets.clone();
    }
}

fn copy_mounts(container: &mut Value, values: &Value) {
    if let Some(m) = values
        .pointer("/mounts/volumeMounts")
        .filter(|v| !is_empty(v))
    {
        container["volumeMounts"] = m.clone();
    }
}

fn copy_volumes(spec: &mut Value, values: &Value) {
    if let Some(v) = values.pointer("/mounts/volumes").filter(|v| !is_empty(v)) {
        spec["volumes"] = v.clone();
    }
}

fn extra_args(args: Option<&Value>) -> Vec<Value> {
    args.and_then(Value::as_array)
        .map(|a| a.iter().map(|v| json!(scalar_text(v))).collect())
        .unwrap_or_default()
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Chart values merge: the user's maps merge into the defaults, anything else replaces.
/// Iterative, with an explicit stack of (target, source) pairs.
fn merge(base: &mut Value, over: &Value) {
    let mut todo: Vec<(&mut Value, &Value)> = vec![(base, over)];
    while let Some((target, source)) = todo.pop() {
        match (target, source) {
            (Value::Object(t), Value::Object(s)) => {
                let mut nested = Vec::new();
                for (k, v) in s {
                    match t.get(k) {
                        Some(Value::Object(_)) if v.is_object() => nested.push(k),
                        _ => {
                            t.insert(k.clone(), v.clone());
                        }
                    }
                }
                // Split the borrows: collect child pointers one at a time.
                for (k, child) in t.iter_mut() {
                    if nested.contains(&k) {
                        todo.push((child, &s[k]));
                    }
                }
            }
            (target, source) => *target = source.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::scan::classic_clusters;

    fn classic_pod(name: &str, component: &str, args: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "dask", "labels": {
                "dask.org/cluster-name": "dask-jane-1a2b3c4d-e", "dask.org/component": component,
                "app": "dask", "user": "jane", "team": "ml"}},
            "spec": {
                "restartPolicy": "Never", "nodeName": "node-1", "priority": 0,
                "tolerations": [
                    {"key": "k8s.dask.org/dedicated", "operator": "Equal", "value": "worker", "effect": "NoSchedule"},
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
                "volumes": [{"name": "kube-api-access-x1", "projected": {}}],
                "containers": [{"name": "dask-worker", "image": "ghcr.io/dask/dask:2023.5.0",
                    "args": args,
                    "env": [{"name": "DASK_SCHEDULER_ADDRESS", "value": "tcp://old:8786"},
                            {"name": "EXTRA_PIP_PACKAGES", "value": "s3fs"}],
                    "resources": {"limits": {"cpu": "2", "memory": "6G"}},
                    "terminationMessagePath": "/dev/termination-log",
                    "volumeMounts": [{"name": "kube-api-access-x1", "mountPath": "/var/run/secrets"}]}]}})
    }

    #[test]
    fn classic_pods_become_a_daskcluster() {
        let pods = vec![
            classic_pod(
                "w-1",
                "worker",
                json!(["dask-worker", "--nthreads", "2", "--name", "w-1"]),
            ),
            classic_pod(
                "w-2",
                "worker",
                json!(["dask-worker", "--nthreads", "2", "--name", "w-2"]),
            ),
        ];
        let clusters = classic_clusters(&pods);
        let desired = from_classic(&clusters[0]).unwrap();
        assert_eq!(
            desired.id.to_string(),
            "DaskCluster dask/dask-jane-1a2b3c4d-e"
        );
        let worker = &desired.object["spec"]["worker"];
        assert_eq!(worker["replicas"], 2);
        assert_eq!(worker["metadata"], json!({"labels": {"team": "ml"}}));
        let spec = &worker["spec"];
        assert!(spec.get("restartPolicy").is_none() && spec.get("nodeName").is_none());
        assert!(spec.get("volumes").is_none());
        assert_eq!(spec["tolerations"].as_array().unwrap().len(), 1);
        let c = &spec["containers"][0];
        assert_eq!(
            c["args"],
            json!([
                "dask-worker",
                "--nthreads",
                "2",
                "--name",
                "$(DASK_WORKER_NAME)"
            ])
        );
        assert_eq!(
            c["env"],
            json!([{"name": "EXTRA_PIP_PACKAGES", "value": "s3fs"}])
        );
        assert!(c.get("volumeMounts").is_none() && c.get("terminationMessagePath").is_none());
        // No scheduler pod: the scheduler is built from the worker, with the operator's ports.
        let sched = &desired.object["spec"]["scheduler"]["spec"]["containers"][0];
        assert_eq!(sched["image"], "ghcr.io/dask/dask:2023.5.0");
        assert_eq!(sched["ports"][0]["name"], "tcp-comm");
    }

    #[test]
    fn helm_values_override_chart_defaults() {
        let mut defaults = json!({"worker": {"replicas": 3, "image": {"repository": "ghcr.io/dask/dask", "tag": "2024.1.0", "dask_worker": "dask-worker"}},
            "scheduler": {"serviceType": "ClusterIP"}});
        let values = json!({"worker": {"replicas": 6, "image": {"tag": "2023.5.0"},
            "resources": {"limits": {"cpu": "2", "memory": "8G"}}}, "scheduler": {"serviceType": "LoadBalancer"}});
        merge(&mut defaults, &values);
        assert_eq!(
            defaults["worker"]["image"]["repository"],
            "ghcr.io/dask/dask"
        );
        assert_eq!(defaults["worker"]["image"]["tag"], "2023.5.0");
        let release = Release {
            name: "analytics".into(),
            namespace: "dask".into(),
            revision: 1,
            status: "deployed".into(),
            chart: "dask".into(),
            chart_version: "2024.1.1".into(),
            app_version: None,
            values,
            defaults: json!({"worker": {"replicas": 3, "image": {"repository": "ghcr.io/dask/dask", "tag": "2024.1.0", "dask_worker": "dask-worker"}}}),
            secret: "s".into(),
        };
        let d = from_release(&release).unwrap();
        let worker = &d.object["spec"]["worker"];
        assert_eq!(worker["replicas"], 6);
        assert_eq!(
            worker["spec"]["containers"][0]["args"],
            json!([
                "dask-worker",
                "--nthreads",
                "2",
                "--memory-limit",
                "8G",
                "--name",
                "$(DASK_WORKER_NAME)"
            ])
        );
        assert_eq!(
            worker["spec"]["containers"][0]["image"],
            "ghcr.io/dask/dask:2023.5.0"
        );
        assert_eq!(
            d.object["spec"]["scheduler"]["service"]["type"],
            "LoadBalancer"
        );
    }

    #[test]
    fn invalid_names_cannot_be_built() {
        let release = Release {
            name: "Analytics_1".into(),
            namespace: "dask".into(),
            revision: 1,
            status: "deployed".into(),
            chart: "dask".into(),
            chart_version: "1".into(),
            app_version: None,
            values: json!({}),
            defaults: json!({}),
            secret: "s".into(),
        };
        let err = from_release(&release).unwrap_err();
        assert!(
            err.to_string().contains("not a valid DaskCluster name"),
            "{err}"
        );
    }
}
