//! `argo-to-daskcluster`: the Argo Workflows pattern that runs Dask by hand — a `daemon:
//! true` step running the scheduler, a `resource` step creating a worker Deployment (its
//! manifest embedded as a string, addressed to the daemon step's IP) and a `resource` step
//! deleting it — becomes one DaskJob (when one pipeline step uses the cluster) or one
//! DaskCluster, created and deleted by the same `resource` steps.
//!
//! ## What it rewrites
//! The workflow (`Workflow`, `WorkflowTemplate`, `ClusterWorkflowTemplate`, `CronWorkflow`)
//! an `argo-dask-scheduler-step` finding belongs to: the scheduler template holding the
//! finding (its `container`), the one template whose `resource` (`action: create` or
//! `apply`) manifest is a Deployment or StatefulSet running a Dask worker, and the
//! templates whose `action: delete` manifest names that Deployment. The embedded manifest is
//! parsed with every range in the workflow file's coordinates (`extract::yaml::
//! string_documents`), so what is declined points at its line. This is a producer of the
//! classic-cluster model: the resources come from `migrate::build`.
//!
//! ## Output: a DaskJob for the ephemeral pattern
//! When one `steps` template of the workflow runs the scheduler step, then the workers'
//! step, then ONE pipeline step whose parameters carry the scheduler's address
//! (`{{steps.<scheduler>.ip}}`) into a `container` template with no `outputs` (and nothing
//! else a runner pod cannot carry: `retryStrategy`, sidecars, volume mounts, other
//! parameters), that is what a DaskJob is for:
//! - the create step's manifest becomes a DaskJob: `spec.cluster.spec` as below,
//!   `spec.job.spec` the pipeline's container (and its template's pod fields) with the
//!   address read from `$(DASK_SCHEDULER_ADDRESS)`, which the operator sets on the runner
//!   (a `DASK_SCHEDULER_ADDRESS` the step set from the parameter goes), and
//!   `restartPolicy: Never` (Argo ran the step once); the step gains `successCondition:
//!   status.jobStatus == Successful` and `failureCondition: status.jobStatus == Failed`;
//! - the pipeline step runs the create step's template in its place (so the steps before
//!   it still run before the pipeline), without arguments; the workers' step goes, and the
//!   workers' template loses the parameters that carried the address;
//! - the delete steps name the DaskJob; the pipeline's template stays (others may use it).
//!
//! ## Output: a DaskCluster for every other shape
//! Why not a DaskJob is said in the report and the fix's description (the scheduler template
//! shared by `templateRef`, several steps using the cluster, outputs of the pipeline step…).
//! - the scheduler template is removed (the operator runs the scheduler);
//! - the create step's manifest becomes a DaskCluster named after the workflow (`metadata.
//!   name`, or `generateName` without its `-`): `spec.worker` is the worker Deployment's pod
//!   and replicas (the scheduler address in its args or `DASK_SCHEDULER_ADDRESS` dropped, as
//!   the controller sets it), `spec.scheduler.spec` the daemon step's container with the
//!   template's node placement, service account and security context; the step gains
//!   `successCondition: status.phase == Running`, so it waits for the scheduler as the
//!   daemon step did;
//! - each delete step's manifest names the DaskCluster instead of the Deployment;
//! - steps of the same workflow that ran the scheduler template go (their parallel group
//!   too when they were alone in it), and every `{{steps.<that step>.ip}}` becomes the
//!   operator's scheduler Service host (`<cluster>-scheduler.<namespace>`);
//! - a comment block above the create step is the migration report: the new scheduler
//!   address, what callers must change, the templated parameters carried, each field's fate.
//!
//! Argo substitutes `{{workflow.…}}` and the step's own `{{inputs.…}}` in a manifest when the
//! step runs, so such strings of the worker Deployment are carried as written. A templated
//! `spec.replicas` (a number in a DaskCluster) takes its input parameter's default.
//!
//! ## Fix safety
//! Unsafe: the scheduler's address changes from the daemon step's IP to
//! `<cluster>-scheduler.<namespace>:8786` (for a DaskJob, the runner's
//! `DASK_SCHEDULER_ADDRESS`), the pipeline's pod loses the workflow's ServiceAccount unless
//! its template named one, workflows that use the scheduler template (by
//! `templateRef`) must drop that step, and a per-run Deployment name
//! (`dask-worker-{{workflow.name}}`) becomes one fixed DaskCluster name.
//!
//! ## Not handled (declined with the reason)
//! A scheduler in a `script` or `containerSet`; a `podSpecPatch` on the scheduler step (dusk
//! does not apply patches); `{{inputs.…}}`/`{{steps.…}}`/`{{tasks.…}}` in the scheduler's
//! container (they would move to another step's scope); a templated replicas count without
//! a default; `{{steps.…}}`/`{{tasks.…}}` in the worker manifest other than the scheduler
//! address; a workflow with no, or several, worker-creating steps; a manifest not written
//! as a literal block (`|`); a DAG task running the scheduler template (its dependencies
//! would need rewiring).

use super::hand_rolled_to_daskcluster::{first_container, name_of, words};
use super::pod_template_to_daskcluster::{rfc1123_label, without_nulls};
use super::replace_command::new_cli_available;
use crate::extract::argo;
use crate::extract::classic::{ClassicCluster, ClassicPod, SchedulerPod, Source, Sourced};
use crate::migrate::build::{self, Options, Record};
use crate::migrate::operator::to_yaml;
use crate::migrate::yaml_text::{self, column, line_end_inclusive, line_start};
use crate::migrate::{Context, Declined, OrDecline, line_of, validate};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::yaml::{Node, Value};
use k8s_openapi::api::core::v1::{Container, PodSpec};
use std::collections::BTreeMap;

