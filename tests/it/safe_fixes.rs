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

use crate::run::{check_json, fix_in, read};

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
    let json = check_json(dir.path(), &out);
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

// Cross-file fixes: `KubeCluster.from_yaml(path)` and the classic pod template at `path`
// are one fix (`fixtures/safe-fixes/cross-file/`).

const CROSS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/safe-fixes/cross-file"
);

/// A copy of the cross-file project; `edit` may change the template first.
fn cross_project(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::create_dir(dir.path().join("k8s")).unwrap();
    for name in ["nightly_etl.py", "k8s/worker-spec.yaml"] {
        let text = fs::read_to_string(Path::new(CROSS).join(name)).unwrap();
        let text = if name.ends_with(".yaml") {
            edit(text)
        } else {
            text
        };
        fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn from_yaml_and_its_template_are_one_fix_shown_together() {
    let dir = cross_project(|t| t);
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    // The two files' diffs follow each other, and the DaskCluster is named from `name=`.
    let py = out.find("+++ b/[dir]/nightly_etl.py").expect(&out);
    let yaml = out.find("+++ b/[dir]/k8s/worker-spec.yaml").expect(&out);
    assert!(py < yaml, "{out}");
    assert!(out.contains("+  name: nightly-etl\n"), "{out}");
    assert!(!out.contains("name: worker-spec"), "{out}");
    insta::assert_snapshot!("cross-file-diff", out);
}

#[test]
fn a_cross_file_fix_writes_both_files_and_converges() {
    let dir = cross_project(|t| t);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    assert_eq!(status, dusk::cli::ExitStatus::Success, "{out}");
    let py = read(dir.path(), "nightly_etl.py");
    assert!(
        py.contains("KubeCluster(custom_cluster_spec=\"k8s/worker-spec.yaml\", name=\"nightly-etl\", n_workers=6)"),
        "{py}"
    );
    assert!(
        py.contains("from dask_kubernetes.operator import KubeCluster"),
        "{py}"
    );
    let spec = read(dir.path(), "k8s/worker-spec.yaml");
    assert!(spec.contains("kind: DaskCluster\n"), "{spec}");
    assert!(spec.contains("  name: nightly-etl\n"), "{spec}");
    // The template's own safe fixes go on in the DaskCluster (2024.1.0 has `dask worker`).
    assert!(spec.contains("args: [dask, worker, --nthreads"), "{spec}");
    let (_, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(
        !again.contains("+++"),
        "a second fix changed something:\n{again}"
    );
}

#[test]
fn a_template_outside_the_paths_given_declines_the_call() {
    let dir = cross_project(|t| t);
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["nightly_etl.py"]);
    assert_eq!(
        read(dir.path(), "nightly_etl.py"),
        fs::read_to_string(Path::new(CROSS).join("nightly_etl.py")).unwrap(),
        "nothing may change:\n{out}"
    );
    assert!(
        out.contains(
            "which must become a DaskCluster in the same fix, and `/[dir]/k8s/worker-spec.yaml` \
             is outside the paths given"
        ),
        "{out}"
    );
    // The import stays with the call it serves.
    assert!(
        out.contains("classic-kubecluster-import") && out.contains("the import stays"),
        "{out}"
    );
}

#[test]
fn a_missing_template_declines_the_call() {
    let dir = cross_project(|t| t);
    fs::remove_file(dir.path().join("k8s/worker-spec.yaml")).unwrap();
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(!out.contains("+++"), "{out}");
    assert!(
        out.contains(
            "loads the pod template `k8s/worker-spec.yaml`, which must become a \
                      DaskCluster in the same fix, and it is not found beside"
        ),
        "{out}"
    );
}

#[test]
fn a_template_the_rewriter_declines_declines_the_call() {
    // An unquoted boolean env value: Kubernetes takes only strings.
    let dir = cross_project(|t| t.replace("value: s3fs pyarrow", "value: true"));
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(!out.contains("nightly_etl.py\n@@"), "{out}");
    assert!(!out.contains("+kind: DaskCluster"), "{out}");
    assert!(
        out.contains("which must become a DaskCluster in the same fix, and it cannot be migrated: `/[dir]/k8s/worker-spec.yaml`"),
        "{out}"
    );
}

#[test]
fn a_template_file_of_several_documents_declines_the_call() {
    // Someone appended the worker's ConfigMap to the template the code loads.
    let dir = cross_project(|t| {
        format!(
            "{t}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: etl-env\ndata:\n  MODE: nightly\n"
        )
    });
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    // The code is left alone, and so is the template it loads: migrated on its own, it would
    // be a DaskCluster the classic call cannot load.
    assert!(!out.contains("nightly_etl.py\n@@"), "{out}");
    assert!(!out.contains("+kind: DaskCluster"), "{out}");
    assert!(
        out.contains("nightly_etl.py:9` loads this file as its classic pod template"),
        "{out}"
    );
    assert!(
        out.contains("worker-spec.yaml` holds 2 YAML documents, and the code loads one pod template: split the file, then rerun"),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn a_template_that_cannot_be_written_leaves_both_files_unchanged() {
    use std::os::unix::fs::PermissionsExt;
    let dir = cross_project(|t| t);
    let spec = dir.path().join("k8s/worker-spec.yaml");
    fs::set_permissions(&spec, fs::Permissions::from_mode(0o444)).unwrap();
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    assert_eq!(status, dusk::cli::ExitStatus::Error, "{out}");
    assert_eq!(
        read(dir.path(), "nightly_etl.py"),
        fs::read_to_string(Path::new(CROSS).join("nightly_etl.py")).unwrap(),
        "{out}"
    );
    assert_eq!(
        read(dir.path(), "k8s/worker-spec.yaml"),
        fs::read_to_string(Path::new(CROSS).join("k8s/worker-spec.yaml")).unwrap()
    );
    assert!(out.contains("read-only"), "{out}");
}

// The dask chart's `worker.image.dask_worker` value, decided by the chart version the values
// are for (dask/helm-chart#535: charts since 2026.7.0 split it into words).

const CHART_VALUES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/safe-fixes/helm-chart-version/values.yaml"
);

/// A project with `deploy/dask/values.yaml` and, if given, chart metadata at a path.
fn chart_project(meta: Option<(&str, &str)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::create_dir_all(dir.path().join("deploy/dask")).unwrap();
    fs::copy(CHART_VALUES, dir.path().join("deploy/dask/values.yaml")).unwrap();
    if let Some((path, text)) = meta {
        fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

#[test]
fn chart_version_decides_the_dask_worker_value() {
    let cases: [(&str, Option<(&str, &str)>); 6] = [
        ("no-chart", None),
        (
            "own-chart-2024.1.1",
            Some((
                "deploy/dask/Chart.yaml",
                "apiVersion: v2\nname: dask\nversion: 2024.1.1\nappVersion: 2024.1.0\n",
            )),
        ),
        (
            "umbrella-2026.7.0",
            Some((
                "deploy/Chart.yaml",
                "apiVersion: v2\nname: analytics\nversion: 0.3.0\ndependencies:\n  - name: dask\n    \
                 version: 2026.7.0\n    repository: https://helm.dask.org\n",
            )),
        ),
        (
            "umbrella-range",
            Some((
                "deploy/Chart.yaml",
                "apiVersion: v2\nname: analytics\nversion: 0.3.0\ndependencies:\n  - name: dask\n    \
                 version: \"~2026.7.0\"\n    repository: https://helm.dask.org\n",
            )),
        ),
        (
            "requirements-4.5.6",
            Some((
                "deploy/requirements.yaml",
                "dependencies:\n- name: dask\n  version: 4.5.6\n  repository: https://helm.dask.org/\n",
            )),
        ),
        (
            "own-chart-2026.8.0",
            Some((
                "deploy/dask/Chart.yaml",
                "apiVersion: v2\nname: dask\nversion: 2026.8.0\nappVersion: 2026.7.1\n",
            )),
        ),
    ];
    for (name, meta) in cases {
        let dir = chart_project(meta);
        let (_, out) = fix_in(dir.path(), &["--diff"], &["deploy/dask/values.yaml"]);
        let splits = name.ends_with("2026.7.0") || name.ends_with("2026.8.0");
        assert_eq!(
            out.contains("+    dask_worker: \"dask worker\""),
            splits,
            "{name}:\n{out}"
        );
        insta::assert_snapshot!(format!("chart-version-{name}"), out);
    }
}

// Notebook `!` shell lines are commands: located at the cell line, fixed where the version in
// play allows (`fixtures/safe-fixes/notebook-shell/`).

const NOTEBOOK_SHELL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/safe-fixes/notebook-shell"
);

#[test]
fn notebook_shell_lines_are_checked_and_fixed_as_commands() {
    for pinned in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(".git")).unwrap();
        let name = "profile-pipeline.ipynb";
        fs::copy(Path::new(NOTEBOOK_SHELL).join(name), dir.path().join(name)).unwrap();
        if pinned {
            fs::copy(
                Path::new(NOTEBOOK_SHELL).join("requirements.txt"),
                dir.path().join("requirements.txt"),
            )
            .unwrap();
        }
        let (_, diff) = fix_in(dir.path(), &["--diff"], &[name]);
        // Findings at the cell and the line in it.
        assert!(
            diff.contains(&format!("{name}:cell 5:1:2: error dask-scheduler-command")),
            "{diff}"
        );
        // The label string and the comment are not commands.
        assert!(!diff.contains("+    \"label = \\\"dask worker"), "{diff}");
        assert!(!diff.contains("+    \"# dask worker"), "{diff}");
        let pin = if pinned { "pinned" } else { "unpinned" };
        insta::assert_snapshot!(format!("notebook-shell-{pin}"), diff);
        if !pinned {
            let (_, _) = fix_in(dir.path(), &[], &[name]);
            let (_, again) = fix_in(dir.path(), &["--diff"], &[name]);
            assert!(!again.contains("+++"), "a second fix changed it:\n{again}");
            // The notebook is still valid JSON with its outputs and metadata.
            let json: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(dir.path().join(name)).unwrap()).unwrap();
            assert_eq!(json["cells"].as_array().unwrap().len(), 6);
        }
    }
}

/// The operator import a fix adds goes where the file's `dask_kubernetes` import is, not
/// above the standard-library and third-party imports before it (see also the
/// `make_pod_spec` case of `rule-tests/dask-kubernetes.test.yaml`).
#[test]
fn added_operator_imports_keep_the_file_import_order() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let text = "\"\"\"Reprocess a survey night.\"\"\"\nimport os\n\nimport dask.array as da\nimport dask_kubernetes as dk\nimport yaml\nfrom dask.distributed import Client\n\nwith open(os.environ[\"WORKER_SPEC\"]) as f:\n    spec = yaml.safe_load(f)\ncluster = dk.KubeCluster(spec, n_workers=4)\nclient = Client(cluster)\n";
    fs::write(dir.path().join("reduce.py"), text).unwrap();
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["reduce.py"]);
    let fixed = read(dir.path(), "reduce.py");
    assert_eq!(
        fixed,
        "\"\"\"Reprocess a survey night.\"\"\"\nimport os\n\nimport dask.array as da\nimport dask_kubernetes.operator\nimport dask_kubernetes as dk\nimport yaml\nfrom dask.distributed import Client\n\nwith open(os.environ[\"WORKER_SPEC\"]) as f:\n    spec = yaml.safe_load(f)\ncluster = dk.operator.KubeCluster(custom_cluster_spec=spec, n_workers=4)\nclient = Client(cluster)\n",
        "{out}"
    );
}

