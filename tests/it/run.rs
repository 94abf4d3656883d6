//! dusk's commands run in process, as a user runs them, for the test modules that compare
//! what the commands print or write.

use clap::Parser;
use dusk::cli::ExitStatus;
use dusk::cli::args::{Cli, Command};
use std::fs;
use std::path::Path;

/// `dusk fix --isolated ARGS… PATHS…` (paths relative to `dir`, `.` for `dir` itself): the
/// exit status, and stdout then stderr with `dir` hidden as `[dir]`.
pub fn fix_in(dir: &Path, args: &[&str], paths: &[&str]) -> (ExitStatus, String) {
    let full: Vec<String> = paths
        .iter()
        .map(|p| match *p {
            "." => dir.to_str().unwrap().to_owned(),
            _ => dir.join(p).to_str().unwrap().to_owned(),
        })
        .collect();
    let mut argv = vec!["dusk", "fix", "--isolated"];
    argv.extend_from_slice(args);
    argv.extend(full.iter().map(String::as_str));
    let Command::Fix(args) = Cli::parse_from(argv).command else {
        unreachable!("parsed a fix command");
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = dusk::cli::fix::run_with(args, false, &mut out, &mut err).unwrap();
    let shown = dir.to_str().unwrap();
    let text = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap()
    );
    (status, text.replace(shown.trim_start_matches('/'), "[dir]"))
}

/// The file `name` of `dir`.
pub fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

/// `dusk check --isolated --format json --output OUT PATH`, parsed.
pub fn check_json(path: &Path, out: &Path) -> serde_json::Value {
    check_json_with(path, out, &[])
}

/// [`check_json`] with more arguments (`--select`, `--extend-exclude`).
pub fn check_json_with(path: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    let text = check_output_with(path, out, &[&["--format", "json"], args].concat());
    serde_json::from_str(&text).unwrap()
}

/// `dusk check --isolated --output OUT ARGS… PATH`: what it wrote to OUT.
pub fn check_output_with(path: &Path, out: &Path, args: &[&str]) -> String {
    let mut argv = vec![
        "dusk",
        "check",
        "--isolated",
        "--output",
        out.to_str().unwrap(),
    ];
    argv.extend_from_slice(args);
    argv.push(path.to_str().unwrap());
    dusk::cli::run(Cli::parse_from(argv)).unwrap();
    fs::read_to_string(out).unwrap()
}

/// `(kind, name)` of each document of the YAML `text`.
pub fn kinds(text: &str) -> Vec<(String, String)> {
    let file = dusk::source::yaml::parse(text, Default::default()).unwrap();
    file.documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .map(|r| {
            (
                r.get_str("kind").unwrap_or("").to_owned(),
                r.path(&["metadata", "name"])
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}
