//! `helm-values-to-daskcluster`: values of the `dask` Helm chart (or of `stable/dask`)
//! become a DaskCluster written beside them.
//!
//! ## What it rewrites
//! A values document of the chart (the finding of `helm-chart-classic-cluster`, at its first
//! top-level key), rendered as the chart's templates would render it
//! ([`crate::extract::helm_chart`]).
//!
//! ## Output
//! A new file `<name>-daskcluster.yaml` beside the values file; the values file is not
//! touched (the release reads it until it is uninstalled). `<name>` is the file's stem as an
//! RFC 1123 label, or its folder's name for a file called `values.yaml` (`values-prod.yaml`
//! gives `prod`). The file holds:
//! - a comment block, the migration report: the chart and release it replaces, each values
//!   key with its fate (carried / transformed / not supported / dependency) and line, the
//!   old and the new scheduler address, and the steps left for a person;
//! - one DaskCluster: `spec.worker` from the chart's worker Deployment (image, pull policy,
//!   the args the chart renders with the positional scheduler address dropped — the
//!   controller sets `DASK_SCHEDULER_ADDRESS` — `dask-worker` as `dask worker` where the
//!   targeted distributed has it, `--no-bokeh` as `--no-dashboard`, `--bokeh-port N` as
//!   `--dashboard-address :N`, `--nprocs` as `--nworkers`, and `--name $(DASK_WORKER_NAME)`
//!   added; resources, env, mounts, probes, pod placement, security context, service account,
//!   pull secrets, annotations; `replicas`); `spec.scheduler` from the scheduler Deployment
//!   the same way, with the ports `tcp-comm` 8786 and `http-dashboard` 8787 the controller
//!   looks for (and the operator's `/health` probes unless the values set their own);
//!   `spec.scheduler.service` of the values' `serviceType` with `tcp-comm` on the values'
//!   `servicePort`;
//! - one DaskWorkerGroup `<name>-<group>` per `additional_worker_groups` item.
//!
//! ## Fix safety
//! Unsafe: the cluster's name is a guess, the scheduler moves to a new address, and keys
//! without an operator equivalent (Jupyter, the web UI ingress, metrics monitors,
//! `serviceAnnotations`, `strategy`) are left behind, each named in the report.
//!
//! ## Not handled
//! Values the chart cannot render (an unnamed worker group), resources the operator's types
//! cannot read (a field of the wrong type), and a release name the values file does not
//! say: the old scheduler address in the report uses the file's name as the release's.

use super::pod_template_to_daskcluster::rfc1123_label;
use super::replace_command::new_cli_available;
use crate::extract::classic::{
    ClassicCluster, ClassicPod, SchedulerPod, Source, Sourced, Unsupported,
};
use crate::extract::helm_chart::{self, Fate, Rendering, text};
use crate::migrate::build::{self, Options};
use crate::migrate::operator::{DaskCluster, DaskWorkerGroup, to_json, to_yaml};
use crate::migrate::{Context, Declined, validate, yaml_text};
use crate::source::LineIndex;
use crate::source::edit::{Applicability, Fix, NewFile};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde_json::{Map, Value, json};
use std::path::Path;

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let file = cx.yaml().ok_or_else(|| Declined::new("not a YAML file"))?;
    let root = yaml_text::root_at(file, cx.range)
        .ok_or_else(|| Declined::new("the values document was not found"))?;
    let name = cluster_name(cx.path);
    let rendering = helm_chart::render(root, &name).map_err(|e| {
        let line = LineIndex::new(cx.text)
            .line_column(cx.text, e.range.start())
            .line;
        Declined::new(format!("{} (line {line})", e.message))
    })?;
    let new_cli = new_cli_available(cx);
    let migration = build(&name, &rendering, new_cli)?;
    let mut text = report(cx, &name, &rendering);
    for (i, doc) in migration.documents.iter().enumerate() {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(doc);
    }
    let file_name = format!("{name}-daskcluster.yaml");
    let groups = rendering.workers.len() - 1;
    let description = format!(
        "write DaskCluster `{name}`{} to `{file_name}` beside these values; clients move from `{}` to `{name}-scheduler.<namespace>:8786`",
        match groups {
            0 => String::new(),
            1 => " and 1 DaskWorkerGroup".into(),
            n => format!(" and {n} DaskWorkerGroups"),
        },
        rendering.scheduler_address,
    );
    Ok(Fix::create(
        NewFile {
            name: file_name,
            text,
        },
        Applicability::Unsafe,
        description,
    ))
}

