//! Cluster mode end to end: `dusk plan`, `dusk apply` and `dusk check --cluster` against the
//! loopback API server in `tests/it/support`, through a temporary kubeconfig, so the real
//! kube client runs. Each recorded error answer (401, 403, 404, 409, 422, timeout) and an
//! unreachable server has a snapshot of the message the user sees.
//!
//! Opt-in tests against a real cluster run with `DUSK_E2E_KUBECONFIG` set (see
//! `docs/cluster.md`); they are `#[ignore]`d so CI, which has no cluster, skips them.

use crate::support;

use clap::Parser;
use dusk::cli::args::{Cli, Command};
use dusk::cli::cluster::Io;
use serde_json::{Value, json};
use support::{FakeApi, Scripted};

/// What a user sees from one command.
struct Run {
    code: i32,
    out: String,
    err: String,
    /// The error as `dusk` prints it (miette, no colour), if the command failed.
    error: Option<String>,
}

fn render_error(e: &dusk::cli::Error) -> String {
    let mut s = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(200)
            .with_links(false);
    handler.render_report(&mut s, e).expect("render");
    s
}

fn run_with(args: &[&str], terminal: bool, answer: &str) -> Run {
    let cli = Cli::parse_from(std::iter::once("dusk").chain(args.iter().copied()));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut read_answer = || Ok(answer.to_owned());
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        terminal,
        read_answer: &mut read_answer,
    };
    let result = match cli.command {
        Command::Plan(a) => dusk::cli::plan::execute(&a, &mut io),
        Command::Apply(a) => dusk::cli::apply::execute(&a, &mut io),
        Command::Check(a) => dusk::cli::cluster::check_cluster(&a, &mut io),
        _ => unreachable!("not a cluster command"),
    };
    let (code, error) = match &result {
        Ok(status) => (status.code(), None),
        Err(e) => (2, Some(render_error(e))),
    };
    Run {
        code,
        out: String::from_utf8(out).expect("utf-8"),
        err: String::from_utf8(err).expect("utf-8"),
        error,
    }
}

fn run(args: &[&str]) -> Run {
    run_with(args, false, "")
}

/// `dusk <command> --kubeconfig <fake> <rest…>`
fn dusk(fake: &FakeApi, command: &str, rest: &[&str]) -> Run {
    let kubeconfig = fake.kubeconfig().display().to_string();
    let mut args = vec![command, "--kubeconfig", kubeconfig.as_str()];
    args.extend_from_slice(rest);
    run(&args)
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        ]}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

const DEMO: &str = "fixtures/cluster/demo/cluster.yaml";

fn recorded(name: &str) -> String {
    std::fs::read_to_string(format!("fixtures/cluster/responses/{name}")).expect("fixture")
}

fn seed_live(fake: &FakeApi) {
    let objects: Vec<Value> =
        serde_json::from_str(include_str!("../../fixtures/cluster/classic/live.json")).unwrap();
    for o in objects {
        fake.seed(o, "kubectl-client-side-apply");
    }
}

#[test]
fn plan_then_apply_then_plan_shows_no_changes() {
    let fake = FakeApi::start();
    let first = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(first.code, 1, "{}{:?}", first.err, first.error);
    assert_eq!(
        first.err.lines().next(),
        Some(
            format!(
                "dusk: context `fake` (http://{}), namespace `dask`",
                fake.addr
            )
            .as_str()
        )
    );
    snapshot!("plan_creates", first.out);
    // Every object was dry-run applied with field manager dusk; nothing was stored.
    let patches: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("PATCH"))
        .collect();
    assert_eq!(patches.len(), 3);
    assert!(
        patches
            .iter()
            .all(|p| p.contains("dryRun=All") && p.contains("fieldManager=dusk")),
        "{patches:?}"
    );
    assert!(patches[0].contains("/daskclusters/demo"), "{patches:?}");
    assert!(fake.object("daskclusters", "dask", "demo").is_none());

    let applied = dusk(&fake, "apply", &[DEMO, "--yes"]);
    assert_eq!(applied.code, 0, "{:?}", applied.error);
    let results: Vec<&str> = applied
        .out
        .lines()
        .filter(|l| l.starts_with("applied"))
        .collect();
    assert_eq!(
        results,
        [
            "applied DaskCluster dask/demo: created",
            "applied DaskWorkerGroup dask/demo-gpu: created",
            "applied DaskAutoscaler dask/demo: created",
            "applied 3 objects in context `fake`",
        ]
    );
    let stored = fake.object("daskclusters", "dask", "demo").expect("stored");
    assert_eq!(
        stored["spec"]["idleTimeout"], 0,
        "server defaulting is visible"
    );
    assert_eq!(stored["metadata"]["managedFields"][0]["manager"], "dusk");

    let second = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(second.code, 0, "{}", second.out);
    snapshot!("plan_after_apply", second.out);
}

