//! Dockerfiles end to end: `ENV DASK_KUBERNETES__…` variables are graded as the dask config
//! keys they set, and `CMD`/`ENTRYPOINT`/`RUN` commands as commands (issue 3's "environment
//! variables in manifests and Dockerfiles").

use clap::Parser;
use dusk::cli::{ExitStatus, args::Cli};

fn check(dir: &std::path::Path) -> (ExitStatus, Vec<(String, String, u64)>) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let argv = [
        "dusk",
        "check",
        "--isolated",
        "--format",
        "json",
        "--output",
        out.path().to_str().unwrap(),
        dir.to_str().unwrap(),
    ];
    let status = dusk::cli::run(Cli::parse_from(argv)).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    let mut found: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let file = path.rsplit('/').next().unwrap().to_owned();
            (
                f["rule"].as_str().unwrap().to_owned(),
                file,
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    (status, found)
}

#[test]
fn dask_config_env_and_legacy_commands_in_a_dockerfile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM ghcr.io/dask/dask:2023.8.0\n\
         # dusk reads ENV like a dask config file\n\
         ENV DASK_KUBERNETES__WORKER_TEMPLATE_PATH=/etc/dask/worker.yaml \\\n    DASK_KUBERNETES__COUNT__MAX=20\n\
         RUN pip install dask-kubernetes==2023.8.0\n\
         CMD [\"dask-worker\", \"--no-bokeh\"]\n",
    )
    .unwrap();
    let (status, found) = check(dir.path());
    assert_eq!(status, ExitStatus::Failure);
    let rules: Vec<(&str, u64)> = found.iter().map(|(r, _, l)| (r.as_str(), *l)).collect();
    assert!(
        rules.contains(&("classic-config-template-key", 3)),
        "{found:?}"
    );
    assert!(rules.contains(&("config-count-max", 4)), "{found:?}");
    assert!(rules.contains(&("dask-worker-command", 6)), "{found:?}");
    assert!(rules.contains(&("no-bokeh-flag", 6)), "{found:?}");
}

#[test]
fn a_clean_dockerfile_and_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM ghcr.io/dask/dask:2026.3.0\nENV DASK_DISTRIBUTED__WORKER__DAEMON=False\nCMD [\"dask\", \"worker\"]\n").unwrap();
    let (status, found) = check(dir.path());
    assert_eq!((status, found.len()), (ExitStatus::Success, 0), "{found:?}");
    std::fs::write(
        dir.path().join("worker.Dockerfile"),
        "FROM x\nENV\nCMD dask-worker\n",
    )
    .unwrap();
    let (_, found) = check(dir.path());
    assert_eq!(
        found,
        [("syntax-error".to_owned(), "worker.Dockerfile".to_owned(), 2)]
    );
}

/// BuildKit heredocs (`RUN <<EOT`, Dockerfile syntax 1.4) were a syntax error that left the
/// rest of the file unchecked (issue #12).
#[test]
fn heredocs_are_not_a_syntax_error_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "# syntax=docker/dockerfile:1.4\n\
         FROM python:3.11-slim\n\
         RUN <<EOT bash\n\
         set -eux\n\
         pip install 'dask-kubernetes<2024.5.0'\n\
         EOT\n\
         COPY <<-EOF /etc/dask/dask.yaml\n\
         \tdistributed: {}\n\
         \tEOF\n\
         ENV DASK_KUBERNETES__COUNT__MAX=20\n\
         CMD [\"dask-worker\", \"--no-bokeh\"]\n",
    )
    .unwrap();
    let (_, found) = check(dir.path());
    let rules: Vec<(&str, u64)> = found.iter().map(|(r, _, l)| (r.as_str(), *l)).collect();
    assert!(
        !rules.iter().any(|(r, _)| *r == "syntax-error"),
        "{found:?}"
    );
    assert!(rules.contains(&("config-count-max", 10)), "{found:?}");
    assert!(rules.contains(&("dask-worker-command", 11)), "{found:?}");
}