/// The cluster's name from the values file's path.
pub fn cluster_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = match stem.as_str() {
        "values" => path
            .parent()
            .and_then(Path::file_name)
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dask".into()),
        s => s
            .strip_prefix("values-")
            .or_else(|| s.strip_prefix("values_"))
            .unwrap_or(s)
            .to_owned(),
    };
    // Room for `-scheduler` and for the longest group suffix is the operator's problem;
    // the name itself must be a label of at most 53 characters.
    rfc1123_label(&base, 53)
}

/// The operator resources, as YAML documents.
pub struct Migration {
    pub cluster: DaskCluster,
    pub groups: Vec<DaskWorkerGroup>,
    pub documents: Vec<String>,
}

/// The rendering as the classic-cluster model: one [`ClassicCluster`] for the release (its
/// `worker` and scheduler) and one per additional worker group, named `<name>-<group>`.
/// Worker args are the chart's with the positional scheduler address dropped and renamed
/// flags renamed; the builder adds `--name $(DASK_WORKER_NAME)`.
pub fn classic(name: &str, r: &Rendering, new_cli: bool) -> Result<Vec<ClassicCluster>, Declined> {
    let source = Source::Default("rendered by the dask chart's templates from these values");
    let mut clusters = Vec::new();
    for w in &r.workers {
        let group_name = match &w.group {
            None => name.to_owned(),
            Some(g) => rfc1123_label(&format!("{name}-{g}"), 53),
        };
        let mut c = w.pod.container.clone();
        c.insert("name".into(), json!("worker"));
        c.insert("args".into(), json!(worker_args(&w.pod.args(), new_cli)));
        let mut worker = ClassicPod {
            spec: pod_spec(c, &w.pod.pod)?,
            source: Some(source.clone()),
            ..ClassicPod::default()
        };
        if let Some(a) = &w.pod.annotations {
            worker.annotations = a.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        }
        let mut cluster = ClassicCluster::new(Sourced::new(group_name, source.clone()), worker);
        cluster.replicas = Some(Sourced::new(
            i32::try_from(w.replicas).map_err(|_| {
                Declined::new(format!("{} worker replicas is too many", w.replicas))
            })?,
            source.clone(),
        ));
        if w.group.is_none() {
            if let Some(pod) = &r.scheduler {
                let mut c = pod.container.clone();
                c.insert("name".into(), json!("scheduler"));
                c.insert("args".into(), json!(scheduler_args(&pod.args(), new_cli)));
                cluster.scheduler = SchedulerPod::Own(Box::new(ClassicPod {
                    spec: pod_spec(c, &pod.pod)?,
                    source: Some(source.clone()),
                    ..ClassicPod::default()
                }));
            }
            cluster.service_type = Some(Sourced::new(r.service.type_.clone(), source.clone()));
            cluster.idle_timeout = Some(Sourced::new(
                0,
                Source::Default("the operator's default: never delete an idle cluster"),
            ));
            for f in &r.fields {
                if let Fate::NotSupported(reason) = &f.fate {
                    cluster.unsupported.push(Unsupported {
                        what: f.key.clone(),
                        source: Source::Span(f.range),
                        reason: reason.clone(),
                    });
                }
            }
        }
        clusters.push(cluster);
    }
    Ok(clusters)
}

/// Build the resources through the one builder, then give the scheduler Service the
/// chart's ports and load balancer address.
pub fn build(name: &str, r: &Rendering, new_cli: bool) -> Result<Migration, Declined> {
    let options = Options { new_cli };
    let mut classic = classic(name, r, new_cli)?.into_iter();
    let main = classic
        .next()
        .ok_or_else(|| Declined::new("the values render no workers"))?;
    let mut cluster = build::cluster(&main, options)?.resource;
    let svc = &mut cluster.spec.scheduler.service;
    svc.load_balancer_ip = r.service.load_balancer_ip.clone();
    for p in svc.ports.iter_mut().flatten() {
        let port = match p.name.as_deref() {
            Some("tcp-comm") => r.service.port,
            Some("http-dashboard") => r.service.dashboard_port,
            _ => continue,
        };
        p.port = i32::try_from(port)
            .map_err(|_| Declined::new(format!("service port {port} is out of range")))?;
    }
    let groups = classic
        .map(|g| build::worker_group(&g, name, options).map(|b| b.resource))
        .collect::<Result<Vec<_>, _>>()?;
    let serialize = |e: crate::migrate::operator::SerializeError| Declined::new(e.to_string());
    let mut documents = vec![to_yaml(&cluster).map_err(serialize)?];
    for g in &groups {
        documents.push(to_yaml(g).map_err(serialize)?);
    }
    let problems: Vec<String> = std::iter::once(to_json(&cluster))
        .chain(groups.iter().map(to_json))
        .flat_map(|doc| validate::resource(&doc))
        .filter(|p| p.level == validate::Level::Error)
        .map(|p| p.to_string())
        .collect();
    if let Some(first) = problems.first() {
        return Err(Declined::new(format!(
            "the DaskCluster would be invalid: {first}"
        )));
    }
    Ok(Migration {
        cluster,
        groups,
        documents,
    })
}

