//! Fixes that are safe for the versions in play (issue #10).
//!
//! The same hand-rolled Deployment (`fixtures/safe-fixes/versions/dask.yaml.in`) with its Dask
//! image at 2022.1.0 (before `--nworkers` and the `dask` CLI), 2022.12.0 and 2024.1.0, with
//! and without the project's `distributed==2022.1.0` pin beside it: each snapshot is what
//! `dusk fix --diff` and `dusk fix --diff --unsafe-fixes` would do and what they leave, with
//! the built-in rule packs. A third container runs the group's own image, whose version only
//! the pin (else the target) tells.

use clap::Parser;
use dusk::cli::args::{Cli, Command};
use std::fs;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/safe-fixes/versions");

/// `dusk fix --isolated --diff [--unsafe-fixes] DIR`: stdout then stderr, temp dir hidden.
fn fix_diff(dir: &Path, unsafe_fixes: bool) -> String {
    let mut argv = vec!["dusk", "fix", "--isolated", "--diff"];
    if unsafe_fixes {
        argv.push("--unsafe-fixes");
    }
    let shown = dir.to_str().unwrap();
    argv.push(shown);
    let Command::Fix(args) = Cli::parse_from(argv).command else {
        unreachable!("parsed a fix command");
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    dusk::cli::fix::run_with(args, false, &mut out, &mut err).unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap()
    );
    text.replace(shown.trim_start_matches('/'), "[dir]")
        .replace(shown, "[dir]")
}

/// A project with the manifest at `version` and, if asked, the pin.
fn project(version: &str, pinned: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // The project root: pins are not looked for above it.
    fs::create_dir(dir.path().join(".git")).unwrap();
    let manifest = fs::read_to_string(Path::new(FIXTURES).join("dask.yaml.in")).unwrap();
    fs::write(
        dir.path().join("dask.yaml"),
        manifest.replace("@VERSION@", version),
    )
    .unwrap();
    if pinned {
        fs::copy(
            Path::new(FIXTURES).join("requirements.txt"),
            dir.path().join("requirements.txt"),
        )
        .unwrap();
    }
    dir
}

#[test]
fn version_aware_decisions() {
    for version in ["2022.1.0", "2022.12.0", "2024.1.0"] {
        for pinned in [false, true] {
            let dir = project(version, pinned);
            let safe = fix_diff(dir.path(), false);
            let unsafe_fixes = fix_diff(dir.path(), true);
            let pin = if pinned { "pinned" } else { "unpinned" };
            insta::assert_snapshot!(
                format!("versions-{version}-{pin}"),
                format!(
                    "## dusk fix --diff\n{safe}\n## dusk fix --diff --unsafe-fixes\n{unsafe_fixes}"
                )
            );
        }
    }
}

#[test]
fn a_legacy_command_with_a_flag_the_new_cli_rejects_is_left_whole() {
    let dir = project("2024.1.0", false);
    let out = fix_diff(dir.path(), true);
    assert!(
        out.contains("-          args: [dask-worker, \"tcp://localhost:8786\", --nprocs"),
        "{out}"
    );
    assert!(
        !out.contains("[dask, scheduler"),
        "`dask scheduler … --bokeh-port` runs in no release:\n{out}"
    );
}

/// `--format json` says, additively, which version graded each finding and which version a
/// command's fix was decided for, and where each came from.
#[test]
fn json_findings_name_the_versions_in_play() {
    let dir = project("2022.1.0", true);
    let out = dir.path().join("check.json");
    let argv = [
        "dusk",
        "check",
        "--isolated",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ];
    dusk::cli::run(Cli::parse_from(argv)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let at_line = |line: u64, rule: &str| {
        findings
            .iter()
            .find(|f| f["line"] == line && f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} at line {line}: {findings:#?}"))
            .clone()
    };
    let worker = at_line(21, "dask-worker-command");
    assert_eq!(
        worker["graded_against"],
        serde_json::json!({"component": "distributed", "version": "2026.6.0", "source": "default"})
    );
    assert_eq!(worker["in_play"]["version"], "2022.1.0");
    assert_eq!(worker["in_play"]["source"], "image");
    assert!(
        worker["in_play"]["at"]
            .as_str()
            .unwrap()
            .ends_with("dask.yaml:20"),
        "{worker}"
    );
    let own_image = at_line(25, "dask-worker-command");
    assert_eq!(own_image["in_play"]["source"], "pin");
    assert_eq!(own_image["in_play"]["at"], "requirements.txt:3");
}