#[test]
fn plan_of_a_classic_pod_template_plans_the_daskcluster_fix_would_write() {
    let fake = FakeApi::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("worker-spec.yaml");
    let template = "kind: Pod\nspec:\n  restartPolicy: Never\n  containers:\n    - name: dask-worker\n      image: ghcr.io/dask/dask:2026.3.0\n      args: [dask-worker, $(DASK_SCHEDULER_ADDRESS), --nthreads, \"2\"]\n";
    std::fs::write(&path, template).unwrap();
    let plan = dusk(&fake, "plan", &[path.to_str().unwrap()]);
    assert_eq!(plan.code, 1, "{}{:?}", plan.err, plan.error);
    assert!(
        plan.out.contains("DaskCluster dask/worker-spec"),
        "{}",
        plan.out
    );
    assert!(
        plan.out.contains("--name"),
        "the planned worker gets its name flag: {}",
        plan.out
    );
    // Planning writes nothing.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), template);
}

#[test]
fn plan_shows_only_real_changes_to_live_objects() {
    let fake = FakeApi::start();
    assert_eq!(dusk(&fake, "apply", &[DEMO, "--yes"]).code, 0);
    let dir = tempfile::tempdir().unwrap();
    let changed = std::fs::read_to_string(DEMO)
        .unwrap()
        .replace("replicas: 2", "replicas: 4");
    let path = dir.path().join("cluster.yaml");
    std::fs::write(&path, changed).unwrap();
    let plan = dusk(&fake, "plan", &[path.to_str().unwrap()]);
    assert_eq!(plan.code, 1);
    let diff: Vec<&str> = plan
        .out
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        diff,
        ["-    replicas: 2", "+    replicas: 4"],
        "{}",
        plan.out
    );
    assert!(!plan.out.contains("managedFields") && !plan.out.contains("resourceVersion"));
}

#[test]
fn plan_json_lists_each_object() {
    let fake = FakeApi::start();
    let plan = dusk(&fake, "plan", &[DEMO, "--format", "json"]);
    assert_eq!(plan.code, 1);
    let v: Value = serde_json::from_str(&plan.out).unwrap();
    assert_eq!(
        v["summary"],
        json!({"create": 3, "update": 0, "unchanged": 0})
    );
    let first = &v["objects"][0];
    assert_eq!(first["kind"], "DaskCluster");
    assert_eq!(first["action"], "create");
    assert_eq!(first["origin"], json!({"path": DEMO, "line": 4}));
    assert_eq!(first["live"], Value::Null);
    assert_eq!(first["proposed"]["spec"]["worker"]["replicas"], 2);
    assert!(first["proposed"]["metadata"].get("uid").is_none());
    assert_eq!(v["objects"][2]["kind"], "DaskAutoscaler");
}

#[test]
fn apply_asks_on_a_terminal_and_needs_yes_otherwise() {
    let fake = FakeApi::start();
    let refused = dusk(&fake, "apply", &[DEMO]);
    assert_eq!(refused.code, 2);
    snapshot!("apply_needs_yes", refused.error.unwrap());
    assert!(fake.object("daskclusters", "dask", "demo").is_none());

    let kubeconfig = fake.kubeconfig().display().to_string();
    let args = ["apply", "--kubeconfig", kubeconfig.as_str(), DEMO];
    let declined = run_with(&args, true, "n\n");
    assert_eq!(declined.code, 1);
    assert!(
        declined
            .err
            .contains("apply 3 changes in context `fake`? [y/N] dusk: nothing applied")
    );
    assert!(fake.object("daskclusters", "dask", "demo").is_none());
    let accepted = run_with(&args, true, "y\n");
    assert_eq!(accepted.code, 0, "{:?}", accepted.error);
    assert!(fake.object("daskclusters", "dask", "demo").is_some());
}

#[test]
fn missing_crds_name_the_install_command() {
    let fake = FakeApi::with_crds(false);
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 2);
    snapshot!("error_404_crd_missing", plan.error.unwrap());
}

#[test]
fn recorded_404_for_a_crd_is_a_missing_operator() {
    let fake = FakeApi::start();
    fake.respond(
        "GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/daskclusters",
        404,
        &recorded("404-crd.json"),
    );
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 2);
    let error = plan.error.unwrap();
    assert!(
        error.contains("no CRD `daskclusters.kubernetes.dask.org`"),
        "{error}"
    );
    assert!(
        error.contains("helm install --repo https://helm.dask.org"),
        "{error}"
    );
}

#[test]
fn recorded_401_says_to_log_in_again() {
    let fake = FakeApi::start();
    fake.respond("GET /version", 401, &recorded("401-unauthorized.json"));
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 2);
    snapshot!("error_401_unauthorized", plan.error.unwrap());
}

#[test]
fn recorded_403_names_the_rbac_rule() {
    let fake = FakeApi::start();
    fake.respond(
        "PATCH /apis/kubernetes.dask.org/v1/namespaces/dask/daskclusters/demo",
        403,
        &recorded("403-patch-daskclusters.json"),
    );
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 2);
    snapshot!("error_403_forbidden", plan.error.unwrap());
}

#[test]
fn recorded_409_names_the_other_field_manager() {
    let fake = FakeApi::start();
    fake.respond(
        "PATCH /apis/kubernetes.dask.org/v1/namespaces/dask/daskclusters/demo",
        409,
        &recorded("409-conflict.json"),
    );
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 2);
    snapshot!("error_409_conflict", plan.error.unwrap());
}