/// A pod spec from the chart's container and pod fields, quantities and env values made
/// the strings Kubernetes expects.
fn pod_spec(container: Map<String, Value>, pod: &Map<String, Value>) -> Result<PodSpec, Declined> {
    let mut container = Value::Object(container);
    for part in ["limits", "requests"] {
        if let Some(Value::Object(q)) = container.pointer_mut(&format!("/resources/{part}")) {
            for v in q.values_mut() {
                if !v.is_string() {
                    *v = json!(text(v));
                }
            }
        }
    }
    if let Some(Value::Array(env)) = container.get_mut("env") {
        for var in env {
            if let Some(v) = var
                .get_mut("value")
                .filter(|v| !v.is_string() && !v.is_null())
            {
                *v = json!(text(v));
            }
        }
    }
    let mut spec = Value::Object(pod.clone());
    spec["containers"] = json!([container]);
    let unreadable = |e: serde_json::Error| {
        Declined::new(format!(
            "Kubernetes' types cannot read the pod these values render ({e}): fix the value"
        ))
    };
    let container: Container =
        serde_json::from_value(spec["containers"][0].clone()).map_err(unreadable)?;
    let mut spec: PodSpec = serde_json::from_value(spec).map_err(unreadable)?;
    spec.containers = vec![container];
    Ok(spec)
}

/// The chart's worker args as a DaskCluster's: the positional scheduler address dropped,
/// renamed flags, the new CLI where targeted, and `--name $(DASK_WORKER_NAME)`.
pub fn worker_args(rendered: &[String], new_cli: bool) -> Vec<String> {
    let mut out = program(
        rendered.first().map_or("dask-worker", String::as_str),
        new_cli,
    );
    out.extend(flags(rendered.get(2..).unwrap_or_default()));
    if !out
        .iter()
        .any(|a| a == "--name" || a.starts_with("--name="))
    {
        out.extend(["--name".into(), "$(DASK_WORKER_NAME)".into()]);
    }
    out
}

/// The chart's scheduler args as a DaskCluster's: the scheduler listens on 8786, where the
/// Service's `tcp-comm` port points.
pub fn scheduler_args(rendered: &[String], new_cli: bool) -> Vec<String> {
    let mut out = program(
        rendered.first().map_or("dask-scheduler", String::as_str),
        new_cli,
    );
    let mut rest = flags(rendered.get(1..).unwrap_or_default());
    let mut i = 0;
    while i < rest.len() {
        if rest[i].starts_with("--port=") {
            rest[i] = "--port=8786".into();
        } else if rest[i] == "--port" && i + 1 < rest.len() {
            rest[i + 1] = "8786".into();
            i += 1;
        }
        i += 1;
    }
    out.extend(rest);
    out
}

fn program(program: &str, new_cli: bool) -> Vec<String> {
    match program {
        "dask-worker" if new_cli => vec!["dask".into(), "worker".into()],
        "dask-scheduler" if new_cli => vec!["dask".into(), "scheduler".into()],
        other => other.split_whitespace().map(str::to_owned).collect(),
    }
}

/// Flags renamed since the chart's templates were written.
fn flags(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        match a.as_str() {
            "--no-bokeh" => out.push("--no-dashboard".into()),
            "--nprocs" => out.push("--nworkers".into()),
            "--bokeh-port" => {
                out.push("--dashboard-address".into());
                if let Some(port) = iter.next() {
                    out.push(format!(":{}", port.trim_start_matches(':')));
                }
            }
            s if s.starts_with("--bokeh-port=") => {
                let port = &s["--bokeh-port=".len()..];
                out.push(format!(
                    "--dashboard-address=:{}",
                    port.trim_start_matches(':')
                ));
            }
            s if s.starts_with("--nprocs=") => {
                out.push(format!("--nworkers={}", &s["--nprocs=".len()..]));
            }
            _ => out.push(a.clone()),
        }
    }
    out
}

