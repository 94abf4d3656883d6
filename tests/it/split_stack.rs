//! A hand-rolled Dask stack spread over several files (`hand-rolled-to-daskcluster` across
//! files): `fixtures/rewriters/hand-rolled-to-daskcluster/split-stack/k8s/` holds the
//! scheduler Deployment and its Service in `scheduler.yaml`, two worker Deployments that
//! name the Service in `workers.yaml`, and in each file a document that is not part of the
//! stack (a ServiceAccount; a CronJob that is a client of the scheduler). `dusk fix` makes
//! them one DaskCluster and one DaskWorkerGroup in the scheduler's file and removes the
//! workers from theirs, in one fix: both files or neither.

use dusk::cli::ExitStatus;
use dusk::migrate::validate;
use std::fs;
use std::path::Path;

use crate::run::{fix_in, kinds, read};

const STACK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/rewriters/hand-rolled-to-daskcluster/split-stack/k8s"
);

/// A copy of the fixture's `k8s/` in a temporary project, with `extra` files added to it.
fn project(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::create_dir(dir.path().join("k8s")).unwrap();
    for name in ["scheduler.yaml", "workers.yaml"] {
        fs::copy(
            Path::new(STACK).join(name),
            dir.path().join("k8s").join(name),
        )
        .unwrap();
    }
    for (name, text) in extra {
        fs::write(dir.path().join("k8s").join(name), text).unwrap();
    }
    dir
}

fn original(name: &str) -> String {
    fs::read_to_string(Path::new(STACK).join(name)).unwrap()
}

#[test]
fn the_diff_shows_both_files_of_one_fix() {
    let dir = project(&[]);
    let (status, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Failure, "changes are pending:\n{out}");
    let scheduler = out.find("+++ b/[dir]/k8s/scheduler.yaml").expect(&out);
    let workers = out.find("+++ b/[dir]/k8s/workers.yaml").expect(&out);
    assert!(scheduler < workers, "{out}");
    // Previewing writes nothing.
    assert_eq!(
        read(dir.path(), "k8s/workers.yaml"),
        original("workers.yaml")
    );
    assert_eq!(
        read(dir.path(), "k8s/scheduler.yaml"),
        original("scheduler.yaml")
    );
    insta::assert_snapshot!("split-stack-diff", out);
}