#[test]
fn conflicts_with_kubectl_need_force_conflicts() {
    let fake = FakeApi::start();
    let mut objects: Vec<Value> = Vec::new();
    let text = std::fs::read_to_string(DEMO).unwrap();
    for d in dusk::cluster::input::objects_in_text(DEMO, text.into()).unwrap() {
        objects.push(d.object);
    }
    let mut cluster = objects[0].clone();
    cluster["metadata"]["namespace"] = json!("dask");
    cluster["spec"]["worker"]["replicas"] = json!(5);
    fake.seed(cluster, "kubectl-client-side-apply");
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 2);
    let error = plan.error.unwrap();
    assert!(
        error.contains("DaskCluster dask/demo: `.spec.worker.replicas` is managed by field manager `kubectl-client-side-apply` (409 Conflict)"),
        "{error}"
    );
    assert!(error.contains("--force-conflicts"), "{error}");
    let forced = dusk(&fake, "plan", &[DEMO, "--force-conflicts"]);
    assert_eq!(forced.code, 1, "{:?}", forced.error);
    assert!(
        forced.out.contains("-    replicas: 5\n+    replicas: 2"),
        "{}",
        forced.out
    );
}

#[test]
fn recorded_422_points_at_the_file_lines() {
    let fake = FakeApi::start();
    fake.respond(
        "PATCH /apis/kubernetes.dask.org/v1/namespaces/dask/daskclusters/demo",
        422,
        &recorded("422-invalid.json"),
    );
    let plan = dusk(&fake, "plan", &["fixtures/cluster/invalid/cluster.yaml"]);
    assert_eq!(plan.code, 2);
    snapshot!("error_422_invalid", plan.error.unwrap());
}

#[test]
fn a_slow_server_times_out_with_one_message() {
    let fake = FakeApi::start();
    fake.script(Scripted {
        matches: "GET /version".into(),
        unless: None,
        status: 200,
        body: "{}".into(),
        delay: std::time::Duration::from_secs(5),
    });
    let plan = dusk(&fake, "plan", &[DEMO, "--request-timeout", "1"]);
    assert_eq!(plan.code, 2);
    snapshot!("error_timeout", plan.error.unwrap());
}

#[test]
fn an_unreachable_server_is_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = support::unreachable_kubeconfig(dir.path());
    let plan = run(&["plan", "--kubeconfig", kubeconfig.to_str().unwrap(), DEMO]);
    assert_eq!(plan.code, 2);
    let error = plan.error.unwrap();
    // The OS's words for a refused connection differ; the headline is dusk's.
    let head: String = error.lines().filter(|l| l.contains('×')).take(1).collect();
    snapshot!("error_unreachable", head);
    assert!(error.contains("cluster-info"), "{error}");
}

#[test]
fn a_failure_midway_says_what_was_applied() {
    let fake = FakeApi::start();
    fake.script(Scripted {
        matches: "PATCH /apis/kubernetes.dask.org/v1/namespaces/dask/daskworkergroups/demo-gpu"
            .into(),
        unless: Some("dryRun=All".into()),
        status: 403,
        body: recorded("403-patch-daskclusters.json")
            .replace("daskclusters", "daskworkergroups")
            .replace("\\\"demo\\\"", "\\\"demo-gpu\\\""),
        delay: std::time::Duration::ZERO,
    });
    let apply = dusk(&fake, "apply", &[DEMO, "--yes"]);
    assert_eq!(apply.code, 2);
    assert!(
        apply
            .out
            .contains("applied DaskCluster dask/demo: created\n")
    );
    snapshot!("error_partial_apply", apply.error.unwrap());
    assert!(fake.object("daskclusters", "dask", "demo").is_some());
    assert!(fake.object("daskautoscalers", "dask", "demo").is_none());
}

#[test]
fn a_missing_namespace_is_named() {
    let fake = FakeApi::start();
    let plan = dusk(&fake, "plan", &[DEMO, "-n", "analytics"]);
    assert_eq!(plan.code, 2);
    let error = plan.error.unwrap();
    assert!(
        error.contains("namespace `analytics` does not exist"),
        "{error}"
    );
    assert!(
        error.contains("kubectl create namespace analytics"),
        "{error}"
    );
}

