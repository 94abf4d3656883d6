//! The pod-template migration against the real thing.
//!
//! For every `$DUSK_ORACLES/cases/NN/` (prepared by `scripts/prepare-oracles.sh`): `pod.yaml`
//! is what the real classic `make_pod_spec(**params)` (dask-kubernetes 2024.4.2) builds and
//! `cluster.json` what the real operator `make_cluster_spec` (2026.3.0) builds for the same
//! inputs. `dusk fix` migrates `pod.yaml`; the result must validate against the real CRD
//! schema (in-process with `jsonschema`, and once more with `scripts/oracle/validate.py
//! --strict` in the operator's virtualenv), keep the worker's image, env, resources,
//! arguments and pod-level settings, and match `cluster.json` on the scheduler side
//! (container ports, probes, image, Service ports, selector and type), apart from the
//! differences documented in `docs/migration-differences.md`.
//!
//! Without `DUSK_ORACLES` the test is skipped, loudly; with it set, missing data fails.

use crate::fix_support;
use fix_support as support;

use dusk::migrate::{End, validate};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const VALIDATE_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/oracle/validate.py");

fn oracles() -> Option<PathBuf> {
    match std::env::var_os("DUSK_ORACLES") {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI is set but DUSK_ORACLES is not: run the tests with `bash scripts/test.sh`")
        }
        None => {
            eprintln!(
                "\n!!! oracle tests SKIPPED: DUSK_ORACLES is not set \
                 (run `bash scripts/test.sh`, or `bash scripts/prepare-oracles.sh` and set \
                 DUSK_ORACLES=$PWD/.oracles)\n"
            );
            None
        }
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("oracle data missing: {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_json(text: &str) -> Value {
    let file = dusk::source::yaml::parse(text, Default::default()).unwrap();
    validate::to_json(file.documents[0].root.as_ref().unwrap())
}

/// `pod.yaml` migrated by the fix loop, with only the pod-template rule.
fn migrate(name: &str, text: &str) -> String {
    let scan = support::scan(&["test-classic-pod"]);
    let path = PathBuf::from(format!("{name}.yaml"));
    let outcome = support::fix(&scan, &path, text, true, None);
    assert_eq!(outcome.end, End::Converged, "{name}");
    assert!(outcome.failed.is_empty(), "{name}: {:?}", outcome.failed);
    assert_eq!(
        outcome.applied.get("test-classic-pod"),
        Some(&1),
        "{name}: not migrated"
    );
    outcome.fixed
}

/// Quantities as the CRD types them (strings); empty maps and lists as absent (null).
fn normal(value: &Value) -> Value {
    let value = normal_inner(value);
    if is_empty(&value) { Value::Null } else { value }
}

fn normal_inner(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Object(map) => {
            let map: serde_json::Map<String, Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), normal(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect();
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.iter().map(normal).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn get<'a>(v: &'a Value, pointer: &str) -> &'a Value {
    v.pointer(pointer).unwrap_or(&Value::Null)
}

fn check_case(id: &str, case: &Path, migrated: &Value) {
    let pod = yaml_json(&std::fs::read_to_string(case.join("pod.yaml")).unwrap());
    let cluster = read_json(&case.join("cluster.json"));
    let at = |what: &str| format!("case {id}: {what}");

    // Valid against the real CRD schema, with no field the API server would prune.
    let problems = validate::resource(migrated);
    assert!(problems.is_empty(), "{}: {problems:#?}", at("validation"));
    assert_eq!(
        get(migrated, "/metadata/name"),
        get(&cluster, "/metadata/name")
    );

    // The worker: the pod's own spec, minus restartPolicy.
    let old = get(&pod, "/spec");
    let new = get(migrated, "/spec/worker/spec");
    for (key, value) in old.as_object().unwrap() {
        match key.as_str() {
            "restartPolicy" => assert!(new.get(key).is_none(), "{}", at("restartPolicy kept")),
            "containers" => {}
            _ => assert_eq!(normal(&new[key]), normal(value), "{}", at(key)),
        }
    }
    let (old_c, new_c) = (get(old, "/containers/0"), get(new, "/containers/0"));
    for (key, value) in old_c.as_object().unwrap() {
        if key != "args" {
            assert_eq!(normal(&new_c[key]), normal(value), "{}", at(key));
        }
    }
    // Arguments: the positional scheduler address dropped, `--name` added at the end.
    let mut args: Vec<Value> = old_c["args"].as_array().unwrap().clone();
    args.retain(|a| a != "$(DASK_SCHEDULER_ADDRESS)");
    args.extend([json!("--name"), json!("$(DASK_WORKER_NAME)")]);
    assert_eq!(new_c["args"], Value::Array(args), "{}", at("worker args"));
    for field in ["labels", "annotations"] {
        assert_eq!(
            normal(get(migrated, &format!("/spec/worker/metadata/{field}"))),
            normal(get(&pod, &format!("/metadata/{field}"))),
            "{}",
            at(field)
        );
    }
    assert_eq!(get(migrated, "/spec/worker/replicas"), &json!(1));

    // The scheduler: as make_cluster_spec builds it, with `dask scheduler`.
    let (ours, real) = (
        get(migrated, "/spec/scheduler/spec/containers/0"),
        get(&cluster, "/spec/scheduler/spec/containers/0"),
    );
    for key in ["name", "image", "ports", "readinessProbe", "livenessProbe"] {
        assert_eq!(ours[key], real[key], "{}", at(&format!("scheduler {key}")));
    }
    let mut real_args = real["args"].as_array().unwrap().clone();
    assert_eq!(real_args[0], "dask-scheduler", "{}", at("oracle args"));
    real_args.splice(0..1, [json!("dask"), json!("scheduler")]);
    assert_eq!(
        ours["args"],
        Value::Array(real_args),
        "{}",
        at("scheduler args")
    );
    // Env and resources are the worker's, as make_scheduler_spec copies them.
    for key in ["env", "resources"] {
        assert_eq!(normal(&ours[key]), normal(&new_c[key]), "{}", at(key));
    }
    let (ours, real) = (
        get(migrated, "/spec/scheduler/service"),
        get(&cluster, "/spec/scheduler/service"),
    );
    for key in ["type", "selector", "ports"] {
        assert_eq!(ours[key], real[key], "{}", at(&format!("service {key}")));
    }
    assert_eq!(
        get(migrated, "/spec/idleTimeout"),
        get(&cluster, "/spec/idleTimeout")
    );
}

#[test]
fn migrated_make_pod_spec_templates_match_the_operator() {
    let Some(oracles) = oracles() else { return };
    let cases_dir = oracles.join("cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap_or_else(|e| {
            panic!(
                "DUSK_ORACLES is set but {} is missing: {e}",
                cases_dir.display()
            )
        })
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("pod.yaml").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "only {} oracle cases in {}",
        cases.len(),
        cases_dir.display()
    );
    assert!(
        validate::schema_for("DaskCluster").is_some(),
        "DUSK_ORACLES is set but the DaskCluster CRD schema did not load from {}",
        oracles.join("crds").display()
    );
    let out = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for case in &cases {
        let id = case.file_name().unwrap().to_str().unwrap();
        let name = format!("case-{id}");
        let text = std::fs::read_to_string(case.join("pod.yaml")).unwrap();
        let fixed = migrate(&name, &text);
        check_case(id, case, &yaml_json(&fixed));
        let path = out.path().join(format!("{name}.yaml"));
        std::fs::write(&path, &fixed).unwrap();
        written.push(path);
    }
    // The oracle's own validator, run once over every migrated file.
    let python = oracles.join("operator/bin/python");
    let result = std::process::Command::new(&python)
        .arg(VALIDATE_PY)
        .args(["--strict", "--crds"])
        .arg(oracles.join("crds"))
        .arg("DaskCluster")
        .args(&written)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let report = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "validate.py rejected a migrated template:\n{report}{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(
        report.contains(&format!(
            "ok: {} DaskCluster document(s), 0 error(s), 0 warning(s)",
            cases.len()
        )),
        "{report}"
    );
}

