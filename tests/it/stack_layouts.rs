//! Hand-rolled Dask stacks laid out as repositories lay them out (`hand-rolled-to-daskcluster`
//! across directories): `fixtures/rewriters/hand-rolled-to-daskcluster/research-repo/` holds
//! a scheduler whose Service and workers sit in other directories (`deploy/dask/`), a
//! kustomize base whose `prod` overlay patches the stack (`kustomize/`), and a flat `k8s/`
//! where the scheduler Service sits in `services.yaml` among unrelated Services. The stack
//! is tied by the Service selector ↔ the scheduler's pod labels and the address in the
//! workers' args or env, within the paths given; the DaskCluster replaces the scheduler's
//! document, every other file loses only the stack's documents.

use dusk::cli::ExitStatus;
use dusk::migrate::validate;
use std::fs;
use std::path::Path;

use crate::run::{check_json, fix_in, kinds, read};

const REPO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/rewriters/hand-rolled-to-daskcluster/research-repo"
);

/// The fixture's files, as paths relative to it, sorted.
fn files() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_str().unwrap().to_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(REPO), Path::new(REPO), &mut out);
    out.sort();
    out
}

/// A copy of the repository in a temporary directory (a git checkout), with `changed` files
/// written over it (`None` deletes the file).
fn repo(changed: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for f in files() {
        let to = dir.path().join(&f);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(Path::new(REPO).join(&f), to).unwrap();
    }
    for (name, text) in changed {
        let to = dir.path().join(name);
        match text {
            Some(t) => {
                fs::create_dir_all(to.parent().unwrap()).unwrap();
                fs::write(to, t).unwrap();
            }
            None => fs::remove_file(to).unwrap(),
        }
    }
    dir
}

fn original(name: &str) -> String {
    fs::read_to_string(Path::new(REPO).join(name)).unwrap()
}

/// Each `---` section of `text` (its comments included), split at separator lines.
fn sections(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push_str(line);
        }
    }
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
        .collect()
}

#[test]
fn the_checks_findings() {
    let dir = repo(&[]);
    let report = check_json(dir.path(), &dir.path().join("report.json"));
    let shown = dir.path().to_str().unwrap();
    let mut lines = Vec::new();
    for f in report["findings"].as_array().unwrap() {
        let fix = &f["fix"];
        let fix = if fix.is_null() {
            "no fix".to_owned()
        } else if let Some(a) = fix["applicability"].as_str() {
            format!("fix ({a}): {}", fix["description"].as_str().unwrap_or(""))
        } else {
            format!("not fixable: {}", fix["reason"].as_str().unwrap_or(""))
        };
        lines.push(format!(
            "{}:{}:{} {} {}\n    {}",
            f["path"].as_str().unwrap().replace(shown, "[dir]"),
            f["line"],
            f["column"],
            f["severity"].as_str().unwrap(),
            f["rule"].as_str().unwrap(),
            fix
        ));
    }
    insta::assert_snapshot!("findings", lines.join("\n"));
}