/// `dusk check --show-fixes --unsafe-fixes` shows a cross-file fix as `dusk fix --diff` does:
/// both files together, the template once, as its own fixes then leave it.
#[test]
fn check_shows_a_cross_file_fix_as_fix_diff_does() {
    let dir = cross_project(|t| t);
    let (_, fix) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    let diff = fix.split("\n--- stderr ---").next().unwrap().to_owned();
    let out = dir.path().join("check.txt");
    let argv = [
        "dusk",
        "check",
        "--isolated",
        "--show-fixes",
        "--unsafe-fixes",
        "--format",
        "concise",
        "--output",
        out.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ];
    dusk::cli::run(Cli::parse_from(argv)).unwrap();
    let shown = dir.path().to_str().unwrap();
    let check = fs::read_to_string(&out)
        .unwrap()
        .replace(shown.trim_start_matches('/'), "[dir]");
    let fixes = check
        .split("Fixes (`dusk fix --unsafe-fixes`):\n")
        .nth(1)
        .expect(&check);
    assert_eq!(fixes.trim_end(), diff.trim_end());
    assert_eq!(fixes.matches("+++ b/[dir]/k8s/worker-spec.yaml").count(), 1);
}

/// A pipeline that builds its pod with `make_pod_spec(**settings)` cannot have that call
/// migrated, so `KubeCluster(spec)` must not become `custom_cluster_spec=spec` (a classic
/// V1Pod the operator rejects) and no import may move or be added beside it: the file is
/// left as it was, each finding saying why.
const POD_FROM_SETTINGS: &str = "\"\"\"Nightly reprocessing on the lab cluster.\"\"\"\nimport yaml\nfrom dask_kubernetes import KubeCluster, make_pod_spec\n\nwith open(\"cluster.yaml\") as f:\n    settings = yaml.safe_load(f)\n\nspec = make_pod_spec(**settings[\"worker\"])\ncluster = KubeCluster(spec, n_workers=8)\n";