#[test]
fn the_real_schema_rejects_what_the_operator_rejects() {
    let Some(_) = oracles() else { return };
    assert!(
        validate::schema_for("DaskCluster").is_some(),
        "schema missing"
    );
    let cluster = |quantity: Value| {
        json!({
            "apiVersion": "kubernetes.dask.org/v1", "kind": "DaskCluster",
            "metadata": {"name": "q"},
            "spec": {
                "worker": {"spec": {"containers": [{
                    "name": "worker", "image": "x",
                    "resources": {"limits": {"cpu": quantity}}
                }]}},
                "scheduler": {"spec": {"containers": [{"name": "scheduler", "image": "x"}]}, "service": {}}
            }
        })
    };
    assert!(validate::resource(&cluster(json!("2"))).is_empty());
    let problems = validate::resource(&cluster(json!(2)));
    assert!(
        problems
            .iter()
            .any(|p| p.path == "spec.worker.spec.containers[0].resources.limits.cpu"),
        "{problems:#?}"
    );
    // A field Kubernetes does not know is pruned by the API server: a warning.
    let mut typo = cluster(json!("2"));
    typo["spec"]["worker"]["spec"]["containres"] = json!([]);
    let problems = validate::resource(&typo);
    assert!(
        problems
            .iter()
            .any(|p| p.level == validate::Level::Warning && p.path == "spec.worker.spec.containres"),
        "{problems:#?}"
    );
}