#[test]
fn the_diff_of_the_whole_repository() {
    let dir = repo(&[]);
    let (status, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert_eq!(status, ExitStatus::Failure, "changes are pending:\n{out}");
    // Previewing writes nothing.
    for f in files() {
        assert_eq!(read(dir.path(), &f), original(&f), "{f} changed");
    }
    insta::assert_snapshot!("repository-diff", out);
}

#[test]
fn a_scheduler_with_its_service_and_workers_in_other_directories_becomes_one_daskcluster() {
    let dir = repo(&[]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["deploy"]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    let scheduler = read(dir.path(), "deploy/dask/scheduler/deployment.yaml");
    assert_eq!(kinds(&scheduler), pairs(&[("DaskCluster", "dask")]));
    // The Ingress beside the Service stays byte for byte; the Service goes.
    let service = read(dir.path(), "deploy/dask/scheduler/service.yaml");
    let ingress = &sections(&original("deploy/dask/scheduler/service.yaml"))[1];
    assert_eq!(service, *ingress);
    // The workers' file held only the workers: a note says where they went.
    assert_eq!(
        read(dir.path(), "deploy/dask/workers/deployment.yaml"),
        "# The Dask workers of this file are now DaskCluster `dask` in `../scheduler/deployment.yaml` (dusk fix).\n"
    );
    for carried in [
        "replicas: 12",
        "claimName: grch38-reference",
        "cloud.google.com/gke-nodepool: highmem",
        "priorityClassName: research-high",
        "value: pysam==0.22.0 scikit-allel==1.3.7",
        "namespace: genomics",
    ] {
        assert!(scheduler.contains(carried), "{carried} lost:\n{scheduler}");
    }
    assert!(
        !scheduler.contains("- tcp://dask-scheduler.genomics.svc.cluster.local:8786"),
        "{scheduler}"
    );
    // The report names where the parts were and the client left with the old address.
    assert!(
        scheduler.contains("Service(s) `dask-scheduler` (in `service.yaml`) and worker(s) `dask-worker` (in `../workers/deployment.yaml`)"),
        "{scheduler}"
    );
    assert!(
        scheduler.contains("Documents of `service.yaml` that send traffic to Service `dask-scheduler` by name: Ingress `dask-dashboard` (line 19);"),
        "{scheduler}"
    );
    insta::assert_snapshot!("deploy-dask-scheduler", scheduler);
    // A second fix changes nothing.
    let (status, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["deploy"]);
    assert_eq!(status, ExitStatus::Success, "{again}");
    assert!(!again.contains("+++"), "{again}");
}

#[test]
fn a_scheduler_service_among_unrelated_services_goes_and_they_stay_byte_for_byte() {
    let dir = repo(&[]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    let services = read(dir.path(), "k8s/services.yaml");
    let before = sections(&original("k8s/services.yaml"));
    assert_eq!(
        kinds(&services),
        pairs(&[("Service", "postgres"), ("Service", "jupyter")])
    );
    // Postgres (with the file's head comment) and JupyterLab's Service, as they were.
    assert_eq!(services, format!("{}---\n{}", before[0], before[2]));
    let workers = read(dir.path(), "k8s/dask-workers.yaml");
    assert_eq!(workers, sections(&original("k8s/dask-workers.yaml"))[1]);
    assert_eq!(
        read(dir.path(), "k8s/postgres.yaml"),
        original("k8s/postgres.yaml")
    );
    let cluster = read(dir.path(), "k8s/dask-scheduler.yaml");
    assert_eq!(kinds(&cluster), pairs(&[("DaskCluster", "dask")]));
    assert!(
        cluster.contains("Documents of `dask-workers.yaml` that name the old address: Deployment `jupyter` (line 22)."),
        "{cluster}"
    );
    insta::assert_snapshot!("k8s-dask-scheduler", cluster);
    let (status, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{again}");
    assert!(!again.contains("+++"), "{again}");
}

#[test]
fn the_generated_resources_validate_against_the_real_crds() {
    if std::env::var_os("DUSK_ORACLES").is_some() {
        for kind in ["DaskCluster", "DaskWorkerGroup"] {
            assert!(
                validate::schema_for(kind).is_some(),
                "no CRD schema for {kind}"
            );
        }
    } else {
        eprintln!("\n!!! CRD schemas not checked: DUSK_ORACLES is not set\n");
    }
    // Without the overlay that patches it, the kustomize base migrates too.
    let dir = repo(&[("kustomize/overlays/prod/kustomization.yaml", None)]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    let mut checked = 0;
    for f in [
        "deploy/dask/scheduler/deployment.yaml",
        "k8s/dask-scheduler.yaml",
        "kustomize/base/scheduler.yaml",
    ] {
        let text = read(dir.path(), f);
        let file = dusk::source::yaml::parse(&text, Default::default()).unwrap();
        for root in file.documents.iter().filter_map(|d| d.root.as_ref()) {
            assert_eq!(
                root.get_str("apiVersion"),
                Some("kubernetes.dask.org/v1"),
                "{f}"
            );
            let problems = validate::resource(&validate::to_json(root));
            assert!(problems.is_empty(), "{f}: {problems:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
}

/// The prod overlay patches the worker Deployment of `kustomize/base/`: the fix says so and
/// the base's files stay as they are.
fn the_prod_overlay_declines_the_fix(dir: &Path, out: &str) {
    assert!(
        out.contains("not fixable: kustomization `../overlays/prod/kustomization.yaml` patches Deployment `imaging-worker` of this stack (line 8)"),
        "{out}"
    );
    for f in ["scheduler.yaml", "service.yaml", "workers.yaml"] {
        let f = format!("kustomize/base/{f}");
        assert!(!read(dir, &f).contains("DaskCluster"), "{f}");
    }
}

#[test]
fn a_kustomization_patching_the_stack_declines_the_fix() {
    let dir = repo(&[]);
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["kustomize"]);
    the_prod_overlay_declines_the_fix(dir.path(), &out);
    // An inline JSON 6902 patch of the Service declines it as well.
    let prod = original("kustomize/overlays/prod/kustomization.yaml");
    let only_service = prod.replace("  - path: workers-patch.yaml\n", "");
    let dir = repo(&[(
        "kustomize/overlays/prod/kustomization.yaml",
        Some(&only_service),
    )]);
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["kustomize"]);
    assert!(
        out.contains("patches Service `imaging-scheduler` of this stack"),
        "{out}"
    );
    assert!(!out.contains("kind: DaskCluster"), "{out}");
}

/// Kustomizations are read at any level, also past a level too large to widen to, whose
/// other files dusk lists only to count: here 900 ConfigMaps sort before the overlay.
#[test]
fn a_kustomization_past_a_level_of_900_files_still_declines_the_fix() {
    let dir = repo(&[]);
    let at = dir.path().join("kustomize/aaa-settings");
    fs::create_dir_all(&at).unwrap();
    for i in 0..900 {
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: imaging-settings-{i}\ndata:\n  shard: \"{i}\"\n"
        );
        fs::write(at.join(format!("settings-{i:03}.yaml")), text).unwrap();
    }
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["kustomize"]);
    the_prod_overlay_declines_the_fix(dir.path(), &out);
}

#[test]
fn two_schedulers_for_one_service_decline_the_fix() {
    // A canary scheduler with the same pod labels: the Service selects both.
    let canary = original("deploy/dask/scheduler/deployment.yaml")
        .replace("name: dask-scheduler\n", "name: dask-scheduler-canary\n");
    let dir = repo(&[("deploy/dask/scheduler/canary.yaml", Some(&canary))]);
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["deploy"]);
    assert!(
        out.contains("two schedulers for one Service: `dask-scheduler` selects `dask-scheduler` here and `dask-scheduler-canary` in `canary.yaml`"),
        "{out}"
    );
    assert!(!out.contains("kind: DaskCluster"), "{out}");
}

#[test]
fn a_service_selecting_no_scheduler_declines_the_fix() {
    // The Service's selector was renamed, the scheduler's labels were not.
    let service = original("k8s/services.yaml").replace(
        "selector: {app: dask, component: scheduler}",
        "selector: {app: dask, component: dask-scheduler}",
    );
    let dir = repo(&[("k8s/services.yaml", Some(&service))]);
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["k8s"]);
    assert!(
        out.contains("Service `dask-scheduler` in `services.yaml` selects `app=dask,component=dask-scheduler`, which the pods of no scheduler carry"),
        "{out}"
    );
    assert!(!out.contains("kind: DaskCluster"), "{out}");
}

/// The scheduler of `deploy/dask/` found no workers in view: it stays, and so do they.
fn stack_left_alone(dir: &Path, out: &str) {
    assert!(
        out.contains("no worker Deployment in this file connects to `dask-scheduler`"),
        "{out}"
    );
    assert_eq!(
        read(dir, "deploy/dask/workers/deployment.yaml"),
        original("deploy/dask/workers/deployment.yaml")
    );
    assert!(!read(dir, "deploy/dask/scheduler/deployment.yaml").contains("DaskCluster"));
}

#[test]
fn parts_outside_the_paths_given_are_never_read() {
    // Only the scheduler's directory: the workers in `../workers/` are not in view.
    let dir = repo(&[]);
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["deploy/dask/scheduler"]);
    stack_left_alone(dir.path(), &out);
}

#[test]
fn parts_the_run_excludes_are_neither_read_nor_changed() {
    // The workers' directory is excluded: the stack is incomplete in what the run checks,
    // so the scheduler stays as it is and the excluded file is not touched.
    let dir = repo(&[]);
    let (_, out) = fix_in(
        dir.path(),
        &["--unsafe-fixes", "--extend-exclude", "workers"],
        &["deploy"],
    );
    stack_left_alone(dir.path(), &out);
    // Without the exclude, the same run migrates the stack (see above).
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["deploy"]);
    assert!(out.contains("DaskCluster"), "{out}");
    assert!(read(dir.path(), "deploy/dask/scheduler/deployment.yaml").contains("DaskCluster"));
}

