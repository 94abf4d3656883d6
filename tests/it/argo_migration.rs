//! Argo Workflows that run Dask by hand → a DaskJob (one pipeline step) or a DaskCluster
//! created and deleted by the same `resource` steps (`argo-to-daskcluster`, the fix of
//! `argo-dask-scheduler-step`).
//!
//! `fixtures/rewriters/argo-to-daskcluster/` holds a ClusterWorkflowTemplate (a daemon
//! scheduler step, a `resource` step creating a worker Deployment embedded as a string, the
//! step deleting it) and a CronWorkflow that uses it by `templateRef` (a DaskCluster: the
//! pipeline is elsewhere), a Workflow and a CronWorkflow running their own ephemeral cluster
//! for one pipeline step (a DaskJob). The tests snapshot the fixed workflows (their
//! migration reports included), hold the embedded resources against the real CRD schemas,
//! check that what the fix did not mean to touch stays byte for byte and that a second fix
//! changes nothing, and snapshot the reasons the rewriter gives when it declines or keeps a
//! DaskCluster.

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

/// A Workflow whose own steps run the scheduler, create the workers and run ONE pipeline
/// step against it (the ephemeral pattern): one `resource` step creating a DaskJob takes the
/// pipeline step's place — its runner is the pipeline's container, reading the address the
/// operator sets — and succeeds or fails with the job; the scheduler and workers' steps go,
/// the rest of the steps stay as they were.
#[test]
fn a_workflow_with_one_pipeline_step_becomes_a_daskjob_step() {
    let (path, text) = fixture("workflow/etl-nightly.yaml");
    let only = support::scan(&["argo-dask-scheduler-step"]);
    let outcome = support::fix(&only, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        outcome.applied.get("argo-dask-scheduler-step"),
        Some(&1),
        "{:?}",
        outcome
            .remaining
            .findings
            .iter()
            .map(|f| (&f.rule, &f.not_fixable))
            .collect::<Vec<_>>()
    );
    let fixed = &outcome.fixed;
    // Only the report's comments still mention the old expression.
    assert!(
        !fixed
            .lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains("{{steps.scheduler.ip}}")),
        "{fixed}"
    );
    assert!(!fixed.contains("template: dask-scheduler"), "{fixed}");
    // The steps: warm-cache alone where it ran beside the workers, then the job where the
    // pipeline ran.
    assert!(
        fixed.contains(
            "      steps:\n        - - name: warm-cache\n            template: warm-cache\n        - - name: transform\n            template: dask-workers\n\n"
        ),
        "{fixed}"
    );
    assert!(fixed.contains(
        "        successCondition: status.jobStatus == Successful\n        failureCondition: status.jobStatus == Failed\n        manifest: |\n"
    ));
    // The warm-cache and transform templates and the teardown stay byte for byte.
    let kept = &text[text.find("\n    - name: warm-cache\n").unwrap()
        ..text.find("\n    - name: delete-dask-workers\n").unwrap()];
    assert!(fixed.contains(kept), "changed:\n{kept}");
    let docs = manifests(fixed);
    let problems = validate::resource(&docs[0]);
    assert!(problems.is_empty(), "{problems:?}");
    let job = &docs[0];
    assert_eq!(job["kind"], "DaskJob");
    assert_eq!(job["metadata"]["namespace"], "data");
    assert_eq!(job["spec"]["cluster"]["spec"]["worker"]["replicas"], 8);
    let runner = &job["spec"]["job"]["spec"];
    assert_eq!(runner["restartPolicy"], "Never");
    assert_eq!(
        runner["containers"][0]["image"],
        "registry.example.com/etl/transform:2.9"
    );
    // The operator sets the address; the parameter that carried it is gone.
    assert!(runner["containers"][0].get("env").is_none(), "{runner}");
    // The delete step deletes the DaskJob.
    assert_eq!(docs[1]["kind"], "DaskJob");
    assert_eq!(docs[1]["metadata"]["name"], job["metadata"]["name"]);
    insta::assert_snapshot!("argo_workflow_steps", fixed);
    let again = support::fix(&support::builtin_scan(), &path, fixed, true, None);
    assert_eq!(&again.fixed, fixed);
    assert!(
        again.remaining.findings.is_empty(),
        "{:?}",
        again.remaining.findings
    );
}

