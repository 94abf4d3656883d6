//! Argo Workflows that run Dask by hand → a DaskCluster created and deleted by the same
//! `resource` steps (`argo-to-daskcluster`, the fix of `argo-dask-scheduler-step`).
//!
//! `fixtures/rewriters/argo-to-daskcluster/` holds a ClusterWorkflowTemplate (a daemon
//! scheduler step, a `resource` step creating a worker Deployment embedded as a string, the
//! step deleting it) and a CronWorkflow that uses it by `templateRef`. The tests snapshot
//! the fixed workflow (its migration report included), hold the embedded DaskCluster
//! against the real CRD schemas, check that what the fix did not mean to touch stays byte
//! for byte and that a second fix changes nothing, and snapshot the reasons the rewriter
//! gives when it declines.

use crate::fix_support;
use fix_support as support;

use dusk::migrate::{End, validate};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rewriters/argo-to-daskcluster")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

/// The manifests the fixed workflow's `resource` steps hold, parsed.
fn manifests(text: &str) -> Vec<serde_json::Value> {
    let file = dusk::source::yaml::parse(text, Default::default()).unwrap();
    let root = file.documents[0].root.as_ref().unwrap();
    let templates = dusk::extract::argo::templates_node(root).unwrap();
    templates
        .as_seq()
        .unwrap()
        .iter()
        .filter_map(|t| t.path(&["resource", "manifest"]))
        .map(|m| {
            let inner =
                dusk::source::yaml::parse(m.as_string_scalar().unwrap(), Default::default())
                    .unwrap();
            validate::to_json(inner.documents[0].root.as_ref().unwrap())
        })
        .collect()
}

#[test]
fn a_cluster_workflow_template_becomes_a_daskcluster_step() {
    let (path, text) = fixture("shared-cluster/dask-batch-cluster.yaml");
    let only = support::scan(&["argo-dask-scheduler-step"]);
    let outcome = support::fix(&only, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        outcome.applied.get("argo-dask-scheduler-step"),
        Some(&1),
        "{:?} {:?}",
        outcome.applied,
        outcome
            .remaining
            .findings
            .iter()
            .map(|f| (&f.rule, &f.not_fixable))
            .collect::<Vec<_>>()
    );
    let fixed = &outcome.fixed;

    // What the fix did not mean to touch stays byte for byte.
    let header = &text[..text.find("  templates:\n").unwrap()];
    assert!(fixed.starts_with(header), "the header changed");
    let create_head = &text[text.find("    - name: dask-workers\n").unwrap()
        ..text.find("        manifest: |\n").unwrap()];
    assert!(
        fixed.contains(create_head),
        "the create step's head changed"
    );
    assert!(
        fixed
            .contains("    - name: delete-dask-workers\n      resource:\n        action: delete\n")
    );
    // The scheduler template and its comment are gone.
    assert!(!fixed.contains("daemon: true"));
    assert!(!fixed.contains("The scheduler lives as long"));

    // The create step holds a DaskCluster the real CRD accepts; the delete step names it.
    if std::env::var_os("DUSK_ORACLES").is_some() {
        assert!(
            validate::schema_for("DaskCluster").is_some(),
            "no CRD schema"
        );
    } else {
        eprintln!("\n!!! CRD schemas not checked: DUSK_ORACLES is not set\n");
    }
    let docs = manifests(fixed);
    assert_eq!(docs.len(), 2);
    let cluster = &docs[0];
    assert_eq!(cluster["kind"], "DaskCluster");
    let problems = validate::resource(cluster);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(cluster["spec"]["worker"]["replicas"], 6);
    let worker = &cluster["spec"]["worker"]["spec"];
    assert_eq!(worker["nodeSelector"]["pool"], "dask-workers");
    let args: Vec<&str> = worker["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        !args.iter().any(|a| a.contains("scheduler-ip")),
        "the scheduler address stays: {args:?}"
    );
    let scheduler = &cluster["spec"]["scheduler"]["spec"];
    assert_eq!(scheduler["nodeSelector"]["pool"], "dask-control");
    assert_eq!(scheduler["serviceAccountName"], "dask");
    assert_eq!(
        scheduler["containers"][0]["resources"]["limits"]["cpu"],
        "2"
    );
    assert_eq!(
        docs[1],
        serde_json::json!({"apiVersion": "kubernetes.dask.org/v1", "kind": "DaskCluster",
            "metadata": {"name": "dask-batch-cluster"}})
    );
    insta::assert_snapshot!("argo_cluster_workflow_template", fixed);

    // A second fix changes nothing, with this rule or all of them.
    let again = support::fix(&only, &path, fixed, true, None);
    assert_eq!(&again.fixed, fixed);
    let all = support::fix(&support::builtin_scan(), &path, &text, true, None);
    assert_eq!(all.end, End::Converged);
    assert!(all.failed.is_empty(), "{:?}", all.failed);
    assert_eq!(
        &all.fixed, fixed,
        "other rules change the migrated workflow"
    );
    let all_again = support::fix(&support::builtin_scan(), &path, &all.fixed, true, None);
    assert_eq!(all_again.fixed, all.fixed);
    assert!(
        all_again.remaining.findings.is_empty(),
        "{:?}",
        all_again.remaining.findings
    );
}

