//! Adopting the check (issue #11): `--add-ignore` writes suppressions where the syntax allows,
//! Dockerfile suppressions silence the instruction below them, and `unused-suppression` does
//! not fire for a rule that is not active at the target.

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

fn rules(out: &Output) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const APP: &str =
    "from dask_kubernetes import KubeCluster\n\ncluster = KubeCluster(\"worker.yaml\")\n";
const WORKER: &str = "kind: Pod\nspec:\n  containers:\n    - name: worker\n      args: [dask-worker, --nthreads, \"1\"]  # two threads were too many\n";
const DOCKERFILE: &str = "FROM ghcr.io/dask/dask:2024.1.0\nENV DASK_KUBERNETES__WORKER_TEMPLATE_PATH=/etc/dask/worker.yaml\nCMD [\"dask-worker\", \"tcp://scheduler:8786\"]\n";
/// The legacy command inside a multi-line string: a comment cannot go there.
const DOCS: &str = "import subprocess\nsubprocess.run(\"\"\"\ndask-worker tcp://scheduler:8786\n\"\"\", shell=True)\n";

#[test]
fn add_ignore_silences_every_finding_it_can_and_leaves_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, text) in [
        ("app.py", APP),
        ("worker.yaml", WORKER),
        ("Dockerfile", DOCKERFILE),
        ("docs.py", DOCS),
    ] {
        std::fs::write(root.join(name), text).unwrap();
    }
    let before = rules(&dusk(root, &["--format", "json"]));
    assert!(before.iter().any(|(p, _)| p == "Dockerfile"), "{before:?}");
    assert!(before.iter().any(|(p, _)| p == "docs.py"), "{before:?}");

    let out = dusk(root, &["--add-ignore"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("docs.py: no suppression added"), "{stderr}");

    let after = rules(&dusk(root, &["--format", "json"]));
    assert!(after.iter().all(|(p, _)| p == "docs.py"), "{after:?}");
    assert_eq!(std::fs::read_to_string(root.join("docs.py")).unwrap(), DOCS);
    let app = std::fs::read_to_string(root.join("app.py")).unwrap();
    assert!(
        app.starts_with(
            "from dask_kubernetes import KubeCluster  # dusk: ignore[classic-kubecluster-import]\n"
        ),
        "{app}"
    );
    let worker = std::fs::read_to_string(root.join("worker.yaml")).unwrap();
    // Before the comment already there: a suppression is a comment starting with `dusk:`.
    assert!(
        worker.contains(
            "\"1\"]  # dusk: ignore[classic-worker-pod-template, dask-worker-command]  # two threads"
        ),
        "{worker}"
    );
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("# dusk: ignore[") && dockerfile.contains("\nCMD ["),
        "{dockerfile}"
    );
    // A second run finds nothing more to add.
    let out = dusk(root, &["--add-ignore"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no suppression added"));
}

#[test]
fn a_dockerfile_suppression_silences_the_instruction_below() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM ghcr.io/dask/dask:2024.1.0\n# dusk: ignore[dask-worker-command]\n\nCMD [\"dask-worker\", \"tcp://scheduler:8786\"]\n",
    )
    .unwrap();
    assert_eq!(rules(&dusk(dir.path(), &["--format", "json"])), []);
    // Naming another rule silences nothing, and says so.
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM ghcr.io/dask/dask:2024.1.0\n# dusk: ignore[no-bokeh-flag]\nCMD [\"dask-worker\", \"tcp://scheduler:8786\"]\n",
    )
    .unwrap();
    let found: Vec<String> = rules(&dusk(dir.path(), &["--format", "json"]))
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(found, ["unused-suppression", "dask-worker-command"]);
}

#[test]
fn unused_suppression_is_quiet_for_a_rule_not_active_at_the_target() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "from dask_kubernetes import KubeCluster  # dusk: ignore[classic-kubecluster-import]\n",
    )
    .unwrap();
    // Before the classic KubeCluster was deprecated the rule is upcoming (hidden).
    let out = dusk(
        dir.path(),
        &["--format", "json", "--target", "dask-kubernetes=2022.9.0"],
    );
    assert_eq!(rules(&out), []);
    // With the rule shown, the suppression is used, so still nothing.
    let out = dusk(dir.path(), &["--format", "json"]);
    assert_eq!(rules(&out), []);
}