#[test]
fn the_stack_becomes_one_daskcluster_and_the_rest_stays_byte_for_byte() {
    let dir = project(&[]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    let scheduler = read(dir.path(), "k8s/scheduler.yaml");
    let workers = read(dir.path(), "k8s/workers.yaml");
    assert_eq!(
        kinds(&scheduler),
        [
            ("ServiceAccount".into(), "dask".into()),
            ("DaskCluster".into(), "dask".into()),
            ("DaskWorkerGroup".into(), "dask-highmem".into()),
        ]
    );
    assert_eq!(
        kinds(&workers),
        [("CronJob".to_owned(), "feature-build".to_owned())]
    );
    // The documents that are not part of the stack, comments included, are unchanged.
    let sa = original("scheduler.yaml");
    let sa = &sa[..sa.find("---\n").unwrap() + 4];
    assert!(scheduler.starts_with(sa), "{scheduler}");
    let job = original("workers.yaml");
    let job = &job[job.find("---\n# The nightly build").unwrap()..];
    assert_eq!(workers, job);
    // The report names the client that must change address, in the other file.
    assert!(
        scheduler.contains(
            "# Documents of `workers.yaml` that name the old address: CronJob `feature-build` (line 57).\n"
        ),
        "{scheduler}"
    );
    // The workers' settings went into the DaskCluster and the worker group.
    for carried in [
        "replicas: 6",
        "replicas: 2",
        "node-pool: compute",
        "node-pool: highmem",
        "value: pyarrow==13.0.0 s3fs==2023.9.2",
        "- MEMORY=120e9",
        "cluster: dask",
    ] {
        assert!(scheduler.contains(carried), "{carried} lost:\n{scheduler}");
    }
    assert!(
        !scheduler.contains("dask-scheduler:8786\n        -"),
        "{scheduler}"
    );
    // A second fix changes nothing.
    let (status, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{again}");
    assert!(
        !again.contains("+++"),
        "a second fix changed something:\n{again}"
    );
    assert_eq!(read(dir.path(), "k8s/scheduler.yaml"), scheduler);
    assert_eq!(read(dir.path(), "k8s/workers.yaml"), workers);
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
    let dir = project(&[]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    let text = read(dir.path(), "k8s/scheduler.yaml");
    let file = dusk::source::yaml::parse(&text, Default::default()).unwrap();
    let mut checked = 0;
    for root in file.documents.iter().filter_map(|d| d.root.as_ref()) {
        if root.get_str("apiVersion") != Some("kubernetes.dask.org/v1") {
            continue;
        }
        let problems = validate::resource(&validate::to_json(root));
        assert!(problems.is_empty(), "{problems:?}");
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn workers_outside_the_paths_given_decline_the_fix() {
    let dir = project(&[]);
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["k8s/scheduler.yaml"]);
    assert!(
        out.contains("`/[dir]/k8s/workers.yaml` is outside the paths given"),
        "{out}"
    );
    assert!(!read(dir.path(), "k8s/scheduler.yaml").contains("DaskCluster"));
    assert_eq!(
        read(dir.path(), "k8s/workers.yaml"),
        original("workers.yaml")
    );
}

#[test]
fn two_schedulers_behind_one_service_name_decline_the_fix() {
    // A second scheduler (a copy of the first, for staging) answers to the same Service
    // name: the workers' address could mean either.
    let staging = original("scheduler.yaml").replace("namespace: features", "namespace: staging");
    let dir = project(&[("staging.yaml", &staging)]);
    let (_, out) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["k8s"]);
    assert!(!out.contains("kind: DaskCluster"), "{out}");
    assert!(
        out.contains("two schedulers answer to `dask-scheduler`"),
        "{out}"
    );
    // Writing keeps every worker Deployment (their safe fixes, `dask worker`, still apply).
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["k8s"]);
    assert_eq!(
        kinds(&read(dir.path(), "k8s/workers.yaml")),
        kinds(&original("workers.yaml")),
        "{out}"
    );
    for name in ["scheduler.yaml", "staging.yaml"] {
        let text = read(dir.path(), &format!("k8s/{name}"));
        assert!(!text.contains("DaskCluster"), "{name}:\n{text}");
    }
}

#[test]
fn a_file_left_without_documents_says_where_its_workers_went() {
    // Only the two worker Deployments: nothing of the file stays but a note.
    let workers = original("workers.yaml");
    let workers = &workers[..workers.find("---\n# The nightly build").unwrap()];
    let dir = project(&[("workers.yaml", workers)]);
    let (status, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{out}");
    assert_eq!(
        read(dir.path(), "k8s/workers.yaml"),
        "# The Dask workers of this file are now DaskCluster `dask` in `scheduler.yaml` (dusk fix).\n"
    );
    let scheduler = read(dir.path(), "k8s/scheduler.yaml");
    assert!(scheduler.contains("kind: DaskWorkerGroup"), "{scheduler}");
    assert!(
        !scheduler.contains("that name the old address"),
        "{scheduler}"
    );
    // Fixed twice, nothing moves.
    let (status, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["k8s"]);
    assert_eq!(status, ExitStatus::Success, "{again}");
}

#[test]
fn both_files_given_by_name_are_one_fix() {
    let dir = project(&[]);
    let (status, out) = fix_in(
        dir.path(),
        &["--unsafe-fixes"],
        &["k8s/workers.yaml", "k8s/scheduler.yaml"],
    );
    assert_eq!(status, ExitStatus::Success, "{out}");
    assert!(read(dir.path(), "k8s/scheduler.yaml").contains("kind: DaskCluster"));
    assert_eq!(
        kinds(&read(dir.path(), "k8s/workers.yaml")),
        [("CronJob".to_owned(), "feature-build".to_owned())]
    );
}
