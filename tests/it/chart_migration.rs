//! The dask Helm chart's values → a DaskCluster beside them (`helm-values-to-daskcluster`).
//!
//! Each `fixtures/rewriters/helm-values-to-daskcluster/<case>/` holds one values file and
//! `expected.yaml`: what the chart's own templates render from those values (image, args,
//! resources, env, replicas per worker group; the scheduler; the Service), written by hand
//! from dask-facts §5.1/§5.2 and the templates (no `helm` binary or chart can be installed
//! here: the chart is only on https://helm.dask.org), plus the args the DaskCluster must
//! carry. The tests check the rendering against it, the built resources against it and the
//! real CRD schemas, snapshot the generated file (its migration report included), and run
//! `dusk fix` end to end: the values file stays byte for byte, a second fix changes nothing,
//! and `dusk check` finds the generated file clean.

use crate::fix_support;
use fix_support as support;

use clap::Parser;
use dusk::cli::{ExitStatus, args::Cli};
use dusk::extract::helm_chart::{self, Rendering};
use dusk::migrate::rewriters::helm_values_to_daskcluster::{Migration, build};
use dusk::migrate::{End, operator, validate};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn cases() -> Vec<(PathBuf, PathBuf)> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rewriters/helm-values-to-daskcluster");
    let mut out = Vec::new();
    for case in std::fs::read_dir(&dir).unwrap().flatten() {
        let mut values = None;
        for f in std::fs::read_dir(case.path()).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name != "expected.yaml" && !name.ends_with("-daskcluster.yaml") {
                values = Some(f.path());
            }
        }
        out.push((values.unwrap(), case.path().join("expected.yaml")));
    }
    out.sort();
    assert!(out.len() >= 4, "{out:?}");
    out
}

fn yaml(text: &str) -> Value {
    let file = dusk::source::yaml::parse(text, Default::default()).unwrap();
    validate::to_json(file.documents[0].root.as_ref().unwrap())
}

fn render(values: &Path, release: &str) -> Rendering {
    let text = std::fs::read_to_string(values).unwrap();
    let file = dusk::source::yaml::parse(&text, Default::default()).unwrap();
    helm_chart::render(file.documents[0].root.as_ref().unwrap(), release).unwrap()
}

/// Quantities and env values as the API server stores them: strings.
fn strings(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.to_string()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), strings(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(strings).collect()),
        other => other.clone(),
    }
}

fn container(spec: &k8s_openapi::api::core::v1::PodSpec) -> Value {
    serde_json::to_value(&spec.containers[0]).unwrap()
}

#[test]
fn the_chart_rendering_is_what_its_templates_write() {
    for (values, expected) in cases() {
        let exp = yaml(&std::fs::read_to_string(&expected).unwrap());
        let release = exp["release"].as_str().unwrap();
        let r = render(&values, release);
        let case = values.display();
        match (&r.scheduler, &exp["scheduler"]) {
            (None, Value::Null) => {}
            (Some(pod), want) => {
                assert_eq!(
                    pod.container["image"], want["image"],
                    "{case}: scheduler image"
                );
                assert_eq!(json!(pod.args()), want["args"], "{case}: scheduler args");
                assert_eq!(
                    pod.container
                        .get("resources")
                        .cloned()
                        .unwrap_or(Value::Null),
                    want["resources"],
                    "{case}: scheduler resources"
                );
            }
            (got, want) => panic!("{case}: scheduler {got:?}, expected {want}"),
        }
        assert_eq!(json!(r.service.type_), exp["service"]["type"], "{case}");
        assert_eq!(json!(r.service.port), exp["service"]["port"], "{case}");
        let want_workers = exp["workers"].as_array().unwrap();
        assert_eq!(r.workers.len(), want_workers.len(), "{case}: worker groups");
        for (got, want) in r.workers.iter().zip(want_workers) {
            let at = format!("{case}: workers {:?}", got.group);
            assert_eq!(json!(got.group), want["group"], "{at}");
            assert_eq!(json!(got.replicas), want["replicas"], "{at}: replicas");
            assert_eq!(got.pod.container["image"], want["image"], "{at}: image");
            assert_eq!(json!(got.pod.args()), want["args"], "{at}: args");
            for field in ["resources", "env"] {
                assert_eq!(
                    got.pod.container.get(field).cloned().unwrap_or(Value::Null),
                    want[field],
                    "{at}: {field}"
                );
            }
        }
    }
}