#[test]
fn a_kustomize_base_nothing_patches_migrates_and_says_what_its_kustomization_must_drop() {
    // Only the `dev` overlay, which sets the namespace and patches nothing.
    let dir = repo(&[
        ("kustomize/overlays/prod/kustomization.yaml", None),
        ("kustomize/overlays/prod/workers-patch.yaml", None),
    ]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["kustomize"]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    let scheduler = read(dir.path(), "kustomize/base/scheduler.yaml");
    assert_eq!(kinds(&scheduler), pairs(&[("DaskCluster", "imaging")]));
    assert!(
        scheduler.contains(
            "# Kustomization `kustomization.yaml` lists `service.yaml`, `workers.yaml` in its `resources`, which the fix leaves without an object: remove them from it.\n"
        ),
        "{scheduler}"
    );
    // The kustomizations themselves are not edited.
    for k in [
        "kustomize/base/kustomization.yaml",
        "kustomize/overlays/dev/kustomization.yaml",
    ] {
        assert_eq!(read(dir.path(), k), original(k), "{k}");
    }
    insta::assert_snapshot!("kustomize-base-scheduler", scheduler);
}

#[test]
fn the_json_migration_report_points_each_field_at_the_file_it_came_from() {
    let dir = repo(&[]);
    let (_, text) = fix_in(
        dir.path(),
        &["--format", "json", "--diff", "--unsafe-fixes"],
        &["deploy"],
    );
    let (out, _) = text.split_once("\n--- stderr ---\n").unwrap();
    let json: serde_json::Value = serde_json::from_str(out).unwrap();
    let file = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                .as_str()
                .unwrap()
                .ends_with("scheduler/deployment.yaml")
        })
        .unwrap_or_else(|| panic!("{json:#}"));
    let report = &file["migration"][0];
    assert_eq!(report["cluster"], "dask", "{report:#}");
    let source = |field: &str| {
        report["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .and_then(|f| f["source"].as_str())
            .unwrap_or_else(|| panic!("no {field} in {report:#}"))
            .to_owned()
    };
    assert!(
        source("service_type").ends_with("deploy/dask/scheduler/service.yaml:2"),
        "{report:#}"
    );
    assert!(
        source("replicas").ends_with("deploy/dask/workers/deployment.yaml:12"),
        "{report:#}"
    );
    assert!(
        source("scheduler").ends_with("deploy/dask/scheduler/deployment.yaml:3"),
        "{report:#}"
    );
}