/// Pod-level fields an Argo template may set for the pod it runs.
const TEMPLATE_POD_FIELDS: &[(&str, &str)] = &[
    ("nodeSelector", "nodeSelector"),
    ("tolerations", "tolerations"),
    ("affinity", "affinity"),
    ("serviceAccountName", "serviceAccountName"),
    ("securityContext", "securityContext"),
    ("priorityClassName", "priorityClassName"),
    ("schedulerName", "schedulerName"),
];

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let file = cx.yaml_file()?;
    let root =
        yaml_text::root_at(file, cx.range).or_decline("the finding is outside every document")?;
    let plan = Plan::read(cx, root)?;
    let job = plan.job_shape(cx);
    let built = plan.build(cx, job.as_ref().ok())?;
    let mut edits = Vec::new();
    // The scheduler template goes.
    edits.push(remove_template(
        cx.text,
        plan.templates,
        plan.scheduler_index,
    )?);
    // The create step: its manifest becomes the DaskCluster, and it waits until it runs.
    edits.push(replace_block(cx.text, plan.create.manifest, &built.yaml)?);
    let resource = plan
        .create
        .template
        .get("resource")
        .unwrap_or(plan.create.template);
    let manifest_entry_start = line_start(cx.text, key_start(resource, "manifest")?);
    let indent = " ".repeat(column(cx.text, key_start(resource, "manifest")?));
    if let Ok(job) = &job {
        // The step lasts as long as the job, and fails with it.
        edits.push(Edit::insert(
            manifest_entry_start,
            format!(
                "{indent}successCondition: status.jobStatus == Successful\n{indent}failureCondition: status.jobStatus == Failed\n"
            ),
        ));
        edits.extend(job.edits(cx.text, &plan)?);
    } else if resource.get("successCondition").is_none() {
        edits.push(Edit::insert(
            manifest_entry_start,
            format!("{indent}successCondition: status.phase == Running\n"),
        ));
    }
    let item_line = line_start(cx.text, dash_of(cx.text, plan.create.template)?);
    let indent = " ".repeat(column(cx.text, dash_of(cx.text, plan.create.template)?));
    let lines = report_lines(&plan, &built, &job);
    let mut report = String::new();
    for l in &lines {
        report.push_str(&indent);
        report.push_str("# ");
        report.push_str(l);
        report.push('\n');
    }
    edits.push(Edit::insert(item_line, report));
    // The delete steps name the DaskCluster.
    for d in &plan.deletes {
        edits.push(replace_block(cx.text, d.manifest, &built.reference)?);
    }
    // Steps that ran the scheduler go; what used their IP names the operator's Service.
    let mut removed: Vec<TextRange> = match &job {
        Ok(_) => edits
            .iter()
            .filter(|e| e.content.is_empty())
            .map(|e| e.range)
            .collect(),
        Err(_) => Vec::new(),
    };
    for c in &plan.callers {
        let alone = c.group.as_seq().is_some_and(|g| g.len() == 1);
        let edit = if alone {
            yaml_text::remove_item(cx.text, c.steps, c.group_index)
        } else {
            yaml_text::remove_item(cx.text, c.group, c.index)
        }
        .or_decline_with(|| {
            format!(
                "the step `{}` that runs the scheduler is written in a form dusk cannot remove: remove it by hand, then fix again",
                c.name
            )
        })?;
        if removed.iter().any(|r| r.contains_range(edit.range)) {
            continue;
        }
        removed.push(edit.range);
        edits.push(edit);
    }
    let host = built.host.clone();
    for c in &plan.callers {
        let pattern = format!("{{{{steps.{}.ip}}}}", c.name);
        let mut from = 0;
        while let Some(at) = cx.text[from..].find(&pattern) {
            let range = TextRange::new(from + at, from + at + pattern.len());
            from = range.end();
            if removed.iter().any(|r| r.contains_range(range))
                || edits.iter().any(|e| e.range.contains_range(range))
            {
                continue;
            }
            edits.push(Edit::replace(range, host.clone()));
        }
    }
    let description = if let Ok(job) = &job {
        format!(
            "replace the scheduler step `{}`, the worker Deployment of step `{}` and the pipeline step `{}` by DaskJob `{}`, created by step `{}` in the pipeline's place (its runner runs template `{}`'s container){}",
            plan.scheduler_name(),
            name_of_template(plan.create.template),
            job.step_name(),
            built.name,
            job.step_name(),
            name_of_template(job.template),
            deleted_by(&plan),
        )
    } else {
        format!(
            "replace the scheduler step `{}` and the worker Deployment of step `{}` by DaskCluster `{}` (created by step `{}`{}); clients move to `{}`",
            plan.scheduler_name(),
            name_of_template(plan.create.template),
            built.name,
            name_of_template(plan.create.template),
            deleted_by(&plan),
            built.address,
        ) + &match &job {
            Err(why) => format!("; a DaskCluster, not a DaskJob: {why}"),
            Ok(_) => String::new(),
        }
    };
    let mut fix = Fix::new(edits, Applicability::Unsafe, description);
    fix.migration
        .push(migration_json(cx, &plan, &built, &lines, job.is_ok()));
    Ok(fix)
}

/// The migration report the comment block `lines` writes, as data (`Fix::migration`).
fn migration_json(
    cx: &Context<'_>,
    plan: &Plan<'_>,
    built: &Built,
    lines: &[String],
    job: bool,
) -> serde_json::Value {
    use crate::migrate::migration_report::{CommentIn, MigrationReport};
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let namespace = built
        .host
        .strip_prefix(&format!("{}-scheduler.", built.name))
        .filter(|ns| *ns != "<namespace>")
        .map(str::to_owned);
    let mut report = MigrationReport::from_comment(
        format!(
            "Argo {} `{}`: daemon step `{}` and worker {} `{}`",
            plan.root.get_str("kind").unwrap_or("Workflow"),
            plan.root
                .path(&["metadata", "name"])
                .or_else(|| plan.root.path(&["metadata", "generateName"]))
                .and_then(Node::as_str)
                .unwrap_or(""),
            plan.scheduler_name(),
            plan.worker().get_str("kind").unwrap_or("Deployment"),
            name_of(plan.worker()),
        ),
        built.name.clone(),
        namespace,
        Some("{{steps.<step>.ip}}:8786".to_owned()),
        &lines,
        &built.record,
    );
    if job {
        report.kind = "DaskJob";
    }
    let shown = crate::migrate::migration_report::shown(cx.path);
    report.to_file_json(
        &CommentIn::FixedFile,
        &crate::migrate::migration_report::lines_in(&shown, cx.text),
    )
}

/// A `resource` step of the workflow and the documents of its manifest.
struct Step<'a> {
    template: &'a Node,
    manifest: &'a Node,
    docs: Vec<Node>,
}

/// What the rewrite reads from the workflow.
struct Plan<'a> {
    root: &'a Node,
    templates: &'a Node,
    scheduler_index: usize,
    scheduler: &'a Node,
    container: &'a Node,
    create: Step<'a>,
    deletes: Vec<Step<'a>>,
    /// Steps of this workflow that run the scheduler template.
    callers: Vec<Caller<'a>>,
}

/// A step running the scheduler template: the parallel group holding it, its index there,
/// the `steps` list holding the group and the group's index.
struct Caller<'a> {
    steps: &'a Node,
    group_index: usize,
    group: &'a Node,
    index: usize,
    name: String,
}

/// The steps of `t` that run template `name`.
fn step_calls<'a>(t: &'a Node, name: &str) -> Vec<Caller<'a>> {
    t.get("steps")
        .map(|steps| step_calls_node(steps, name))
        .unwrap_or_default()
}

/// `, deleted by `step`, …` for the steps deleting the workers, or nothing.
fn deleted_by(plan: &Plan<'_>) -> String {
    if plan.deletes.is_empty() {
        return String::new();
    }
    let steps: Vec<String> = plan
        .deletes
        .iter()
        .map(|d| format!("`{}`", name_of_template(d.template)))
        .collect();
    format!(", deleted by {}", steps.join(", "))
}

fn name_of_template(t: &Node) -> &str {
    t.get_str("name").unwrap_or("")
}

fn runs_worker(doc: &Node) -> bool {
    matches!(doc.get_str("kind"), Some("Deployment" | "StatefulSet"))
        && first_container(doc).is_some_and(|c| crate::dask::runs_a_worker(&words(c)))
}