#[test]
fn the_daskcluster_keeps_what_the_chart_renders() {
    for (values, expected) in cases() {
        let exp = yaml(&std::fs::read_to_string(&expected).unwrap());
        let release = exp["release"].as_str().unwrap();
        let r = render(&values, release);
        let Migration {
            cluster, groups, ..
        } = build(release, &r, true).unwrap();
        let case = values.display();
        let sched = container(&cluster.spec.scheduler.spec);
        let want = &exp["scheduler"];
        if !want.is_null() {
            assert_eq!(sched["image"], want["image"], "{case}");
            assert_eq!(
                sched["args"], want["operator-args"],
                "{case}: scheduler args"
            );
            assert_eq!(
                sched.get("resources").cloned().unwrap_or(Value::Null),
                strings(&want["resources"]),
                "{case}: scheduler resources"
            );
        } else {
            // No scheduler in the chart: the operator's, from the worker's image.
            assert_eq!(sched["image"], exp["workers"][0]["image"], "{case}");
            assert_eq!(
                sched["args"],
                json!(["dask", "scheduler", "--host", "0.0.0.0"])
            );
        }
        assert_eq!(
            json!(cluster.spec.scheduler.service.type_),
            exp["service"]["type"],
            "{case}"
        );
        let mut sections = vec![&cluster.spec.worker];
        sections.extend(groups.iter().map(|g| &g.spec.worker));
        let want_workers = exp["workers"].as_array().unwrap();
        assert_eq!(sections.len(), want_workers.len(), "{case}");
        for (got, want) in sections.into_iter().zip(want_workers) {
            let c = container(&got.spec);
            let at = format!("{case}: workers {}", want["group"]);
            assert_eq!(json!(got.replicas), want["replicas"], "{at}");
            assert_eq!(c["image"], want["image"], "{at}");
            assert_eq!(c["args"], want["operator-args"], "{at}: args");
            for field in ["resources", "env"] {
                assert_eq!(
                    c.get(field).cloned().unwrap_or(Value::Null),
                    strings(&want[field]),
                    "{at}: {field}"
                );
            }
            assert!(got.spec.restart_policy.is_none());
        }
        for g in &groups {
            assert_eq!(g.spec.cluster, release);
        }
    }
}

#[test]
fn every_generated_resource_validates_against_the_real_crds() {
    let crds = std::env::var_os("DUSK_ORACLES").is_some();
    if crds {
        for kind in ["DaskCluster", "DaskWorkerGroup"] {
            assert!(
                validate::schema_for(kind).is_some(),
                "no CRD schema for {kind}"
            );
        }
    } else {
        eprintln!("\n!!! CRD schemas not checked: DUSK_ORACLES is not set\n");
    }
    for (values, expected) in cases() {
        let exp = yaml(&std::fs::read_to_string(&expected).unwrap());
        let release = exp["release"].as_str().unwrap();
        let m = build(release, &render(&values, release), true).unwrap();
        let mut docs = vec![operator::to_json(&m.cluster)];
        docs.extend(m.groups.iter().map(operator::to_json));
        for doc in docs {
            let problems = validate::resource(&doc);
            assert!(problems.is_empty(), "{}: {problems:?}", values.display());
        }
    }
}

/// The generated file of each case, through the fix loop with the built-in packs.
#[test]
fn generated_files() {
    let scan = support::builtin_scan();
    let only = support::scan(&["helm-chart-classic-cluster"]);
    for (values, _) in cases() {
        let text = std::fs::read_to_string(&values).unwrap();
        let outcome = support::fix(&only, &values, &text, true, None);
        assert_eq!(outcome.end, End::Converged);
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        assert_eq!(outcome.fixed, text, "the values file stays as it is");
        assert_eq!(
            outcome.created.len(),
            1,
            "{}: {:?}",
            values.display(),
            outcome.remaining.findings
        );
        let created = &outcome.created[0];
        let case = values
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        insta::with_settings!({snapshot_suffix => case.clone(), description => format!("{} → {}", shown(&values), created.name)}, {
            insta::assert_snapshot!(format!("{}\n{}", created.name, created.text));
        });
        // Fixing the same values again gives the same file.
        let again = support::fix(&only, &values, &text, true, None);
        assert_eq!(again.created, outcome.created);
        // With every built-in rule the values' own fixes come first; the file is the same.
        let all = support::fix(&scan, &values, &text, true, None);
        assert_eq!(all.end, End::Converged);
        assert_eq!(all.created, outcome.created, "{}", values.display());
        // The generated file is clean for every built-in rule.
        let generated = values.with_file_name(&created.name);
        let report = support::fix(&scan, &generated, &created.text, true, None);
        assert!(
            !report.changed(),
            "{}: a fix changes the generated file",
            created.name
        );
        assert!(
            report.remaining.findings.is_empty(),
            "{}: {:?}",
            created.name,
            report
                .remaining
                .findings
                .iter()
                .map(|f| format!("{} {}", f.rule, f.message))
                .collect::<Vec<_>>()
        );
    }
}

