//! End to end: `dusk check` with the built-in packs on Python files and notebooks, in
//! process, reading the JSON report.

use clap::Parser;
use dusk::cli::args::Cli;
use dusk::cli::{ExitStatus, run};
use serde_json::Value;
use std::path::Path;

/// Run `dusk check DIR --format json --output FILE` and return (status, findings).
fn check(dir: &Path) -> (ExitStatus, Vec<Value>) {
    let out = dir.join("report.json");
    let cli = Cli::parse_from([
        "dusk".as_ref(),
        "check".as_ref(),
        "--isolated".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--output".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 8]);
    let status = run(cli).expect("check runs");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report written"))
            .expect("report is JSON");
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    (status, findings)
}

/// (rule, line, column, cell) of each finding.
fn located(findings: &[Value]) -> Vec<(String, u64, u64, Option<u64>)> {
    findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                f["cell"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn classic_kubecluster_in_python_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cluster.py"),
        "from dask_kubernetes import KubeCluster\n\
         \n\
         cluster = KubeCluster(pod_template=\"worker.yml\", deploy_mode=\"local\")\n\
         cluster.adapt(minimum=1, maximum=4)\n",
    )
    .unwrap();
    let (status, findings) = check(dir.path());
    assert_eq!(status, ExitStatus::Failure);
    assert_eq!(
        located(&findings),
        [
            ("classic-kubecluster-import".to_owned(), 1, 29, None),
            ("classic-kubecluster-constructor".to_owned(), 3, 11, None),
            ("classic-kubecluster-keyword".to_owned(), 3, 50, None),
        ],
        "{findings:#?}"
    );
    assert_eq!(
        findings[0]["path"]
            .as_str()
            .map(|p| p.ends_with("cluster.py")),
        Some(true)
    );
}

#[test]
fn the_operator_kubecluster_is_not_the_classic_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cluster.py"),
        "from dask_kubernetes.operator import KubeCluster\n\
         cluster = KubeCluster(name=\"x\", n_workers=2)\n",
    )
    .unwrap();
    let (status, findings) = check(dir.path());
    assert_eq!(status, ExitStatus::Success, "{findings:#?}");
}

#[test]
fn notebook_findings_point_into_their_cell() {
    let dir = tempfile::tempdir().unwrap();
    let notebook = serde_json::json!({
        "cells": [
            { "cell_type": "markdown", "metadata": {}, "source": ["# Classic cluster\n"] },
            { "cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
              "source": ["%pip install dask-kubernetes\n", "from dask_kubernetes import KubeCluster\n"] },
            { "cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2,
              "source": "!kubectl get pods\ncluster = KubeCluster(deploy_mode=\"local\")\n" },
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    });
    std::fs::write(dir.path().join("classic.ipynb"), notebook.to_string()).unwrap();
    let (_, findings) = check(dir.path());
    assert_eq!(
        located(&findings),
        [
            ("classic-kubecluster-import".to_owned(), 2, 29, Some(2)),
            ("classic-kubecluster-constructor".to_owned(), 2, 11, Some(3)),
            ("classic-kubecluster-keyword".to_owned(), 2, 23, Some(3)),
        ],
        "{findings:#?}"
    );
}