#[test]
fn a_pod_from_a_make_pod_spec_call_dusk_cannot_migrate_keeps_the_constructor() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::write(dir.path().join("reprocess.py"), POD_FROM_SETTINGS).unwrap();
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["reprocess.py"]);
    assert_eq!(read(dir.path(), "reprocess.py"), POD_FROM_SETTINGS, "{out}");
    assert!(
        out.contains("the pod template is the classic V1Pod that `make_pod_spec(...)` at line 8 builds, which dusk cannot migrate"),
        "{out}"
    );
    assert!(
        out.contains("`make_pod_spec` is still used at line 8"),
        "{out}"
    );
}

/// The same call with literal arguments is migrated with the constructor; selecting only
/// the constructor's rule would leave the V1Pod, so it is declined.
#[test]
fn a_migratable_make_pod_spec_call_goes_with_the_constructor_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let text = POD_FROM_SETTINGS.replace(
        "make_pod_spec(**settings[\"worker\"])",
        "make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\", memory_limit=\"8G\")",
    );
    fs::write(dir.path().join("reprocess.py"), &text).unwrap();
    let (_, out) = fix_in(
        dir.path(),
        &[
            "--unsafe-fixes",
            "--select",
            "classic-kubecluster-constructor",
        ],
        &["reprocess.py"],
    );
    assert_eq!(read(dir.path(), "reprocess.py"), text, "{out}");
    assert!(
        out.contains("no fix of this run migrates that call: select `make-pod-spec-call` too"),
        "{out}"
    );
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["reprocess.py"]);
    let fixed = read(dir.path(), "reprocess.py");
    assert!(
        fixed.contains("spec = make_cluster_spec("),
        "{fixed}\n{out}"
    );
    assert!(
        fixed.contains("cluster = KubeCluster(custom_cluster_spec=spec, n_workers=8)"),
        "{fixed}"
    );
    assert!(!fixed.contains("make_pod_spec"), "{fixed}");
}