impl<'a> Plan<'a> {
    fn read(cx: &Context<'_>, root: &'a Node) -> Result<Plan<'a>, Declined> {
        let templates = argo::templates_node(root).or_decline("the workflow has no templates")?;
        let items = templates.as_seq().or_decline("`templates` is not a list")?;
        let scheduler_index = items
            .iter()
            .position(|t| t.range.contains_range(cx.range))
            .or_decline("the finding is outside every template")?;
        let scheduler = &items[scheduler_index];
        let container = scheduler.get("container").or_decline_with(|| {
            format!(
                "the scheduler of template `{}` runs in a `script` or `containerSet`: write the DaskCluster by hand",
                name_of_template(scheduler)
            )
        })?;
        if let Some(patch) = scheduler.get("podSpecPatch") {
            return Err(Declined::new(format!(
                "the scheduler step `{}` has a `podSpecPatch` ({}), which dusk does not apply: move what it sets into the step's `container` (or its pod fields), then fix again",
                name_of_template(scheduler),
                line_of(cx.text, patch.range.start())
            )));
        }
        for (path, node) in templated(cx.text, container, "container") {
            let text = &cx.text[node.range.as_range()];
            if !only_workflow_variables(text) {
                return Err(Declined::new(format!(
                    "the scheduler step's `{path}` is the templated `{}` ({}): it would move into another step, whose parameters differ; write the value in, then fix again",
                    text.trim(),
                    line_of(cx.text, node.range.start())
                )));
            }
        }
        let name = name_of_template(scheduler);
        let mut callers = Vec::new();
        for (i, t) in items.iter().enumerate() {
            if i == scheduler_index || !calls(t, name) {
                continue;
            }
            if t.get("dag").is_some() {
                return Err(Declined::new(format!(
                    "DAG template `{}` ({}) runs the scheduler template `{name}` as a task: drop that task and its dependencies and pass `<cluster>-scheduler:8786` where it passed the task's IP, then fix again",
                    name_of_template(t),
                    line_of(cx.text, t.range.start())
                )));
            }
            callers.extend(step_calls(t, name));
        }
        let mut creates = Vec::new();
        let mut deletes = Vec::new();
        for t in items {
            let Some(resource) = t.get("resource") else {
                continue;
            };
            let Some(manifest) = resource.get("manifest") else {
                continue;
            };
            let action = resource.get_str("action").unwrap_or("");
            let Some(docs) = crate::extract::yaml::string_documents(cx.text, manifest) else {
                if manifest
                    .as_string_scalar()
                    .is_some_and(|m| m.contains("dask"))
                {
                    return Err(Declined::new(format!(
                        "the manifest of step `{}` ({}) is not written as a literal block (`manifest: |`), so dusk cannot place its edits: rewrite it as one",
                        name_of_template(t),
                        line_of(cx.text, manifest.range.start())
                    )));
                }
                continue;
            };
            let step = Step {
                template: t,
                manifest,
                docs,
            };
            match action {
                "create" | "apply" if step.docs.iter().any(runs_worker) => creates.push(step),
                "delete" => deletes.push(step),
                _ => {}
            }
        }
        let create = match (creates.len(), creates.pop()) {
            (1, Some(c)) => c,
            (0, _) => {
                return Err(Declined::new(
                    "no `resource` step of this workflow creates a worker Deployment: the DaskCluster needs its workers; put the steps in one workflow or write it by hand",
                ));
            }
            _ => {
                return Err(Declined::new(
                    "several `resource` steps create worker Deployments: write the DaskCluster and its DaskWorkerGroups by hand",
                ));
            }
        };
        let workers: Vec<&Node> = create.docs.iter().filter(|d| runs_worker(d)).collect();
        if workers.len() != 1 || create.docs.len() != 1 {
            return Err(Declined::new(format!(
                "the manifest of step `{}` holds {} documents: dusk migrates one worker Deployment per step",
                name_of_template(create.template),
                create.docs.len()
            )));
        }
        let worker_name = name_of(&create.docs[0]).to_owned();
        deletes.retain(|d| {
            d.docs.iter().any(|doc| {
                matches!(doc.get_str("kind"), Some("Deployment" | "StatefulSet"))
                    && name_of(doc) == worker_name
            })
        });
        Ok(Plan {
            root,
            templates,
            scheduler_index,
            scheduler,
            container,
            create,
            deletes,
            callers,
        })
    }

    fn scheduler_name(&self) -> &str {
        name_of_template(self.scheduler)
    }

    fn worker(&self) -> &Node {
        &self.create.docs[0]
    }

    /// The DaskCluster's name: the workflow's name, or its `generateName` prefix.
    fn cluster_name(&self) -> String {
        let meta = self.root.get("metadata");
        let base = meta
            .and_then(|m| m.get_str("name"))
            .or_else(|| meta.and_then(|m| m.get_str("generateName")))
            .unwrap_or("dask");
        let label = rfc1123_label(base, 53);
        if label.is_empty() {
            "dask".into()
        } else {
            label
        }
    }

    fn build(&self, cx: &Context<'_>, job: Option<&JobShape<'_>>) -> Result<Built, Declined> {
        let kind = if job.is_some() {
            "DaskJob"
        } else {
            "DaskCluster"
        };
        let worker_doc = self.worker();
        let mut notes = Vec::new();
        let mut carried = Vec::new();
        let mut replicas = None;
        for (path, node) in templated(cx.text, worker_doc, "") {
            let text = cx.text[node.range.as_range()].trim().to_owned();
            let at = line_of(cx.text, node.range.start());
            if path == "metadata.name" {
                notes.push(format!(
                    "The per-run name `{text}` becomes the one {kind} name `{}`: runs of this workflow that overlap now share one cluster; to keep one per run, append `-{{{{workflow.name}}}}` to its name by hand (at most 53 characters once substituted).",
                    self.cluster_name()
                ));
                continue;
            }
            if path.starts_with("spec.selector") {
                continue;
            }
            if path == "spec.replicas" {
                let default = input_default(self.create.template, &text).ok_or_else(|| {
                    Declined::new(format!(
                        "`spec.replicas` of the worker Deployment is the templated `{text}` ({at}), with no default: a DaskCluster's replicas is a number; give the parameter a default or write the number in, then fix again"
                    ))
                })?;
                replicas = Some(Sourced::new(default, Source::Span(node.range)));
                notes.push(format!(
                    "`spec.replicas` was `{text}`: the DaskCluster starts with the parameter's default, {default}; callers that pass another value now scale the cluster with `kubectl scale daskcluster/{} --replicas=N` or a DaskAutoscaler.",
                    self.cluster_name()
                ));
                continue;
            }
            if is_scheduler_address(&text) {
                continue;
            }
            if !text.split("{{").skip(1).all(|v| {
                v.trim_start().starts_with("workflow.") || v.trim_start().starts_with("inputs.")
            }) {
                return Err(Declined::new(format!(
                    "`{path}` of the worker Deployment is the templated `{text}` ({at}), which names another step's output: write the value in, then fix again"
                )));
            }
            if !path.starts_with("metadata.") && !path.starts_with("spec.template.metadata.labels")
            {
                carried.push(format!("`{path}` = `{text}`"));
            }
        }
        let name = self.cluster_name();
        let meta = self.root.get("metadata");
        if meta.and_then(|m| m.get_str("name")).is_none()
            && let Some(prefix) = meta.and_then(|m| m.get_str("generateName"))
        {
            notes.push(format!(
                "Each run of this workflow (`generateName: {prefix}`) creates {kind} `{name}`: runs that overlap now share one name; to keep one per run, make the name `{name}-{{{{workflow.uid}}}}`-like by hand (at most 53 characters once substituted)."
            ));
        }
        let namespace = worker_doc
            .path(&["metadata", "namespace"])
            .filter(|n| n.as_str().is_some_and(|s| !s.contains("{{")))
            .or_else(|| self.root.path(&["metadata", "namespace"]))
            .and_then(|n| Some(Sourced::new(n.as_str()?.to_owned(), Source::Span(n.range))));
        let mut c = ClassicCluster::new(
            Sourced::new(name.clone(), Source::Span(self.root.range)),
            worker_pod(worker_doc)?,
        );
        c.namespace = namespace.clone();
        c.replicas = replicas.or_else(|| {
            let node = worker_doc.path(&["spec", "replicas"])?;
            Some(Sourced::new(
                node.as_str()?.parse().ok()?,
                Source::Span(node.range),
            ))
        });
        let (mut scheduler, renamed) = self.scheduler_pod()?;
        notes.extend(renamed);
        let new_cli = new_cli_available(cx);
        if new_cli {
            for (side, pod) in [("scheduler", &mut scheduler), ("worker", &mut c.worker)] {
                let image_ok = pod
                    .image()
                    .and_then(crate::migrate::in_play::image_version)
                    .is_none_or(|v| v >= crate::dask::NEW_CLI_SINCE.parse().expect("a version"));
                if image_ok && let Some(first) = pod.spec.containers.first_mut() {
                    for list in [&mut first.command, &mut first.args].into_iter().flatten() {
                        if let Some(old) = modernize(list) {
                            let program = crate::dask::program(&old);
                            notes.push(format!(
                                "The {side} runs `dask {}` instead of the legacy `{program}`, which `distributed` no longer ships.",
                                program.trim_start_matches("dask-")
                            ));
                        }
                    }
                }
            }
        }
        c.scheduler = SchedulerPod::Own(Box::new(scheduler));
        let options = Options { new_cli };
        let (json, yaml, record) = match job {
            Some(job) => {
                let built = build::job(&c, job.runner.clone(), options)?;
                let json = crate::migrate::operator::to_json(&built.resource);
                let yaml = to_yaml(&built.resource).map_err(|e| Declined::new(e.to_string()))?;
                (json, yaml, built.record)
            }
            None => {
                let built = build::cluster(&c, options)?;
                let json = crate::migrate::operator::to_json(&built.resource);
                let yaml = to_yaml(&built.resource).map_err(|e| Declined::new(e.to_string()))?;
                (json, yaml, built.record)
            }
        };
        if let Some(p) = validate::resource(&json)
            .into_iter()
            .find(|p| p.level == validate::Level::Error)
        {
            return Err(Declined::new(format!("the {kind} would be invalid: {p}")));
        }
        let ns = namespace.as_ref().map(|n| n.value.clone());
        let mut reference = format!(
            "apiVersion: {}\nkind: {kind}\nmetadata:\n  name: {name}\n",
            crate::dask::API_VERSION
        );
        if let Some(ns) = &ns {
            reference.push_str(&format!("  namespace: {ns}\n"));
        }
        Ok(Built {
            address: format!(
                "{name}-scheduler.{}:8786",
                ns.as_deref().unwrap_or("<namespace>")
            ),
            host: match &ns {
                Some(ns) => format!("{name}-scheduler.{ns}"),
                None => format!("{name}-scheduler"),
            },
            name,
            yaml,
            reference,
            record,
            notes,
            carried,
        })
    }

    /// Whether this workflow is the ephemeral pattern a DaskJob replaces — one steps template
    /// running the scheduler step, the step creating the workers and, after it, ONE
    /// pipeline step whose container reaches the scheduler through `{{steps.<step>.ip}}` —
    /// and the pipeline's container as the job runner's pod; or why not, in words.
    fn job_shape(&self, cx: &Context<'_>) -> Result<JobShape<'a>, String> {
        let scheduler_step = match self.callers.as_slice() {
            [one] => one,
            [] => {
                return Err(format!(
                    "no step of this workflow runs template `{}`; the pipelines that use it are in workflows that refer to it (`templateRef`), and a DaskJob needs its pipeline step",
                    self.scheduler_name()
                ));
            }
            several => {
                return Err(format!(
                    "{} steps run the scheduler template, and a DaskJob runs one cluster for one pipeline",
                    several.len()
                ));
            }
        };
        let ip = format!("{{{{steps.{}.ip}}}}", scheduler_step.name);
        let create_name = name_of_template(self.create.template);
        let mut creates = step_calls_node(scheduler_step.steps, create_name);
        let create_step = match (creates.len(), creates.pop()) {
            (1, Some(c)) => c,
            _ => {
                return Err(format!(
                    "the step running template `{create_name}` is not one step of the steps that run the scheduler"
                ));
            }
        };
        // The steps that use the scheduler's IP, other than the workers' own.
        let mut users = Vec::new();
        for (group_index, group) in scheduler_step
            .steps
            .as_seq()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            for (index, step) in group.as_seq().unwrap_or_default().iter().enumerate() {
                let uses = cx
                    .text
                    .get(step.range.as_range())
                    .is_some_and(|t| t.contains(&ip));
                if uses && !(group_index == create_step.group_index && index == create_step.index) {
                    users.push((group_index, step));
                }
            }
        }
        let (group_index, step) = match users.as_slice() {
            [one] => *one,
            [] => {
                return Err(format!(
                    "no step passes the scheduler's address (`{ip}`) to a pipeline"
                ));
            }
            several => {
                return Err(format!(
                    "{} steps use the scheduler ({}), and a DaskJob runs one pipeline",
                    several.len(),
                    several
                        .iter()
                        .map(|(_, s)| format!("`{}`", s.get_str("name").unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        let step_name = step.get_str("name").unwrap_or("").to_owned();
        if group_index <= create_step.group_index {
            return Err(format!(
                "the pipeline step `{step_name}` does not run after the workers are created"
            ));
        }
        for e in step.as_map().unwrap_or_default() {
            match e.key.as_str() {
                Some("name" | "template" | "arguments") => {}
                Some(k) => {
                    return Err(format!(
                        "the pipeline step `{step_name}` sets `{k}`, which the step creating a DaskJob would not keep"
                    ));
                }
                None => {
                    return Err(format!(
                        "the pipeline step `{step_name}` has a key that is not a string"
                    ));
                }
            }
        }
        let template_name = step.get_str("template").ok_or_else(|| {
            format!("the pipeline step `{step_name}` runs a template of another workflow (`templateRef`)")
        })?;
        let template = argo::templates_node(self.root)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .find(|t| name_of_template(t) == template_name)
            .ok_or_else(|| {
                format!("the pipeline's template `{template_name}` is not in this file")
            })?;
        // Parameters of the pipeline step: each must carry the scheduler's address.
        let mut address_params: BTreeMap<String, String> = BTreeMap::new();
        for e in step
            .get("arguments")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            if e.key.as_str() != Some("parameters") {
                return Err(format!(
                    "the pipeline step `{step_name}` passes `arguments.{}`, which the DaskJob's runner cannot receive",
                    e.key.as_str().unwrap_or("?")
                ));
            }
        }
        for p in step
            .path(&["arguments", "parameters"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let name = p.get_str("name").unwrap_or("");
            let value = p.get_str("value").unwrap_or("");
            if !value.contains(&ip) {
                return Err(format!(
                    "the pipeline step `{step_name}` passes parameter `{name}`, which the DaskJob's runner cannot receive (only the scheduler's address is set for it)"
                ));
            }
            address_params.insert(name.to_owned(), value.to_owned());
        }
        for e in template.as_map().unwrap_or_default() {
            let key = e.key.as_str().unwrap_or("");
            if key == "outputs" {
                return Err(format!(
                    "template `{template_name}` of the pipeline step has `outputs`, which a DaskJob's runner pod cannot hand back to the workflow"
                ));
            }
            let pod_field = TEMPLATE_POD_FIELDS.iter().any(|(f, _)| *f == key);
            if !pod_field && !matches!(key, "name" | "inputs" | "container" | "metadata") {
                return Err(format!(
                    "template `{template_name}` of the pipeline step {}, which a DaskJob's runner cannot carry",
                    if key == "script" || key == "containerSet" {
                        format!("runs a `{key}`")
                    } else {
                        format!("sets `{key}`")
                    }
                ));
            }
        }
        let container = template.get("container").ok_or_else(|| {
            format!("template `{template_name}` of the pipeline step runs no `container`")
        })?;
        let (runner, mut notes) = runner_pod(template, container, &address_params, &ip)?;
        // The workers' template: parameters only the moved step passed must have defaults
        // or carry the address (the DaskJob manifest no longer reads it).
        let create_address: Vec<String> = create_step
            .group
            .as_seq()
            .and_then(|g| g.get(create_step.index))
            .and_then(|s| s.path(&["arguments", "parameters"]))
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter(|p| p.get_str("value").is_some_and(|v| v.contains(&ip)))
            .filter_map(|p| p.get_str("name").map(str::to_owned))
            .collect();
        for p in self
            .create
            .template
            .path(&["inputs", "parameters"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let name = p.get_str("name").unwrap_or("");
            if p.get("value").is_none() && !create_address.iter().any(|a| a == name) {
                return Err(format!(
                    "template `{create_name}` needs parameter `{name}`, which only its step passed"
                ));
            }
        }
        if let Some(sa) = self
            .root
            .path(&["spec", "serviceAccountName"])
            .or_else(|| {
                self.root
                    .path(&["spec", "workflowSpec", "serviceAccountName"])
            })
            .and_then(Node::as_str)
            && template.get("serviceAccountName").is_none()
        {
            notes.push(format!(
                "The pipeline's pod ran as the workflow's ServiceAccount `{sa}`; the job runner runs as the namespace's default one unless you set `spec.job.spec.serviceAccountName`."
            ));
        }
        Ok(JobShape {
            step,
            template,
            runner,
            create_step,
            create_address,
            notes,
        })
    }

    /// The daemon step's container as the scheduler's pod, with the template's pod fields.
    fn scheduler_pod(&self) -> Result<(ClassicPod, Vec<String>), Declined> {
        let mut json = without_nulls(validate::to_json(self.container));
        if let Some(map) = json.as_object_mut() {
            map.entry("name")
                .or_insert_with(|| serde_json::Value::String("scheduler".into()));
        }
        let container: Container = serde_json::from_value(json).map_err(|e| {
            Declined::new(format!(
                "Kubernetes' types cannot read the container of step `{}` ({e}): fix it first",
                self.scheduler_name()
            ))
        })?;
        let mut spec = serde_json::Map::new();
        let mut sources = BTreeMap::new();
        for (field, key) in TEMPLATE_POD_FIELDS {
            if let Some(n) = self.scheduler.get(field) {
                spec.insert((*key).into(), without_nulls(validate::to_json(n)));
                sources.insert((*key).to_owned(), Source::Span(n.range));
            }
        }
        spec.insert("containers".into(), serde_json::json!([]));
        let mut spec: PodSpec = serde_json::from_value(serde_json::Value::Object(spec))
            .map_err(|e| {
                Declined::new(format!(
                    "Kubernetes' types cannot read the pod fields of step `{}` ({e}): fix them first",
                    self.scheduler_name()
                ))
            })?;
        let mut container = container;
        let renamed = name_probe_ports(&mut container, self.scheduler_name())?;
        spec.containers = vec![container];
        for e in self.container.as_map().unwrap_or_default() {
            if let Some(k) = e.key.as_str() {
                sources.insert(format!("containers[0].{k}"), Source::Span(e.value.range));
            }
        }
        let labels = self
            .scheduler
            .path(&["metadata", "labels"])
            .map(Node::string_map)
            .unwrap_or_default();
        let pod = ClassicPod {
            spec,
            labels,
            sources,
            source: Some(Source::Span(self.scheduler.range)),
            ..ClassicPod::default()
        };
        Ok((pod, renamed))
    }
}

/// The variable the operator sets on a DaskJob's runner.
const ADDRESS_ENV: &str = "DASK_SCHEDULER_ADDRESS";

/// The one pipeline step a DaskJob runs, and what the fix does around it.
struct JobShape<'a> {
    /// The step that ran the pipeline: it now runs the workers' template, which creates the
    /// DaskJob.
    step: &'a Node,
    /// The template that step ran.
    template: &'a Node,
    /// The pipeline container as the job runner's pod.
    runner: PodSpec,
    /// The step that created the workers (it goes).
    create_step: Caller<'a>,
    /// The workers' template's parameters that carried the scheduler's address.
    create_address: Vec<String>,
    notes: Vec<String>,
}

impl JobShape<'_> {
    fn step_name(&self) -> &str {
        self.step.get_str("name").unwrap_or("")
    }

    /// The edits around the steps: the workers' step goes, the pipeline step runs the
    /// workers' template with no arguments, and that template loses the parameters that
    /// carried the scheduler's address.
    fn edits(&self, text: &str, plan: &Plan<'_>) -> Result<Vec<Edit>, Declined> {
        let c = &self.create_step;
        let alone = c.group.as_seq().is_some_and(|g| g.len() == 1);
        let mut edits = vec![
            if alone {
                yaml_text::remove_item(text, c.steps, c.group_index)
            } else {
                remove_step(text, c.group, c.index)
            }
            .or_decline_with(|| {
                format!(
                    "the step `{}` that creates the workers is written in a form dusk cannot remove: remove it by hand, then fix again",
                    c.name
                )
            })?,
        ];
        let template = self
            .step
            .get("template")
            .or_decline("the pipeline step names no template")?;
        edits.push(Edit::replace(
            template.range,
            name_of_template(plan.create.template).to_owned(),
        ));
        if let Some(i) = self
            .step
            .as_map()
            .unwrap_or_default()
            .iter()
            .position(|e| e.key.as_str() == Some("arguments"))
        {
            edits.push(yaml_text::remove_entry(text, self.step, i).or_decline(
                "the pipeline step's `arguments` cannot be removed: remove them by hand",
            )?);
        }
        let inputs = plan.create.template.get("inputs");
        let params = inputs
            .and_then(|i| i.get("parameters"))
            .and_then(Node::as_seq)
            .unwrap_or_default();
        let gone: Vec<usize> = params
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.get_str("name")
                    .is_some_and(|n| self.create_address.iter().any(|a| a == n))
            })
            .map(|(i, _)| i)
            .collect();
        if !gone.is_empty() {
            let only_params = inputs.and_then(Node::as_map).is_some_and(|m| m.len() == 1);
            if gone.len() == params.len() && only_params {
                let i = plan
                    .create
                    .template
                    .as_map()
                    .unwrap_or_default()
                    .iter()
                    .position(|e| e.key.as_str() == Some("inputs"))
                    .or_decline("no `inputs`")?;
                edits.push(
                    yaml_text::remove_entry(text, plan.create.template, i)
                        .or_decline("the workers' template's `inputs` cannot be removed")?,
                );
            } else {
                let seq = inputs
                    .and_then(|i| i.get("parameters"))
                    .or_decline("no `parameters`")?;
                for i in gone {
                    edits
                        .push(yaml_text::remove_item(text, seq, i).or_decline(
                            "a parameter of the workers' template cannot be removed",
                        )?);
                }
            }
        }
        Ok(edits)
    }
}

/// The edit removing step `index` of a parallel group; the first step of a group shares
/// its line with the group's `- ` (`- - name: a`), so the next step moves up into its place.
fn remove_step(text: &str, group: &Node, index: usize) -> Option<Edit> {
    if let Some(edit) = yaml_text::remove_item(text, group, index) {
        return Some(edit);
    }
    let items = group.as_seq()?;
    let (item, next) = (items.get(index)?, items.get(index + 1)?);
    if index != 0
        || yaml_text::is_flow(text, group)
        || column(text, item.range.start()) != column(text, next.range.start())
    {
        return None;
    }
    Some(Edit::delete(TextRange::new(
        item.range.start(),
        next.range.start(),
    )))
}

/// The steps of the `steps` list `steps` that run template `name`.
fn step_calls_node<'a>(steps: &'a Node, name: &str) -> Vec<Caller<'a>> {
    let mut out = Vec::new();
    for (group_index, group) in steps.as_seq().unwrap_or_default().iter().enumerate() {
        for (index, step) in group.as_seq().unwrap_or_default().iter().enumerate() {
            if step.get_str("template") == Some(name) {
                out.push(Caller {
                    steps,
                    group_index,
                    group,
                    index,
                    name: step.get_str("name").unwrap_or("").to_owned(),
                });
            }
        }
    }
    out
}

