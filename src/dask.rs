//! The Dask vocabulary, spelled out once: what a Dask worker or scheduler program is, the
//! operator's module path and API group, the ports and env the controller relies on, the
//! classic-only keywords, and dask config key normalisation.
//!
//! Every stage reads these names from here (front-ends to recognise Dask, rewriters and the
//! builder to write it). Pure data and small predicates: no I/O, no parsing.

/// The Dask Operator's API group and its only version.
pub const API_GROUP: &str = "kubernetes.dask.org";
pub const API_VERSION: &str = "kubernetes.dask.org/v1";

/// The operator's Python module (`KubeCluster`, `make_cluster_spec`, …).
pub const OPERATOR_MODULE: &str = "dask_kubernetes.operator";

/// The label the controller (and the classic KubeCluster) puts on every pod of a cluster.
pub const CLUSTER_NAME_LABEL: &str = "dask.org/cluster-name";
pub const COMPONENT_LABEL: &str = "dask.org/component";

/// The scheduler's ports, by the names the controller finds them by.
pub const COMM_PORT: (&str, i32) = ("tcp-comm", 8786);
pub const DASHBOARD_PORT: (&str, i32) = ("http-dashboard", 8787);

/// The positional argument classic templates pass the scheduler's address with; the
/// controller sets the variable itself.
pub const SCHEDULER_ADDRESS: &str = "$(DASK_SCHEDULER_ADDRESS)";
/// Environment the controller injects into every worker; a copied value would point at the
/// old classic scheduler.
pub const INJECTED_ENV: &[&str] = &["DASK_SCHEDULER_ADDRESS"];
/// The arguments naming a worker after its Deployment, so scale-down retires it by name.
pub const WORKER_NAME_ARGS: [&str; 2] = ["--name", "$(DASK_WORKER_NAME)"];

/// The first `distributed` release with the `dask worker`/`dask scheduler` commands.
pub const NEW_CLI_SINCE: &str = "2022.10.0";

/// Keywords of the classic `KubeCluster` the operator's does not take.
pub const CLASSIC_ONLY_KEYWORDS: &[&str] = &[
    "host",
    "port",
    "auth",
    "deploy_mode",
    "interface",
    "protocol",
    "dashboard_address",
    "security",
    "scheduler_service_wait_timeout",
    "scheduler_service_name_resolution_retries",
    "scheduler_pod_template",
    "apply_default_affinity",
    "diagnostics_port",
    "scheduler_port",
    "ip",
    "processes",
    "threads_per_worker",
    "services",
    "service_kwargs",
    "worker_class",
];

/// The program a command runs, without its directory (`/opt/conda/bin/dask-worker` →
/// `dask-worker`).
pub fn program(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Whether `words` (a container's `command` then `args`, each item one word) start a Dask
/// worker as items of their own: `dask-worker`, `dask-cuda-worker`, `dask worker`,
/// `dask cuda worker`. A shell (`sh -c "…"`) hides the program, so it is not one.
pub fn runs_a_worker<S: AsRef<str>>(words: &[S]) -> bool {
    if words.iter().any(|w| w.as_ref() == "-c") {
        return false;
    }
    words.iter().enumerate().any(|(i, w)| {
        let p = program(w.as_ref());
        matches!(p, "dask-worker" | "dask-cuda-worker")
            || (p == "dask"
                && words
                    .get(i + 1)
                    .is_some_and(|n| matches!(n.as_ref(), "worker" | "cuda")))
    })
}

/// Whether `words` name the worker (`--name X` or `--name=X`).
pub fn names_the_worker<S: AsRef<str>>(words: &[S]) -> bool {
    words
        .iter()
        .any(|w| w.as_ref() == "--name" || w.as_ref().starts_with("--name="))
}

/// The scheduler program: `dask scheduler`, or `dask-scheduler` before the new CLI.
pub fn scheduler_program(new_cli: bool) -> &'static [&'static str] {
    if new_cli {
        &["dask", "scheduler"]
    } else {
        &["dask-scheduler"]
    }
}

/// The worker program: `dask worker`, or `dask-worker` before the new CLI.
pub fn worker_program(new_cli: bool) -> &'static [&'static str] {
    if new_cli {
        &["dask", "worker"]
    } else {
        &["dask-worker"]
    }
}

/// Normalise a dask config key the way `dask.config` does: lower case, `_` → `-`.
pub fn normalise_config_key(key: &str) -> String {
    key.to_lowercase().replace('_', "-")
}

/// `DASK_KUBERNETES__WORKER_TEMPLATE` → `kubernetes.worker-template`; `None` if the
/// variable is not a dask config variable.
pub fn config_key_from_env(var: &str) -> Option<String> {
    let rest = var.strip_prefix("DASK_")?;
    if rest.is_empty() {
        return None;
    }
    Some(
        rest.split("__")
            .map(normalise_config_key)
            .collect::<Vec<_>>()
            .join("."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_programs_are_recognised_as_items_not_in_shell_strings() {
        assert!(runs_a_worker(&["dask-worker", "tcp://s:8786"]));
        assert!(runs_a_worker(&["/opt/conda/bin/dask-worker"]));
        assert!(runs_a_worker(&["dask", "worker"]));
        assert!(runs_a_worker(&["dask", "cuda", "worker"]));
        assert!(!runs_a_worker(&["dask", "scheduler"]));
        assert!(!runs_a_worker(&["sh", "-c", "dask-worker"]));
        assert!(names_the_worker(&["dask-worker", "--name=w"]));
        assert!(!names_the_worker(&["dask-worker", "--nthreads", "2"]));
    }

    #[test]
    fn env_vars_become_config_keys() {
        assert_eq!(
            config_key_from_env("DASK_KUBERNETES__WORKER_TEMPLATE").as_deref(),
            Some("kubernetes.worker-template")
        );
        assert_eq!(config_key_from_env("PATH"), None);
    }
}