/// One classic call that cannot be migrated keeps `KubeCluster` the classic class, so the
/// other calls of the file keep their classic arguments, keywords and `make_pod_spec`
/// pods: a classic class called with `custom_cluster_spec=` or handed a DaskCluster fails
/// where the old code ran.
#[test]
fn classic_calls_through_one_name_are_migrated_together_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let text = POD_FROM_SETTINGS.replace(
        "\nwith open",
        "\nsmoke = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\"), deploy_mode=\"local\")\n\nwith open",
    );
    fs::write(dir.path().join("reprocess.py"), &text).unwrap();
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["reprocess.py"]);
    assert_eq!(read(dir.path(), "reprocess.py"), text, "{out}");
    assert!(
        out.contains("the classic call at line 11 cannot be migrated (its finding says why), so the classic import stays"),
        "{out}"
    );
    assert!(
        out.contains("the pod it builds goes to the classic `KubeCluster` call at line 5"),
        "{out}"
    );
    assert!(
        out.contains("this call stays the classic `KubeCluster` in this run"),
        "{out}"
    );
}

/// `fix --diff` shows what is left where it is in the file as it is, and so the lines its
/// reasons name: a fix above them (a `# dusk: removed` comment line) does not shift them.
#[test]
fn a_preview_names_the_lines_of_the_file_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    // The pod written out for kubectl cannot be migrated (`**settings`); the cluster's can,
    // and its import moves onto a line of its own above the line 9 call.
    let text = "\"\"\"Nightly reprocessing on the lab cluster.\"\"\"\nimport yaml\nfrom dask_kubernetes import KubeCluster, make_pod_spec\n\nwith open(\"cluster.yaml\") as f:\n    settings = yaml.safe_load(f)\n\n# The pod spec is also written out for the batch team's kubectl runs.\npod = make_pod_spec(**settings[\"worker\"])\nwith open(\"worker-pod.yaml\", \"w\") as f:\n    yaml.safe_dump(pod.to_dict(), f)\n\ncluster = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\"), n_workers=8)\n";
    fs::write(dir.path().join("reprocess.py"), text).unwrap();
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["reprocess.py"]);
    assert!(
        out.contains("+from dask_kubernetes.operator import make_cluster_spec, KubeCluster\n+from dask_kubernetes import make_pod_spec"),
        "{out}"
    );
    assert!(
        out.contains("reprocess.py:9:7: error make-pod-spec-call")
            && out.contains("[not fixable: the call at line 9 passes `*args`/`**kwargs`")
            && out.contains("`make_pod_spec` is still used at line 9,"),
        "{out}"
    );
}