/// A CronWorkflow that runs its own ephemeral cluster for one QC step: a DaskJob step in
/// the QC step's place. The runner's `--scheduler tcp://{{inputs.parameters.scheduler}}`
/// reads `$(DASK_SCHEDULER_ADDRESS)`, the template's ServiceAccount and node selector go
/// with the container, and the workers' template keeps its `replicas` parameter.
#[test]
fn a_cron_workflow_running_its_own_cluster_becomes_a_daskjob_step() {
    if std::env::var_os("DUSK_ORACLES").is_some() {
        assert!(
            validate::schema_for("DaskJob").is_some(),
            "no CRD schema for DaskJob"
        );
    } else {
        eprintln!("\n!!! CRD schemas not checked: DUSK_ORACLES is not set\n");
    }
    let (path, text) = fixture("cron/variant-qc-cron.yaml");
    let only = support::scan(&["argo-dask-scheduler-step"]);
    let outcome = support::fix(&only, &path, &text, true, None);
    assert_eq!(outcome.end, End::Converged);
    assert_eq!(
        outcome.applied.get("argo-dask-scheduler-step"),
        Some(&1),
        "{:?}",
        outcome
            .remaining
            .findings
            .iter()
            .map(|f| (&f.rule, &f.not_fixable))
            .collect::<Vec<_>>()
    );
    let fixed = &outcome.fixed;
    // The schedule and everything above the templates stay byte for byte.
    let header = &text[..text.find("    templates:\n").unwrap()];
    assert!(fixed.starts_with(header), "the header changed");
    assert!(fixed.contains("          - - name: run-qc\n              template: workers\n\n"));
    assert!(
        fixed.contains("            - name: replicas\n              value: \"20\"\n"),
        "{fixed}"
    );
    assert!(!fixed.contains("- name: scheduler-ip"), "{fixed}");
    let docs = manifests(fixed);
    let job = &docs[0];
    assert_eq!(job["kind"], "DaskJob");
    let problems = validate::resource(job);
    assert!(problems.is_empty(), "{problems:?}");
    let runner = &job["spec"]["job"]["spec"];
    assert_eq!(runner["serviceAccountName"], "variant-qc");
    assert_eq!(
        runner["nodeSelector"]["cloud.google.com/gke-nodepool"],
        "system"
    );
    assert_eq!(
        runner["containers"][0]["args"],
        serde_json::json!([
            "--scheduler",
            "$(DASK_SCHEDULER_ADDRESS)",
            "--since",
            "{{workflow.creationTimestamp}}"
        ])
    );
    assert_eq!(job["spec"]["cluster"]["spec"]["worker"]["replicas"], 20);
    insta::assert_snapshot!("argo_cron_daskjob", fixed);
    let again = support::fix(&support::builtin_scan(), &path, fixed, true, None);
    assert_eq!(&again.fixed, fixed);
}

/// Shapes a DaskJob would lose something of keep the DaskCluster step, and say why.
#[test]
fn shapes_a_daskjob_cannot_take_keep_the_daskcluster_step() {
    let (path, base) = fixture("workflow/etl-nightly.yaml");
    let cases: Vec<(&str, String)> = vec![
        (
            "the pipeline's outputs",
            base.replacen(
                "        command: [python, -m, etl.transform]\n",
                "        command: [python, -m, etl.transform]\n      outputs:\n        artifacts:\n          - {name: summary, path: /tmp/summary.json}\n",
                1,
            ),
        ),
        (
            "two steps use the scheduler",
            base.replacen(
                "                - {name: scheduler, value: \"tcp://{{steps.scheduler.ip}}:8786\"}\n",
                "                - {name: scheduler, value: \"tcp://{{steps.scheduler.ip}}:8786\"}\n          - name: validate\n            template: transform\n            arguments:\n              parameters:\n                - {name: scheduler, value: \"tcp://{{steps.scheduler.ip}}:8786\"}\n",
                1,
            ),
        ),
        (
            "a parameter besides the address",
            base.replacen(
                "                - {name: scheduler, value: \"tcp://{{steps.scheduler.ip}}:8786\"}\n",
                "                - {name: scheduler, value: \"tcp://{{steps.scheduler.ip}}:8786\"}\n                - {name: date, value: \"{{workflow.creationTimestamp.Y}}\"}\n",
                1,
            ),
        ),
        (
            "a retry strategy",
            base.replacen(
                "    - name: transform\n",
                "    - name: transform\n      retryStrategy: {limit: 2}\n",
                1,
            ),
        ),
    ];
    let only = support::scan(&["argo-dask-scheduler-step"]);
    let mut out = String::new();
    for (name, text) in cases {
        assert_ne!(text, base, "{name}: the case did not change the fixture");
        let outcome = support::fix(&only, &path, &text, true, None);
        assert_eq!(
            outcome.applied.get("argo-dask-scheduler-step"),
            Some(&1),
            "{name}"
        );
        let docs = manifests(&outcome.fixed);
        assert_eq!(docs[0]["kind"], "DaskCluster", "{name}");
        let why: Vec<&str> = outcome
            .fixed
            .lines()
            .filter(|l| l.contains("A DaskCluster, not a DaskJob"))
            .map(str::trim)
            .collect();
        assert_eq!(why.len(), 1, "{name}: {}", outcome.fixed);
        out.push_str(&format!("# {name}\n{}\n", why[0]));
    }
    insta::assert_snapshot!("argo_daskcluster_not_daskjob", out);
}
