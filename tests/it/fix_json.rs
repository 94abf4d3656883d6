//! `dusk fix --format json` and the migration reports it carries (#9, item 6): a research
//! repository (`fixtures/fix-json/research-repo/`: dask chart values, a notebook loading a
//! classic worker pod template, a hand-written scheduler/worker stack) fixed with the real
//! packs. The JSON is snapshotted; each migration report is held against the comment block
//! the fix wrote; `dusk check --format json` announces the same reports on the findings
//! whose fix makes them; `--diff`, `--output` and standard input keep their contracts.

use crate::run::{check_json, fix_in, read};
use dusk::cli::ExitStatus;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix-json/research-repo");
    let dir = tempfile::tempdir().unwrap();
    copy(&from, dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `dusk fix ARGS… .` in `dir`: the status, the JSON on standard output, and standard error.
fn fix_json(dir: &Path, args: &[&str]) -> (ExitStatus, Value, String) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (status, text) = fix_in(dir, &all, &["."]);
    let (out, err) = text.split_once("\n--- stderr ---\n").unwrap();
    let json = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (status, json, err.to_owned())
}

fn entry<'a>(json: &'a Value, suffix: &str) -> &'a Value {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no entry for {suffix} in {json:#}"))
}

/// The comment block of a migration report in `text`, without `# ` (indentation and `#`
/// stripped): the run of comment lines around the line that heads its fields (`What each
/// field became:`, `What each value became:` in a values file's report).
fn comment_block(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let comment = |l: &str| l.trim_start().starts_with('#');
    let heading = lines
        .iter()
        .position(|l| comment(l) && l.contains("What each ") && l.ends_with(" became:"))
        .unwrap_or_else(|| panic!("no migration report in {text}"));
    let mut start = heading;
    while start > 0 && comment(lines[start - 1]) {
        start -= 1;
    }
    let mut end = heading;
    while end < lines.len() && comment(lines[end]) {
        end += 1;
    }
    lines[start..end]
        .iter()
        .map(|l| {
            let l = l.trim_start().trim_start_matches('#');
            l.strip_prefix(' ').unwrap_or(l).to_owned()
        })
        .collect()
}

/// A report's fate as the comment blocks label it.
fn label(fate: &str) -> &str {
    match fate {
        "not-supported" => "not supported",
        other => other,
    }
}