/// The search widens a level only while the files it would then read, less the scheduler's
/// own, are at most 400: past that, the tree around the scheduler is a corpus, not its
/// stack. Here the workers sit one level up, beside a directory of unrelated ConfigMaps
/// (1,000 of them: more than the 401 of that level dusk lists to count them).
#[test]
fn the_stack_search_widens_up_to_400_files_and_no_further() {
    for (configs, widened) in [(398, true), (399, false), (1000, false)] {
        let dir = repo(&[]);
        let at = dir.path().join("deploy/dask/configs");
        fs::create_dir_all(&at).unwrap();
        for i in 0..configs {
            let text = format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pipeline-settings-{i}\n  namespace: genomics\ndata:\n  shard: \"{i}\"\n"
            );
            fs::write(at.join(format!("settings-{i:03}.yaml")), text).unwrap();
        }
        let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["deploy"]);
        let scheduler = read(dir.path(), "deploy/dask/scheduler/deployment.yaml");
        let workers = read(dir.path(), "deploy/dask/workers/deployment.yaml");
        if widened {
            assert_eq!(
                kinds(&scheduler),
                pairs(&[("DaskCluster", "dask")]),
                "{out}"
            );
            assert!(!workers.contains("kind: Deployment"), "{workers}");
        } else {
            // Not in view, the workers stay Deployments (their own command fix aside).
            assert!(
                out.contains("no worker Deployment in this file connects to `dask-scheduler`"),
                "{out}"
            );
            assert!(!scheduler.contains("DaskCluster"), "{scheduler}");
            assert!(workers.contains("kind: Deployment"), "{workers}");
        }
    }
}