#[test]
fn check_cluster_finds_classic_dask() {
    let fake = FakeApi::start();
    seed_live(&fake);
    fake.seed(
        serde_json::from_str(include_str!(
            "../../fixtures/cluster/helm/sh.helm.release.v1.analytics.v2.json"
        ))
        .unwrap(),
        "helm",
    );
    // An operator resource is checked by the same rules as a file.
    fake.seed(
        json!({"apiVersion": "kubernetes.dask.org/v1", "kind": "DaskCluster",
            "metadata": {"name": "legacy", "namespace": "dask"},
            "spec": {"worker": {"replicas": 1, "spec": {"restartPolicy": "Never",
                "containers": [{"name": "worker", "image": "ghcr.io/dask/dask:2024.1.0"}]}},
                "scheduler": {"spec": {"containers": [{"name": "scheduler", "image": "ghcr.io/dask/dask:2024.1.0"}]}}}}),
        "kubectl-client-side-apply",
    );
    let check = dusk(&fake, "check", &["--cluster", "--format", "json"]);
    assert_eq!(check.code, 1, "{:?}", check.error);
    assert!(
        check
            .err
            .contains("dusk: Dask Operator 2024.4.2 (`ghcr.io/dask/dask-kubernetes-operator:2024.4.2` in namespace `dask-operator`)"),
        "{}",
        check.err
    );
    let v: Value = serde_json::from_str(&check.out).unwrap();
    let summary: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}/{}",
                f["severity"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["object"]["kind"].as_str().unwrap(),
                f["object"]["namespace"].as_str().unwrap_or("-"),
                f["object"]["name"].as_str().unwrap()
            )
        })
        .collect();
    snapshot!("check_cluster_findings", summary.join("\n"));
    let message_of = |rule: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    // A Helm release's finding names the values key it came from.
    let helm_worker = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "dask-worker-command" && f["object"]["kind"] == "HelmRelease")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .unwrap_or_default();
    // … and the release by the name `helm list` shows, not its storage Secret's (#9).
    let release = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "live-dask-helm-release")
        .map(|f| f["object"].clone())
        .unwrap_or_default();
    assert_eq!(
        release,
        serde_json::json!({"kind": "HelmRelease", "namespace": "dask", "name": "analytics"})
    );
    assert!(
        helm_worker.ends_with("(values key `worker.image.dask_worker`)"),
        "{helm_worker}"
    );
    assert!(
        message_of("operator-pod-restart-policy")
            .ends_with("(field `spec.worker.spec.restartPolicy`)"),
        "{}",
        message_of("operator-pod-restart-policy")
    );
    assert_eq!(
        v["summary"]["fixable"], 0,
        "live objects change through plan/apply, not fix"
    );
    snapshot!(
        "check_cluster_first_finding",
        serde_json::to_string_pretty(&v["findings"][0]).unwrap()
    );
}

#[test]
fn check_cluster_without_the_operator_says_how_to_install_it() {
    let fake = FakeApi::with_crds(false);
    seed_live(&fake);
    let check = dusk(&fake, "check", &["--cluster", "--format", "json"]);
    assert_eq!(check.code, 1);
    let v: Value = serde_json::from_str(&check.out).unwrap();
    let missing = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "live-operator-not-installed")
        .expect("operator finding");
    assert_eq!(missing["severity"], "error");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("helm install --repo")
    );
}

#[test]
fn context_flags_need_cluster() {
    let check = run(&["check", "--context", "x", "."]);
    assert_eq!(check.code, 2);
    assert!(
        check
            .error
            .unwrap()
            .contains("`--context` chooses the cluster"),
    );
}

#[test]
fn from_cluster_builds_applies_and_prunes_classic() {
    let fake = FakeApi::start();
    seed_live(&fake);
    let plan = dusk(&fake, "plan", &["--from-cluster"]);
    assert_eq!(plan.code, 1, "{:?}", plan.error);
    snapshot!("plan_from_cluster", plan.out);

    let apply = dusk(
        &fake,
        "apply",
        &["--from-cluster", "--yes", "--prune-classic"],
    );
    assert_eq!(apply.code, 0, "{:?}\n{}", apply.error, apply.err);
    let after_plan: Vec<&str> = apply
        .out
        .lines()
        .skip_while(|l| !l.starts_with("plan:"))
        .collect();
    snapshot!("apply_from_cluster_prune", after_plan.join("\n"));
    assert!(
        fake.object("daskclusters", "dask", "dask-jane-7f3a2b1c-d")
            .is_some()
    );
    assert!(
        fake.object("pods", "dask", "dask-jane-7f3a2b1c-d-worker-0")
            .is_none()
    );
    assert!(
        fake.object("services", "dask", "dask-jane-7f3a2b1c-d")
            .is_none()
    );
    // Unrelated objects stay.
    assert!(fake.object("deployments", "dask", "web").is_some());
}

#[test]
fn prune_waits_for_running_and_keeps_classic_otherwise() {
    let fake = FakeApi::start();
    seed_live(&fake);
    fake.set_phase(Some("Pending"));
    let apply = dusk(
        &fake,
        "apply",
        &[
            "--from-cluster",
            "--yes",
            "--prune-classic",
            "--wait-timeout",
            "1",
        ],
    );
    assert_eq!(apply.code, 2);
    let error = apply.error.unwrap();
    assert!(
        error.contains(
            "DaskCluster dask/dask-jane-7f3a2b1c-d did not report `status.phase: Running` within 1s"
        ),
        "{error}"
    );
    assert!(
        fake.object("pods", "dask", "dask-jane-7f3a2b1c-d-worker-0")
            .is_some()
    );
}

/// Opt-in: `DUSK_E2E_KUBECONFIG=~/.kube/config cargo test --test it cluster:: -- --ignored`.
/// Plans the demo resources against a real cluster with the operator installed, in
/// `DUSK_E2E_NAMESPACE` (default `default`); applies nothing.
#[test]
#[ignore = "needs a real cluster: set DUSK_E2E_KUBECONFIG"]
fn e2e_plan_against_a_real_cluster() {
    let Some(kubeconfig) = std::env::var_os("DUSK_E2E_KUBECONFIG") else {
        eprintln!("DUSK_E2E_KUBECONFIG is not set; skipping");
        return;
    };
    let ns = std::env::var("DUSK_E2E_NAMESPACE").unwrap_or_else(|_| "default".into());
    let kubeconfig = kubeconfig.to_string_lossy().into_owned();
    let plan = run(&["plan", "--kubeconfig", &kubeconfig, "-n", &ns, DEMO]);
    assert!(plan.code < 2, "{:?}\n{}", plan.error, plan.err);
    assert!(plan.out.contains("DaskCluster"), "{}", plan.out);
}

