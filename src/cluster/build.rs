//! Live classic Dask → the model of a classic cluster → DaskClusters, for
//! `dusk plan --from-cluster`.
//!
//! A producer of [`crate::extract::classic::ClassicCluster`] for a classic KubeCluster's
//! running pods (worker image, command, env, resources and pod settings, the scheduler pod,
//! the Service type, the number of workers); a dask Helm release's values (chart defaults
//! merged under the user's values) go through the one producer for Helm values,
//! [`crate::extract::helm_chart::clusters`], as a values file does. The one builder
//! ([`crate::migrate::build::cluster_on_cli`]) makes the DaskCluster, as it does for files:
//! `--name $(DASK_WORKER_NAME)` on the workers, the `tcp-comm` and `http-dashboard` ports and
//! probes on the scheduler, the Service, and commands that run on the worker image's
//! `distributed` (`dask worker` from 2022.10.0, the legacy programs and flags before).
//! Dropped on purpose: what the API server or the classic KubeCluster added at run time
//! (service-account token volumes, default tolerations with `tolerationSeconds`, node name,
//! priority, the per-pod `--name`, `DASK_SCHEDULER_ADDRESS`) and `restartPolicy: Never`,
//! which the operator's Deployments reject (the builder drops it).
//! Not handled: the chart's Jupyter server, classic `adapt()` bounds (not visible in the
//! cluster) and `idle_timeout` (kept only in the classic scheduler's args).
//! Pure: takes objects already read; never goes through the YAML-text fix loop.

use super::helm::Release;
use super::plan::{Desired, Origin};
use super::scan::ClassicCluster;
use super::{Error, Kind, ObjectId};
use crate::dask::INJECTED_ENV;
use crate::extract::classic::{ClassicCluster as Model, ClassicPod, SchedulerPod, Source, Sourced};
use crate::extract::helm_chart;
use crate::migrate::build;
use crate::migrate::rewriters::pod_template_to_daskcluster::rfc1123_label;
use k8s_openapi::api::core::v1::PodSpec;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A DaskCluster replacing a classic KubeCluster still running in the cluster. Its commands
/// run on the `distributed` of the worker pod's image ([`new_cli`]; `target_new_cli` when the
/// image's tag does not say).
pub fn from_classic(cluster: &ClassicCluster<'_>, target_new_cli: bool) -> Result<Desired, Error> {
    let from = format!(
        "classic KubeCluster `{}/{}`",
        cluster.namespace, cluster.name
    );
    let cannot = |reason: &str| Error::CannotBuild {
        from: from.clone(),
        reason: reason.to_owned(),
    };
    let workers = cluster.pods("worker");
    let Some(worker) = workers.first() else {
        return Err(cannot("it has no worker pods to copy the worker spec from"));
    };
    let worker_pod =
        live_pod(worker, true).map_err(|why| cannot(&format!("its worker pod {why}")))?;
    let mut model = Model::new(
        Sourced::new(
            cluster.name.clone(),
            Source::Live(format!(
                "label `{}` of its pods",
                crate::dask::CLUSTER_NAME_LABEL
            )),
        ),
        worker_pod,
    );
    model.namespace = Some(Sourced::new(
        cluster.namespace.clone(),
        Source::Live("the namespace of its pods".into()),
    ));
    model.replicas = Some(Sourced::new(
        i32::try_from(workers.len()).unwrap_or(i32::MAX),
        Source::Live(format!("{} running worker pods", workers.len())),
    ));
    if let Some(pod) = cluster.pods("scheduler").first() {
        let pod =
            live_pod(pod, false).map_err(|why| cannot(&format!("its scheduler pod {why}")))?;
        model.scheduler = SchedulerPod::Own(Box::new(pod));
    }
    // No scheduler pod (classic `deploy_mode="local"` ran it in the client): the builder
    // runs one like the workers, as `make_scheduler_spec` does.
    if let Some(service) = cluster.service() {
        let kind = service
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP");
        model.service_type = Some(Sourced::new(
            kind.to_owned(),
            Source::Live(format!(
                "Service {}/{} spec.type",
                cluster.namespace,
                service
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            )),
        ));
    }
    let built = build::cluster_on_cli(&model, new_cli(&model, target_new_cli))
        .map_err(|d| cannot(&d.reason))?;
    let migration = crate::migrate::migration_report::MigrationReport {
        from: from.clone(),
        kind: crate::migrate::migration_report::DASK_CLUSTER,
        cluster: cluster.name.clone(),
        namespace: Some(cluster.namespace.clone()),
        old_address: Some(format!("tcp://{}.{}:8786", cluster.name, cluster.namespace)),
        fields: built.record.clone(),
        steps: vec![
            "Classic pods are immutable: the DaskCluster replaces them, it does not patch them."
                .into(),
            format!(
                "Point clients at `tcp://{}-scheduler.{}:8786`; code that created this cluster with the classic `KubeCluster` moves to `dask_kubernetes.operator` (`dusk fix --unsafe-fixes`).",
                cluster.name, cluster.namespace
            ),
            "Once the DaskCluster runs, delete the classic pods, Service and PodDisruptionBudget (`dusk apply --from-cluster --prune-classic` lists and deletes them).".into(),
        ],
    };
    Ok(Desired {
        id: ObjectId {
            kind: Kind::DASK_CLUSTER,
            namespace: Some(cluster.namespace.clone()),
            name: cluster.name.clone(),
        },
        object: crate::migrate::operator::to_json(&built.resource),
        migration: Some(migration.to_json()),
        sensitive: Vec::new(),
        origin: Origin::Live {
            from: format!("{from} ({} worker pods)", workers.len()),
        },
    })
}