/// The migration report, as the comment block that opens the generated file.
fn report(cx: &Context<'_>, name: &str, r: &Rendering) -> String {
    let index = LineIndex::new(cx.text);
    let values = cx
        .path
        .file_name()
        .map_or_else(|| "values".into(), |n| n.to_string_lossy().into_owned());
    let mut lines = vec![
        format!(
            "Migration of the {} chart values in `{values}` to the Dask Operator (written by `dusk fix`).",
            r.era.chart()
        ),
        format!(
            "The release's scheduler was `{}`; clients now connect to `tcp://{name}-scheduler.<namespace>:8786`",
            r.scheduler_address
        ),
        format!(
            "(dashboard: `http://{name}-scheduler.<namespace>:{}`).",
            r.service.dashboard_port
        ),
        String::new(),
        "What each value became:".into(),
    ];
    for f in &r.fields {
        let line = index.line_column(cx.text, f.range.start()).line;
        let detail = match &f.fate {
            Fate::Carried(to) if to.is_empty() => String::new(),
            fate => format!(": {}", fate.detail()),
        };
        lines.push(format!(
            "  {values}:{line} `{}`: {}{detail}",
            f.key,
            f.fate.label()
        ));
    }
    lines.push(String::new());
    lines.push("Steps left for a person:".into());
    let mut steps = vec![
        "install the Dask Operator if it is not (https://kubernetes.dask.org/en/latest/installing.html)".to_owned(),
        format!(
            "review this file, then `kubectl apply -n <namespace> -f {name}-daskcluster.yaml` and wait for `kubectl get daskcluster {name}` to show Running"
        ),
        format!(
            "change every client from `{}` to `{name}-scheduler.<namespace>:8786`",
            r.scheduler_address
        ),
    ];
    if r.fields
        .iter()
        .any(|f| matches!(f.fate, Fate::Dependency(_)))
    {
        steps.push(
            "make sure the ServiceAccounts, Secrets and volumes marked `dependency` exist in the namespace".into(),
        );
    }
    if r.jupyter {
        steps.push(
            "the chart also runs a Jupyter server, which a DaskCluster does not: move it to its own release (or JupyterHub) first".into(),
        );
    }
    let unsupported = r
        .fields
        .iter()
        .filter(|f| matches!(f.fate, Fate::NotSupported(_)))
        .count();
    if unsupported > 0 {
        steps.push(format!(
            "decide what replaces the {unsupported} value(s) marked `not supported`"
        ));
    }
    steps.push(
        "retire the release with `helm uninstall <release> -n <namespace>` (it deletes the classic scheduler and workers), and keep the values file only as long as the release exists".into(),
    );
    for (i, s) in steps.iter().enumerate() {
        lines.push(format!("  {}. {s}", i + 1));
    }
    let mut out = String::new();
    for l in lines {
        if l.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn worker_args_lose_the_address_and_gain_a_name() {
        let rendered = s(&[
            "dask-worker",
            "demo-dask-scheduler:8786",
            "--nthreads",
            "2",
            "--no-bokeh",
        ]);
        assert_eq!(
            worker_args(&rendered, true),
            s(&[
                "dask",
                "worker",
                "--nthreads",
                "2",
                "--no-dashboard",
                "--name",
                "$(DASK_WORKER_NAME)"
            ])
        );
        assert_eq!(
            worker_args(&rendered, false)[0],
            "dask-worker",
            "old targets keep the legacy command"
        );
    }

    #[test]
    fn scheduler_args_listen_on_8786() {
        assert_eq!(
            scheduler_args(
                &s(&["dask-scheduler", "--port", "9000", "--bokeh-port", "8787"]),
                true
            ),
            s(&[
                "dask",
                "scheduler",
                "--port",
                "8786",
                "--dashboard-address",
                ":8787"
            ])
        );
        assert_eq!(
            scheduler_args(
                &s(&["dask-scheduler", "--port=8786", "--dashboard-address=:8787"]),
                true
            ),
            s(&[
                "dask",
                "scheduler",
                "--port=8786",
                "--dashboard-address=:8787"
            ])
        );
    }

    #[test]
    fn names_come_from_the_file() {
        assert_eq!(
            cluster_name(Path::new("deploy/analytics/values.yaml")),
            "analytics"
        );
        assert_eq!(cluster_name(Path::new("values-prod.yaml")), "prod");
        assert_eq!(cluster_name(Path::new("ML_Cluster.yml")), "ml-cluster");
    }
}