/// Opt-in: scans a real cluster; any outcome but an error passes.
#[test]
#[ignore = "needs a real cluster: set DUSK_E2E_KUBECONFIG"]
fn e2e_check_a_real_cluster() {
    let Some(kubeconfig) = std::env::var_os("DUSK_E2E_KUBECONFIG") else {
        eprintln!("DUSK_E2E_KUBECONFIG is not set; skipping");
        return;
    };
    let kubeconfig = kubeconfig.to_string_lossy().into_owned();
    let check = run(&[
        "check",
        "--cluster",
        "-A",
        "--kubeconfig",
        &kubeconfig,
        "--format",
        "json",
    ]);
    assert!(check.code < 2, "{:?}\n{}", check.error, check.err);
    let v: Value = serde_json::from_str(&check.out).unwrap();
    assert_eq!(v["version"], 1);
}

#[test]
fn crds_are_found_through_discovery_when_crd_reads_are_forbidden() {
    let fake = FakeApi::start();
    fake.respond(
        "GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/",
        403,
        &support::status(
            403,
            "Forbidden",
            "customresourcedefinitions.apiextensions.k8s.io is forbidden: User \"jane\" cannot get resource \"customresourcedefinitions\" in API group \"apiextensions.k8s.io\" at the cluster scope",
            Value::Null,
        ),
    );
    let plan = dusk(&fake, "plan", &[DEMO]);
    assert_eq!(plan.code, 1, "{:?}", plan.error);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.starts_with("GET /apis/kubernetes.dask.org/v1?")),
        "{:?}",
        fake.requests()
    );
}

#[test]
fn all_namespaces_lists_cluster_wide() {
    let fake = FakeApi::start();
    seed_live(&fake);
    let check = dusk(&fake, "check", &["--cluster", "-A", "--format", "json"]);
    assert_eq!(check.code, 1, "{:?}", check.error);
    assert!(check.err.contains("all namespaces"), "{}", check.err);
    let requests = fake.requests();
    assert!(
        requests.iter().any(|r| r.starts_with("GET /api/v1/pods?")
            && r.contains("labelSelector=dask.org%2Fcluster-name")),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.contains("/namespaces/dask/pods")),
        "{requests:?}"
    );
}

/// `--output-dir` writes the DaskClusters `--from-cluster` builds (a classic KubeCluster and
/// a dask Helm release) as files `dusk check` finds clean; `apply --output-dir` writes the
/// same files and applies nothing (#9).
#[test]
fn from_cluster_output_dir_writes_clean_manifests() {
    let fake = FakeApi::start();
    seed_live(&fake);
    fake.seed(
        serde_json::from_str(include_str!(
            "../../fixtures/cluster/helm/sh.helm.release.v1.analytics.v2.json"
        ))
        .unwrap(),
        "helm",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gitops");
    let out_s = out.display().to_string();
    let plan = dusk(&fake, "plan", &["--from-cluster", "--output-dir", &out_s]);
    assert_eq!(plan.code, 1, "{:?}\n{}", plan.error, plan.err);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "dask-analytics-daskcluster.yaml",
            "dask-dask-jane-7f3a2b1c-d-daskcluster.yaml"
        ]
    );
    let check = dusk::cli::run(Cli::parse_from(["dusk", "check", "--isolated", &out_s])).unwrap();
    assert_eq!(check, dusk::cli::ExitStatus::Success);
    // Written again, the files are up to date; apply writes them and applies nothing.
    let apply = dusk(
        &fake,
        "apply",
        &["--from-cluster", "--yes", "--output-dir", &out_s],
    );
    assert_eq!(apply.code, 0, "{:?}\n{}", apply.error, apply.err);
    assert!(apply.err.contains("is up to date"), "{}", apply.err);
    assert!(fake.object("daskclusters", "dask", "analytics").is_none());
}

