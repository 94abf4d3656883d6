//! A classic scheduler pod template is the DaskCluster's `spec.scheduler.spec`
//! (dask-facts §4.1), not a key dropped as having "no operator equivalent".
//!
//! `fixtures/rewriters/dask-config/scheduler-template.yaml` is a dask config with an inline
//! `kubernetes.worker-template` and `kubernetes.scheduler-template`. With the built-in packs
//! the fix writes one `custom-cluster-spec` whose scheduler carries the scheduler template's
//! service account, node placement, env, resources and labels, with the args the operator's
//! scheduler runs (the classic KubeCluster overwrote them with `dask-scheduler`); the
//! DaskCluster validates against the real CRD schema; a second fix changes nothing.

use crate::fix_support;
use fix_support as support;

use dusk::migrate::{End, validate};
use serde_json::json;
use std::path::Path;

#[test]
fn a_dask_config_scheduler_template_is_the_daskclusters_scheduler() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rewriters/dask-config/scheduler-template.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let scan = support::builtin_scan();
    let outcome = support::fix(&scan, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert!(
        outcome.remaining.findings.is_empty(),
        "{:?}",
        outcome.remaining.findings
    );
    let fixed = &outcome.fixed;
    assert!(!fixed.contains("scheduler-template"), "{fixed}");
    assert!(fixed.ends_with("distributed:\n  comm:\n    timeouts: {connect: 60s}\n"));

    let file = dusk::source::yaml::parse(fixed, Default::default()).unwrap();
    let root = file.documents[0].root.as_ref().unwrap();
    let cluster = validate::to_json(
        root.path(&["kubernetes", "custom-cluster-spec"])
            .expect("a custom-cluster-spec"),
    );
    if std::env::var_os("DUSK_ORACLES").is_some() {
        assert!(
            validate::schema_for("DaskCluster").is_some(),
            "no CRD schema"
        );
    } else {
        eprintln!("\n!!! CRD schemas not checked: DUSK_ORACLES is not set\n");
    }
    let problems = validate::resource(&cluster);
    assert!(problems.is_empty(), "{problems:?}");
    let scheduler = &cluster["spec"]["scheduler"];
    assert_eq!(
        scheduler["metadata"]["labels"],
        json!({"role": "dask-scheduler"})
    );
    let spec = &scheduler["spec"];
    assert_eq!(spec["serviceAccountName"], "dask-scheduler");
    assert_eq!(spec["nodeSelector"], json!({"pool": "control"}));
    let c = &spec["containers"][0];
    assert_eq!(c["name"], "scheduler");
    assert_eq!(c["args"], json!(["dask", "scheduler", "--host", "0.0.0.0"]));
    assert_eq!(
        c["env"],
        json!([{"name": "DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING", "value": "False"}])
    );
    assert_eq!(
        c["resources"]["limits"],
        json!({"cpu": "1", "memory": "2Gi"})
    );
    // The worker is the worker template's, not the scheduler's.
    let w = &cluster["spec"]["worker"]["spec"]["containers"][0];
    assert_eq!(w["name"], "worker");
    assert!(w.get("resources").is_none());

    let again = support::fix(&scan, &path, fixed, true, None);
    assert_eq!(&again.fixed, fixed);
}
