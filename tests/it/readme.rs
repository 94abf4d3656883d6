//! Every `dusk` command README shows runs as written (issue #11): the commands of its `sh`
//! blocks and the `run:`/`script:` lines of its CI workflow examples, in README order, in a
//! copy of `examples/` standing in for a user's repository. Commands that need a cluster
//! (`--cluster`, `plan`, `apply`) are covered by tests/it/cluster.rs against a fake API server.

use std::path::Path;
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `dusk …` command lines of README's `sh` and `yaml` blocks, comments removed.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    for line in readme.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(rest.trim().to_owned()),
            };
            continue;
        }
        let Some(lang) = fence.as_deref() else {
            continue;
        };
        let text = line.trim();
        let command = match lang {
            "sh" => text.strip_prefix("dusk "),
            "yaml" => text
                .strip_prefix("run: dusk ")
                .or_else(|| text.strip_prefix("- dusk ")),
            _ => None,
        };
        if let Some(command) = command {
            let command = command.split(" #").next().unwrap().trim();
            out.push(command.to_owned());
        }
    }
    out
}

#[test]
fn every_readme_command_runs_as_written() {
    let commands = readme_commands();
    let repo = tempfile::tempdir().unwrap();
    copy_tree(Path::new("examples"), repo.path());
    let mut ran = Vec::new();
    for command in &commands {
        let args: Vec<&str> = command.split_whitespace().collect();
        if args.contains(&"--cluster") || matches!(args[0], "plan" | "apply") {
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_dusk"))
            .args(&args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)) && !stderr.contains("panicked"),
            "`dusk {command}` exited {code:?}:\n{stderr}"
        );
        match args.as_slice() {
            ["check", "--exit-zero"] | ["check", "--write-baseline", _] => {
                assert_eq!(code, Some(0), "`dusk {command}`")
            }
            // Right after the baseline was written, everything is in it.
            ["check", "--baseline", _] => assert_eq!(code, Some(0), "`dusk {command}`: {stderr}"),
            ["check", "--format", "gitlab", "--output", file] => {
                let report: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(repo.path().join(file)).unwrap())
                        .unwrap();
                assert!(!report.as_array().unwrap().is_empty());
            }
            _ => {}
        }
        ran.push(command.clone());
    }
    assert!(ran.len() >= 18, "ran only {ran:?}");
    assert!(ran.iter().any(|c| c.starts_with("check --baseline")));
    assert!(ran.iter().any(|c| c.contains("--format gitlab")));
}
