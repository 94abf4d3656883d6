//! Choosing what is read (issue #11, "Selection" and "Help"): `--exclude`/`--extend-exclude`
//! and their configuration keys, explicit files no front-end reads, "did you mean" for unknown
//! components and rule ids, configuration errors drawn under their source line, and help text
//! that can be copied as printed.

use std::path::Path;
use std::process::{Command, Output};

fn dusk(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dusk"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn paths(out: &Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut paths: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    paths.dedup();
    paths
}

const CLASSIC: &str = "from dask_kubernetes import KubeCluster\n";

/// A directory holding `CLASSIC` at each of `paths`.
fn classic_tree(paths: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for path in paths {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, CLASSIC).unwrap();
    }
    dir
}

fn repo() -> tempfile::TempDir {
    let dir = classic_tree(&[
        "app/job.py",
        "venv/lib/site.py",
        "legacy/old.py",
        "vendor/x/y.py",
    ]);
    std::fs::write(
        dir.path().join("README.md"),
        "Run `dask-worker` as in 2021.\n",
    )
    .unwrap();
    dir
}

#[test]
fn default_excludes_skip_virtualenvs() {
    let dir = repo();
    let out = dusk(dir.path(), &["check", "--isolated", "--format", "json"]);
    assert_eq!(
        paths(&out),
        ["app/job.py", "legacy/old.py", "vendor/x/y.py"]
    );
}

#[test]
fn exclude_replaces_the_defaults_and_extend_exclude_adds_to_them() {
    let dir = repo();
    let out = dusk(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "--exclude",
            "legacy",
        ],
    );
    assert_eq!(
        paths(&out),
        ["app/job.py", "vendor/x/y.py", "venv/lib/site.py"]
    );
    let out = dusk(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "--extend-exclude",
            "legacy,vendor/x",
        ],
    );
    assert_eq!(paths(&out), ["app/job.py"]);
    // An explicit file is read even when a glob names it.
    let out = dusk(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "venv/lib/site.py",
        ],
    );
    assert_eq!(paths(&out), ["venv/lib/site.py"]);
}

#[test]
fn exclude_globs_name_files_and_directories_wherever_the_walk_meets_them() {
    // The walk's files come sorted with a directory's files around its subdirectories'
    // (`etl/a.py`, `etl/old/b.py`, `etl/z.py`); each is decided as if alone.
    let dir = classic_tree(&[
        "run.py",
        "scratch.py",
        "etl/a.py",
        "etl/old/b.py",
        "etl/old/deep/c.py",
        "etl/scratch.py",
        "etl/z.py",
        "notebooks/explore.py",
    ]);
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--isolated", "--format", "json"];
        all.extend(args);
        paths(&dusk(dir.path(), &all))
    };
    assert_eq!(
        check(&["--extend-exclude", "etl/old,scratch.py"]),
        ["etl/a.py", "etl/z.py", "notebooks/explore.py", "run.py"]
    );
    assert_eq!(
        check(&[
            "--exclude",
            "/run.py,notebooks",
            "etl",
            "run.py",
            "scratch.py"
        ]),
        [
            "etl/a.py",
            "etl/old/b.py",
            "etl/old/deep/c.py",
            "etl/scratch.py",
            "etl/z.py",
            "run.py",
            "scratch.py"
        ]
    );
    // Without a configuration, paths are matched from the working directory.
    let out = dusk(
        &dir.path().join("etl"),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "--exclude",
            "old",
        ],
    );
    assert_eq!(paths(&out), ["a.py", "scratch.py", "z.py"]);
}

#[test]
fn extend_exclude_in_configuration() {
    let dir = repo();
    std::fs::write(
        dir.path().join("dusk.toml"),
        "extend-exclude = [\"legacy/\"]\n",
    )
    .unwrap();
    let out = dusk(dir.path(), &["check", "--format", "json"]);
    assert_eq!(paths(&out), ["app/job.py", "vendor/x/y.py"]);
}

#[test]
fn an_explicit_file_without_a_front_end_is_skipped_with_a_note() {
    let dir = repo();
    let out = dusk(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--format",
            "json",
            "README.md",
            "app",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(paths(&out), ["app/job.py"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("note: skipped `README.md`"), "{stderr}");
}

#[test]
fn unknown_names_get_a_suggestion() {
    let dir = repo();
    let out = dusk(
        dir.path(),
        &["check", "--isolated", "--select", "dask-worker"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean `dask-worker-command`?"),
        "{stderr}"
    );
    let out = dusk(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--target",
            "dask_kubernetes=2024.5.0",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean `dask-kubernetes`?"),
        "{stderr}"
    );
    // The help is copyable as printed: not wrapped inside `dask-kubernetes=2024.5.0`.
    assert!(
        stderr.contains("`--target dask-kubernetes=2024.5.0`"),
        "{stderr}"
    );
}

#[test]
fn a_configuration_error_shows_its_source_line() {
    let dir = repo();
    std::fs::write(
        dir.path().join("dusk.toml"),
        "fail-on = \"warning\"\nselct = []\n",
    )
    .unwrap();
    let out = dusk(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("selct = []"), "{stderr}");
    assert!(stderr.contains("unknown field `selct`"), "{stderr}");
}

#[test]
fn help_says_what_repeats_what_defaults_and_what_plan_plans() {
    let dir = repo();
    let help = String::from_utf8(dusk(dir.path(), &["check", "--help"]).stdout).unwrap();
    for option in [
        "--target",
        "--select",
        "--ignore",
        "--rules",
        "--exclude",
        "--extend-exclude",
    ] {
        let text = help
            .split(&format!("      {option} <"))
            .nth(1)
            .unwrap_or_else(|| panic!("{option} in\n{help}"));
        let paragraph = text.split("\n\n").next().unwrap();
        assert!(paragraph.contains("repeatable"), "{option}: {paragraph}");
    }
    for option in ["--format", "--max-file-size", "--fail-on", "--color"] {
        let text = help.split(&format!("      {option} <")).nth(1).unwrap();
        let paragraph = text.split("\n\n").next().unwrap();
        assert!(paragraph.contains("default"), "{option}: {paragraph}");
    }
    let plan = String::from_utf8(dusk(dir.path(), &["plan", "--help"]).stdout).unwrap();
    assert!(
        plan.contains("as `dusk fix --unsafe-fixes` would leave them, in memory"),
        "{plan}"
    );
}
