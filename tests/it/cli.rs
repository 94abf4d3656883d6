//! The command line's outside: exit codes, error messages, pipes. Most tests run
//! `dusk::cli::run` in-process; a few spawn the binary to check what only a process shows.

use clap::Parser;
use dusk::cli::{Error, ExitStatus, args::Cli};
use std::process::{Command, Stdio};

fn run(args: &[&str]) -> Result<ExitStatus, Error> {
    let mut argv = vec!["dusk"];
    argv.extend_from_slice(args);
    dusk::cli::run(Cli::parse_from(argv))
}

fn dusk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dusk"))
}

#[test]
fn a_bad_target_version_names_the_flag_and_exits_2() {
    let out = dusk()
        .args([
            "check",
            "--isolated",
            "--target",
            "dask-kubernetes=latest",
            "examples",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dask-kubernetes=latest"), "{stderr}");
    assert!(stderr.contains("`latest` is not a version"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no report when the tool could not run"
    );
}

#[test]
fn an_unknown_component_lists_the_known_ones() {
    let err = run(&[
        "check",
        "--isolated",
        "--target",
        "dask-kubernets=2024.5.0",
        "examples",
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("unknown component `dask-kubernets`"),
        "{text}"
    );
    assert!(text.contains("dask-kubernetes"), "{text}");
}

#[test]
fn a_target_without_a_version_is_an_error() {
    assert!(matches!(
        run(&["check", "--isolated", "--target", "distributed", "examples"]),
        Err(Error::Target { .. })
    ));
}

#[test]
fn zero_padded_and_v_prefixed_targets_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for t in [
        "dask-kubernetes=2021.03.0",
        "dask-kubernetes=v2024.5.0",
        "distributed=2022.10.0rc1",
    ] {
        assert_eq!(
            run(&[
                "check",
                "--isolated",
                "--target",
                t,
                dir.path().to_str().unwrap()
            ])
            .unwrap(),
            ExitStatus::Success,
            "{t}"
        );
    }
}

#[test]
fn an_unknown_rule_in_select_is_an_error() {
    assert!(
        matches!(run(&["check", "--isolated", "--select", "no-such-rule", "examples"]), Err(Error::UnknownRule { id, .. }) if id == "no-such-rule")
    );
}

#[test]
fn a_broken_extra_pack_exits_2_and_names_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("mine.yaml");
    std::fs::write(
        &pack,
        "component: mine\nrules:\n  - {id: a, title: t, message: m, removed-in: soon, match: {command: x}}\n  - {id: B, title: t, message: m, match: {command: other}}\n",
    )
    .unwrap();
    let out = dusk()
        .args([
            "check",
            "--isolated",
            "--rules",
            pack.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // miette wraps long lines; compare the words, not the layout.
    let stderr: String = String::from_utf8_lossy(&out.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        stderr.contains("rule `a`") && stderr.contains("`soon` is not a version"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rule `B`") && stderr.contains("kebab-case"),
        "{stderr}"
    );
}

#[test]
fn an_empty_directory_is_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dusk()
        .args(["check", "--isolated", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 errors, 0 warnings in 0 files"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = dusk()
        .args(["check", "--isolated", "--format", "json", "examples"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_ne!(
        status.code(),
        Some(2),
        "broken pipe must not look like a tool failure"
    );
}

#[test]
fn version_flag_prints_the_version() {
    let out = dusk().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn output_to_an_unwritable_path_exits_2() {
    let err = run(&[
        "check",
        "--isolated",
        "--output",
        "/nonexistent-dir/report.json",
        "examples",
    ])
    .unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err}");
}

fn findings(dir: &std::path::Path, extra: &[&str]) -> Vec<(String, String)> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut argv = vec![
        "check",
        "--isolated",
        "--format",
        "json",
        "--output",
        out.path().to_str().unwrap(),
    ];
    argv.extend_from_slice(extra);
    argv.push(dir.to_str().unwrap());
    run(&argv).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const DASKCLUSTER_NEVER: &str = "apiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata: {name: a}\nspec:\n  worker:\n    spec:\n      restartPolicy: Never  # dusk: ignore[RULE]\n      containers: [{name: w, image: x, args: [dask, worker, --name, $(DASK_WORKER_NAME)]}]\n  scheduler:\n    spec:\n      containers: [{name: s, image: x, args: [dask, scheduler]}]\n";

#[test]
fn a_suppression_naming_a_renamed_rule_still_silences_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        DASKCLUSTER_NEVER.replace("RULE", "operator-restart-policy-never"),
    )
    .unwrap();
    let got = findings(dir.path(), &[]);
    assert!(
        got.iter()
            .all(|(r, _)| r != "operator-pod-restart-policy" && r != "unused-suppression"),
        "{got:?}"
    );
}

#[test]
fn a_suppression_naming_an_unknown_rule_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        DASKCLUSTER_NEVER.replace("RULE", "no-such-rule"),
    )
    .unwrap();
    let got = findings(dir.path(), &[]);
    assert!(
        got.iter()
            .any(|(r, m)| r == "unused-suppression" && m.contains("unknown rule `no-such-rule`")),
        "{got:?}"
    );
}

#[test]
fn a_bad_target_in_configuration_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pyproject.toml");
    std::fs::write(&config, "[tool.dusk.target]\ndask-operator = \"lol\"\n").unwrap();
    let err = run(&[
        "check",
        "--config",
        config.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("pyproject.toml") && text.contains("`lol` is not a version"),
        "{text}"
    );
}

#[test]
fn yaml_depth_is_capped() {
    let out = dusk()
        .args([
            "check",
            "--isolated",
            "--max-yaml-depth",
            "5000",
            "examples",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// pre-commit names every file (`--all-files`) rather than the directory: with
/// `--force-exclude`, `dusk check` reports and `dusk fix --diff` shows exactly what they do
/// when they walk the directory themselves (the pins, the stack's files beside a scheduler
/// and the pod templates code loads are all found from the names).
#[test]
fn naming_every_file_finds_and_fixes_what_the_walk_does() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut named = Vec::new();
    files(std::path::Path::new("examples"), &mut named);
    named.sort();
    assert!(named.len() > 10, "{named:?}");
    for command in [
        &["check", "--format", "json"][..],
        &["fix", "--diff", "--unsafe-fixes", "--color", "never"],
    ] {
        let walked = dusk().args(command).arg("examples").output().unwrap();
        let by_name = dusk()
            .args(command)
            .arg("--force-exclude")
            .args(&named)
            .output()
            .unwrap();
        assert_eq!(by_name.status.code(), walked.status.code(), "{command:?}");
        assert!(!walked.stdout.is_empty(), "{command:?}");
        assert_eq!(
            String::from_utf8_lossy(&by_name.stdout),
            String::from_utf8_lossy(&walked.stdout),
            "{command:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&by_name.stderr),
            String::from_utf8_lossy(&walked.stderr),
            "{command:?}"
        );
    }
}

/// Issue #14: pre-commit passes file names, and `--force-exclude` keeps what a walk skips
/// skipped: a Helm chart's template, a `.gitignore`d file, a file dusk does not read.
#[test]
fn force_exclude_skips_given_files_a_walk_would_skip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("chart/templates")).unwrap();
    std::fs::create_dir_all(root.join("build")).unwrap();
    std::fs::write(root.join("chart/Chart.yaml"), "apiVersion: v2\nname: c\n").unwrap();
    let template = root.join("chart/templates/worker.yaml");
    std::fs::write(
        &template,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"{{ .Release.Name }}-worker\"\n\
         spec:\n  template:\n    spec:\n      containers:\n        - name: worker\n\
         \x20         args: [\"dask-worker\", \"{{ .Release.Name }}-scheduler:8786\"]\n",
    )
    .unwrap();
    std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
    let generated = root.join("build/pipeline.py");
    let code = root.join("pipeline.py");
    for file in [&generated, &code] {
        std::fs::write(file, "from dask_kubernetes import KubeCluster\n").unwrap();
    }
    let check = |force: bool, paths: &[&std::path::Path]| {
        let mut cmd = dusk();
        cmd.args(["check", "--isolated", "--format", "json"]);
        if force {
            cmd.arg("--force-exclude");
        }
        let out = cmd.args(paths).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut files: Vec<String> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        files.dedup();
        (out.status.code(), files)
    };
    let given = [template.as_path(), generated.as_path(), code.as_path()];
    // Without the flag, given files are read whatever they are.
    let (status, files) = check(false, &given);
    assert_eq!(status, Some(1));
    assert_eq!(files, ["pipeline.py", "worker.yaml", "pipeline.py"]);
    assert_eq!(
        check(true, &given),
        (Some(1), vec!["pipeline.py".to_owned()])
    );
    assert_eq!(check(true, &given[..2]), (Some(0), vec![]));
}

/// Issue #14: completion scripts offer rule ids, component names and targets.
#[test]
fn completions_offer_rule_ids_and_components() {
    let out = dusk().args(["completions", "fish"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    // One `complete` command per option; its values may span lines.
    let option = |command: &str, long: &str| {
        script
            .split("\ncomplete -c dusk ")
            .find(|c| {
                c.contains(&format!("__fish_dusk_using_subcommand {command}\""))
                    && c.contains(&format!(" -l {long} "))
            })
            .unwrap_or_else(|| panic!("no completion for `{command} --{long}`"))
            .to_owned()
    };
    let select = option("check", "select");
    for value in [
        "classic-kubecluster-import",
        "dask-kubernetes",
        "ALL",
        "syntax-error",
    ] {
        assert!(select.contains(value), "{value} missing from {select}");
    }
    let target = option("fix", "target");
    assert!(target.contains("dask-kubernetes=2"), "{target}");
    // fish completes no positional values; zsh does: `rules explain ID` offers rule ids only.
    let zsh = dusk().args(["completions", "zsh"]).output().unwrap();
    let zsh = String::from_utf8(zsh.stdout).unwrap();
    let explain = zsh
        .lines()
        .find(|l| l.starts_with("':id:(("))
        .expect("a completion for `rules explain ID`");
    assert!(explain.contains("classic-kubecluster-import"), "{explain}");
    assert!(!explain.contains("dask-kubernetes\\:"), "{explain}");
}

/// Issue #14: `dusk completions bash | grep -q …` closes the pipe early; that is no panic.
#[test]
fn completions_into_a_closed_pipe_is_not_an_error() {
    let mut child = dusk()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue #14: one man page per command, generated from the same definition as `--help`.
#[test]
fn manpages_are_written_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let out = dusk().arg("manpages").arg(&out_dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    for page in [
        "dusk.1",
        "dusk-check.1",
        "dusk-fix.1",
        "dusk-rules-explain.1",
    ] {
        assert!(listed.contains(page), "{page} not listed in {listed}");
        let text = std::fs::read_to_string(out_dir.join(page)).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{page}: {text}"
        );
    }
    let check = std::fs::read_to_string(out_dir.join("dusk-check.1")).unwrap();
    assert!(check.contains("fail\\-on"), "{check}");
    let top = std::fs::read_to_string(out_dir.join("dusk.1")).unwrap();
    assert!(top.contains(env!("CARGO_PKG_VERSION")), "{top}");
    assert!(top.contains("dusk\\-check(1)"), "{top}");
    // Hidden commands get no page.
    assert!(!out_dir.join("dusk-rules-triggers.1").exists());
    let err = run(&["manpages", "/proc/version/man1"]).unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err}");
}