// `KubeCluster(pod_template=PATH, scheduler_pod_template=PATH)`: the worker template becomes
// the DaskCluster and the scheduler template its `spec.scheduler.spec`, in one fix; the
// scheduler template's file stays as it is (`fixtures/safe-fixes/scheduler-template/`).

const SCHED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/safe-fixes/scheduler-template"
);
const SCHED_FILES: [&str; 3] = ["risk_report.py", "k8s/worker.yaml", "k8s/scheduler.yaml"];

/// A copy of the scheduler-template project; `edit(name, text)` may change a file first.
fn sched_project(edit: impl Fn(&str, String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::create_dir(dir.path().join("k8s")).unwrap();
    for name in SCHED_FILES {
        let text = fs::read_to_string(Path::new(SCHED).join(name)).unwrap();
        fs::write(dir.path().join(name), edit(name, text)).unwrap();
    }
    dir
}

fn sched_original(name: &str) -> String {
    fs::read_to_string(Path::new(SCHED).join(name)).unwrap()
}

#[test]
fn a_scheduler_pod_template_is_carried_into_the_daskcluster() {
    let dir = sched_project(|_, t| t);
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(!out.contains("no Dask Operator equivalent"), "{out}");
    assert!(!out.contains("dusk: removed"), "{out}");
    insta::assert_snapshot!("scheduler-template-diff", out);

    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    // What is left is the scheduler template itself, which no code loads any more.
    assert!(out.contains("; 1 left for a person"), "{out}");
    assert!(
        out.contains("k8s/scheduler.yaml:21:13: error classic-scheduler-pod-template"),
        "{out}"
    );
    let py = read(dir.path(), "risk_report.py");
    assert!(
        py.contains("    custom_cluster_spec=\"k8s/worker.yaml\",\n    name=\"risk-report\",\n"),
        "{py}"
    );
    assert!(!py.contains("scheduler_pod_template"), "{py}");
    assert!(!py.contains("# dusk:"), "{py}");
    // The scheduler template stays a pod template (never deleted): a note on top says no
    // code loads it any more, and its own command fix goes on.
    assert_eq!(
        read(dir.path(), "k8s/scheduler.yaml"),
        format!(
            "# dusk: `risk_report.py` no longer loads this file: its pod is the \
             `spec.scheduler.spec` of the DaskCluster in `k8s/worker.yaml`; delete this file \
             once reviewed\n{}",
            sched_original("k8s/scheduler.yaml").replace("[dask-scheduler]", "[dask, scheduler]")
        )
    );

    // The DaskCluster's scheduler is the scheduler template's pod, running what the
    // operator's scheduler runs; its workers are the worker template's.
    let spec = read(dir.path(), "k8s/worker.yaml");
    let file = dusk::source::yaml::parse(&spec, Default::default()).unwrap();
    let value = dusk::migrate::validate::to_json(file.documents[0].root.as_ref().unwrap());
    assert_eq!(value["kind"], "DaskCluster", "{spec}");
    assert_eq!(value["metadata"]["name"], "risk-report", "{spec}");
    let scheduler = &value["spec"]["scheduler"]["spec"];
    assert_eq!(scheduler["serviceAccountName"], "risk-scheduler", "{spec}");
    assert_eq!(
        scheduler["nodeSelector"]["node.kubernetes.io/lifecycle"], "on-demand",
        "{spec}"
    );
    assert_eq!(
        scheduler["tolerations"][0]["value"], "dask-scheduler",
        "{spec}"
    );
    let container = &scheduler["containers"][0];
    assert_eq!(container["resources"]["limits"]["memory"], "16G", "{spec}");
    assert_eq!(
        container["env"][0]["name"], "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING",
        "{spec}"
    );
    assert_eq!(
        container["args"],
        serde_json::json!(["dask", "scheduler", "--host", "0.0.0.0"]),
        "{spec}"
    );
    assert_eq!(
        value["spec"]["worker"]["spec"]["containers"][0]["resources"]["limits"]["memory"], "8G",
        "{spec}"
    );
    assert!(
        value["spec"]["worker"]["spec"]
            .get("serviceAccountName")
            .is_none(),
        "{spec}"
    );

    // Valid against the operator's CRD schema (the real one with DUSK_ORACLES).
    if std::env::var_os("DUSK_ORACLES").is_some() {
        assert!(dusk::migrate::validate::schema_for("DaskCluster").is_some());
    } else {
        eprintln!("\n!!! CRD schema not checked: DUSK_ORACLES is not set\n");
    }
    let problems = dusk::migrate::validate::resource(&value);
    assert!(problems.is_empty(), "{problems:?}\n{spec}");

    let (_, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(
        !again.contains("+++"),
        "a second fix changed something:\n{again}"
    );
}

/// What `k8s/scheduler.yaml` may be by mistake: the scheduler's Service.
const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: risk-scheduler}\nspec:\n  ports: [{port: 8786}]\n";

#[test]
fn a_scheduler_template_dusk_cannot_carry_declines_the_call() {
    for (edit, reason) in [
        (
            "missing",
            "passes the scheduler pod template `k8s/scheduler.yaml`, which must go into the \
             DaskCluster's scheduler spec in the same fix, and it is not found beside",
        ),
        (
            "service",
            "`/[dir]/k8s/scheduler.yaml` is not a classic pod template (no `spec.containers`)",
        ),
        (
            "unnamed",
            "`/[dir]/k8s/scheduler.yaml`: the scheduler container at line 18 has no `name`",
        ),
    ] {
        let dir = sched_project(|name, t| match (name, edit) {
            ("k8s/scheduler.yaml", "service") => SERVICE.to_owned(),
            ("k8s/scheduler.yaml", "unnamed") => {
                t.replace("- name: scheduler\n      image", "- image")
            }
            _ => t,
        });
        if edit == "missing" {
            fs::remove_file(dir.path().join("k8s/scheduler.yaml")).unwrap();
        }
        let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
        assert!(out.contains(reason), "{edit}:\n{out}");
        // The call keeps its classic arguments, the scheduler template among them.
        assert_eq!(
            read(dir.path(), "risk_report.py"),
            sched_original("risk_report.py"),
            "{edit}\n{out}"
        );
    }
}

#[test]
fn a_scheduler_template_for_a_daskcluster_already_declines_the_call() {
    // Migrated once already (without its scheduler): dusk does not replace the scheduler
    // of a DaskCluster someone may have edited since.
    let dir = sched_project(|_, t| t);
    fix_in(dir.path(), &["--unsafe-fixes"], &["k8s/worker.yaml"]);
    let migrated = read(dir.path(), "k8s/worker.yaml");
    assert!(migrated.contains("kind: DaskCluster"), "{migrated}");
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    assert!(
        out.contains(
            "`/[dir]/k8s/worker.yaml` is a DaskCluster already: put the scheduler pod template \
             into its `spec.scheduler.spec` by hand"
        ),
        "{out}"
    );
    assert_eq!(
        read(dir.path(), "risk_report.py"),
        sched_original("risk_report.py")
    );
    assert_eq!(read(dir.path(), "k8s/worker.yaml"), migrated);
}

#[test]
fn a_scheduler_template_outside_the_paths_given_declines_the_call() {
    let dir = sched_project(|_, t| t);
    let (_, out) = fix_in(
        dir.path(),
        &["--unsafe-fixes"],
        &["risk_report.py", "k8s/worker.yaml"],
    );
    assert!(
        out.contains("`/[dir]/k8s/scheduler.yaml` is outside the paths given"),
        "{out}"
    );
    assert_eq!(
        read(dir.path(), "risk_report.py"),
        sched_original("risk_report.py"),
        "{out}"
    );
}

#[test]
fn a_scheduler_template_in_an_expression_is_left_to_move_by_hand() {
    let dir = sched_project(|name, t| {
        if name == "risk_report.py" {
            t.replace(
                "scheduler_pod_template=\"k8s/scheduler.yaml\"",
                "scheduler_pod_template=make_pod_from_dict(SCHEDULER)",
            )
        } else {
            t
        }
    });
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let py = read(dir.path(), "risk_report.py");
    assert!(
        py.contains(
            "# dusk: removed `scheduler_pod_template=make_pod_from_dict(SCHEDULER)`: move that \
             pod into the DaskCluster's `spec.scheduler.spec` by hand\ncluster = KubeCluster(\n"
        ),
        "{py}\n{out}"
    );
    assert!(!py.contains("no Dask Operator equivalent"), "{py}");
    assert!(read(dir.path(), "k8s/worker.yaml").contains("kind: DaskCluster"));
}

/// A reason in a notebook names the cell and the line in it, as the finding's location
/// does, not a line of the joined code cells no one sees.
#[test]
fn a_notebook_reason_names_the_cell_and_its_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let notebook = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/notebook/explore.ipynb"
    );
    fs::copy(notebook, dir.path().join("explore.ipynb")).unwrap();
    let (_, out) = fix_in(
        dir.path(),
        &["--diff", "--unsafe-fixes"],
        &["explore.ipynb"],
    );
    assert!(
        out.contains("explore.ipynb:cell 3:3:11: error classic-kubecluster-from-yaml")
            && out.contains("[not fixable: the call at cell 3, line 3 loads the pod template"),
        "{out}"
    );
}