#[test]
fn fix_json_reports_each_file_and_each_migrated_cluster() {
    let dir = repo();
    let (status, json, err) = fix_json(dir.path(), &["--unsafe-fixes"]);
    // Findings are left (a `dask-worker` value the chart passes as one argument): exit 1, as
    // the text output exits.
    assert_eq!(status, ExitStatus::Failure, "{err}");
    assert_eq!(json["version"], 1);
    let summary = &json["summary"];
    assert_eq!(summary["files_scanned"], 4);
    // The values, the stack, and the notebook's `from_yaml` call with its pod template.
    assert_eq!(summary["clusters_migrated"], 3);
    let values = entry(&json, "values-genomics.yaml");
    assert_eq!(values["changed"], false, "the values file stays");
    assert_eq!(
        values["creates"][0]["path"],
        "/[dir]/deploy/dask/genomics-daskcluster.yaml"
    );
    assert!(
        values["declined"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("`image.dask_worker`")
    );
    let stack = entry(&json, "k8s/dask-stack.yaml");
    assert_eq!(
        (&stack["changed"], &stack["written"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    let template = entry(&json, "notebooks/worker-spec.yaml");
    assert_eq!(template["changed_by"], "/[dir]/notebooks/variants.ipynb");
    let notebook = entry(&json, "notebooks/variants.ipynb");
    let import = notebook["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "classic-kubecluster-import")
        .unwrap();
    // Where the finding was: the notebook's cell and the line and column in it.
    assert_eq!(
        (&import["cell"], &import["line"], &import["column"]),
        (&2.into(), &3.into(), &29.into())
    );
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn each_migration_report_is_the_comment_block_the_fix_wrote() {
    let dir = repo();
    let (_, json, _) = fix_json(dir.path(), &["--unsafe-fixes"]);
    // The notebook's report is only data: no comment in code, nor in the template it loads.
    assert_eq!(reports_match_their_comments(dir.path(), &json), 2);
    let notebook = entry(&json, "notebooks/variants.ipynb");
    let report = &notebook["migration"][0];
    assert!(report["comment_in"].is_null(), "{report:#}");
    assert!(
        !read(dir.path(), "notebooks/worker-spec.yaml").contains("What each field became"),
        "no comment block in the loaded template"
    );
}

/// An Argo workflow's report is the comment block above its create step (the rewriters'
/// fixture: a ClusterWorkflowTemplate and the CronWorkflow that uses it).
#[test]
fn an_argo_report_is_the_comment_block_above_the_create_step() {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rewriters/argo-to-daskcluster/shared-cluster");
    let dir = tempfile::tempdir().unwrap();
    copy(&from, dir.path());
    let (_, json, _) = fix_json(dir.path(), &["--unsafe-fixes"]);
    assert_eq!(
        reports_match_their_comments(dir.path(), &json),
        1,
        "{json:#}"
    );
    let report = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["migration"].as_array().unwrap())
        .next()
        .unwrap();
    assert!(
        report["from"].as_str().unwrap().starts_with("Argo "),
        "{report:#}"
    );
}

/// Holds each migration report of `json` (a `fix --format json` run in `dir`) that has a
/// comment block against the block in its `comment_in` file: the new scheduler address,
/// every step, every field with its fate (and no other), each source a line of a file of
/// the run. The number of reports with a comment block.
fn reports_match_their_comments(dir: &Path, json: &Value) -> usize {
    let reports: Vec<&Value> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["migration"].as_array().unwrap())
        .filter(|r| !r["comment_in"].is_null())
        .collect();
    for report in &reports {
        let shown = report["comment_in"].as_str().unwrap();
        let path = PathBuf::from(shown.replace("/[dir]", dir.to_str().unwrap()));
        let text = std::fs::read_to_string(&path).unwrap();
        let block = comment_block(&text);
        let new = report["scheduler_address"]["new"].as_str().unwrap();
        let host = new.trim_start_matches("tcp://").trim_end_matches(":8786");
        assert!(
            block.iter().any(|l| l.contains(host)),
            "{shown}: the block names {host}: {block:#?}"
        );
        let steps: Vec<&str> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(!steps.is_empty());
        // Every step is a line of the block (numbered in a values file's report).
        for (i, step) in steps.iter().enumerate() {
            let numbered = format!("  {}. {step}", i + 1);
            assert!(
                block.iter().any(|l| l == step || *l == numbered),
                "{shown}: step {step:?} is not in {block:#?}"
            );
        }
        // Every field is a line of the block, with its fate; and the block lists no other.
        let fields = report["fields"].as_array().unwrap();
        let field_lines: Vec<&String> = block
            .iter()
            .filter(|l| l.starts_with("  ") && l.contains("`: "))
            .collect();
        assert_eq!(field_lines.len(), fields.len(), "{shown}: {block:#?}");
        for f in fields {
            let (field, fate) = (f["field"].as_str().unwrap(), f["fate"].as_str().unwrap());
            let fate = match (fate, f["why"].as_str()) {
                ("not-supported", Some(why)) if why.starts_with("no effect: ") => "no effect",
                (fate, _) => label(fate),
            };
            assert!(
                field_lines
                    .iter()
                    .any(|l| l.contains(&format!("`{field}`: {fate}"))),
                "{shown}: `{field}`: {fate} is not in {field_lines:#?}"
            );
            // A field's source is the line of the file it was read from (a notebook's
            // cell and line in it), or a default the builder says why it chose.
            if let Some(source) = f["source"].as_str().filter(|s| !s.starts_with("default: ")) {
                let (file, line) = match source.split_once(".ipynb (cell ") {
                    Some((file, at)) => {
                        let (cell, line) = at.trim_end_matches(')').split_once(", line ").unwrap();
                        assert!(cell.parse::<usize>().is_ok(), "{source}");
                        (file, line)
                    }
                    None => source.rsplit_once(':').unwrap(),
                };
                assert!(line.parse::<usize>().is_ok(), "{source}");
                assert!(file.starts_with("/[dir]/"), "{source}");
            }
        }
    }
    reports.len()
}

/// The migration reports `dusk check --format json` announces on the findings of `dir`
/// (paths as `fix` shows them), and `check`'s whole JSON.
fn announced(dir: &Path) -> (Value, Value) {
    let out = tempfile::tempdir().unwrap();
    let check = check_json(dir, &out.path().join("check.json"));
    let announced: Vec<Value> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["fix"].get("migration"))
        .flat_map(|m| m.as_array().unwrap().clone())
        .collect();
    let shown = dir.to_str().unwrap().trim_start_matches('/');
    let announced = serde_json::from_str(
        &serde_json::to_string(&announced)
            .unwrap()
            .replace(shown, "[dir]"),
    )
    .unwrap();
    (announced, check)
}

#[test]
fn check_json_announces_the_reports_fix_writes() {
    let dir = repo();
    let (announced, check) = announced(dir.path());
    let (_, fixed, _) = fix_json(dir.path(), &["--unsafe-fixes"]);
    assert_eq!(announced, Value::Array(all_reports(&fixed)));
    // Only the findings whose fix migrates a cluster carry reports.
    for f in check["findings"].as_array().unwrap() {
        let has = f["fix"].get("migration").is_some();
        let migrates = matches!(
            f["rule"].as_str().unwrap(),
            "helm-chart-classic-cluster"
                | "hand-rolled-dask-workload"
                | "classic-kubecluster-from-yaml"
        );
        assert!(!has || migrates, "{f:#}");
    }
}

#[test]
fn diff_json_writes_nothing_and_carries_the_diffs() {
    let dir = repo();
    let before = read(dir.path(), "k8s/dask-stack.yaml");
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("fix.json");
    let (status, text) = fix_in(
        dir.path(),
        &[
            "--format",
            "json",
            "--diff",
            "--unsafe-fixes",
            "--output",
            report.to_str().unwrap(),
        ],
        &["."],
    );
    // Changes pending: exit 1, as `--diff` exits; the report went to `--output`.
    assert_eq!(status, ExitStatus::Failure);
    assert!(text.starts_with("\n--- stderr ---"), "{text}");
    assert_eq!(read(dir.path(), "k8s/dask-stack.yaml"), before);
    assert!(
        !dir.path()
            .join("deploy/dask/genomics-daskcluster.yaml")
            .exists()
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let stack = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("k8s/dask-stack.yaml"))
        .unwrap();
    assert_eq!(
        (&stack["changed"], &stack["written"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    assert!(
        stack["diff"]
            .as_str()
            .unwrap()
            .contains("+kind: DaskCluster")
    );
    assert_eq!(stack["migration"].as_array().unwrap().len(), 1);
    let values = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .ends_with("values-genomics.yaml")
        })
        .unwrap();
    assert!(
        values["diff"]
            .as_str()
            .unwrap()
            .contains("genomics-daskcluster.yaml")
    );

    // Without `--unsafe-fixes`: the migrations need review, so none is made or reported.
    let (status, json, _) = fix_json(dir.path(), &["--diff"]);
    assert_eq!(status, ExitStatus::Failure, "the command fixes are pending");
    assert_eq!(json["summary"]["clusters_migrated"], 0);
    assert!(json["summary"]["findings_needing_review"].as_u64().unwrap() > 0);
    // Once fixed, a second run has nothing to change and migrates nothing again.
    fix_json(dir.path(), &["--unsafe-fixes"]);
    let (_, again, _) = fix_json(dir.path(), &["--unsafe-fixes", "--diff"]);
    assert_eq!(again["summary"]["files_fixed"], 0, "{again:#}");
    assert_eq!(again["summary"]["clusters_migrated"], 0);
}

#[test]
fn text_output_names_each_migrated_cluster_and_its_comment() {
    let dir = repo();
    let (_, text) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let migrated: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("migrated "))
        .collect();
    insta::assert_snapshot!(migrated.join("\n"));
    // Not with `--diff`: nothing was migrated yet.
    let dir = repo();
    let (_, text) = fix_in(dir.path(), &["--unsafe-fixes", "--diff"], &["."]);
    assert!(!text.contains("  migrated "), "{text}");
}

/// `dusk fix - --format json --unsafe-fixes --stdin-filename NAME` on the fixture file
/// `file`: the exit code and the JSON.
fn stdin_json(file: &str, name: &str) -> (Option<i32>, Value) {
    use std::io::Write as _;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/fix-json/research-repo")
            .join(file),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dusk"))
        .args([
            "fix",
            "--isolated",
            "--unsafe-fixes",
            "--format",
            "json",
            "--stdin-filename",
            name,
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

/// `dusk fix - --format json`: one file's entry, with the fixed text inside.
#[test]
fn standard_input_json_carries_the_fixed_text_and_the_report() {
    let (code, json) = stdin_json("k8s/dask-stack.yaml", "k8s/dask-stack.yaml");
    assert_eq!(code, Some(0), "{json:#}");
    let file = &json["files"][0];
    assert_eq!(file["path"], "k8s/dask-stack.yaml");
    assert_eq!(file["changed"], true);
    assert!(
        file["fixed_text"]
            .as_str()
            .unwrap()
            .contains("kind: DaskCluster")
    );
    let report = &file["migration"][0];
    assert_eq!(report["comment_in"], "k8s/dask-stack.yaml");
    assert_eq!(
        report["scheduler_address"]["new"],
        "tcp://dask-scheduler.research:8786"
    );
    assert_eq!(json["summary"]["clusters_migrated"], 1);

    // A fix that only creates a file beside the values: listed with its report, and the
    // file is said not to be written (there is no directory to write it in).
    let (code, json) = stdin_json(
        "deploy/dask/values-genomics.yaml",
        "deploy/values-genomics.yaml",
    );
    assert_eq!(code, Some(1), "a finding is left: {json:#}");
    let file = &json["files"][0];
    assert_eq!(file["changed"], false);
    assert_eq!(file["fixes"][0]["rule"], "helm-chart-classic-cluster");
    assert_eq!(file["creates"][0]["path"], "genomics-daskcluster.yaml");
    assert!(
        file["creates"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("not written")
    );
    assert_eq!(
        file["migration"][0]["comment_in"],
        "deploy/genomics-daskcluster.yaml"
    );
}

/// A file that cannot be written says why in `not_written`, lists no fix as made, and the
/// exit status is 2, as in text.
#[test]
fn a_file_not_written_says_why_and_exits_2() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = repo();
    let stack = dir.path().join("k8s/dask-stack.yaml");
    std::fs::set_permissions(&stack, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (status, json, _) = fix_json(dir.path(), &["--unsafe-fixes"]);
    assert_eq!(status, ExitStatus::Error);
    let entry = entry(&json, "k8s/dask-stack.yaml");
    assert!(
        entry["not_written"].as_str().unwrap().contains("read-only"),
        "{entry:#}"
    );
    assert_eq!(
        (&entry["changed"], &entry["written"]),
        (&Value::Bool(false), &Value::Bool(false))
    );
    assert_eq!(entry["fixes"], serde_json::json!([]));
    assert_eq!(entry["migration"], serde_json::json!([]));
    assert_eq!(
        json["summary"]["clusters_migrated"], 2,
        "the values file's and the notebook's still are"
    );
}

/// `dusk fix --format json --unsafe-fixes .` over a copy of the fixture folder `from`.
fn fixed_copy(from: &str) -> (tempfile::TempDir, Value) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(from);
    let dir = tempfile::tempdir().unwrap();
    copy(&from, dir.path());
    let (_, json, _) = fix_json(dir.path(), &["--unsafe-fixes"]);
    (dir, json)
}

/// Every migration report of a `fix --format json` run.
fn all_reports(json: &Value) -> Vec<Value> {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["migration"].as_array().unwrap().clone())
        .collect()
}

/// A classic worker pod template no code of the run loads becomes a DaskCluster that opens
/// with its report; `check` announces the same report on the template's finding.
#[test]
fn a_pod_template_file_opens_with_its_report() {
    let (dir, json) = fixed_copy("fixtures/rewriters/pod-template-to-daskcluster");
    assert_eq!(
        reports_match_their_comments(dir.path(), &json),
        2,
        "{json:#}"
    );
    let reports = all_reports(&json);
    for r in &reports {
        assert_eq!(r["kind"], "DaskCluster");
        assert!(r["scheduler_address"]["old"].is_null(), "{r:#}");
        let steps = r["steps"].to_string();
        assert!(steps.contains("dask-kubernetes-operator"), "{steps}");
        assert!(steps.contains("custom_cluster_spec="), "{steps}");
    }
    let worker = reports
        .iter()
        .find(|r| {
            r["comment_in"]
                .as_str()
                .unwrap()
                .ends_with("worker-spec.yml")
        })
        .unwrap();
    insta::assert_snapshot!(std::fs::read_to_string(dir.path().join("worker-spec.yml")).unwrap());
    insta::assert_json_snapshot!(worker);

    // `check` on the files as they were announces exactly these reports.
    let dir = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rewriters/pod-template-to-daskcluster"),
        dir.path(),
    );
    let out = tempfile::tempdir().unwrap();
    let check = check_json(dir.path(), &out.path().join("check.json"));
    let shown = dir.path().to_str().unwrap().trim_start_matches('/');
    let announced: Vec<Value> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["fix"].get("migration"))
        .flat_map(|m| m.as_array().unwrap().clone())
        .collect();
    let announced: Value = serde_json::from_str(
        &serde_json::to_string(&announced)
            .unwrap()
            .replace(shown, "[dir]"),
    )
    .unwrap();
    assert_eq!(announced, Value::Array(reports));
}

/// Python code gets no comment: a `make_pod_spec(...)` call's report is only data, and the
/// text line points at the JSON.
#[test]
fn python_reports_are_data_only() {
    let (dir, json) = fixed_copy("fixtures/rewriters/python-make-pod-spec");
    let reports = all_reports(&json);
    assert!(!reports.is_empty(), "{json:#}");
    for r in &reports {
        assert!(r["comment_in"].is_null(), "{r:#}");
        assert!(
            r["from"]
                .as_str()
                .unwrap()
                .starts_with("classic `make_pod_spec(...)`")
        );
        assert!(r["steps"].to_string().contains("not a `V1Pod`"), "{r:#}");
    }
    // The DaskCluster's name is the one the code gives it; the `KubeCluster` call that takes
    // the pod adds its keywords to the same report.
    let clusters: Vec<&str> = reports
        .iter()
        .map(|r| r["cluster"].as_str().unwrap())
        .collect();
    assert!(clusters.contains(&"etl"), "{clusters:?}");
    let etl = reports.iter().find(|r| r["cluster"] == "etl").unwrap();
    assert!(
        etl["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["field"] == "KubeCluster(name=)"),
        "{etl:#}"
    );
    // Named by the code: one name in every session before as after.
    assert_eq!(name_field(etl)["fate"], "carried", "{etl:#}");
    assert!(
        !etl["steps"]
            .to_string()
            .contains("its own DaskCluster name")
    );
    insta::assert_json_snapshot!(etl);
    // `check` announces the same reports on the findings whose fix makes them.
    let fresh = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rewriters/python-make-pod-spec"),
        fresh.path(),
    );
    let out = tempfile::tempdir().unwrap();
    let check = check_json(fresh.path(), &out.path().join("check.json"));
    let shown = fresh.path().to_str().unwrap().trim_start_matches('/');
    let announced: Vec<Value> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["fix"].get("migration"))
        .flat_map(|m| m.as_array().unwrap().clone())
        .collect();
    let announced: Value = serde_json::from_str(
        &serde_json::to_string(&announced)
            .unwrap()
            .replace(shown, "[dir]"),
    )
    .unwrap();
    let announced = announced.as_array().unwrap();
    assert_eq!(announced.len(), reports.len());
    for a in announced {
        let w = reports
            .iter()
            .find(|w| w["cluster"] == a["cluster"])
            .unwrap();
        if a["from"].as_str().unwrap().ends_with("takes it") {
            assert_eq!(a, w);
        } else {
            // A `make_pod_spec(...)` inside the classic call is fixed in the pass after the
            // call's (they overlap): its lines are those of the text that pass saw, one
            // lower where the call's fix wrote a `# dusk: removed` comment above it.
            let fates = |r: &Value| -> Vec<(Value, Value, Value)> {
                r["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| (f["field"].clone(), f["fate"].clone(), f["why"].clone()))
                    .collect()
            };
            assert_eq!(fates(a), fates(w), "{a:#}");
        }
    }
    let again = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rewriters/python-make-pod-spec"),
        again.path(),
    );
    let (_, text) = fix_in(again.path(), &["--unsafe-fixes"], &["."]);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("migrated "))
        .collect();
    assert_eq!(lines.len(), reports.len(), "{text}");
    for l in &lines {
        assert!(l.ends_with("see `dusk fix --format json`"), "{l}");
        assert!(!l.contains("comment"), "{l}");
    }
    drop(dir);
}

/// An Argo workflow whose pipeline step becomes the job runner reports a DaskJob, and the
/// text line says so.
#[test]
fn an_argo_daskjob_report_says_daskjob() {
    let (_dir, json) = fixed_copy("fixtures/rewriters/argo-to-daskcluster/workflow");
    let reports = all_reports(&json);
    assert_eq!(reports.len(), 1, "{json:#}");
    assert_eq!(reports[0]["kind"], "DaskJob");
    let dir = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rewriters/argo-to-daskcluster/workflow"),
        dir.path(),
    );
    let (_, text) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("migrated "))
        .unwrap();
    assert!(line.contains("→ DaskJob `etl-nightly`"), "{line}");
    assert!(line.contains("see the comment in "), "{line}");
}

