//! `scheduler_pod_template=` written in the code — a dict literal (bound to a name), or a
//! `make_pod_spec(...)` call — goes into the DaskCluster the worker template file becomes,
//! as a scheduler template file does (`python_classic_cluster::scheduler_in_code`).
//!
//! `fixtures/safe-fixes/scheduler-in-code/`: `dict` (a name bound to a pod dict),
//! `make-pod-spec` (an inline call) and `opaque` (a dict holding a variable: declined). The
//! snapshots are `dusk fix --diff --unsafe-fixes` with the built-in packs; the DaskCluster
//! is checked field by field and against the operator's CRD schema.

use crate::run::{fix_in, read};
use std::fs;
use std::path::Path;

const CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/safe-fixes/scheduler-in-code"
);

fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::create_dir(dir.path().join("k8s")).unwrap();
    for file in ["risk_report.py", "k8s/worker.yaml"] {
        fs::copy(
            Path::new(CASES).join(name).join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    dir
}

/// The DaskCluster `k8s/worker.yaml` became, as JSON, checked against the CRD schema.
fn cluster(dir: &Path) -> serde_json::Value {
    let spec = read(dir, "k8s/worker.yaml");
    let file = dusk::source::yaml::parse(&spec, Default::default()).unwrap();
    let value = dusk::migrate::validate::to_json(file.documents[0].root.as_ref().unwrap());
    assert_eq!(value["kind"], "DaskCluster", "{spec}");
    if std::env::var_os("DUSK_ORACLES").is_some() {
        assert!(dusk::migrate::validate::schema_for("DaskCluster").is_some());
    } else {
        eprintln!("\n!!! CRD schema not checked: DUSK_ORACLES is not set\n");
    }
    let problems = dusk::migrate::validate::resource(&value);
    assert!(problems.is_empty(), "{problems:?}\n{spec}");
    value
}

#[test]
fn a_scheduler_pod_in_the_code_is_carried_into_the_daskcluster() {
    for case in ["dict", "make-pod-spec"] {
        let dir = project(case);
        let (_, preview) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
        assert!(!preview.contains("by hand"), "{preview}");
        insta::assert_snapshot!(case, preview);

        fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
        let py = read(dir.path(), "risk_report.py");
        assert!(!py.contains("scheduler_pod_template"), "{py}");
        assert!(!py.contains("# dusk:"), "{py}");
        let value = cluster(dir.path());
        assert_eq!(value["metadata"]["name"], "risk-report");
        let scheduler = &value["spec"]["scheduler"]["spec"];
        assert_eq!(scheduler["serviceAccountName"], "risk-scheduler", "{case}");
        assert_eq!(
            scheduler["nodeSelector"]["node.kubernetes.io/lifecycle"], "on-demand",
            "{case}"
        );
        let c = &scheduler["containers"][0];
        assert_eq!(c["resources"]["limits"]["memory"], "16G", "{case}");
        assert_eq!(c["resources"]["requests"]["cpu"], "2", "{case}");
        assert_eq!(
            c["env"][0],
            serde_json::json!({"name": "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING", "value": "False"}),
            "{case}"
        );
        // What the operator's scheduler runs (the classic class overwrote the args too).
        assert_eq!(
            c["args"],
            serde_json::json!(["dask", "scheduler", "--host", "0.0.0.0"]),
            "{case}"
        );
        // The workers are the worker template's.
        let w = &value["spec"]["worker"]["spec"];
        assert!(w.get("serviceAccountName").is_none(), "{case}");
        assert_eq!(w["containers"][0]["resources"]["limits"]["memory"], "8G");

        let (_, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
        assert!(
            !again.contains("+++"),
            "{case}: a second fix changed something:\n{again}"
        );
    }
    // The dict's tolerations and labels come along too.
    let dir = project("dict");
    fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let value = cluster(dir.path());
    assert_eq!(
        value["spec"]["scheduler"]["spec"]["tolerations"][0]["value"],
        "dask-scheduler"
    );
    assert_eq!(
        value["spec"]["scheduler"]["metadata"]["labels"]["role"],
        "scheduler"
    );
}

#[test]
fn a_scheduler_pod_dusk_cannot_evaluate_declines_the_call() {
    let dir = project("opaque");
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    for file in ["risk_report.py", "k8s/worker.yaml"] {
        assert_eq!(
            read(dir.path(), file),
            fs::read_to_string(Path::new(CASES).join("opaque").join(file))
                .unwrap()
                .replace("[dask-worker, ", "[dask, worker, "),
            "{file}:\n{out}"
        );
    }
    assert!(
        out.contains(
            "the scheduler pod template at line 11 holds values that are not literals, which \
             dusk cannot evaluate"
        ),
        "{out}"
    );
    insta::assert_snapshot!("opaque", out);
}