/// A hand-run stack (scheduler and worker Deployments, no owner, not from a Helm release) is
/// planned as a DaskCluster by `--from-cluster`; `apply` stores it and a second plan shows
/// no changes (#9).
#[test]
fn from_cluster_plans_a_hand_run_stack() {
    let fake = FakeApi::start();
    let deployment = |name: &str, args: Value, replicas: i64| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "dask", "image": "ghcr.io/dask/dask:2024.1.0",
                        "args": args}]}}}})
    };
    fake.seed(
        deployment("dask-scheduler", json!(["dask", "scheduler"]), 1),
        "kubectl-client-side-apply",
    );
    fake.seed(
        deployment(
            "dask-worker",
            json!(["dask", "worker", "dask-scheduler:8786", "--nthreads", "2"]),
            3,
        ),
        "kubectl-client-side-apply",
    );
    let plan = dusk(&fake, "plan", &["--from-cluster", "-A"]);
    assert_eq!(plan.code, 1, "{:?}\n{}", plan.error, plan.err);
    assert!(
        plan.out.contains("+ DaskCluster default/dask (from hand-run Deployment `dask-scheduler` with 1 worker workload(s)): will be created"),
        "{}",
        plan.out
    );
    assert!(plan.out.contains("+    replicas: 3"), "{}", plan.out);
    let apply = dusk(&fake, "apply", &["--from-cluster", "-A", "--yes"]);
    assert_eq!(apply.code, 0, "{:?}\n{}", apply.error, apply.err);
    let stored = fake
        .object("daskclusters", "default", "dask")
        .expect("stored");
    assert_eq!(stored["spec"]["worker"]["replicas"], 3);
    let args = &stored["spec"]["worker"]["spec"]["containers"][0]["args"];
    assert_eq!(
        args,
        &json!([
            "dask",
            "worker",
            "--nthreads",
            "2",
            "--name",
            "$(DASK_WORKER_NAME)"
        ])
    );
    let again = dusk(&fake, "plan", &["--from-cluster", "-A"]);
    assert_eq!(again.code, 0, "{}\n{:?}", again.out, again.error);
    assert!(again.out.contains("no changes"), "{}", again.out);
}

/// A dask Helm release whose values carry a credential in a worker env var: Helm stores the
/// values in a Secret, so no format of `check --cluster`, `plan --from-cluster` or `apply
/// --from-cluster` may print the value, while the object applied still carries it.
#[test]
fn a_secret_env_value_of_a_helm_release_is_never_printed() {
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    let mut record: Value = serde_json::from_str(include_str!(
        "../../fixtures/cluster/helm/release-analytics.json"
    ))
    .unwrap();
    record["config"]["worker"]["env"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET}));
    record["config"]["scheduler"]["env"] =
        json!([{"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET}]);
    // Helm's encoding without the gzip step, which Helm (and dusk) read too.
    let inner = dusk::cluster::helm::base64_encode(record.to_string().as_bytes());
    let release = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": "sh.helm.release.v1.analytics.v2", "namespace": "dask",
            "labels": {"name": "analytics", "owner": "helm", "status": "deployed", "version": "2"}},
        "data": {"release": dusk::cluster::helm::base64_encode(inner.as_bytes())}
    });
    let fake = FakeApi::start();
    fake.seed(release, "helm");
    let mut runs = Vec::new();
    for format in ["text", "json", "sarif", "github", "junit"] {
        runs.push((
            format!("check {format}"),
            dusk(&fake, "check", &["--cluster", "--format", format]),
        ));
    }
    for format in ["text", "json"] {
        runs.push((
            format!("plan {format}"),
            dusk(&fake, "plan", &["--from-cluster", "--format", format]),
        ));
    }
    runs.push((
        "apply json".into(),
        dusk(
            &fake,
            "apply",
            &["--from-cluster", "--format", "json", "--yes"],
        ),
    ));
    // Applied: the object now exists with the value, and a new plan compares it masked.
    let applied = fake
        .object("daskclusters", "dask", "analytics")
        .expect("the DaskCluster was applied");
    assert!(
        applied.to_string().contains(SECRET),
        "the value itself is applied"
    );
    runs.push((
        "plan text after apply".into(),
        dusk(&fake, "plan", &["--from-cluster"]),
    ));
    runs.push((
        "apply text after apply".into(),
        dusk(&fake, "apply", &["--from-cluster", "--yes"]),
    ));
    for (what, run) in &runs {
        let all = format!(
            "{}{}{}",
            run.out,
            run.err,
            run.error.as_deref().unwrap_or("")
        );
        assert!(!all.contains(SECRET), "{what} printed the secret:\n{all}");
        assert!(
            !all.contains("EXAMPLEKEY"),
            "{what} printed part of the secret:\n{all}"
        );
    }
    let (_, plan) = &runs[5];
    assert!(
        plan.out.contains("AWS_SECRET_ACCESS_KEY") && plan.out.contains("***"),
        "the variable is shown, its value masked:\n{}",
        plan.out
    );
    let (_, check) = &runs[1];
    assert!(check.out.contains("dask-worker-command"), "{}", check.out);
}

/// A minimal HTTP CONNECT proxy on loopback: tunnels each connection and counts them.
fn connect_proxy() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = tunnels.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = head
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split_whitespace().next())
                else {
                    let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                    return;
                };
                let Ok(upstream) = std::net::TcpStream::connect(target) else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (mut c1, mut u1) = (client, upstream);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut u2, &mut c2);
                });
                let _ = std::io::copy(&mut c1, &mut u1);
            });
        }
    });
    (port, tunnels)
}

/// `proxy-url` in the kubeconfig is honoured, as kubectl does (issue #12).
#[test]
fn the_kubeconfig_s_proxy_url_is_used() {
    let fake = FakeApi::start();
    let (port, tunnels) = connect_proxy();
    let text = std::fs::read_to_string(fake.kubeconfig()).unwrap();
    let server_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("server:"))
        .unwrap()
        .to_owned();
    let proxied = text.replace(
        &server_line,
        &format!("{server_line}\n    proxy-url: http://127.0.0.1:{port}"),
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, proxied).unwrap();
    let plan = run(&["plan", "--kubeconfig", kubeconfig.to_str().unwrap(), DEMO]);
    assert_eq!(plan.code, 1, "{:?}", plan.error);
    assert!(
        tunnels.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the requests went through the proxy"
    );
}