/// The builder's options for a live cluster: the versions in play are the worker image's
/// (`daskdev/dask:2022.1.0` has no `dask worker`, so its command stays), else the target's.
/// Nothing here runs the YAML-text fix loop: the builder makes the commands what the fixes
/// would make them.
pub fn new_cli(model: &Model, target_new_cli: bool) -> build::Options {
    build::Options {
        new_cli: build::image_has_new_cli(model.worker.image()).unwrap_or(target_new_cli),
    }
}

/// A running classic pod as the model's pod: its spec without what the API server and the
/// classic cluster added, its user labels and annotations; for a worker, without the
/// per-pod `--name` classic gave it.
fn live_pod(pod: &Value, worker: bool) -> Result<ClassicPod, String> {
    let raw = pod.get("spec").unwrap_or(&Value::Null);
    let mut spec = clean_pod_spec(raw).ok_or("has no containers")?;
    if worker {
        strip_classic_name(&mut spec);
    }
    let typed: PodSpec = serde_json::from_value(spec.clone())
        .map_err(|e| format!("is not a pod spec dusk can read ({e})"))?;
    let at = format!(
        "Pod {}/{}",
        pod.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default"),
        pod.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
    );
    let mut sources = BTreeMap::new();
    for key in spec.as_object().into_iter().flat_map(Map::keys) {
        sources.insert(key.clone(), Source::Live(format!("{at} spec.{key}")));
    }
    for key in spec
        .pointer("/containers/0")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::keys)
    {
        sources.insert(
            format!("containers[0].{key}"),
            Source::Live(format!("{at} spec.containers[0].{key}")),
        );
    }
    let metadata = user_metadata(pod.get("metadata"));
    let map = |field: &str| -> BTreeMap<String, String> {
        metadata
            .as_ref()
            .and_then(|m| m.get(field))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    };
    Ok(ClassicPod {
        spec: typed,
        labels: map("labels"),
        annotations: map("annotations"),
        sources,
        source: Some(Source::Live(at)),
    })
}

/// Classic appended `--name <pod name>`; the operator names workers after their Deployment
/// (the builder adds `--name $(DASK_WORKER_NAME)`).
fn strip_classic_name(spec: &mut Value) {
    let Some(first) = spec
        .pointer_mut("/containers/0")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let Some(old) = first.get("args").and_then(Value::as_array).cloned() else {
        return;
    };
    let mut args: Vec<Value> = Vec::new();
    let mut skip_next = false;
    for a in old {
        let s = a.as_str().unwrap_or("");
        if skip_next {
            skip_next = false;
        } else if s == "--name" {
            skip_next = true;
        } else if !s.starts_with("--name=") {
            args.push(a);
        }
    }
    first.insert("args".into(), Value::Array(args));
}