/// A pod dict written in the code becomes the DaskCluster `custom_cluster_spec=` takes: the
/// call's report holds the builder's record (lines of the code) and the call's keywords,
/// `n_workers` reported as ignored beside `custom_cluster_spec=`.
#[test]
fn a_pod_dict_call_reports_its_fields_and_keywords() {
    let (_dir, json) = fixed_copy("fixtures/fix-json/pod-dict");
    let reports = all_reports(&json);
    let ingest = reports
        .iter()
        .find(|r| r["cluster"] == "ingest")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert!(ingest["comment_in"].is_null());
    assert!(ingest["scheduler_address"]["old"].is_null());
    let workers = ingest["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "KubeCluster(n_workers=)")
        .unwrap();
    assert_eq!(workers["fate"], "not-supported");
    assert!(
        workers["source"]
            .as_str()
            .unwrap()
            .ends_with("ingest.py:23"),
        "{workers:#}"
    );
    insta::assert_json_snapshot!(ingest);
}

/// Two `make_pod_spec` builders in one file each become a `make_cluster_spec` call in the
/// same pass, adding the one import they both need once: so the second's report is made
/// from the file as read, as `check` announced it (before, it waited a pass and named a line
/// of that pass's text, without the `KubeCluster` call that takes the spec).
#[test]
fn two_builders_in_one_file_report_what_check_announced() {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix-json/two-builders");
    let dir = tempfile::tempdir().unwrap();
    copy(&from, dir.path());
    let (announced, _) = announced(dir.path());
    let (_, fixed, _) = fix_json(dir.path(), &["--unsafe-fixes"]);
    let written = all_reports(&fixed);
    assert_eq!(announced, Value::Array(written.clone()));
    let from: Vec<&str> = written
        .iter()
        .map(|r| r["from"].as_str().unwrap())
        .collect();
    assert_eq!(from.len(), 2, "{fixed:#}");
    for (report, line) in from.iter().zip([15, 20]) {
        assert!(report.starts_with(&format!("classic `make_pod_spec(...)` at line {line} ")));
        assert!(
            report.ends_with("and the `KubeCluster` call that takes it"),
            "{report}"
        );
    }
    let text = read(dir.path(), "feature_jobs.py");
    assert_eq!(
        text.matches("from dask_kubernetes.operator import make_cluster_spec")
            .count(),
        1,
        "{text}"
    );
    // Neither call names its cluster: the classic KubeCluster named each anew per session,
    // and both DaskClusters are now `dask`. Each report says so and leaves it to a person.
    for report in &written {
        assert_eq!(report["cluster"], "dask");
        let name = name_field(report);
        assert_eq!(name["fate"], "transformed", "{report:#}");
        assert!(
            name["why"]
                .as_str()
                .unwrap()
                .contains("`dask-{user}-{uuid}`, new in every session"),
            "{report:#}"
        );
        assert!(
            report["steps"]
                .to_string()
                .contains("give each its own DaskCluster name"),
            "{report:#}"
        );
    }
}

/// The `name` field of a migration report.
fn name_field(report: &Value) -> &Value {
    report["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "name")
        .unwrap_or_else(|| panic!("no name field in {report:#}"))
}
