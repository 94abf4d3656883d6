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
//!   controller sets `DASK_SCHEDULER_ADDRESS` — and, where the distributed in play has the
//!   new CLI (`migrate::build::normalise_commands`), `dask-worker` as `dask worker`,
//!   `--no-bokeh` as `--no-dashboard`, `--bokeh-port N` as `--dashboard-address :N`,
//!   `--nprocs` as `--nworkers`; `--name $(DASK_WORKER_NAME)` added; resources, env, mounts, probes, pod placement, security context, service account,
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
use crate::extract::classic::{ClassicCluster, Source};
use crate::extract::helm_chart::{self, Fate, Rendering};
use crate::migrate::build::{self, Fidelity, Options};
use crate::migrate::migration_report::{CommentIn, MigrationReport, lines_in, shown};
use crate::migrate::operator::{DaskCluster, DaskWorkerGroup, to_json, to_yaml};
use crate::migrate::{Context, Declined, validate, yaml_text};
use crate::source::LineIndex;
use crate::source::edit::{Applicability, Fix, NewFile};
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
    let shown = shown(cx.path);
    let data = migration_report(cx, &name, &rendering).to_file_json(
        &CommentIn::Beside(file_name.clone()),
        &lines_in(&shown, cx.text),
    );
    let mut fix = Fix::create(
        NewFile {
            name: file_name,
            text,
        },
        Applicability::Unsafe,
        description,
    );
    fix.migration.push(data);
    Ok(fix)
}

/// The migration report the comment block writes, as data: each values key with its fate
/// (a key carried as it is, `no effect` as not supported with that reason) and the steps.
fn migration_report(cx: &Context<'_>, name: &str, r: &Rendering) -> MigrationReport {
    let fields = r
        .fields
        .iter()
        .map(|f| build::Record {
            field: f.key.clone(),
            source: Some(Source::Span(f.range)),
            fidelity: match &f.fate {
                Fate::Carried(_) => Fidelity::Carried,
                Fate::Transformed(how) => Fidelity::Transformed(how.clone()),
                Fate::NotSupported(why) => Fidelity::Dropped(why.clone()),
                Fate::Dependency(what) => Fidelity::Dependency(what.clone()),
                Fate::NoEffect(why) => Fidelity::Dropped(format!("no effect: {why}")),
            },
        })
        .collect();
    MigrationReport {
        kind: crate::migrate::migration_report::DASK_CLUSTER,
        from: format!("{} chart values `{}`", r.era.chart(), shown(cx.path)),
        cluster: name.to_owned(),
        namespace: None,
        old_address: Some(r.scheduler_address.clone()),
        fields,
        steps: steps(name, r),
    }
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

/// The rendering as the classic-cluster model ([`helm_chart::clusters`], the one producer
/// for Helm values), additional groups named `<name>-<group>`, with the commands made to run
/// on the `distributed` in play (`new_cli`) by the builder.
pub fn classic(name: &str, r: &Rendering, new_cli: bool) -> Result<Vec<ClassicCluster>, Declined> {
    let source = Source::Default("rendered by the dask chart's templates from these values");
    let mut clusters = helm_chart::clusters(name, r, &source, |g| {
        rfc1123_label(&format!("{name}-{g}"), 53)
    })
    .map_err(Declined::new)?;
    for c in &mut clusters {
        build::normalise_commands(c, new_cli);
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
    for (i, s) in steps(name, r).iter().enumerate() {
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

/// The steps the migration leaves for a person, in order.
fn steps(name: &str, r: &Rendering) -> Vec<String> {
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
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    fn built_args(values: &str, new_cli: bool) -> (Vec<String>, Vec<String>) {
        let file = crate::source::yaml::parse(values, Default::default()).unwrap();
        let root = file.documents[0].root.as_ref().unwrap();
        let r = helm_chart::render(root, "demo").unwrap();
        let m = build("demo", &r, new_cli).unwrap();
        let args = |spec: &k8s_openapi::api::core::v1::PodSpec| {
            spec.containers[0].args.clone().unwrap_or_default()
        };
        (
            args(&m.cluster.spec.worker.spec),
            args(&m.cluster.spec.scheduler.spec),
        )
    }

    #[test]
    fn worker_args_lose_the_address_and_gain_a_name() {
        // stable/dask: `--no-bokeh` on the worker, `--port`, `--bokeh-port` on the scheduler.
        let values = "worker:\n  image: daskdev/dask\n  imageTag: latest\n  resources:\n    limits: {cpu: 2, memory: 8G}\nscheduler:\n  servicePort: 9000\n";
        let (worker, scheduler) = built_args(values, true);
        assert_eq!(
            worker,
            s(&[
                "dask",
                "worker",
                "--nthreads",
                "2",
                "--memory-limit",
                "8G",
                "--no-dashboard",
                "--name",
                "$(DASK_WORKER_NAME)"
            ])
        );
        assert_eq!(
            scheduler,
            s(&[
                "dask",
                "scheduler",
                "--port",
                "8786",
                "--dashboard-address",
                ":8787"
            ])
        );
        // An older distributed keeps the legacy command and the flags it accepts.
        let (worker, scheduler) = built_args(values, false);
        assert_eq!(
            worker[0], "dask-worker",
            "old targets keep the legacy command"
        );
        assert!(worker.contains(&"--no-bokeh".to_owned()), "{worker:?}");
        assert_eq!(
            scheduler,
            s(&["dask-scheduler", "--port", "8786", "--bokeh-port", "8787"])
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