/// The DaskCluster (and a DaskWorkerGroup per `additional_worker_groups` item) replacing a
/// release of the dask Helm chart: the release's values merged over its chart's defaults,
/// rendered and read into the model by the one producer for Helm values
/// ([`helm_chart::clusters`], as the values file's fix does), built with the commands of the
/// image in play (`target_new_cli` when its tag does not say).
pub fn from_release(release: &Release, target_new_cli: bool) -> Result<Vec<Desired>, Error> {
    let from = format!("Helm release `{}/{}`", release.namespace, release.name);
    let cannot = |reason: &str| Error::CannotBuild {
        from: from.clone(),
        reason: reason.to_owned(),
    };
    let mut values = release.defaults.clone();
    merge(&mut values, &release.values);
    let tree = super::yaml::node_from_json(&values);
    let rendering = helm_chart::render(&tree.root, &release.name).map_err(|e| {
        let at = tree.path_at(e.range).unwrap_or("");
        cannot(&format!(
            "its values cannot be rendered ({}, at `{at}`)",
            e.message
        ))
    })?;
    let at = |key: &str| {
        Source::Live(format!(
            "Helm release {}/{} values {key}",
            release.namespace, release.name
        ))
    };
    let source = Source::Live(format!("{from}'s values, as the chart renders them"));
    let mut models = helm_chart::clusters(&release.name, &rendering, &source, |g| {
        rfc1123_label(&format!("{}-{g}", release.name), 53)
    })
    .map_err(|e| cannot(&e))?;
    for m in &mut models {
        m.namespace = Some(Sourced::new(
            release.namespace.clone(),
            Source::Live(format!("{from}'s namespace")),
        ));
        for u in &mut m.unsupported {
            if let Source::Span(range) = u.source {
                u.source = at(tree.path_at(range).unwrap_or(&u.what));
            }
        }
    }
    let mut models = models.into_iter();
    let main = models
        .next()
        .ok_or_else(|| cannot("its values render no workers"))?;
    let options = new_cli(&main, target_new_cli);
    let built = build::cluster_on_cli(&main, options).map_err(|d| cannot(&d.reason))?;
    let migration = crate::migrate::migration_report::MigrationReport {
        from: from.clone(),
        kind: crate::migrate::migration_report::DASK_CLUSTER,
        cluster: release.name.clone(),
        namespace: Some(release.namespace.clone()),
        old_address: Some(format!(
            "tcp://{}-scheduler.{}:{}",
            rendering.fullname, release.namespace, rendering.service.port
        )),
        fields: built.record.clone(),
        steps: vec![
            format!(
                "Point clients at `tcp://{}-scheduler.{}:8786`.",
                release.name, release.namespace
            ),
            format!(
                "Once the DaskCluster runs, retire the release: `helm uninstall {} -n {}` (Jupyter and the web UI ingress of the chart have no operator equivalent).",
                release.name, release.namespace
            ),
        ],
    };
    let desired = |kind: Kind, name: String, object: Value| Desired {
        id: ObjectId {
            kind,
            namespace: Some(release.namespace.clone()),
            name,
        },
        object,
        // The report belongs to the DaskCluster.
        migration: (kind == Kind::DASK_CLUSTER).then(|| migration.to_json()),
        sensitive: super::helm::sensitive_values(&release.values),
        origin: Origin::Live {
            from: format!("{from} (chart {}-{})", release.chart, release.chart_version),
        },
    };
    let mut out = vec![desired(
        Kind::DASK_CLUSTER,
        release.name.clone(),
        crate::migrate::operator::to_json(&built.resource),
    )];
    for mut group in models {
        let options = new_cli(&group, target_new_cli);
        build::normalise_commands(&mut group, options.new_cli);
        let built =
            build::worker_group(&group, &release.name, options).map_err(|d| cannot(&d.reason))?;
        out.push(desired(
            Kind::DASK_WORKER_GROUP,
            group.name.value.clone(),
            crate::migrate::operator::to_json(&built.resource),
        ));
    }
    Ok(out)
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
    use crate::cluster::scan::{classic_clusters, keep_all};
    use serde_json::json;

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
        let kept = keep_all(pods);
        let clusters = classic_clusters(&kept);
        let desired = from_classic(&clusters[0], true).unwrap();
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
        // ghcr.io/dask/dask:2023.5.0 has the `dask` command: the builder uses it.
        assert_eq!(
            c["args"],
            json!([
                "dask",
                "worker",
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
        let built = from_release(&release, true).unwrap();
        let d = &built[0];
        let worker = &d.object["spec"]["worker"];
        assert_eq!(worker["replicas"], 6);
        // The chart's worker args (the one Helm producer, as for a values file), without the
        // positional scheduler address, on the image's `dask worker`.
        assert_eq!(
            worker["spec"]["containers"][0]["args"],
            json!([
                "dask",
                "worker",
                "--nthreads",
                "2",
                "--memory-limit",
                "8G",
                "--no-dashboard",
                "--dashboard-address",
                "8790",
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
        assert_eq!(built.len(), 1);

        // An additional worker group is a DaskWorkerGroup; an image older than the `dask`
        // command keeps `dask-worker`.
        let mut release = release;
        release.values["worker"]["image"]["tag"] = json!("2022.1.0");
        release.values["additional_worker_groups"] = json!([{"name": "highmem", "replicas": 2}]);
        let built = from_release(&release, true).unwrap();
        assert_eq!(built.len(), 2);
        let args = &built[0].object["spec"]["worker"]["spec"]["containers"][0]["args"];
        assert_eq!(args[0], "dask-worker", "{args}");
        assert_eq!(
            built[0].object["spec"]["scheduler"]["spec"]["containers"][0]["args"][0],
            "dask-scheduler"
        );
        assert_eq!(
            built[1].id.to_string(),
            "DaskWorkerGroup dask/analytics-highmem"
        );
        assert_eq!(built[1].object["spec"]["cluster"], "analytics");
        assert_eq!(built[1].object["spec"]["worker"]["replicas"], 2);
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
        let err = from_release(&release, true).unwrap_err();
        assert!(
            err.to_string().contains("not a valid DaskCluster name"),
            "{err}"
        );
    }
}
