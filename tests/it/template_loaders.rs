//! A pod template file that code of the run loads is migrated only with that code
//! (`migrate::loads`, `pod-template-to-daskcluster`'s `loaded_fix`).
//!
//! `fixtures/safe-fixes/template-loaders/` holds one small project per case: a call whose
//! fix is declined (its template holds two documents), one whose fix is made, a template no
//! code loads, a call held back by another classic call of its file, a dask config's
//! `kubernetes.worker-template-path` (migrated, and declined), and a notebook whose call is
//! declined. Each snapshot is `dusk fix --diff --unsafe-fixes` with the built-in packs: the
//! diffs, and what is left for a person with the reasons.

use crate::run::{check_json, check_json_with, check_output_with, fix_in, read};
use std::fs;
use std::path::Path;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/safe-fixes/template-loaders"
);

/// A copy of case `name` in a temporary project root.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    copy(&Path::new(CASES).join(name), dir.path());
    dir
}

fn copy(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn original(case: &str, file: &str) -> String {
    fs::read_to_string(Path::new(CASES).join(case).join(file)).unwrap()
}

/// `dusk fix --unsafe-fixes .`, then every file of the case as it was or not.
fn fix_and_compare(case: &str, files: &[&str]) -> (String, Vec<bool>) {
    let dir = project(case);
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let same = files
        .iter()
        .map(|f| read(dir.path(), f) == original(case, f))
        .collect();
    (out, same)
}

/// The `not fixable` reason `dusk check --format json` gives the finding of `rule` in `file`.
fn check_reason(case: &str, file: &str, rule: &str) -> serde_json::Value {
    let dir = project(case);
    let json = check_json(dir.path(), &dir.path().join("check.json"));
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("no {rule} in {file}: {json:#}"))["fix"]
        .clone()
}

#[test]
fn every_case_as_fix_diff_shows_it() {
    for case in [
        "declined-call",
        "migrated-call",
        "unloaded",
        "blocked-call",
        "dask-config",
        "dask-config-declined",
        "dask-config-scheduler",
        "notebook",
    ] {
        let dir = project(case);
        let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
        insta::assert_snapshot!(case, out);
    }
}

#[test]
fn a_declined_call_leaves_its_template_byte_identical() {
    let (out, same) = fix_and_compare("declined-call", &["daily_report.py", "k8s/worker.yaml"]);
    assert_eq!(same, [true, true], "{out}");
    assert!(
        out.contains(
            "`/[dir]/daily_report.py:6` loads this file as its classic pod template \
             (`KubeCluster.from_yaml`), so it becomes a DaskCluster only with that code's fix, \
             which is declined: the call at line 6 loads the pod template `k8s/worker.yaml`"
        ),
        "{out}"
    );
    assert!(
        out.contains("holds 2 YAML documents, and the code loads one pod template"),
        "{out}"
    );
}

#[test]
fn check_gives_the_template_the_reason_fix_gives() {
    let fix = check_reason(
        "declined-call",
        "k8s/worker.yaml",
        "classic-worker-pod-template",
    );
    assert_eq!(fix["available"], false, "{fix}");
    let reason = fix["reason"].as_str().unwrap();
    assert!(
        reason.contains("daily_report.py:6` loads this file as its classic pod template"),
        "{reason}"
    );
    // Migrated with the call: fixable, as `dusk fix` then fixes it.
    let fix = check_reason(
        "migrated-call",
        "k8s/worker.yaml",
        "classic-worker-pod-template",
    );
    assert_eq!(fix["applicability"], "unsafe", "{fix}");
}