/// An `exec` credential plugin that never finishes is bounded by `--request-timeout` and
/// named, instead of hanging the command silently (issue #12).
#[cfg(unix)]
#[test]
fn a_hanging_credential_plugin_is_bounded_by_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sh\n      args: [-c, 'sleep 30']\n      interactiveMode: Never\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let plan = run(&[
        "plan",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--request-timeout",
        "1",
        DEMO,
    ]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(plan.code, 2);
    let error = plan.error.unwrap();
    assert!(
        error.contains("the credential plugin `sh` of context `c` did not finish within 1s"),
        "{error}"
    );
    assert!(error.contains("--request-timeout"), "{error}");
}

/// `--prune-classic` lists exactly what retires each classic side before it asks — a
/// hand-run stack's Deployments and the Services selecting its scheduler, the
/// `helm uninstall` command for a dask Helm release — deletes the Service that has the name
/// the operator's scheduler Service takes before the apply (the cluster could not run with
/// it), and the rest only once the DaskCluster reports `Running`; Helm's objects and record
/// stay for `helm uninstall` (#9).
#[test]
fn prune_lists_stacks_and_helm_releases_and_acts_once_running() {
    let seed = |fake: &FakeApi| {
        let deployment = |name: &str, args: Value, replicas: i64| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "dask", "labels": {"app": name}},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "dask", "image": "ghcr.io/dask/dask:2024.1.0",
                            "args": args}]}}}})
        };
        let service = |name: &str, port: i64| {
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": "dask"},
                "spec": {"selector": {"app": "dask-scheduler"},
                    "ports": [{"name": "p", "port": port}]}})
        };
        fake.seed(
            deployment("dask-scheduler", json!(["dask", "scheduler"]), 1),
            "kubectl-client-side-apply",
        );
        fake.seed(
            deployment(
                "dask-worker",
                json!(["dask", "worker", "dask-scheduler:8786", "--nthreads", "2"]),
                3,
            ),
            "kubectl-client-side-apply",
        );
        fake.seed(service("dask-scheduler", 8786), "kubectl-client-side-apply");
        fake.seed(service("dask-dashboard", 8787), "kubectl-client-side-apply");
        fake.seed(
            deployment("web", json!(["nginx"]), 1),
            "kubectl-client-side-apply",
        );
        fake.seed(
            serde_json::from_str(include_str!(
                "../../fixtures/cluster/helm/sh.helm.release.v1.analytics.v2.json"
            ))
            .unwrap(),
            "helm",
        );
    };

    // Not Running in time: only the Service in the operator's way is gone; the stack stays.
    let fake = FakeApi::start();
    seed(&fake);
    fake.set_phase(Some("Pending"));
    let apply = dusk(
        &fake,
        "apply",
        &[
            "--from-cluster",
            "-n",
            "dask",
            "--yes",
            "--prune-classic",
            "--wait-timeout",
            "1",
        ],
    );
    assert_eq!(apply.code, 2, "{}", apply.out);
    let listed: Vec<&str> = apply.out.lines().filter(|l| l.starts_with("- ")).collect();
    snapshot!("prune_lists_stacks_and_helm_releases", listed.join("\n"));
    assert!(fake.object("services", "dask", "dask-scheduler").is_none());
    for (plural, name) in [
        ("deployments", "dask-scheduler"),
        ("deployments", "dask-worker"),
        ("services", "dask-dashboard"),
    ] {
        assert!(
            fake.object(plural, "dask", name).is_some(),
            "{name} pruned early"
        );
    }
    assert!(!apply.out.contains("retire Helm release"), "{}", apply.out);

    // Running: the stack goes, Helm's release is left to `helm uninstall`, the rest stays.
    let fake = FakeApi::start();
    seed(&fake);
    let apply = dusk(
        &fake,
        "apply",
        &["--from-cluster", "-n", "dask", "--yes", "--prune-classic"],
    );
    assert_eq!(
        apply.code, 0,
        "{:?}\n{}\n{}",
        apply.error, apply.err, apply.out
    );
    let done: Vec<&str> = apply
        .out
        .lines()
        .filter(|l| l.starts_with("deleted") || l.contains("retire Helm release"))
        .collect();
    snapshot!("prune_acts_once_running", done.join("\n"));
    for (plural, name) in [
        ("deployments", "dask-scheduler"),
        ("deployments", "dask-worker"),
        ("services", "dask-scheduler"),
        ("services", "dask-dashboard"),
    ] {
        assert!(fake.object(plural, "dask", name).is_none(), "{name} kept");
    }
    assert!(fake.object("deployments", "dask", "web").is_some());
    assert!(
        fake.object("secrets", "dask", "sh.helm.release.v1.analytics.v2")
            .is_some()
    );
    assert!(fake.object("daskclusters", "dask", "dask").is_some());
    assert!(fake.object("daskclusters", "dask", "analytics").is_some());
}