/// The pipeline's container as the DaskJob runner's pod: the template's pod fields, the
/// scheduler's address read from `DASK_SCHEDULER_ADDRESS` (which the operator sets on the
/// runner), `restartPolicy: Never` (the step ran once; Argo, not the kubelet, retried it).
/// `params`: the pipeline step's parameters carrying the address, by name, with their value.
fn runner_pod(
    template: &Node,
    container: &Node,
    params: &BTreeMap<String, String>,
    ip: &str,
) -> Result<(PodSpec, Vec<String>), String> {
    let template_name = name_of_template(template);
    let mut notes = Vec::new();
    let mut json = without_nulls(validate::to_json(container));
    let Some(map) = json.as_object_mut() else {
        return Err(format!(
            "the container of template `{template_name}` is not a mapping"
        ));
    };
    map.entry("name")
        .or_insert_with(|| serde_json::Value::String("main".into()));
    if map.contains_key("volumeMounts") {
        return Err(format!(
            "the container of template `{template_name}` mounts volumes of the workflow, which the DaskJob's runner pod would not have"
        ));
    }
    // `{{inputs.parameters.P}}` → what the step passed, then the address → the variable.
    let resolve = |word: &str| -> Result<String, String> {
        let mut out = word.to_owned();
        for (name, value) in params {
            out = out.replace(&format!("{{{{inputs.parameters.{name}}}}}"), value);
        }
        if let Some(at) = out.find(ip) {
            let before = &out[..at];
            let after = &out[at + ip.len()..];
            let start = before.strip_suffix("tcp://").map_or(at, |b| b.len());
            let port = after
                .strip_prefix(':')
                .map(|p| p.chars().take_while(char::is_ascii_digit).count() + 1)
                .filter(|n| *n > 1)
                .ok_or_else(|| {
                    format!(
                        "the container of template `{template_name}` uses the scheduler's IP without its port (`{word}`), and the operator gives the runner a whole address"
                    )
                })?;
            out = format!(
                "{}{}{}",
                &out[..start],
                crate::dask::SCHEDULER_ADDRESS,
                &after[port..]
            );
        }
        Ok(out)
    };
    for key in ["command", "args"] {
        if let Some(list) = map.get_mut(key).and_then(|l| l.as_array_mut()) {
            for w in list.iter_mut() {
                if let Some(text) = w.as_str() {
                    let new = resolve(text)?;
                    if new != text {
                        notes.push(format!(
                            "The pipeline's `{text}` reads `{new}`: the operator sets `{}` on the job runner.",
                            ADDRESS_ENV
                        ));
                        *w = serde_json::Value::String(new);
                    }
                }
            }
        }
    }
    if let Some(env) = map.get_mut("env").and_then(|l| l.as_array_mut()) {
        let mut kept = Vec::new();
        for var in env.drain(..) {
            let name = var
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_owned();
            let value = var.get("value").and_then(|v| v.as_str()).map(str::to_owned);
            match value {
                Some(v) if v.contains("{{") => {
                    let new = resolve(&v)?;
                    if new == crate::dask::SCHEDULER_ADDRESS {
                        if name == ADDRESS_ENV {
                            notes.push(format!(
                                "The pipeline's `{name}` is no longer set from a parameter: the operator sets it on the job runner."
                            ));
                            continue;
                        }
                        return Err(format!(
                            "the pipeline reads the scheduler's address from `{name}`, and the operator sets `{}` on the job runner only (after the container's own variables, so `$(…)` cannot copy it): read that instead",
                            ADDRESS_ENV
                        ));
                    }
                    let mut var = var;
                    var["value"] = serde_json::Value::String(new);
                    kept.push(var);
                }
                _ => kept.push(var),
            }
        }
        *env = kept;
        if env.is_empty() {
            map.remove("env");
        }
    }
    let written = serde_json::to_string(&json).unwrap_or_default();
    if written
        .split("{{")
        .skip(1)
        .any(|v| !v.trim_start().starts_with("workflow."))
    {
        return Err(format!(
            "the container of template `{template_name}` uses `{{{{…}}}}` expressions other than the scheduler's address and `{{{{workflow.…}}}}`, which would move into another step's scope"
        ));
    }
    let container: Container = serde_json::from_value(json).map_err(|e| {
        format!("Kubernetes' types cannot read the container of template `{template_name}` ({e})")
    })?;
    let mut spec = serde_json::Map::new();
    for (field, key) in TEMPLATE_POD_FIELDS {
        if let Some(n) = template.get(field) {
            spec.insert((*key).into(), without_nulls(validate::to_json(n)));
        }
    }
    spec.insert("containers".into(), serde_json::json!([]));
    let mut spec: PodSpec =
        serde_json::from_value(serde_json::Value::Object(spec)).map_err(|e| {
            format!(
                "Kubernetes' types cannot read the pod fields of template `{template_name}` ({e})"
            )
        })?;
    spec.containers = vec![container];
    spec.restart_policy = Some("Never".into());
    notes.push(
        "The job runner has `restartPolicy: Never`: the step ran the pipeline once, and a runner the kubelet restarts would never let the DaskJob fail.".into(),
    );
    Ok((spec, notes))
}