/// Generated classic clusters through the one builder, held against the real CRD schemas.
mod builder_property {
    use super::oracles;
    use dusk::extract::classic::{
        Adapt, ClassicCluster, ClassicPod, SchedulerPod, Source, Sourced,
    };
    use dusk::migrate::build::{self, Options};
    use dusk::migrate::operator::to_json;
    use dusk::migrate::validate;
    use k8s_openapi::api::core::v1::{
        Container, EnvVar, EnvVarSource, LocalObjectReference, PodSpec, ResourceRequirements,
        SecretKeySelector, Toleration,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn label() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9-]{0,40}[a-z0-9]"
    }

    fn quantity() -> impl Strategy<Value = Quantity> {
        prop_oneof![
            (1u32..64).prop_map(|n| n.to_string()),
            (1u32..4000).prop_map(|n| format!("{n}m")),
            (1u32..512).prop_map(|n| format!("{n}Gi")),
            (1u32..64).prop_map(|n| format!("{n}G")),
            (1u32..9).prop_map(|n| format!("0.{n}")),
        ]
        .prop_map(Quantity)
    }

    fn resources() -> impl Strategy<Value = Option<ResourceRequirements>> {
        let map = || {
            prop::collection::btree_map(
                prop::sample::select(vec!["cpu", "memory", "nvidia.com/gpu"])
                    .prop_map(String::from),
                quantity(),
                0..3,
            )
        };
        prop::option::of(
            (map(), map()).prop_map(|(limits, requests)| ResourceRequirements {
                limits: (!limits.is_empty()).then_some(limits),
                requests: (!requests.is_empty()).then_some(requests),
                ..ResourceRequirements::default()
            }),
        )
    }

    fn env() -> impl Strategy<Value = Option<Vec<EnvVar>>> {
        let var = prop_oneof![
            ("[A-Z][A-Z0-9_]{0,20}", "[ -~]{0,30}").prop_map(|(name, value)| EnvVar {
                name,
                value: Some(value),
                ..EnvVar::default()
            }),
            ("[A-Z][A-Z0-9_]{0,20}", label()).prop_map(|(name, secret)| EnvVar {
                name,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: secret,
                        key: "token".into(),
                        optional: None,
                    }),
                    ..EnvVarSource::default()
                }),
                ..EnvVar::default()
            }),
        ];
        prop::option::of(prop::collection::vec(var, 0..5))
    }

    fn command() -> impl Strategy<Value = (Option<Vec<String>>, Option<Vec<String>>)> {
        let program = prop::sample::select(vec![
            vec!["dask-worker"],
            vec!["dask", "worker"],
            vec!["/opt/conda/bin/dask-worker"],
            vec!["dask-cuda-worker"],
            vec!["sh", "-c"],
        ]);
        let flags = prop::collection::vec(
            prop::sample::select(vec![
                "$(DASK_SCHEDULER_ADDRESS)",
                "--nthreads",
                "2",
                "--memory-limit",
                "4GB",
                "--name",
                "--no-dashboard",
                "--death-timeout",
                "60",
            ]),
            0..6,
        );
        (program, flags, any::<bool>()).prop_map(|(program, flags, split)| {
            let program: Vec<String> = program.into_iter().map(String::from).collect();
            let flags: Vec<String> = flags.into_iter().map(String::from).collect();
            if split {
                (Some(program), Some(flags))
            } else {
                (None, Some(program.into_iter().chain(flags).collect()))
            }
        })
    }

    fn pod() -> impl Strategy<Value = ClassicPod> {
        (
            "[a-z][a-z0-9.-]{0,20}(:[a-z0-9.]{1,10})?",
            command(),
            env(),
            resources(),
            prop::option::of(label()),
            any::<bool>(),
            prop::collection::btree_map(label(), label(), 0..3),
            prop::option::of(prop::sample::select(vec!["Never", "OnFailure", "Always"])),
        )
            .prop_map(
                |(image, (command, args), env, resources, account, tolerate, labels, restart)| {
                    ClassicPod {
                        spec: PodSpec {
                            restart_policy: restart.map(String::from),
                            service_account_name: account.clone(),
                            image_pull_secrets: account
                                .map(|name| vec![LocalObjectReference { name }]),
                            tolerations: tolerate.then(|| {
                                vec![Toleration {
                                    key: Some("k8s.dask.org/dedicated".into()),
                                    operator: Some("Equal".into()),
                                    value: Some("worker".into()),
                                    effect: Some("NoSchedule".into()),
                                    ..Toleration::default()
                                }]
                            }),
                            containers: vec![Container {
                                name: "dask-worker".into(),
                                image: Some(image),
                                command,
                                args,
                                env,
                                resources,
                                ..Container::default()
                            }],
                            ..PodSpec::default()
                        },
                        labels,
                        ..ClassicPod::default()
                    }
                },
            )
    }

    fn cluster() -> impl Strategy<Value = ClassicCluster> {
        (
            label(),
            pod(),
            prop::option::of(pod()),
            prop::option::of(0i32..50),
            prop::option::of(prop::sample::select(vec![
                "ClusterIP",
                "NodePort",
                "LoadBalancer",
            ])),
            prop::option::of(0i64..86_400),
            prop::option::of((0i64..5, 5i64..100)),
            prop::option::of(label()),
        )
            .prop_map(
                |(name, worker, scheduler, replicas, service, idle, adapt, namespace)| {
                    let at = || Source::Default("generated");
                    let mut c = ClassicCluster::new(Sourced::new(name, at()), worker);
                    if let Some(mut s) = scheduler {
                        s.spec.containers[0].name = "scheduler".into();
                        c.scheduler = SchedulerPod::Own(Box::new(s));
                    }
                    c.replicas = replicas.map(|r| Sourced::new(r, at()));
                    c.service_type = service.map(|s| Sourced::new(s.to_owned(), at()));
                    c.idle_timeout = idle.map(|t| Sourced::new(t, at()));
                    c.adapt = adapt
                        .map(|(minimum, maximum)| Sourced::new(Adapt { minimum, maximum }, at()));
                    c.namespace = namespace.map(|n| Sourced::new(n, at()));
                    c.labels = BTreeMap::from([("team".to_owned(), "ml".to_owned())]);
                    c
                },
            )
    }

    /// Every problem the real schema (and the operator's own checks) finds, warnings too:
    /// the builder must not write a field the API server would prune.
    fn problems(resource: &serde_json::Value) -> Vec<String> {
        validate::resource(resource)
            .into_iter()
            .map(|p| format!("{:?} {}: {}", p.level, p.path, p.message))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn every_built_resource_is_valid_against_the_real_crds(
            c in cluster(),
            new_cli in any::<bool>(),
        ) {
            let Some(_) = oracles() else { return Ok(()) };
            prop_assert!(validate::schema_for("DaskCluster").is_some(), "schema missing");
            let options = Options { new_cli };
            let built = build::cluster(&c, options).unwrap();
            let json = to_json(&built.resource);
            prop_assert_eq!(problems(&json), Vec::<String>::new(), "{:#}", json);
            // The controller's needs, which the schema does not say.
            let worker = &json["spec"]["worker"]["spec"];
            prop_assert!(worker.get("restartPolicy").is_none());
            let ports = &json["spec"]["scheduler"]["spec"]["containers"][0]["ports"];
            prop_assert_eq!(&ports[0]["name"], "tcp-comm");
            prop_assert_eq!(&ports[1]["name"], "http-dashboard");

            let group = to_json(&build::worker_group(&c, "parent", options).unwrap().resource);
            prop_assert_eq!(problems(&group), Vec::<String>::new(), "{:#}", group);
            if let Some(a) = build::autoscaler(&c) {
                let a = to_json(&a.resource);
                prop_assert_eq!(problems(&a), Vec::<String>::new(), "{:#}", a);
            }
            let runner = PodSpec {
                restart_policy: Some("OnFailure".into()),
                containers: vec![Container {
                    name: "job".into(),
                    image: c.worker.spec.containers[0].image.clone(),
                    args: Some(vec!["python".into(), "job.py".into()]),
                    ..Container::default()
                }],
                ..PodSpec::default()
            };
            let job = to_json(&build::job(&c, runner, options).unwrap().resource);
            prop_assert_eq!(problems(&job), Vec::<String>::new(), "{:#}", job);
        }
    }
}