fn shown(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> ExitStatus {
    let mut argv = vec!["dusk"];
    argv.extend_from_slice(args);
    dusk::cli::run(Cli::parse_from(argv)).unwrap()
}

#[test]
fn dusk_fix_writes_the_daskcluster_beside_the_values_once() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("analytics");
    std::fs::create_dir(&chart).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rewriters/helm-values-to-daskcluster/analytics/values.yaml");
    let values = chart.join("values.yaml");
    std::fs::copy(&source, &values).unwrap();
    let before = std::fs::read(&values).unwrap();
    let d = chart.to_str().unwrap();
    // Previewing writes nothing and says changes are pending.
    assert_eq!(
        run(&["fix", "--isolated", "--unsafe-fixes", "--diff", d]),
        ExitStatus::Failure
    );
    let created = chart.join("analytics-daskcluster.yaml");
    assert!(!created.exists());
    // Safe fixes alone do not write it: it needs review.
    run(&["fix", "--isolated", d]);
    assert!(!created.exists());
    run(&["fix", "--isolated", "--unsafe-fixes", d]);
    let text = std::fs::read_to_string(&created).unwrap();
    assert!(text.contains("kind: DaskCluster"), "{text}");
    assert_eq!(
        std::fs::read(&values).unwrap(),
        before,
        "values file untouched"
    );
    // A second fix changes nothing, and the preview agrees.
    run(&["fix", "--isolated", "--unsafe-fixes", d]);
    assert_eq!(std::fs::read_to_string(&created).unwrap(), text);
    assert_eq!(
        run(&["fix", "--isolated", "--unsafe-fixes", "--diff", d]),
        ExitStatus::Success
    );
    // A different file of that name is never overwritten.
    std::fs::write(&created, "# mine\n").unwrap();
    assert_eq!(
        run(&["fix", "--isolated", "--unsafe-fixes", d]),
        ExitStatus::Error
    );
    assert_eq!(std::fs::read_to_string(&created).unwrap(), "# mine\n");
}

/// A hand-written stack (scheduler Deployment, its Service, two worker Deployments) mixed
/// with unrelated documents becomes one DaskCluster and one DaskWorkerGroup; the unrelated
/// documents stay byte for byte, comments included.
#[test]
fn a_hand_rolled_stack_becomes_one_daskcluster() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rewriters/hand-rolled-to-daskcluster/prefect-static/stack.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let only = support::scan(&["hand-rolled-dask-workload"]);
    let outcome = support::fix(&only, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let fixed = &outcome.fixed;
    // The ConfigMap and the flow runner, with their comments, are untouched.
    for unrelated in [
        &text[..text.find("---\n").unwrap()],
        &text[text.find("# Flows run in").unwrap()
            ..text
                .find(
                    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dask-worker\n",
                )
                .unwrap()],
    ] {
        assert!(fixed.contains(unrelated), "lost or changed:\n{unrelated}");
    }
    let docs = dusk::source::yaml::parse(fixed, Default::default()).unwrap();
    let kinds: Vec<String> = docs
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .map(|r| r.get_str("kind").unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["ConfigMap", "DaskCluster", "DaskWorkerGroup", "Deployment"]
    );
    for d in docs.documents.iter().filter_map(|d| d.root.as_ref()) {
        let problems = validate::resource(&validate::to_json(d));
        assert!(problems.is_empty(), "{problems:?}");
    }
    insta::assert_snapshot!("hand_rolled_stack", fixed);
    // A second fix changes nothing.
    let again = support::fix(&only, &path, fixed, true, None);
    assert_eq!(&again.fixed, fixed);
    // With every built-in rule the file still converges, the unrelated documents intact.
    let all = support::fix(&support::builtin_scan(), &path, &text, true, None);
    assert_eq!(all.end, End::Converged);
    assert!(all.failed.is_empty(), "{:?}", all.failed);
    assert!(all.fixed.contains(&text[..text.find("---\n").unwrap()]));
}

/// `helm template analytics dask/dask` output (written by hand from the chart's templates):
/// the scheduler Deployment, its Service and the worker Deployment become one DaskCluster;
/// the Jupyter objects stay as they are.
#[test]
fn a_rendered_chart_becomes_one_daskcluster() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rewriters/hand-rolled-to-daskcluster/rendered-chart/manifest.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let only = support::scan(&["hand-rolled-dask-workload"]);
    let outcome = support::fix(&only, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let jupyter = &text[text
        .find("---\n# Source: dask/templates/dask-jupyter-deployment")
        .unwrap()..];
    assert!(
        outcome.fixed.ends_with(jupyter),
        "the Jupyter Deployment changed"
    );
    let head = &text[..text
        .find("---\n# Source: dask/templates/dask-scheduler-service")
        .unwrap()];
    assert!(
        outcome.fixed.starts_with(head),
        "the ServiceAccount or ConfigMap changed"
    );
    insta::assert_snapshot!("rendered_chart", outcome.fixed);
    let again = support::fix(&only, &path, &outcome.fixed, true, None);
    assert_eq!(again.fixed, outcome.fixed);
}