/// The worker Deployment's pod, without the scheduler address the controller now sets.
fn worker_pod(doc: &Node) -> Result<ClassicPod, Declined> {
    let template = doc
        .path(&["spec", "template"])
        .or_decline_with(|| format!("`{}` has no pod template", name_of(doc)))?;
    let spec_node = template
        .get("spec")
        .or_decline_with(|| format!("`{}` has no pod spec", name_of(doc)))?;
    let mut spec: PodSpec = serde_json::from_value(without_nulls(validate::to_json(spec_node)))
        .map_err(|e| {
            Declined::new(format!(
                "Kubernetes' types cannot read the pod of `{}` ({e}): fix it first",
                name_of(doc)
            ))
        })?;
    if let Some(c) = spec.containers.first_mut() {
        for list in [&mut c.command, &mut c.args].into_iter().flatten() {
            list.retain(|w| !is_scheduler_address(w));
        }
        if let Some(env) = c.env.as_mut() {
            env.retain(|v| v.name != "DASK_SCHEDULER_ADDRESS");
            if env.is_empty() {
                c.env = None;
            }
        }
    }
    let labels = template
        .path(&["metadata", "labels"])
        .map(Node::string_map)
        .unwrap_or_default();
    let mut sources = BTreeMap::new();
    for e in spec_node.as_map().unwrap_or_default() {
        if let Some(k) = e.key.as_str()
            && k != "containers"
        {
            sources.insert(k.to_owned(), Source::Span(e.value.range));
        }
    }
    if let Some(first) = first_container(doc) {
        for e in first.as_map().unwrap_or_default() {
            if let Some(k) = e.key.as_str() {
                sources.insert(format!("containers[0].{k}"), Source::Span(e.value.range));
            }
        }
    }
    if let Some(n) = template.path(&["metadata", "labels"]) {
        sources.insert("metadata.labels".into(), Source::Span(n.range));
    }
    Ok(ClassicPod {
        spec,
        labels,
        sources,
        source: Some(Source::Span(doc.range)),
        ..ClassicPod::default()
    })
}

