//! `dusk apply`: the same plan as `dusk plan`, then — after a confirmation on a terminal, or
//! `--yes` — a real server-side apply of each changed object (DaskClusters first), one
//! result line per object. `--prune-classic` lists, before asking, exactly what retires the
//! classic side of each new DaskCluster — a classic KubeCluster's pods, Services and
//! PodDisruptionBudgets, a hand-run stack's Deployments and Services, the `helm uninstall`
//! command for a dask Helm release — and acts once the DaskCluster reports `Running`: it
//! deletes the objects and prints the Helm command for a person to run. Only a Service with
//! the name the operator's own scheduler Service takes is deleted before the apply, since the
//! cluster could not run with it in place.

use super::args::{ApplyArgs, PlanFormat};
use super::cluster::{Io, with_std_io};
use super::plan::{prepare, render, stdout_error};
use super::{Error, ExitStatus};
use crate::cluster::plan::{Action, PlanSummary};
use crate::cluster::{self, Kind, ObjectId, workflow};
use std::io::Write;
use std::time::Duration;

/// How often a DaskCluster's phase is read while waiting to prune.
const POLL: Duration = Duration::from_secs(2);

pub fn run(args: ApplyArgs) -> Result<ExitStatus, Error> {
    with_std_io(|io| execute(&args, io))
}

/// `dusk apply` with the given streams.
pub fn execute(args: &ApplyArgs, io: &mut Io<'_>) -> Result<ExitStatus, Error> {
    let prepared = prepare(&args.plan, io)?;
    let color = super::check::use_color(args.plan.color, true);
    render(args.plan.format, &prepared, color, io.out).map_err(stdout_error)?;
    // GitOps: the manifests go to files for another tool to apply; nothing is applied here.
    if let Some(dir) = &args.plan.output_dir {
        super::plan::write_manifests(dir, &prepared.desired, io)?;
        return Ok(ExitStatus::Success);
    }
    // Result lines go where they do not break JSON.
    let text = args.plan.format == PlanFormat::Text;
    let api = &prepared.api;
    let rt = &prepared.runtime;
    let prune = if args.prune_classic {
        let clusters: Vec<&ObjectId> = prepared
            .desired
            .iter()
            .map(|d| &d.id)
            .filter(|id| id.kind == Kind::DASK_CLUSTER)
            .collect();
        let mut prune = Vec::new();
        for id in clusters {
            let retire = rt.block_on(workflow::classic_objects_replaced_by(api, id))?;
            if !retire.is_empty() {
                prune.push((id.clone(), retire));
            }
        }
        prune
    } else {
        Vec::new()
    };
    let summary = PlanSummary::of(&prepared.plans);
    {
        let says: &mut dyn Write = if text { &mut *io.out } else { &mut *io.err };
        for (cluster, retire) in &prune {
            for line in prune_lines(cluster, retire) {
                writeln!(says, "{line}").map_err(stdout_error)?;
            }
        }
        if summary.changes() == 0 && prune.is_empty() {
            writeln!(says, "nothing to apply").map_err(stdout_error)?;
            return Ok(ExitStatus::Success);
        }
    }
    if !args.yes {
        if !io.terminal {
            return Err(cluster::Error::NeedsYes.into());
        }
        let question = format!(
            "apply {} change{}{} in context `{}`? [y/N] ",
            summary.changes(),
            if summary.changes() == 1 { "" } else { "s" },
            if prune.is_empty() {
                ""
            } else {
                " and prune the classic resources listed"
            },
            prepared.connection.context
        );
        let _ = write!(io.err, "{question}");
        let _ = io.err.flush();
        let answer = (io.read_answer)().map_err(cluster::Error::Prompt)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            let _ = writeln!(io.err, "dusk: nothing applied");
            return Ok(ExitStatus::Failure);
        }
    }
    // Services in the way of the operator's own go first (listed above, confirmed).
    for (_, retire) in &prune {
        let mut deleted = Vec::new();
        let outcome = rt.block_on(workflow::prune_classic(api, &retire.before, &mut |id| {
            deleted.push(format!("deleted classic {id}"))
        }));
        let says: &mut dyn Write = if text { &mut *io.out } else { &mut *io.err };
        for line in &deleted {
            writeln!(says, "{line}").map_err(stdout_error)?;
        }
        outcome?;
    }
    let mut lines: Vec<String> = Vec::new();
    let result = rt.block_on(workflow::apply(
        api,
        &prepared.desired,
        &prepared.plans,
        args.plan.force_conflicts,
        &mut |id, action| {
            let done = match action {
                Action::Create => "created",
                _ => "configured",
            };
            lines.push(format!("applied {id}: {done}"));
        },
    ));
    {
        let says: &mut dyn Write = if text { &mut *io.out } else { &mut *io.err };
        for line in &lines {
            writeln!(says, "{line}").map_err(stdout_error)?;
        }
    }
    let applied = result?;
    for (cluster, retire) in &prune {
        let _ = writeln!(io.err, "dusk: waiting for {cluster} to report `Running`");
        rt.block_on(workflow::wait_running(
            api,
            cluster,
            Duration::from_secs(args.wait_timeout),
            POLL,
        ))?;
        let mut deleted = Vec::new();
        let outcome = rt.block_on(workflow::prune_classic(api, &retire.after, &mut |id| {
            deleted.push(format!("deleted classic {id}"))
        }));
        let says: &mut dyn Write = if text { &mut *io.out } else { &mut *io.err };
        for line in &deleted {
            writeln!(says, "{line}").map_err(stdout_error)?;
        }
        outcome?;
        for (release, ns) in &retire.helm {
            writeln!(
                says,
                "{cluster} runs: retire Helm release `{release}` now with `{}`",
                workflow::helm_uninstall(release, ns)
            )
            .map_err(stdout_error)?;
        }
    }
    let says: &mut dyn Write = if text { &mut *io.out } else { &mut *io.err };
    writeln!(
        says,
        "applied {} object{} in context `{}`",
        applied.len(),
        if applied.len() == 1 { "" } else { "s" },
        prepared.connection.context
    )
    .map_err(stdout_error)?;
    Ok(ExitStatus::Success)
}

/// What `--prune-classic` will do for one DaskCluster, one line each, before it asks.
fn prune_lines(cluster: &ObjectId, retire: &workflow::Retirement) -> Vec<String> {
    let names = |ids: &[ObjectId]| {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    if !retire.before.is_empty() {
        out.push(format!(
            "- before applying {cluster}, delete the classic {} (the operator's scheduler Service takes that name)",
            names(&retire.before)
        ));
    }
    if !retire.after.is_empty() {
        out.push(format!(
            "- once {cluster} reports `Running`, delete the classic {}",
            names(&retire.after)
        ));
    }
    for (release, ns) in &retire.helm {
        out.push(format!(
            "- once {cluster} reports `Running`, run `{}` (dusk does not delete what Helm manages)",
            workflow::helm_uninstall(release, ns)
        ));
    }
    out
}
