//! End to end through `dusk check`, in-process: the YAML front-ends feed the built-in rules.
//! A classic worker template, a dask config and a DaskCluster each fire their rule at the
//! right line; look-alikes (another tool's config, another chart's values, a ConfigMap of
//! prose) fire nothing.

use clap::Parser;
use dusk::cli::{ExitStatus, args::Cli};
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `dusk check DIR --format json --output FILE --isolated`: the exit status and, per finding,
/// (rule, file name, line).
fn check(dir: &Path) -> (ExitStatus, Vec<(String, String, u64)>) {
    let out = dir.join("report.json.out");
    let cli = Cli::parse_from([
        "dusk",
        "check",
        dir.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        "--isolated",
    ]);
    let status = dusk::cli::run(cli).unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_str().unwrap();
            (
                f["rule"].as_str().unwrap().to_owned(),
                name.to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (status, findings)
}

fn finding(rule: &str, file: &str, line: u64) -> (String, String, u64) {
    (rule.to_owned(), file.to_owned(), line)
}

#[test]
fn classic_shapes_fire_their_rules_at_the_right_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "worker-spec.yml",
        "kind: Pod\nspec:\n  containers:\n  - name: dask\n    image: daskdev/dask:latest\n    args:\n    - dask-worker\n    - --nthreads\n    - '2'\n    - --no-bokeh\n",
    );
    write(
        dir.path(),
        "dask.yaml",
        "# ~/.config/dask/dask.yaml\nkubernetes:\n  name: dask-{user}-{uuid}\n  worker-template:\n    spec:\n      containers:\n      - image: daskdev/dask:latest\n        args: [dask-worker, --nthreads, '1']\n",
    );
    write(
        dir.path(),
        "cluster.yaml",
        "apiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata:\n  name: demo\nspec:\n  worker:\n    replicas: 2\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: worker\n        image: ghcr.io/dask/dask:latest\n        args: [dask, worker]\n  scheduler:\n    spec:\n      containers: [{name: scheduler, image: ghcr.io/dask/dask:latest, args: [dask, scheduler]}]\n    service: {type: ClusterIP}\n",
    );
    let (status, mut findings) = check(dir.path());
    findings.sort();
    let mut expected = vec![
        finding("dask-worker-command", "worker-spec.yml", 7),
        finding("classic-worker-pod-template", "worker-spec.yml", 7),
        finding("no-bokeh-flag", "worker-spec.yml", 10),
        finding("classic-config-template-key", "dask.yaml", 4),
        finding("dask-worker-command", "dask.yaml", 8),
        finding("operator-pod-restart-policy", "cluster.yaml", 9),
        finding("operator-worker-missing-name-flag", "cluster.yaml", 13),
    ];
    expected.sort();
    assert_eq!(findings, expected);
    assert_eq!(status, ExitStatus::Failure);
}

#[test]
fn look_alikes_fire_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "tool/settings.yaml",
        "kubernetes:\n  context: prod\n  namespace: tools\n  worker-template-file: x\ncluster: east\n",
    );
    write(
        dir.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: task-queue\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "chart/values.yaml",
        "scheduler:\n  image: {repository: example/sched}\nworker:\n  image: {repository: example/worker}\n  extraArgs: [--no-bokeh]\nredis: {enabled: true}\n",
    );
    write(
        dir.path(),
        "runbook.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  steps.md: |\n    1. scale the dask-worker Deployment\n    2. never pass --no-bokeh\n",
    );
    let (status, findings) = check(dir.path());
    assert_eq!(findings, []);
    assert_eq!(status, ExitStatus::Success);
}
