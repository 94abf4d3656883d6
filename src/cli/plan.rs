//! `dusk plan`: read (or build) the operator resources, check the operator's CRDs, dry-run
//! each object with server-side apply, and print one diff per object (or JSON).
//! Exit 0 when nothing would change, 1 when something would, 2 on error.

use super::args::{PlanArgs, PlanFormat};
use super::cluster::{Io, Progress, open, runtime, scope, with_std_io};
use super::{Error, ExitStatus};
use crate::cluster::api::Api;
use crate::cluster::connect::Connection;
use crate::cluster::plan::{self as cplan, Action, Desired, ObjectPlan, Origin, PlanSummary};
use crate::cluster::{self, FIELD_MANAGER, input, workflow};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: PlanArgs) -> Result<ExitStatus, Error> {
    with_std_io(|io| execute(&args, io))
}

/// `dusk plan` with the given streams.
pub fn execute(args: &PlanArgs, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let prepared = prepare(args, io)?;
    let color = super::check::use_color(args.color, true);
    render(args.format, &prepared, color, io.out).map_err(stdout_error)?;
    if let Some(dir) = &args.output_dir {
        write_manifests(dir, &prepared.desired, io)?;
    }
    let summary = PlanSummary::of(&prepared.plans);
    Ok(if summary.changes() > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Write each desired object to `dir` as `<namespace>-<name>-<kind>.yaml`, one line per file
/// on standard error. A file already there with the same text is left; one with other
/// text is an error (nothing is overwritten).
pub(crate) fn write_manifests(
    dir: &std::path::Path,
    desired: &[Desired],
    io: &mut Io<'_>,
) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Output {
        path: dir.to_path_buf(),
        source,
    })?;
    for d in desired {
        let name = format!(
            "{}-{}-{}.yaml",
            d.id.namespace.as_deref().unwrap_or("cluster"),
            d.id.name,
            d.id.kind.kind.to_lowercase()
        );
        let path = dir.join(name);
        let body = serde_saphyr::to_string(&d.object).map_err(|e| Error::Output {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let text = format!(
            "# {} ({}), written by `dusk plan`\n{body}",
            d.id,
            d.origin.describe()
        );
        if std::fs::read(&path).is_ok_and(|b| b == text.as_bytes()) {
            let _ = writeln!(io.err, "dusk: {} is up to date", path.display());
            continue;
        }
        crate::write::create(&path, text.as_bytes()).map_err(|e| Error::Output {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let _ = writeln!(io.err, "dusk: wrote {}", path.display());
    }
    Ok(())
}

pub(crate) fn stdout_error(source: std::io::Error) -> Error {
    Error::Output {
        path: "<stdout>".into(),
        source,
    }
}

/// Everything a plan found, kept for `apply`.
pub struct Prepared {
    pub runtime: tokio::runtime::Runtime,
    pub connection: Connection,
    pub api: Api,
    /// In apply order, namespaces resolved.
    pub desired: Vec<Desired>,
    /// One per desired object, same order.
    pub plans: Vec<ObjectPlan>,
}

/// Load or build the desired objects, then plan them against the cluster.
pub fn prepare(args: &PlanArgs, io: &mut Io<'_>) -> Result<Prepared, Error> {
    let runtime = runtime()?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // Plan what a full migration would give: the files (or the objects built from live classic
    // clusters) as `dusk fix --unsafe-fixes` would leave them, with the project's
    // configuration (targets, packs, selection).
    let scan = super::check::Scan::build(
        &super::args::ScanArgs {
            paths: paths.clone(),
            ..Default::default()
        },
        None,
    )?;
    let lint = scan.settings();
    let mut fix = crate::migrate::FixSettings::new(&lint, &scan.fix_overrides);
    fix.unsafe_fixes = true;
    // Files are read before any call, so a bad file is reported without touching the cluster.
    let mut desired = if args.from_cluster {
        Vec::new()
    } else {
        let found = input::resources_for_paths(&paths, &fix)?;
        if found.is_empty() {
            return Err(cluster::Error::NothingToPlan {
                paths: paths
                    .iter()
                    .map(|p| format!("`{}`", p.display()))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into());
        }
        found
    };
    let progress = Progress::new(io, "planning");
    let result = runtime.block_on(async {
        let (connection, api) = open(&args.conn, io).await?;
        if args.from_cluster {
            let scope = scope(&args.conn, &connection);
            let live = workflow::gather(&api, &scope, &|d, t, l| progress.update(d, t, l)).await?;
            // Built from the model with the commands of the versions in play: the image's,
            // else the targeted `distributed` (no text fix loop runs over these objects).
            let target_new_cli = lint
                .targets
                .explicit
                .get("distributed")
                .or_else(|| lint.rules.default_target("distributed"))
                .is_none_or(|v| {
                    crate::dask::NEW_CLI_SINCE
                        .parse::<crate::rules::Version>()
                        .is_ok_and(|since| *v >= since)
                });
            desired = workflow::desired_from_live(&live, target_new_cli)?;
            if desired.is_empty() {
                let _ = writeln!(
                    io.err,
                    "dusk: nothing to migrate: no classic KubeCluster pods or dask Helm releases in {scope}"
                );
            }
        }
        cplan::apply_order(&mut desired);
        workflow::resolve_namespaces(
            &mut desired,
            &connection.namespace,
            args.conn.namespace.as_deref(),
        )?;
        workflow::require_crds(&api, &cplan::kinds_needed(&desired)).await?;
        let plans = workflow::plan(&api, &desired, args.force_conflicts, &|d, t, l| {
            progress.update(d, t, l)
        })
        .await?;
        Ok::<_, cluster::Error>((connection, api, plans))
    });
    progress.finish();
    let (connection, api, plans) = result?;
    Ok(Prepared {
        runtime,
        connection,
        api,
        desired,
        plans,
    })
}

/// Print the plan.
pub fn render(
    format: PlanFormat,
    prepared: &Prepared,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        PlanFormat::Text => render_text(prepared, color, out),
        PlanFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &to_json(prepared))?;
            writeln!(out)
        }
    }
}

fn render_text(prepared: &Prepared, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let paint = |style: anstyle::Style, text: &str| {
        if color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    };
    let green = anstyle::AnsiColor::Green.on_default();
    let red = anstyle::AnsiColor::Red.on_default();
    let cyan = anstyle::AnsiColor::Cyan.on_default();
    let bold = anstyle::Style::new().bold();
    for plan in &prepared.plans {
        let (mark, verb) = match plan.action {
            Action::Create => ("+", "will be created"),
            Action::Update => ("~", "will change"),
            Action::Unchanged => ("=", "no changes"),
        };
        writeln!(
            out,
            "{} ({}): {verb}",
            paint(bold, &format!("{mark} {}", plan.id)),
            plan.origin.describe()
        )?;
        for line in plan.diff.lines() {
            let styled = if line.starts_with("+++") || line.starts_with("---") {
                paint(bold, line)
            } else if line.starts_with('+') {
                paint(green, line)
            } else if line.starts_with('-') {
                paint(red, line)
            } else if line.starts_with("@@") {
                paint(cyan, line)
            } else {
                line.to_owned()
            };
            writeln!(out, "{styled}")?;
        }
        if !plan.diff.is_empty() {
            writeln!(out)?;
        }
    }
    if prepared.plans.last().is_none_or(|p| p.diff.is_empty()) {
        writeln!(out)?;
    }
    let s = PlanSummary::of(&prepared.plans);
    writeln!(
        out,
        "plan: {} to create, {} to change, {} unchanged (server-side dry run in context `{}`, field manager `{FIELD_MANAGER}`)",
        s.create, s.update, s.unchanged, prepared.connection.context
    )
}

/// The per-object plan as one JSON object (`--format json`).
pub fn to_json(prepared: &Prepared) -> Value {
    let objects: Vec<Value> = prepared
        .plans
        .iter()
        .zip(&prepared.desired)
        .map(|(p, d)| {
            let origin = match &p.origin {
                Origin::File { path, line, .. } => json!({"path": path, "line": line}),
                Origin::Live { from } => json!({"from": from}),
            };
            json!({
                "kind": p.id.kind.kind,
                "api_version": p.id.kind.api_version(),
                "namespace": p.id.namespace,
                "name": p.id.name,
                "origin": origin,
                "action": p.action,
                "diff": p.diff,
                "live": p.live,
                "proposed": p.proposed,
                "migration": d.migration.as_ref().map(|m| mask(m, &d.sensitive)),
            })
        })
        .collect();
    json!({
        "version": 1,
        "context": prepared.connection.context,
        "server": prepared.connection.server,
        "field_manager": FIELD_MANAGER,
        "dry_run": true,
        "objects": objects,
        "summary": PlanSummary::of(&prepared.plans),
    })
}

/// A migration report with every sensitive value masked in its strings, as the plan masks
/// its objects.
fn mask(report: &Value, sensitive: &[String]) -> Value {
    match report {
        Value::String(text) => {
            let mut text = text.clone();
            for s in sensitive.iter().filter(|s| !s.is_empty()) {
                text = text.replace(s.as_str(), "***");
            }
            Value::String(text)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| mask(v, sensitive)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mask(v, sensitive)))
                .collect(),
        ),
        other => other.clone(),
    }
}