#[test]
fn a_migrated_call_still_migrates_its_template_under_its_name() {
    let (out, same) = fix_and_compare("migrated-call", &["daily_report.py", "k8s/worker.yaml"]);
    assert_eq!(same, [false, false], "{out}");
    let dir = project("migrated-call");
    fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let spec = read(dir.path(), "k8s/worker.yaml");
    assert!(spec.contains("kind: DaskCluster\n"), "{spec}");
    assert!(spec.contains("  name: daily-report\n"), "{spec}");
    let py = read(dir.path(), "daily_report.py");
    assert!(
        py.contains("KubeCluster(custom_cluster_spec=\"k8s/worker.yaml\""),
        "{py}"
    );
    let (_, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(
        !again.contains("+++"),
        "a second fix changed something:\n{again}"
    );
}

#[test]
fn a_template_no_code_loads_migrates_on_its_own() {
    let (out, same) = fix_and_compare("unloaded", &["worker-pod.yaml"]);
    assert_eq!(same, [false], "{out}");
    // Fixing only the template: the code that loads it is outside the paths given, so
    // dusk cannot know of it (docs/architecture.md) and the file migrates on its own.
    let dir = project("migrated-call");
    fix_in(dir.path(), &["--unsafe-fixes"], &["k8s"]);
    assert!(read(dir.path(), "k8s/worker.yaml").contains("kind: DaskCluster"));
    assert_eq!(
        read(dir.path(), "daily_report.py"),
        original("migrated-call", "daily_report.py")
    );
}

#[test]
fn a_call_held_back_by_another_call_keeps_its_template() {
    let (out, same) = fix_and_compare("blocked-call", &["clusters.py", "train-worker.yaml"]);
    assert_eq!(same, [true, true], "{out}");
    assert!(
        out.contains(
            "`/[dir]/clusters.py:15` loads this file as its classic pod template (`KubeCluster`), \
             so it becomes a DaskCluster only with that code's fix, which is declined: the \
             classic call at line 11 cannot be migrated"
        ),
        "{out}"
    );
}

#[test]
fn a_dask_config_migrates_the_template_it_names_with_it() {
    let dir = project("dask-config");
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let config = read(dir.path(), "dask.yaml");
    assert!(
        config.contains("  custom-cluster-spec: worker-template.yaml\n"),
        "{config}\n{out}"
    );
    let spec = read(dir.path(), "worker-template.yaml");
    assert!(spec.contains("kind: DaskCluster\n"), "{spec}");
    // The name the operator gives the cluster is the config's `kubernetes.name`.
    assert!(spec.contains("  name: etl\n"), "{spec}");
    let (_, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(
        !again.contains("+++"),
        "a second fix changed something:\n{again}"
    );

    let (out, same) = fix_and_compare(
        "dask-config-declined",
        &["dask.yaml", "worker-template.yaml"],
    );
    assert_eq!(same, [true, true], "{out}");
    assert!(
        out.contains("`/[dir]/dask.yaml:4` loads this file as its classic pod template (`kubernetes.worker-template-path`)"),
        "{out}"
    );
}

#[test]
fn a_notebook_loader_is_named_by_its_cell() {
    let (out, same) = fix_and_compare("notebook", &["explore.ipynb", "worker.yaml"]);
    assert_eq!(same, [true, true], "{out}");
    assert!(
        out.contains("`/[dir]/explore.ipynb` cell 3, line 1 loads this file"),
        "{out}"
    );
    assert!(
        out.contains("the cluster name `explore-{user}` has placeholders"),
        "{out}"
    );
}

#[test]
fn a_loader_the_run_does_not_select_keeps_the_template_classic() {
    let dir = project("migrated-call");
    let (_, out) = fix_in(
        dir.path(),
        &["--unsafe-fixes", "--select", "classic-worker-pod-template"],
        &["."],
    );
    assert_eq!(
        read(dir.path(), "k8s/worker.yaml"),
        original("migrated-call", "k8s/worker.yaml"),
        "{out}"
    );
    assert!(
        out.contains(
            "which is declined: its finding `classic-kubecluster-from-yaml` is not selected in \
             this run, so that code stays classic: select it too"
        ),
        "{out}"
    );
}

/// The `fix` of the template finding in `dusk check --format json ARGS` of case `case`.
fn check_template_fix(case: &str, args: &[&str]) -> serde_json::Value {
    let dir = project(case);
    let json = check_json_with(dir.path(), &dir.path().join("check.json"), args);
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "classic-worker-pod-template")
        .unwrap_or_else(|| panic!("no template finding: {json:#}"))
        .clone()
}

#[test]
fn check_says_why_when_the_run_does_not_select_the_loader() {
    // Not every rule selected: `check` lints the loader again with every rule to find it.
    let finding = check_template_fix(
        "migrated-call",
        &["--select", "classic-worker-pod-template"],
    );
    assert_eq!(finding["fix"]["available"], false, "{finding:#}");
    let why = finding["fix"]["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("its finding `classic-kubecluster-from-yaml` is not selected in this run"),
        "{finding:#}"
    );
}

#[test]
fn a_loader_the_run_excludes_keeps_the_template_classic() {
    // Excluded code is never fixed: the template it loads must not migrate without it.
    let dir = project("migrated-call");
    let (_, out) = fix_in(
        dir.path(),
        &["--unsafe-fixes", "--extend-exclude", "daily_report.py"],
        &["."],
    );
    // Its command is still fixed (a fix of its own); it stays a Pod.
    let template = read(dir.path(), "k8s/worker.yaml");
    assert!(template.contains("kind: Pod"), "{template}\n{out}");
    assert!(!template.contains("DaskCluster"), "{template}\n{out}");
    assert!(
        out.contains("daily_report.py` is excluded from this run, so its code stays classic"),
        "{out}"
    );
    let finding = check_template_fix("migrated-call", &["--extend-exclude", "daily_report.py"]);
    assert_eq!(finding["fix"]["available"], false, "{finding:#}");
    assert!(
        finding["fix"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("is excluded from this run"),
        "{finding:#}"
    );
    // Not excluded, the same template migrates with its loader.
    let finding = check_template_fix("migrated-call", &[]);
    assert_eq!(finding["fix"]["applicability"], "unsafe", "{finding:#}");
}

/// `dusk check --isolated --show-fixes --unsafe-fixes ARGS DIR`, as printed.
fn shown_fixes(dir: &Path, args: &[&str]) -> String {
    let shown = ["--show-fixes", "--unsafe-fixes", "--color", "never"];
    check_output_with(dir, &dir.join("check.txt"), &[&shown[..], args].concat())
}

/// `--show-fixes` shows what `dusk fix --diff` would print, excludes included: the template of
/// a loader the run excludes stays a Pod there too. (Its own lazy search for loaders walked
/// the paths without `exclude`, and showed the template migrated.)
#[test]
fn shown_fixes_keep_the_template_of_an_excluded_loader_classic() {
    let dir = project("migrated-call");
    let shown = shown_fixes(dir.path(), &["--extend-exclude", "daily_report.py"]);
    assert!(
        shown.contains("Fixes (`dusk fix --unsafe-fixes`)"),
        "{shown}"
    );
    assert!(!shown.contains("kind: DaskCluster"), "{shown}");
    let (_, fixed) = fix_in(
        dir.path(),
        &[
            "--diff",
            "--unsafe-fixes",
            "--extend-exclude",
            "daily_report.py",
        ],
        &["."],
    );
    assert!(!fixed.contains("kind: DaskCluster"), "{fixed}");
    // With its loader in the run, both show the template migrated with it.
    let shown = shown_fixes(dir.path(), &[]);
    assert!(shown.contains("+kind: DaskCluster"), "{shown}");
}

#[test]
fn a_dask_config_scheduler_template_path_goes_into_the_daskcluster() {
    let dir = project("dask-config-scheduler");
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let spec = read(dir.path(), "worker.yaml");
    let file = dusk::source::yaml::parse(&spec, Default::default()).unwrap();
    let value = dusk::migrate::validate::to_json(file.documents[0].root.as_ref().unwrap());
    assert_eq!(value["metadata"]["name"], "reports", "{spec}\n{out}");
    let scheduler = &value["spec"]["scheduler"]["spec"];
    assert_eq!(
        scheduler["serviceAccountName"], "reports-scheduler",
        "{spec}"
    );
    assert_eq!(scheduler["nodeSelector"]["pool"], "on-demand", "{spec}");
    assert_eq!(
        scheduler["containers"][0]["resources"]["limits"]["memory"], "4G",
        "{spec}"
    );
    let problems = dusk::migrate::validate::resource(&value);
    assert!(problems.is_empty(), "{problems:?}\n{spec}");
    // The config names the DaskCluster now; the scheduler's file stays as it is (apart
    // from its own command fix), for a person to delete once reviewed.
    let config = read(dir.path(), "dask.yaml");
    assert!(
        config.contains("custom-cluster-spec: worker.yaml"),
        "{config}"
    );
    assert!(!config.contains("  scheduler-template-path:"), "{config}");
    assert!(read(dir.path(), "scheduler.yaml").contains("kind: Pod"));
}