#[test]
fn a_scheduler_template_other_code_loads_too_gets_no_note() {
    let dir = sched_project(|_, t| t);
    // An ad-hoc script starts the same cluster the same way.
    fs::copy(
        Path::new(SCHED).join("risk_report.py"),
        dir.path().join("adhoc_report.py"),
    )
    .unwrap();
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    assert!(
        read(dir.path(), "k8s/worker.yaml").contains("kind: DaskCluster"),
        "{out}"
    );
    assert!(
        !read(dir.path(), "k8s/scheduler.yaml").contains("# dusk:"),
        "{out}"
    );
}

/// A `make_pod_spec` import whose last use another fix took in leaves, rather than becoming
/// an unused `make_cluster_spec` import; a package's `__init__.py`, or a module listing it
/// in `__all__`, keeps it for the modules that import it from there.
#[test]
fn an_import_nothing_uses_leaves_unless_it_is_re_exported() {
    let dir = tempfile::tempdir().unwrap();
    let unused = "from dask_kubernetes import make_pod_spec\n\nprint('ready')\n";
    fs::create_dir(dir.path().join("pipeline")).unwrap();
    fs::write(dir.path().join("standalone.py"), unused).unwrap();
    fs::write(dir.path().join("pipeline/__init__.py"), unused).unwrap();
    let listed = format!("{unused}__all__ = [\"make_pod_spec\"]\n");
    fs::write(dir.path().join("helpers.py"), &listed).unwrap();

    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);

    assert_eq!(
        read(dir.path(), "standalone.py"),
        "\nprint('ready')\n",
        "{out}"
    );
    assert_eq!(read(dir.path(), "pipeline/__init__.py"), unused, "{out}");
    assert_eq!(read(dir.path(), "helpers.py"), listed, "{out}");
    assert!(out.contains("this is a package's `__init__.py`"), "{out}");
    assert!(out.contains("`__all__` lists it"), "{out}");
}
