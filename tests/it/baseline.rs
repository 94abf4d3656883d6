//! The baseline round trip (issue #11): write a baseline, shift lines and rename nothing →
//! clean; add one classic import → exactly that finding; remove a baselined construct → it is
//! reported as a stale entry (on standard error, without failing the run).

use std::path::Path;
use std::process::{Command, Output};

fn dusk(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dusk"))
        .args(["check", "--isolated"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

const APP: &str = "\
from dask_kubernetes import KubeCluster, make_pod_spec

pod = make_pod_spec(image=\"ghcr.io/dask/dask:2022.10.0\")
cluster = KubeCluster(pod)
cluster.scale(4)
";

const WORKER: &str = "\
kind: Pod
spec:
  containers:
    - name: worker
      image: ghcr.io/dask/dask:2022.10.0
      args:
        - dask-worker
        - --nthreads
        - \"2\"
        - --no-bokeh
";

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("app.py"), APP).unwrap();
    std::fs::write(root.join("worker.yaml"), WORKER).unwrap();
    let before = dusk(root, &["--format", "json"]);
    let before: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    let recorded = before["findings"].as_array().unwrap().len();
    assert!(recorded >= 5, "{before:#}");

    let out = dusk(root, &["--write-baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("recorded {recorded} findings"))
    );
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["entries"].as_array().unwrap().len(), recorded);

    // Lines shift above every finding; nothing is renamed: still clean.
    std::fs::write(
        root.join("app.py"),
        format!("\"\"\"Nightly job.\"\"\"\n\nimport os\n\n{APP}"),
    )
    .unwrap();
    std::fs::write(
        root.join("worker.yaml"),
        format!("# the team's worker\n---\n{WORKER}"),
    )
    .unwrap();
    let out = dusk(root, &["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One classic import more: exactly one finding.
    std::fs::write(
        root.join("other.py"),
        "from dask_kubernetes.classic import KubeCluster\n",
    )
    .unwrap();
    let out = dusk(root, &["--baseline", "baseline.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["path"], "other.py");
    std::fs::remove_file(root.join("other.py")).unwrap();

    // A baselined construct goes away: its entry is reported as stale, the run stays clean.
    std::fs::write(
        root.join("worker.yaml"),
        WORKER.replace("        - --no-bokeh\n", ""),
    )
    .unwrap();
    let out = dusk(root, &["--baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no longer found: worker.yaml[no-bokeh-flag]"),
        "{stderr}"
    );
    assert!(stderr.contains("1 stale baseline entry"), "{stderr}");
}

#[test]
fn an_unreadable_baseline_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("baseline.json"), "not json").unwrap();
    let out = dusk(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read baseline"));
}
