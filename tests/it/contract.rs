//! The CI contract (docs/architecture.md, "Contracts"), one test per promise: what `select`
//! can never drop, what a missing path exits with, that a closed pipe is a quiet exit 0,
//! `--exit-zero`, and the versions a run says it graded against.
//!
//! Issue #11. These spawn the binary: exit codes, standard error and pipes are only visible
//! from outside the process.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn dusk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dusk"))
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    dusk().current_dir(dir).args(args).output().unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn rules_of(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// A repository with a README-style configuration, one broken YAML file, one classic import
/// and a suppression for a rule the configuration does not select.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "dusk.toml",
        "select = [\"dask-kubernetes\", \"distributed\"]\n\n[target]\ndistributed = \"2026.6.0\"\n",
    );
    // Unclosed flow sequence: not YAML, whatever the rules.
    write(
        "deploy/worker.yaml",
        "kind: Pod\nspec:\n  containers:\n    - args: [dask-worker, --nthreads\n",
    );
    write(
        "app/cluster.py",
        "from dask_kubernetes import KubeCluster\n\
         # The helm chart rules are not selected: this must not read as stale.\n\
         CHART = \"dask/dask\"  # dusk: ignore[helm-chart-jupyter-replicas]\n",
    );
    write("requirements.txt", "dask-kubernetes==2023.8.0\n");
    dir
}

#[test]
fn select_never_drops_syntax_errors_and_unused_suppression_ignores_deselected_rules() {
    let dir = repo();
    let out = run_in(dir.path(), &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let rules = rules_of(&json(&out));
    assert!(rules.contains(&"syntax-error".to_owned()), "{rules:?}");
    assert!(
        rules.contains(&"classic-kubecluster-import".to_owned()),
        "{rules:?}"
    );
    assert!(
        !rules.contains(&"unused-suppression".to_owned()),
        "{rules:?}"
    );
    // Selecting one rule on the command line keeps them too.
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--select",
            "classic-kubecluster-import",
        ],
    );
    let rules = rules_of(&json(&out));
    assert_eq!(rules, ["classic-kubecluster-import", "syntax-error"]);
}

#[test]
fn builtin_findings_can_still_be_ignored_by_name() {
    let dir = repo();
    let out = run_in(
        dir.path(),
        &["check", "--format", "json", "--ignore", "syntax-error"],
    );
    let rules = rules_of(&json(&out));
    assert!(!rules.contains(&"syntax-error".to_owned()), "{rules:?}");
    assert!(!rules.is_empty());
}

#[test]
fn unused_suppression_still_fires_for_a_selected_rule() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.py"),
        "from dask_kubernetes.operator import KubeCluster  # dusk: ignore[classic-kubecluster-import]\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["check", "--isolated", "--format", "json"]);
    assert_eq!(rules_of(&json(&out)), ["unused-suppression"]);
    // Not when the rule it names is ignored.
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "--ignore",
            "classic-kubecluster-import",
        ],
    );
    assert!(rules_of(&json(&out)).is_empty());
}

#[test]
fn a_missing_path_exits_2_with_one_message() {
    let dir = repo();
    for command in ["check", "fix"] {
        // Of two missing paths, the first named is the one reported.
        let out = run_in(
            dir.path(),
            &[command, "app", "no/such/dir", "not/here/either"],
        );
        assert_eq!(out.status.code(), Some(2), "{command}: {out:?}");
        assert!(out.stdout.is_empty(), "{command}: no report");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.matches("no such file or directory").count(),
            1,
            "{stderr}"
        );
        assert!(stderr.contains("`no/such/dir`"), "{stderr}");
        assert!(!stderr.contains("not/here/either"), "{stderr}");
    }
}

/// Spawn with standard output already closed, so the first write fails with EPIPE however
/// little is written.
fn closed_pipe(args: &[&str]) -> Output {
    let mut child = dusk()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_is_a_quiet_exit_0_for_every_command() {
    let commands: &[&[&str]] = &[
        &["schema", "rules"],
        &["schema", "config"],
        &["rules", "list", "--isolated"],
        &[
            "rules",
            "explain",
            "--isolated",
            "classic-kubecluster-import",
        ],
        &["completions", "bash"],
        &["check", "--isolated", "examples"],
        &["check", "--isolated", "--format", "sarif", "examples"],
        &["fix", "--isolated", "--diff", "examples"],
        &["fix", "--isolated", "--diff", "--unsafe-fixes", "examples"],
    ];
    for args in commands {
        let out = closed_pipe(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn exit_zero_turns_findings_into_success_but_not_failures_to_run() {
    let out = dusk()
        .args(["check", "--isolated", "--exit-zero", "examples"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("errors"));
    let out = dusk()
        .args(["fix", "--isolated", "--diff", "--exit-zero", "examples"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.is_empty(), "the diff is still printed");
    let out = dusk()
        .args(["check", "--isolated", "--exit-zero", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_report_says_which_versions_it_graded_against_and_why() {
    let dir = repo();
    let out = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--target",
            "dask-kubernetes=2024.5.0",
        ],
    );
    let targets = json(&out)["targets"].clone();
    assert_eq!(
        targets,
        serde_json::json!([
            {
                "component": "dask-kubernetes",
                "version": "2024.5.0",
                "source": "flag",
                "current": {"version": "2023.8.0", "file": "requirements.txt"}
            },
            {
                "component": "distributed",
                "version": "2026.6.0",
                "source": "config",
                "config": "dusk.toml"
            }
        ])
    );
    let out = run_in(dir.path(), &["check", "--format", "sarif"]);
    let sarif = json(&out);
    let run_targets = &sarif["runs"][0]["properties"]["targets"];
    assert_eq!(run_targets[0]["component"], "dask-kubernetes");
    assert_eq!(run_targets[0]["source"], "newest-known");
    assert_eq!(run_targets[1]["source"], "config");
    let out = run_in(dir.path(), &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("Graded against dask-kubernetes ")
            && last.contains("(newest known; pinned 2023.8.0 in requirements.txt)")
            && last.ends_with("distributed 2026.6.0 (config dusk.toml)"),
        "{last}"
    );
}