/// A JSON value as a Python literal.
fn python_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap(),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(python_literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    serde_json::to_string(k).unwrap(),
                    python_literal(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The Python `make_pod_spec(...)` writer (`python-make-pod-spec`, through the model and the
/// builder) against the real thing: for every oracle case, `make_pod_spec(**params)` written
/// as a call is fixed with the built-in `make-pod-spec-call` rule alone, and the fixed code
/// is run in the operator's virtualenv, so the real `make_cluster_spec` (2026.3.0) builds the
/// DaskCluster. The result must be valid against the real CRD schema and carry the classic
/// pod's worker (`pod.yaml`, what the real classic `make_pod_spec` built): its image, env,
/// resources, labels, annotations and pod settings; and its args must be the real
/// `make_cluster_spec(**cluster_params)`'s (`cluster.json`), with `dask worker` where the image
/// in play has it (an unversioned image follows the newest `distributed`).
#[test]
fn migrated_make_pod_spec_calls_run_the_real_make_cluster_spec() {
    let Some(oracles) = oracles() else { return };
    let cases_dir = oracles.join("cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", cases_dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("params.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "only {} oracle cases", cases.len());
    let scan = support::scan(&["make-pod-spec-call"]);
    let mut script = String::from(
        "import json\nfrom dask_kubernetes.operator import make_cluster_spec\n\nout = {}\n",
    );
    for case in &cases {
        let id = case.file_name().unwrap().to_str().unwrap();
        let params = read_json(&case.join("params.json"));
        let kwargs: Vec<String> = params
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", python_literal(v)))
            .collect();
        let text = format!(
            "from dask_kubernetes import KubeCluster, make_pod_spec\n\n\
             spec = make_pod_spec({})\n\
             cluster = KubeCluster(spec, name=\"case-{id}\")\n",
            kwargs.join(", ")
        );
        let outcome = support::fix(&scan, Path::new("flow.py"), &text, true, None);
        assert_eq!(
            outcome.applied.get("make-pod-spec-call"),
            Some(&1),
            "case {id}: not migrated\n{text}"
        );
        script.push_str(&format!("\n\ndef case_{id}():\n"));
        for line in outcome.fixed.lines() {
            if line.starts_with("from ")
                || line.starts_with("import ")
                || line.starts_with("cluster = ")
            {
                continue;
            }
            script.push_str(&format!("    {line}\n"));
        }
        script.push_str(&format!(
            "    return spec\n\n\nout[\"{id}\"] = case_{id}()\n"
        ));
    }
    script.push_str("\nprint(json.dumps(out))\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("migrated.py");
    std::fs::write(&path, &script).unwrap();
    let python = oracles.join("operator/bin/python");
    let result = std::process::Command::new(&python)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        result.status.success(),
        "the migrated code does not run:\n{}\n{script}",
        String::from_utf8_lossy(&result.stderr)
    );
    let built: Value = serde_json::from_slice(&result.stdout).unwrap();
    for case in &cases {
        let id = case.file_name().unwrap().to_str().unwrap();
        let at = |what: &str| format!("case {id}: {what}");
        let ours = &built[id];
        let problems = validate::resource(ours);
        assert!(problems.is_empty(), "{}: {problems:#?}", at("validation"));
        let pod = yaml_json(&std::fs::read_to_string(case.join("pod.yaml")).unwrap());
        let real = read_json(&case.join("cluster.json"));
        let (old, new) = (get(&pod, "/spec"), get(ours, "/spec/worker/spec"));
        for (key, value) in old.as_object().unwrap() {
            if !matches!(key.as_str(), "restartPolicy" | "containers") {
                assert_eq!(normal(&new[key]), normal(value), "{}", at(key));
            }
        }
        let (old_c, new_c) = (get(old, "/containers/0"), get(new, "/containers/0"));
        for key in ["image", "resources", "volumeMounts", "imagePullPolicy"] {
            assert_eq!(normal(&new_c[key]), normal(&old_c[key]), "{}", at(key));
        }
        // By name: the params are read without their key order (serde_json sorts maps).
        let env = |c: &Value| {
            let mut vars: Vec<Value> = normal(&c["env"]).as_array().cloned().unwrap_or_default();
            vars.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_owned());
            vars
        };
        assert_eq!(env(new_c), env(old_c), "{}", at("env"));
        for field in ["labels", "annotations"] {
            assert_eq!(
                normal(get(ours, &format!("/spec/worker/metadata/{field}"))),
                normal(get(&pod, &format!("/metadata/{field}"))),
                "{}",
                at(field)
            );
        }
        let mut real_args = get(&real, "/spec/worker/spec/containers/0/args")
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(real_args[0], "dask-worker", "{}", at("oracle args"));
        let image = old_c["image"].as_str().unwrap();
        let old_cli = dusk::migrate::build::image_has_new_cli(Some(image)) == Some(false);
        if !old_cli {
            real_args.splice(0..1, [json!("dask"), json!("worker")]);
        }
        assert_eq!(
            new_c["args"],
            Value::Array(real_args),
            "{}",
            at("worker args")
        );
        assert_eq!(
            get(ours, "/metadata/name"),
            get(&real, "/metadata/name"),
            "{}",
            at("name")
        );
        // The scheduler is make_cluster_spec's own, with the worker's env and resources (the
        // classic KubeCluster ran it from the worker's pod, extra configs included).
        let scheduler = |v: &Value| {
            let mut s = normal(get(v, "/spec/scheduler"));
            let c = s["spec"]["containers"][0].as_object_mut().unwrap();
            c.remove("env");
            c.remove("resources");
            s
        };
        assert_eq!(scheduler(ours), scheduler(&real), "{}", at("scheduler"));
        let ours_s = get(ours, "/spec/scheduler/spec/containers/0");
        assert_eq!(env(ours_s), env(new_c), "{}", at("scheduler env"));
        assert_eq!(
            normal(&ours_s["resources"]),
            normal(&new_c["resources"]),
            "{}",
            at("scheduler resources")
        );
    }
}