/// `helm template … | dusk check - --stdin-filename NAME`: standard input is checked as the
/// file it names, and located by that name.
#[test]
fn standard_input_is_checked_under_its_stdin_filename() {
    use std::io::Write as _;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rewriters/hand-rolled-to-daskcluster/rendered-chart/manifest.yaml"),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dusk"))
        .args([
            "check",
            "--isolated",
            "--format",
            "json",
            "--stdin-filename",
            "rendered/analytics.yaml",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let hand_rolled: Vec<(String, u64)> = findings
        .iter()
        .filter(|f| f["rule"] == "hand-rolled-dask-workload")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hand_rolled,
        [
            ("rendered/analytics.yaml".to_owned(), 79),
            ("rendered/analytics.yaml".to_owned(), 120)
        ]
    );
    assert_eq!(json["summary"]["files_scanned"], 1);
}

/// A chart's `templates/` is skipped, and `dusk check` says how many files and how to
/// check them rendered (#9).
#[test]
fn skipped_chart_templates_are_counted_with_how_to_check_them() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("dask");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: dask\nversion: 2024.1.1\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/dask-worker-deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ template \"dask.fullname\" . }}-worker\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/_helpers.tpl"),
        "{{- define \"dask.name\" -}}dask{{- end -}}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dusk"))
        .args(["check", "--isolated", "--format", "json"])
        .arg(&chart)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 Helm chart template file skipped")
            && stderr.contains("helm template CHART | dusk check -"),
        "{stderr}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["findings"], json!([]));
}

/// `dusk fix - --stdin-filename NAME`: the fixed text on standard output (#9).
#[test]
fn standard_input_is_fixed_to_standard_output() {
    use std::io::Write as _;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rewriters/hand-rolled-to-daskcluster/prefect-static/stack.yaml"),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dusk"))
        .args([
            "fix",
            "--isolated",
            "--unsafe-fixes",
            "--stdin-filename",
            "k8s/stack.yaml",
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
    let fixed = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(fixed.contains("kind: DaskCluster"), "{fixed}\n{stderr}");
    assert!(fixed.starts_with(&text[..text.find("---\n").unwrap()]));
    assert!(stderr.contains("k8s/stack.yaml: fixed"), "{stderr}");
}

/// `dusk fix --diff` on a values file whose fix only writes a file beside it counts that
/// fix ("would fix 1", exit 1: changes pending), and so does `dusk fix`; once the file is
/// there, nothing is counted and `--diff` exits 0 (#9).
#[test]
fn a_fix_that_only_creates_a_file_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rewriters/helm-values-to-daskcluster/analytics/values.yaml"),
        &values,
    )
    .unwrap();
    let d = values.to_str().unwrap();
    let fix = |args: &[&str]| {
        let mut argv = vec!["dusk", "fix", "--isolated", "--unsafe-fixes"];
        argv.extend_from_slice(args);
        let dusk::cli::args::Command::Fix(fix_args) = Cli::parse_from(argv).command else {
            unreachable!("parsed a fix command");
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = dusk::cli::fix::run_with(fix_args, false, &mut out, &mut err).unwrap();
        out.extend(err);
        let text = String::from_utf8(out).unwrap();
        (
            status,
            text.replace(&dir.path().display().to_string(), "[dir]"),
        )
    };
    let summary = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("[dir]/values.yaml: ") && !l.contains("warning"))
            .chain(
                text.lines()
                    .filter(|l| l.starts_with("Would fix") || l.starts_with("Fixed")),
            )
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (status, text) = fix(&["--diff", d]);
    assert_eq!(status, ExitStatus::Failure, "{text}");
    assert_eq!(
        summary(&text),
        [
            "[dir]/values.yaml: would fix 1 (helm-chart-classic-cluster)",
            "Would fix 1 finding in 1 file; 2 left for a person"
        ],
        "{text}"
    );
    let (status, text) = fix(&[d]);
    assert_eq!(status, ExitStatus::Failure, "{text}");
    assert!(
        text.contains("[dir]/values.yaml: fixed 1 (helm-chart-classic-cluster)"),
        "{text}"
    );
    let (status, text) = fix(&["--diff", d]);
    assert_eq!(status, ExitStatus::Success, "{text}");
    assert!(text.contains("Would fix 0 findings in 0 files"), "{text}");
}
