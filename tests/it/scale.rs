//! Opt-in scaling harness for the cluster scan (issue #13): a loopback API server holding
//! 60,000 pods of 600 classic KubeClusters (one scheduler and 99 workers each, with the
//! status a kubelet writes), scanned by the real binary with `dusk check --cluster`.
//! Prints wall time and peak RSS; asserts only that the scan finishes and finds the
//! clusters (timing belongs to the benchmark, not to tests):
//!
//! ```sh
//! cargo build --release
//! DUSK_SCALE_BIN=$CARGO_TARGET_DIR/release/dusk \
//!     cargo test --test it scale:: -- --ignored --nocapture
//! ```
//!
//! `DUSK_SCALE_PODS` changes the number of pods (default 60,000). Without
//! `DUSK_SCALE_BIN` the debug binary of this build is scanned.

use crate::support;

use serde_json::{Value, json};
use std::process::Command;
use support::FakeApi;

/// A pod as a classic KubeCluster created it, with the status a kubelet adds.
fn classic_pod(cluster: usize, index: usize) -> Value {
    let component = if index == 0 { "scheduler" } else { "worker" };
    let name = format!("dask-analyst-{cluster:04}-{component}-{index:03}");
    let args = if index == 0 {
        json!([
            "dask-scheduler",
            "--port",
            "8786",
            "--dashboard-address",
            ":8787"
        ])
    } else {
        json!([
            "dask-worker",
            format!("tcp://dask-analyst-{cluster:04}.dask:8786"),
            "--nthreads",
            "2",
            "--memory-limit",
            "6GB",
            "--no-bokeh"
        ])
    };
    let conditions: Vec<Value> = ["Initialized", "Ready", "ContainersReady", "PodScheduled"]
        .iter()
        .map(|t| json!({"type": t, "status": "True", "lastTransitionTime": "2026-11-01T08:00:05Z"}))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "dask",
            "labels": {
                "dask.org/cluster-name": format!("dask-analyst-{cluster:04}"),
                "dask.org/component": component,
                "app": "dask",
                "user": format!("analyst-{}", cluster % 37),
            },
            "annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"},
        },
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": "dask-workers",
            "tolerations": [{"key": "k8s.dask.org/dedicated", "operator": "Equal",
                             "value": "worker", "effect": "NoSchedule"}],
            "containers": [{
                "name": format!("dask-{component}"),
                "image": "daskdev/dask:2021.4.1",
                "imagePullPolicy": "IfNotPresent",
                "args": args,
                "env": [{"name": "EXTRA_PIP_PACKAGES", "value": "s3fs gcsfs"},
                        {"name": "DASK_DISTRIBUTED__WORKER__DAEMON", "value": "False"}],
                "resources": {"limits": {"cpu": "2", "memory": "6G"},
                              "requests": {"cpu": "2", "memory": "6G"}},
                "volumeMounts": [{"name": "kube-api-access", "readOnly": true,
                                  "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
            }],
            "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
            "nodeName": format!("node-{:03}", (cluster * 7 + index) % 211),
        },
        "status": {
            "phase": "Running",
            "hostIP": format!("10.0.{}.{}", cluster % 250, index % 250),
            "podIP": format!("10.8.{}.{}", cluster % 250, index % 250),
            "startTime": "2026-11-01T08:00:00Z",
            "conditions": conditions,
            "containerStatuses": [{"name": format!("dask-{component}"), "ready": true, "restartCount": 0,
                "image": "docker.io/daskdev/dask:2021.4.1",
                "imageID": "docker.io/daskdev/dask@sha256:4b7f1c2e9d0a8f3b6c5e2d1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e",
                "containerID": format!("containerd://{:064x}", cluster * 1000 + index),
                "started": true, "state": {"running": {"startedAt": "2026-11-01T08:00:04Z"}}}],
        },
    })
}

#[test]
#[ignore = "scaling harness: run by hand, see the module docs"]
fn scan_of_sixty_thousand_pods() {
    let pods: usize = std::env::var("DUSK_SCALE_PODS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60_000);
    let per_cluster = 100;
    let fake = FakeApi::start();
    for i in 0..pods {
        fake.seed(classic_pod(i / per_cluster, i % per_cluster), "kubelet");
    }
    let bin = std::env::var("DUSK_SCALE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_dusk").into());
    let out = tempfile::NamedTempFile::new().unwrap();
    let kubeconfig = fake.kubeconfig().display().to_string();
    let out_path = out.path().display().to_string();
    let dusk_args = [
        "check",
        "--cluster",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
        "--output",
        &out_path,
    ];
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let started = std::time::Instant::now();
    let result = if timed {
        Command::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args(dusk_args)
            .output()
    } else {
        Command::new(&bin).args(dusk_args).output()
    }
    .expect("run dusk");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&result.stderr);
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or("?")
            .to_owned()
    };
    let rss_kib = field("Maximum resident set size (kbytes): ");
    let cpu = format!(
        "{} s user + {} s system",
        field("User time (seconds): "),
        field("System time (seconds): ")
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap())
        .unwrap_or_else(|e| panic!("no JSON from dusk ({e}); stderr:\n{stderr}"));
    let findings = report["findings"].as_array().map_or(0, Vec::len);
    println!(
        "dusk check --cluster: {pods} pods in {} clusters: {:.2} s wall ({cpu} in dusk), peak RSS {} KiB, {findings} findings ({bin})",
        pods.div_ceil(per_cluster),
        elapsed.as_secs_f64(),
        rss_kib,
    );
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert!(
        findings >= pods.div_ceil(per_cluster),
        "{findings} findings"
    );
}