/// Probe ports written as numbers → the scheduler's port names: the operator's CRDs type
/// `httpGet.port` and `tcpSocket.port` as strings (`format: int-or-string`), so the API
/// server rejects a number there. 8786 and 8787 are the ports the builder names `tcp-comm`
/// and `http-dashboard`; any other number is left to a person.
fn name_probe_ports(container: &mut Container, step: &str) -> Result<Vec<String>, Declined> {
    let mut renamed = Vec::new();
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let probes = [
        container.readiness_probe.as_mut(),
        container.liveness_probe.as_mut(),
        container.startup_probe.as_mut(),
    ];
    for probe in probes.into_iter().flatten() {
        let ports = [
            probe.http_get.as_mut().map(|h| &mut h.port),
            probe.tcp_socket.as_mut().map(|t| &mut t.port),
        ];
        for port in ports.into_iter().flatten() {
            if let IntOrString::Int(n) = port {
                let name = [crate::dask::COMM_PORT, crate::dask::DASHBOARD_PORT]
                    .iter()
                    .find(|(_, number)| number == n)
                    .map(|(name, _)| *name)
                    .ok_or_else(|| {
                        Declined::new(format!(
                            "a probe of step `{step}` names port {n} by number, which the operator's CRD does not accept (it takes a port name): name the port, then fix again"
                        ))
                    })?;
                renamed.push(format!(
                    "The scheduler's probe on port {n} now names the port `{name}`: the operator's CRD takes probe ports as names."
                ));
                *port = IntOrString::String(name.into());
            }
        }
    }
    renamed.dedup();
    Ok(renamed)
}