/// `plan --from-cluster --format json` carries each built DaskCluster's migration report:
/// every field's fate, the old and new scheduler address, the steps left for a person — for
/// a classic KubeCluster, a dask Helm release and a hand-run stack (#9).
#[test]
fn from_cluster_json_plan_carries_the_migration_report() {
    let fake = FakeApi::start();
    seed_live(&fake);
    fake.seed(
        serde_json::from_str(include_str!(
            "../../fixtures/cluster/helm/sh.helm.release.v1.analytics.v2.json"
        ))
        .unwrap(),
        "helm",
    );
    let deployment = |name: &str, args: Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "dask", "labels": {"app": name}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "dask", "image": "ghcr.io/dask/dask:2024.1.0",
                        "args": args}]}}}})
    };
    fake.seed(
        deployment("batch-scheduler", json!(["dask", "scheduler"])),
        "kubectl-client-side-apply",
    );
    fake.seed(
        deployment(
            "batch-worker",
            json!(["dask", "worker", "batch-scheduler:8786"]),
        ),
        "kubectl-client-side-apply",
    );
    let plan = dusk(
        &fake,
        "plan",
        &["--from-cluster", "-n", "dask", "--format", "json"],
    );
    assert_eq!(plan.code, 1, "{:?}\n{}", plan.error, plan.err);
    let v: Value = serde_json::from_str(&plan.out).unwrap();
    let reports: Vec<Value> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "DaskCluster")
        .map(|o| {
            assert!(o["migration"].is_object(), "{o}");
            json!({"object": format!("{}/{}", o["namespace"].as_str().unwrap(), o["name"].as_str().unwrap()),
                "migration": o["migration"]})
        })
        .collect();
    assert_eq!(reports.len(), 3, "{reports:#?}");
    for r in &reports {
        let fields = r["migration"]["fields"].as_array().unwrap();
        assert!(!fields.is_empty());
        for f in fields {
            assert!(
                ["carried", "transformed", "not-supported", "dependency"]
                    .contains(&f["fate"].as_str().unwrap()),
                "{f}"
            );
            assert_eq!(f["fate"] == "carried", f["why"].is_null(), "{f}");
        }
        assert!(!r["migration"]["steps"].as_array().unwrap().is_empty());
    }
    snapshot!(
        "from_cluster_migration_reports",
        serde_json::to_string_pretty(&reports).unwrap()
    );
}

/// `plan --from-cluster` builds from the model with the versions in play (#8, #10): the
/// worker image's tag decides the command. `daskdev/dask:2022.1.0` has no `dask worker` and
/// still takes `--nprocs`, so its command stays; `ghcr.io/dask/dask:2024.1.0` rejects the old
/// spellings, so it runs `dask worker --nworkers`. No text fix loop runs over either.
#[test]
fn from_cluster_commands_follow_the_image_in_play() {
    let fake = FakeApi::start();
    let worker = |cluster: &str, image: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("{cluster}-worker-0"), "namespace": "dask",
                "labels": {"dask.org/cluster-name": cluster, "dask.org/component": "worker",
                    "app": "dask"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "dask-worker",
                "image": image,
                "args": ["dask-worker", "--nprocs", "2", "--nthreads", "1", "--no-bokeh",
                    "--name", format!("{cluster}-worker-0")],
                "env": [{"name": "DASK_SCHEDULER_ADDRESS", "value": format!("tcp://{cluster}.dask:8786")}]}]}})
    };
    fake.seed(worker("legacy", "daskdev/dask:2022.1.0"), "kube-controller");
    fake.seed(
        worker("current", "ghcr.io/dask/dask:2024.1.0"),
        "kube-controller",
    );
    let plan = dusk(&fake, "plan", &["--from-cluster"]);
    assert_eq!(plan.code, 1, "{:?}\n{}", plan.error, plan.err);
    let apply = dusk(&fake, "apply", &["--from-cluster", "--yes"]);
    assert_eq!(apply.code, 0, "{:?}\n{}", apply.error, apply.err);
    let args = |name: &str, side: &str| {
        let stored = fake.object("daskclusters", "dask", name).expect("stored");
        stored["spec"][side]["spec"]["containers"][0]["args"].clone()
    };
    assert_eq!(
        args("legacy", "worker"),
        json!([
            "dask-worker",
            "--nprocs",
            "2",
            "--nthreads",
            "1",
            "--no-bokeh",
            "--name",
            "$(DASK_WORKER_NAME)"
        ])
    );
    assert_eq!(
        args("legacy", "scheduler"),
        json!(["dask-scheduler", "--host", "0.0.0.0"])
    );
    assert_eq!(
        args("current", "worker"),
        json!([
            "dask",
            "worker",
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--no-dashboard",
            "--name",
            "$(DASK_WORKER_NAME)"
        ])
    );
    assert_eq!(
        args("current", "scheduler"),
        json!(["dask", "scheduler", "--host", "0.0.0.0"])
    );
    // A second plan has nothing left to change: what was applied is what is built.
    let again = dusk(&fake, "plan", &["--from-cluster"]);
    assert_eq!(again.code, 0, "{}", again.out);
}
