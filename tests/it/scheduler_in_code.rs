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

/// The `custom_cluster_spec=` dict the fixed `ingest.py` passes, read by Python's own
/// `ast.literal_eval` (`None` when no `python3` is on the path).
fn python_dict(path: &Path) -> Option<serde_json::Value> {
    let script = "import ast, json, sys\n\
        tree = ast.parse(open(sys.argv[1]).read())\n\
        names = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}\n\
        for n in ast.walk(tree):\n\
        \x20   if isinstance(n, ast.keyword) and n.arg == 'custom_cluster_spec':\n\
        \x20       v = names.get(n.value.id) if isinstance(n.value, ast.Name) else n.value\n\
        \x20       print(json.dumps(ast.literal_eval(v)))\n\
        \x20       break\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn a_pod_dict_in_the_code_becomes_the_daskcluster_it_passes() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    let source = Path::new(CASES).join("worker-dict/ingest.py");
    fs::copy(&source, dir.path().join("ingest.py")).unwrap();
    let (_, preview) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    insta::assert_snapshot!("worker-dict", preview);
    // The unnamed pod cannot become a DaskCluster, so its call stays classic, and with it
    // every call of the file (and the import).
    assert!(
        preview.contains("a DaskCluster needs a name: pass a literal `name=` to the call"),
        "{preview}"
    );
    fs::write(
        dir.path().join("ingest.py"),
        fs::read_to_string(&source).unwrap().replace(
            "\"args\": [\"dask-worker\"]}]}})",
            "\"args\": [\"dask-worker\"]}]}}, name=\"debug\")",
        ),
    )
    .unwrap();
    fix_in(dir.path(), &["--unsafe-fixes"], &["."]);
    let py = read(dir.path(), "ingest.py");
    assert!(
        py.contains("KubeCluster(custom_cluster_spec=WORKER, name=\"ingest\""),
        "{py}"
    );
    let Some(value) = python_dict(&dir.path().join("ingest.py")) else {
        eprintln!("\n!!! python3 not found: the dict was not read back\n");
        return;
    };
    assert_eq!(value["kind"], "DaskCluster", "{py}");
    assert_eq!(value["metadata"]["name"], "ingest");
    let worker = &value["spec"]["worker"]["spec"];
    assert_eq!(worker["tolerations"][0]["key"], "spot");
    assert!(worker.get("restartPolicy").is_none(), "{py}");
    assert_eq!(
        worker["containers"][0]["args"],
        serde_json::json!([
            "dask",
            "worker",
            "--nthreads",
            "2",
            "--memory-limit",
            "4G",
            "--death-timeout",
            "60",
            "--name",
            "$(DASK_WORKER_NAME)"
        ])
    );
    assert_eq!(
        value["spec"]["worker"]["metadata"]["labels"]["app"],
        "ingest"
    );
    if std::env::var_os("DUSK_ORACLES").is_some() {
        assert!(dusk::migrate::validate::schema_for("DaskCluster").is_some());
    }
    let problems = dusk::migrate::validate::resource(&value);
    assert!(problems.is_empty(), "{problems:?}\n{py}");
    let (_, again) = fix_in(dir.path(), &["--diff", "--unsafe-fixes"], &["."]);
    assert!(
        !again.contains("+++"),
        "a second fix changed something:\n{again}"
    );
}