/// `dask-scheduler`/`dask-worker` items of `list` → `dask scheduler`/`dask worker` (the
/// legacy console scripts are gone from `distributed`); the legacy program, if replaced.
fn modernize(list: &mut Vec<String>) -> Option<String> {
    let i = list
        .iter()
        .position(|w| matches!(crate::dask::program(w), "dask-scheduler" | "dask-worker"))?;
    let old = list[i].clone();
    let program = crate::dask::program(&old);
    let sub = program.strip_prefix("dask-")?.to_owned();
    let dir = &old[..old.len() - program.len()];
    list[i] = format!("{dir}dask");
    list.insert(i + 1, sub);
    Some(old)
}

/// A templated word that holds the scheduler's address (`{{inputs.parameters.scheduler-ip}}:8786`,
/// `tcp://{{steps.dask-scheduler.ip}}:8786`).
fn is_scheduler_address(word: &str) -> bool {
    let w = word.trim().trim_matches('"');
    w.contains("{{") && (w.ends_with(":8786") || w.contains(".ip}}"))
}

/// Whether every `{{…}}` of `text` is a global workflow variable, which Argo substitutes in
/// any step.
fn only_workflow_variables(text: &str) -> bool {
    text.split("{{")
        .skip(1)
        .all(|v| v.trim_start().starts_with("workflow."))
}

/// The default of the input parameter `{{inputs.parameters.NAME}}` names, as a number.
fn input_default(template: &Node, text: &str) -> Option<i32> {
    let inner = text
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim()
        .strip_prefix("inputs.parameters.")?;
    template
        .path(&["inputs", "parameters"])?
        .as_seq()?
        .iter()
        .find(|p| p.get_str("name") == Some(inner))?
        .get_str("value")?
        .parse()
        .ok()
}

