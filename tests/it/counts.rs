//! `dusk check`, `dusk fix --diff` and `dusk fix` agree (issue #11, "Counts agree"): on every
//! example and fixture folder, check's fixable count equals fix --diff's "would fix N", which
//! equals how many findings `dusk fix` then removes; and every finding `fix --diff` lists as
//! left for a person is at a position `check` reports in the unchanged file.

use clap::Parser;
use dusk::cli::args::{Cli, Command};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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

fn check(dir: &Path) -> Value {
    crate::run::check_json(dir, &dir.with_extension("json"))
}

/// `dusk fix` in-process; its status text (standard error with `--diff`, else standard output).
fn fix(dir: &Path, extra: &[&str]) -> String {
    let mut argv = vec!["dusk", "fix", "--isolated"];
    argv.extend_from_slice(extra);
    argv.push(dir.to_str().unwrap());
    let Command::Fix(args) = Cli::parse_from(argv).command else {
        unreachable!()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    dusk::cli::fix::run_with(args, false, &mut out, &mut err).unwrap();
    let status = if extra.contains(&"--diff") { err } else { out };
    String::from_utf8(status).unwrap()
}

/// N of the summary line `Would fix N findings …` / `Fixed N findings …`.
fn fixed_count(status: &str) -> usize {
    let last = status.lines().last().unwrap_or_default();
    let n = last
        .strip_prefix("Would fix ")
        .or_else(|| last.strip_prefix("Fixed "))
        .unwrap_or_else(|| panic!("no summary line in:\n{status}"));
    n.split(' ').next().unwrap().parse().unwrap()
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

fn fixable(report: &Value, applicability: &str) -> usize {
    findings(report)
        .iter()
        .filter(|f| f["fix"]["applicability"] == applicability)
        .count()
}

/// `path:line:col` (`path:cell N:line:col` in a notebook) of every finding.
fn positions(report: &Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .map(|f| {
            let cell = f["cell"]
                .as_u64()
                .map(|c| format!("cell {c}:"))
                .unwrap_or_default();
            format!(
                "{}:{cell}{}:{}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"]
            )
        })
        .collect()
}

fn folders() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for parent in [
        "examples",
        "fixtures/rules",
        "fixtures/patterns",
        "fixtures/safe-fixes/template-loaders",
    ] {
        for entry in std::fs::read_dir(parent).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push(path);
            }
        }
    }
    out.extend(
        [
            "fixtures/bad-input",
            "fixtures/reports",
            "fixtures/frontends",
        ]
        .map(PathBuf::from),
    );
    out.sort();
    out
}

#[test]
fn check_fix_diff_and_fix_count_the_same_findings_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut problems = Vec::new();
    for (i, folder) in folders().iter().enumerate() {
        for (mode, extra) in [("safe", &[][..]), ("unsafe", &["--unsafe-fixes"][..])] {
            let dir = tmp.path().join(format!("{i}-{mode}"));
            copy_tree(folder, &dir);
            let before = check(&dir);
            let expected = match mode {
                "safe" => fixable(&before, "safe"),
                _ => fixable(&before, "safe") + fixable(&before, "unsafe"),
            };
            let mut preview_args = vec!["--diff"];
            preview_args.extend_from_slice(extra);
            let preview = fix(&dir, &preview_args);
            let would = fixed_count(&preview);
            let applied = fix(&dir, extra);
            let after = check(&dir);
            // Findings a rewrite creates (a DaskCluster that still lacks `--name`) are listed
            // as introduced; the rest of what is left was there before.
            let introduced = preview
                .lines()
                .filter(|l| l.ends_with("[introduced by the fixes]"))
                .count() as isize;
            // A fix that writes a file beside its file (a DaskCluster beside Helm values) keeps
            // its finding, since the values stay until the release is retired: it counts as
            // one fix made per file it creates.
            let created = preview
                .lines()
                .filter(|l| l.trim_start().starts_with("would create "))
                .count() as isize;
            let removed = findings(&before).len() as isize
                - (findings(&after).len() as isize - introduced)
                + created;
            let name = format!("{} ({mode})", folder.display());
            if would != expected || removed != expected as isize || fixed_count(&applied) != would {
                problems.push(format!(
                    "{name}: check says {expected} fixable, fix --diff would fix {would}, fix \
                     says {}, findings went from {} to {}\n{preview}",
                    fixed_count(&applied),
                    findings(&before).len(),
                    findings(&after).len()
                ));
            }
            // Every finding the preview leaves is where check sees it in the unchanged file.
            let known = positions(&before);
            let prefix = format!("{}/", dir.display());
            // A finding the fixes introduce has no original position; it is marked as such.
            for line in preview
                .lines()
                .filter(|l| l.starts_with(&prefix) && !l.ends_with("[introduced by the fixes]"))
            {
                let mut parts = line.splitn(4, ':');
                let path = parts.next().unwrap();
                let mut at: Vec<&str> = parts.take(2).collect();
                if at[0].starts_with("cell ") {
                    // `path:cell N:line:col: …`
                    let rest: Vec<&str> = line[path.len() + 1..].splitn(4, ':').collect();
                    at = rest[..3].to_vec();
                }
                if at
                    .iter()
                    .any(|p| p.contains(' ') && !p.starts_with("cell "))
                {
                    continue; // a per-file line (`path: would fix …`), not a finding
                }
                let position = format!("{path}:{}", at.join(":"));
                if !known.contains(&position) {
                    problems.push(format!(
                        "{name}: `{line}` is not a position check reports ({known:?})"
                    ));
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} folders compared");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
