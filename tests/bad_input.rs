//! Bad input of every kind yields a located finding, never a panic, and never stops the run
//! (DESIGN.md "Tests that count"). Runs `dusk check` in-process on a copy of
//! `fixtures/bad-input/` plus the cases that cannot be committed.

use clap::Parser;
use dusk::cli::{ExitStatus, args::Cli};
use serde_json::Value;
use std::path::Path;

fn check(args: &[&str]) -> (ExitStatus, Value) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut argv = vec![
        "dusk",
        "check",
        "--isolated",
        "--format",
        "json",
        "--output",
        out.path().to_str().unwrap(),
    ];
    argv.extend_from_slice(args);
    let status = dusk::cli::run(Cli::parse_from(argv)).expect("bad input is never a tool error");
    let json = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    (status, json)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn every_bad_input_is_a_located_finding_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(Path::new("fixtures/bad-input"), root);
    // A good file among the bad ones must still be checked.
    std::fs::write(
        root.join("worker.yaml"),
        "kind: Pod\nspec:\n  containers:\n    - name: w\n      args: [dask-worker]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("huge.yaml"),
        format!("# dask\n{}", "a: 1\n".repeat(40_000)),
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("gone.yaml"), root.join("broken-link.yaml")).unwrap();
    }

    let (status, json) = check(&["--max-file-size", "100000", root.to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Failure, "bad input is exit 1, not 2");
    let findings = json["findings"].as_array().unwrap();
    let rule_for = |name: &str| -> Vec<(String, u64)> {
        findings
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let expect = [
        ("invalid.yaml", "syntax-error"),
        ("alias-bomb.yaml", "syntax-error"),
        ("deep-nesting.yaml", "syntax-error"),
        ("deep-nesting.py", "syntax-error"),
        ("invalid-utf8.py", "input-error"),
        ("binary.yaml", "input-error"),
        ("broken-notebook.ipynb", "syntax-error"),
        ("syntax-error.py", "syntax-error"),
        ("huge.yaml", "input-error"),
        #[cfg(unix)]
        ("broken-link.yaml", "input-error"),
    ];
    for (file, rule) in expect {
        let got = rule_for(file);
        assert!(
            got.iter().any(|(r, line)| r == rule && *line >= 1),
            "{file}: expected a located `{rule}`, got {got:?}"
        );
    }
    // Located, not just flagged: the YAML error points into the broken line, the UTF-8 error at
    // the bad byte's line.
    assert!(
        rule_for("invalid.yaml").iter().any(|(_, line)| *line >= 5),
        "{:?}",
        rule_for("invalid.yaml")
    );
    assert_eq!(
        rule_for("invalid-utf8.py")
            .iter()
            .find(|(r, _)| r == "input-error")
            .unwrap()
            .1,
        2
    );
    assert!(
        rule_for("worker.yaml")
            .iter()
            .any(|(r, _)| r == "dask-worker-command"),
        "the good file was still checked: {findings:#?}"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_a_finding() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.yaml");
    std::fs::write(&path, "args: [dask-worker]\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        eprintln!("skipped: running as root, permissions do not stop reads");
        return;
    }
    let (status, json) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Failure);
    let f = &json["findings"][0];
    assert_eq!(f["rule"], "input-error");
    assert!(f["message"].as_str().unwrap().contains("permission denied"));
}

#[test]
fn a_missing_command_line_path_is_a_tool_error() {
    // Issue #11: a mistyped path is a mistake in the command (exit 2), not a finding that
    // `select` could drop. Paths the walk cannot read stay findings (above).
    let argv = ["dusk", "check", "--isolated", "does/not/exist.yaml"];
    let err = dusk::cli::run(Cli::parse_from(argv)).unwrap_err();
    assert!(matches!(err, dusk::cli::Error::MissingPath(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`does/not/exist.yaml`: no such file or directory"
    );
}

#[test]
fn an_unrendered_template_is_not_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/worker.yaml"),
        "spec:\n  replicas: {{ .Values.worker.replicas }}\n  {{- with .Values.worker.env }}\n  env: {{ toYaml . }}\n  {{- end }}\n  args: [dask-worker]\n",
    )
    .unwrap();
    let (status, json) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json:#}");
    assert_eq!(status, ExitStatus::Success);
}

#[test]
fn yaml_limits_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nested.yaml"),
        "# dask\na: {b: {c: {d: [dask-worker]}}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("aliases.yaml"),
        "# dask\nx: &x [dask, dask, dask]\ny: [*x, *x, *x]\n",
    )
    .unwrap();
    let (_, json) = check(&[
        "--max-yaml-depth",
        "3",
        "--max-alias-nodes",
        "5",
        dir.path().to_str().unwrap(),
    ]);
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("nesting")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("alias expansion exceeds 5 nodes")),
        "{messages:?}"
    );
    let (status, _) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Success, "the defaults read both files");
}