/// Whether template `t` runs template `name` as a step or task.
fn calls(t: &Node, name: &str) -> bool {
    let runs = |step: &Node| step.get_str("template") == Some(name);
    let steps = t
        .get("steps")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .flat_map(|group| group.as_seq().unwrap_or_default());
    let tasks = t
        .path(&["dag", "tasks"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter();
    steps.chain(tasks).any(runs)
}

/// Every node under `node` whose text holds an Argo expression `{{…}}`, by its path. A
/// mapping whose keys are not strings (YAML reads `{{x}}` as a flow mapping) counts whole.
fn templated<'n>(text: &str, node: &'n Node, path: &str) -> Vec<(String, &'n Node)> {
    let mut out = Vec::new();
    let mut todo = vec![(path.to_owned(), node)];
    let join = |p: &str, k: &str| {
        if p.is_empty() {
            k.to_owned()
        } else {
            format!("{p}.{k}")
        }
    };
    while let Some((p, n)) = todo.pop() {
        let written = text.get(n.range.as_range()).unwrap_or("");
        match &n.value {
            Value::Scalar(_) => {
                if written.contains("{{") {
                    out.push((p, n));
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    todo.push((format!("{p}[{i}]"), item));
                }
            }
            Value::Map(entries) => {
                if entries.iter().any(|e| e.key.as_str().is_none()) {
                    if written.contains("{{") {
                        out.push((p, n));
                    }
                    continue;
                }
                for e in entries.iter().rev() {
                    todo.push((join(&p, e.key.as_str().unwrap_or("")), &e.value));
                }
            }
        }
    }
    out
}

/// The edit removing template `index` with the comment lines just above it (they describe
/// it) and one blank line after it, so the list keeps its spacing.
fn remove_template(text: &str, templates: &Node, index: usize) -> Result<Edit, Declined> {
    let removed = yaml_text::remove_item(text, templates, index)
        .filter(|_| !yaml_text::is_flow(text, templates))
        .or_decline("the scheduler template is not a block-style list item: remove it by hand")?;
    let item = &templates.as_seq().unwrap_or_default()[index];
    let dash = dash_of(text, item)?;
    let indent = column(text, dash);
    let mut start = line_start(text, dash);
    while start > 0 {
        let prev = line_start(text, start - 1);
        let line = &text[prev..start];
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if spaces == indent && line.trim_start().starts_with('#') {
            start = prev;
        } else {
            break;
        }
    }
    let mut end = removed.range.end();
    let next_end = line_end_inclusive(text, end);
    if end < text.len() && text[end..next_end].trim().is_empty() {
        end = next_end;
    }
    Ok(Edit::delete(TextRange::new(start, end)))
}

/// Where key `key` of mapping `map` starts.
fn key_start(map: &Node, key: &str) -> Result<usize, Declined> {
    map.entry(key)
        .map(|e| e.key.range.start())
        .or_decline_with(|| format!("no `{key}` key"))
}

/// The `-` of a block-sequence item.
fn dash_of(text: &str, item: &Node) -> Result<usize, Declined> {
    let dash = text[..item.range.start()]
        .rfind('-')
        .or_decline("a template is not a list item")?;
    if !text[dash + 1..item.range.start()].chars().all(|c| c == ' ')
        || !yaml_text::starts_line(text, dash)
    {
        return Err(Declined::new(
            "the templates are not a block-style list: write them one per `- ` line",
        ));
    }
    Ok(dash)
}

/// The edit replacing the lines of literal block scalar `string` by `content`.
fn replace_block(text: &str, string: &Node, content: &str) -> Result<Edit, Declined> {
    let start = string.range.start();
    let header_from = text[..start].rfind(':').unwrap_or(0);
    if !text[header_from..start].contains('|') {
        return Err(Declined::new(format!(
            "the manifest at {} is not a literal block (`manifest: |`): rewrite it as one",
            line_of(text, start)
        )));
    }
    let first = line_start(text, start);
    let indent = " ".repeat(start - first);
    let written = &text[string.range.as_range()];
    let last = start + written.trim_end().len();
    let end = line_end_inclusive(text, last.saturating_sub(1).max(start));
    let mut out = String::new();
    for line in content.lines() {
        if !line.is_empty() {
            out.push_str(&indent);
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(Edit::replace(TextRange::new(first, end), out))
}

/// The DaskCluster and what it needs said.
struct Built {
    name: String,
    address: String,
    /// The scheduler's host, for the steps that used the daemon step's IP.
    host: String,
    yaml: String,
    /// The DaskCluster named by a delete step.
    reference: String,
    record: Vec<Record>,
    notes: Vec<String>,
    carried: Vec<String>,
}

/// The migration report, as comment lines.
fn report_lines(plan: &Plan<'_>, built: &Built, job: &Result<JobShape<'_>, String>) -> Vec<String> {
    let mut lines = vec![format!(
        "Migrated by `dusk fix` from the daemon step `{}` and the worker {} `{}` of step `{}`{}.",
        plan.scheduler_name(),
        plan.worker().get_str("kind").unwrap_or("Deployment"),
        name_of(plan.worker()),
        name_of_template(plan.create.template),
        match job {
            Ok(job) => format!(
                ", with the pipeline step `{}` (template `{}`)",
                job.step_name(),
                name_of_template(job.template)
            ),
            Err(_) => String::new(),
        },
    )];
    match job {
        Ok(job) => {
            lines.push(format!(
                "Step `{}` now creates DaskJob `{}` where it ran the pipeline: the operator starts the cluster, runs template `{}`'s container as the job runner with `DASK_SCHEDULER_ADDRESS` set (`tcp://{}-scheduler.<namespace>.svc.cluster.local:8786`), and deletes the cluster when the runner ends; the step succeeds or fails with the job (`status.jobStatus`).",
                job.step_name(),
                built.name,
                name_of_template(job.template),
                built.name,
            ));
            lines.push(format!(
                "Template `{}` is no longer run by this workflow: remove it once nothing else refers to it.",
                name_of_template(job.template)
            ));
            lines.extend(job.notes.iter().cloned());
        }
        Err(why) => lines.push(format!("A DaskCluster, not a DaskJob: {why}.")),
    }
    if job.is_err() {
        lines.push(format!(
            "The scheduler moves from the daemon step's IP (`{{{{steps.<step>.ip}}}}:8786`) to `{}` (dashboard: port 8787).",
            built.address
        ));
    }
    let shared = matches!(
        plan.root.get_str("kind"),
        Some("WorkflowTemplate" | "ClusterWorkflowTemplate")
    );
    if job.is_err() || shared {
        lines.push(format!(
            "Workflows that run template `{}` (by `templateRef`) must drop that step and pass `{}` where they passed its IP.",
            plan.scheduler_name(),
            built.address
        ));
    }
    for c in plan.callers.iter().filter(|_| job.is_err()) {
        lines.push(format!(
            "The step `{}` that ran the scheduler is gone; `{{{{steps.{}.ip}}}}` now reads `{}`.",
            c.name, c.name, built.host
        ));
    }
    if plan.deletes.is_empty() && job.is_err() {
        lines.push(format!(
            "No step of this workflow deletes the workers: delete DaskCluster `{}` when the pipeline ends (a `resource` step with `action: delete`), or set `spec.idleTimeout`.",
            built.name
        ));
    }
    lines.extend(built.notes.iter().cloned());
    if !built.carried.is_empty() {
        lines.push(format!(
            "Carried as written (Argo substitutes them when this step runs): {}.",
            built.carried.join(", ")
        ));
    }
    lines.push("What each field became:".into());
    lines.extend(super::hand_rolled_to_daskcluster::record_lines(
        &built.record,
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses() {
        assert!(is_scheduler_address(
            "{{inputs.parameters.scheduler-ip}}:8786"
        ));
        assert!(is_scheduler_address(
            "tcp://{{steps.dask-scheduler.ip}}:8786"
        ));
        assert!(!is_scheduler_address("--nthreads=2"));
        assert!(!is_scheduler_address("{{inputs.parameters.threads}}"));
    }

    #[test]
    fn legacy_programs_become_the_dask_cli() {
        let mut words: Vec<String> = ["/opt/conda/bin/dask-worker", "--nthreads", "2"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            modernize(&mut words).as_deref(),
            Some("/opt/conda/bin/dask-worker")
        );
        assert_eq!(words, ["/opt/conda/bin/dask", "worker", "--nthreads", "2"]);
        assert_eq!(modernize(&mut words), None);
    }

    #[test]
    fn workflow_variables() {
        assert!(only_workflow_variables("dask-{{workflow.name}}"));
        assert!(!only_workflow_variables("{{inputs.parameters.image}}"));
    }
}