/// The CronWorkflow that uses the template runs no scheduler of its own: it is left alone.
#[test]
fn a_cron_workflow_using_the_template_is_left_alone() {
    let (path, text) = fixture("shared-cluster/nightly-aggregation-cron.yaml");
    let all = support::fix(&support::builtin_scan(), &path, &text, true, None);
    assert_eq!(all.fixed, text);
}

/// What the rewriter declines, and why, for each shape it leaves to a person.
#[test]
fn declined_shapes_say_why() {
    let (_, base) = fixture("shared-cluster/dask-batch-cluster.yaml");
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules/argo-dask-scheduler-step");
    let cases: Vec<(&str, String)> = vec![
        (
            "pod spec patch",
            std::fs::read_to_string(rules.join("bad-cluster-template.yaml")).unwrap(),
        ),
        (
            "step parameter in the scheduler's image",
            base.replacen(
                "        image: ghcr.io/dask/dask:2024.1.1\n        args: [\"dask\", \"scheduler\"",
                "        image: \"ghcr.io/dask/dask:{{inputs.parameters.dask-version}}\"\n        args: [\"dask\", \"scheduler\"",
                1,
            ),
        ),
        (
            "templated replicas without a default",
            base.replacen("          - name: replicas\n            value: \"6\"\n", "          - name: replicas\n", 1),
        ),
        (
            "no step creates the workers",
            std::fs::read_to_string(rules.join("bad-cron.yaml")).unwrap(),
        ),
        (
            "a DAG task of the file runs the scheduler template",
            base.replacen(
                "spec:\n  templates:\n",
                "spec:\n  entrypoint: main\n  templates:\n    - name: main\n      dag:\n        tasks:\n          - {name: scheduler, template: dask-scheduler}\n",
                1,
            ),
        ),
    ];
    let only = support::scan(&["argo-dask-scheduler-step"]);
    let path = Path::new("workflow.yaml");
    let mut out = String::new();
    for (name, text) in cases {
        assert_ne!(text, base, "{name}: the case did not change the fixture");
        let outcome = support::fix(&only, path, &text, true, None);
        assert_eq!(outcome.fixed, text, "{name}: fixed anyway");
        let reasons: Vec<String> = outcome
            .remaining
            .findings
            .iter()
            .filter(|f| f.rule == "argo-dask-scheduler-step")
            .map(|f| {
                format!(
                    "{}:{} {}",
                    f.start.line,
                    f.start.column,
                    f.not_fixable.as_deref().unwrap_or("(no reason)")
                )
            })
            .collect();
        assert!(!reasons.is_empty(), "{name}: no finding");
        out.push_str(&format!("# {name}\n{}\n", reasons.join("\n")));
    }
    insta::assert_snapshot!("argo_declined", out);
}

/// A Workflow whose own steps run the scheduler: the step goes (alone in its group, the
/// group goes), every `{{steps.<step>.ip}}` names the operator's Service, and the rest of
/// the steps stay as they were.
#[test]
fn a_workflow_running_its_own_scheduler_step_uses_the_daskcluster() {
    let (path, text) = fixture("workflow/etl-nightly.yaml");
    let only = support::scan(&["argo-dask-scheduler-step"]);
    let outcome = support::fix(&only, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.applied.get("argo-dask-scheduler-step"), Some(&1));
    let fixed = &outcome.fixed;
    // Only the report's comments still mention the old expression.
    assert!(
        !fixed
            .lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains("{{steps.scheduler.ip}}")),
        "{fixed}"
    );
    assert!(!fixed.contains("template: dask-scheduler"), "{fixed}");
    assert!(fixed.contains("value: \"tcp://etl-nightly-scheduler.data:8786\""));
    // The warm-cache step, parallel to the workers, and the teardown stay byte for byte.
    for kept in [
        "          - name: warm-cache\n            template: warm-cache\n",
        &text[text.find("\n    - name: warm-cache\n").unwrap()
            ..text.find("\n    - name: delete-dask-workers\n").unwrap()],
    ] {
        assert!(fixed.contains(kept), "changed:\n{kept}");
    }
    let docs = manifests(fixed);
    let problems = validate::resource(&docs[0]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(docs[0]["metadata"]["namespace"], "data");
    assert_eq!(docs[0]["spec"]["worker"]["replicas"], 8);
    insta::assert_snapshot!("argo_workflow_steps", fixed);
    let again = support::fix(&support::builtin_scan(), &path, fixed, true, None);
    assert_eq!(&again.fixed, fixed);
    assert!(
        again.remaining.findings.is_empty(),
        "{:?}",
        again.remaining.findings
    );
}
