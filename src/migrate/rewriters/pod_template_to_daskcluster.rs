//! `pod-template-to-daskcluster`: a classic worker pod template becomes a DaskCluster, in the
//! same file, so every reference to the file stays valid.
//!
//! ## What it rewrites
//! The document a finding is in, when it is a classic pod template, or a DaskCluster or
//! DaskWorkerGroup written in operator 2022.4.x's flat schema (`spec.image`,
//! `spec.replicas`, `spec.resources`, `spec.env`, `spec.scheduler.serviceType`, …; rebuilt
//! with embedded pod specs the way `make_cluster_spec` builds them, same name and metadata,
//! `protocol` dropped, no comments kept). A classic pod template is `kind: Pod` (with or
//! without `apiVersion: v1`, as `make_pod_spec` and `KubeCluster.from_yaml` files have it), a
//! bare pod (`metadata` + `spec.containers`) or a bare pod spec (top-level `containers`).
//!
//! ## Output
//! One `DaskCluster` (`kubernetes.dask.org/v1`), built from the typed resources of
//! `migrate::operator` the way the operator's `make_cluster_spec` builds one:
//! - `metadata.name`: the file name made an RFC 1123 label of at most 53 characters (with the
//!   document's number appended when a file holds several templates);
//! - `spec.worker.spec`: the old pod spec without `restartPolicy`, its first (worker)
//!   container's positional `$(DASK_SCHEDULER_ADDRESS)` dropped (the controller sets the
//!   variable and the worker finds the scheduler through it), `--name $(DASK_WORKER_NAME)`
//!   added, numeric resource quantities quoted; `spec.worker.replicas: 1`;
//! - `spec.worker.metadata`: the pod's labels and annotations;
//! - `spec.scheduler`: one `scheduler` container with the worker's image, env and resources,
//!   `dask scheduler --host 0.0.0.0` (`dask-scheduler` when the targeted `distributed` is
//!   older than 2022.10.0), ports `tcp-comm` 8786 and `http-dashboard` 8787 and the
//!   operator's `/health` probes; the pod-level settings it needs to start where the workers
//!   start (`imagePullSecrets`, `serviceAccountName`, `nodeSelector`, `tolerations`,
//!   `affinity`), as the classic KubeCluster ran its scheduler from the same template;
//! - `spec.scheduler.service`: `ClusterIP`, selecting `dask.org/cluster-name: <name>` and
//!   `dask.org/component: scheduler`, ports `tcp-comm` and `http-dashboard`;
//! - `spec.idleTimeout: 0` (never delete an idle cluster, the operator's default);
//! - above it, the migration report as a comment block (the builder's record of each field,
//!   the steps left for a person: install the operator, pass the file as
//!   `custom_cluster_spec=`, objects the pods depend on, the classic default tolerations),
//!   also carried as data on the fix (`Fix::migration`). A file migrated with the code that
//!   loads it gets no comment: the report is that code's, as data ([`migrate_loaded_reported`]).
//!
//! Comments: the worker pod spec is the old spec's own text, moved to its new indentation
//! and edited in place, so every comment inside it stays where it was (except on the removed
//! `restartPolicy` and `$(DASK_SCHEDULER_ADDRESS)` lines). Comments above the document stay
//! above it. Comments elsewhere in the old document (in `metadata`, between top-level keys)
//! are dropped. The text is checked to read back as exactly the typed resource.
//!
//! A file that code of the run loads as its pod template ([`Context::loaded_by`]) is
//! migrated only with that code: its fix is the text the loader's own fix gives it (named
//! from the code's `name=` or `kubernetes.name`), and it is declined, naming the loader and
//! its reason, while any loader stays classic or carries it as a scheduler template.
//!
//! ## Fix safety
//! Unsafe: the cluster's name is a guess (from the file name), the scheduler's pod is new,
//! and the operator applies none of the classic defaults (tolerations, affinity) and no
//! `--death-timeout`. Differences from `make_cluster_spec` are listed in
//! `docs/migration-differences.md`.
//!
//! ## Not handled
//! A template the operator's types cannot read (a field of the wrong type or unknown to
//! Kubernetes; fix it first), a worker container started through a shell string (no
//! `--name` is added: `operator-worker-missing-name-flag` then asks for it), scheduler
//! templates. (The cluster name used by the code that loads the template is
//! [`migrate_loaded`]'s: `KubeCluster.from_yaml(path, name=…)` migrates the file with the
//! call, under that name; a `scheduler_pod_template=` file the call passes becomes the
//! DaskCluster's `spec.scheduler.spec` there.)

use super::add_worker_name::{NAME_ARGS, has_name, runs_a_worker};
use super::replace_command::new_cli_available;
use crate::dask::SCHEDULER_ADDRESS;
pub use crate::extract::classic::pod_spec_of;
use crate::extract::classic::{self, ClassicCluster, Source, Sourced};
use crate::migrate::build::{self, Fidelity, Record};
use crate::migrate::loads::{Loader, Verdict};
use crate::migrate::migration_report::{CommentIn, MigrationReport};
use crate::migrate::operator::{to_json, to_yaml};
use crate::migrate::validate;
use crate::migrate::{Context, Declined, OrDecline, yaml_text};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix, apply_edits};
use crate::source::yaml::{self, Node, YamlFile};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
/// Where the worker pod spec is in the generated YAML, and its indentation there.
const WORKER_SPEC_INDENT: usize = 6;

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let file = cx.yaml_file()?;
    let root = yaml_text::root_at(file, cx.range)
        .or_decline("the finding is not inside a YAML document")?;
    if let Some(fix) = flat::rewrite(cx, root) {
        return Ok(fix);
    }
    if let Some(loaders) = cx.loaded_by.map(|of| of(cx.path)).filter(|l| !l.is_empty()) {
        return loaded_fix(cx, &loaders);
    }
    let name = cluster_name(cx.path, file, root);
    let shown = crate::migrate::migration_report::shown(cx.path);
    let file_name = cx
        .path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let at = crate::migrate::migration_report::lines_in(&shown, cx.text);
    // `custom_cluster_spec=` loads one document (`yaml.safe_load`).
    let documents = file.documents.iter().filter(|d| d.root.is_some()).count();
    let split = if documents > 1 {
        " once it is split into files of one document each (`custom_cluster_spec=` loads one)"
    } else {
        ""
    };
    let reporter = |name: &str, record: Vec<Record>| {
        let headline = format!(
            "Migrated by `dusk fix` from the classic worker pod template in `{file_name}` to DaskCluster `{name}`."
        );
        let mut steps = vec![
            format!("{OPERATOR_INSTALL}."),
            format!("Clients reach the scheduler at `tcp://{name}-scheduler.<namespace>:8786`."),
            format!(
                "Code that passed this file to the classic `KubeCluster` (as its pod template, or to `KubeCluster.from_yaml`) must pass it as `custom_cluster_spec=\"{file_name}\"` to `dask_kubernetes.operator.KubeCluster`{split} (no code among the paths given loads it; `dusk fix` migrates such code with this file); or apply it (`kubectl apply -n <namespace> -f {file_name}`) and connect with `KubeCluster.from_name(\"{name}\")`."
            ),
        ];
        steps.extend(template_steps(&record));
        let report = MigrationReport {
            from: format!("classic worker pod template `{shown}`"),
            kind: crate::migrate::migration_report::DASK_CLUSTER,
            cluster: name.to_owned(),
            namespace: None,
            old_address: None,
            fields: record,
            steps,
        };
        (Some(headline), report)
    };
    // Named after its file: the classic KubeCluster that loaded it named each cluster anew.
    let (mut fix, report) = document_fix(cx, root, None, (&name, true), Some(&reporter))?;
    if let Some(report) = report {
        fix.migration
            .push(report.to_file_json(&CommentIn::FixedFile, &at));
    }
    Ok(fix)
}

/// How the Dask Operator is installed (dask-facts §3.8), for the steps of a report.
pub const OPERATOR_INSTALL: &str = "Install the Dask Operator in the Kubernetes cluster if it is not (`helm install --repo https://helm.dask.org --create-namespace -n dask-operator --generate-name dask-kubernetes-operator`; https://kubernetes.dask.org/en/latest/installing.html)";

/// What makes a report of a pod template's migration: the first line of its comment block
/// (`None`: no comment block) and the report, from the DaskCluster's name and the builder's
/// records.
pub type Reporter<'r> = dyn Fn(&str, Vec<Record>) -> (Option<String>, MigrationReport) + 'r;

/// The steps a pod template's DaskCluster leaves for a person, from the builder's `record`:
/// objects it depends on, fields the operator does not support, and the classic defaults
/// the operator no longer adds (dask-facts §1.2, §4.1).
pub fn template_steps(record: &[Record]) -> Vec<String> {
    let mut steps = Vec::new();
    let needs: Vec<&str> = record
        .iter()
        .filter_map(|r| match &r.fidelity {
            Fidelity::Dependency(what) => Some(
                what.strip_suffix(" must exist in the cluster's namespace")
                    .unwrap_or(what),
            ),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !needs.is_empty() {
        steps.push(format!(
            "Make sure {} exist in the DaskCluster's namespace (the pods refer to them).",
            needs.join(", ")
        ));
    }
    let dropped = record
        .iter()
        // `restartPolicy` goes for a reason the report gives; nothing replaces it.
        .filter(|r| {
            matches!(r.fidelity, Fidelity::Dropped(_)) && !r.field.ends_with("restartPolicy")
        })
        .count();
    if dropped > 0 {
        steps.push(format!(
            "Decide what replaces the {dropped} field(s) of the pods marked `not supported`."
        ));
    }
    let per_session = record.iter().any(|r| {
        r.field == "name"
            && matches!(&r.fidelity, Fidelity::Transformed(why) if why == crate::migrate::build::NAMED_PER_SESSION)
    });
    if per_session {
        steps.push(
            "If several sessions run this code in one namespace (the users of a JupyterHub, \
             parallel jobs), give each its own DaskCluster name: the operator makes and \
             connects to a cluster by its exact name."
                .into(),
        );
    }
    steps.push(
        "The classic KubeCluster added tolerations for `k8s.dask.org/dedicated=<worker|scheduler>:NoSchedule` and a preferred node affinity on `k8s.dask.org/node-purpose`; the operator adds none: write them into the pod specs if your Dask nodes are tainted or labelled for them.".into(),
    );
    steps
}

/// The fix of a template file that code of the run loads: only the one that code's own fix
/// makes (the file migrated with the call or config key, under the name the code gives
/// it), and none while any code that loads it stays classic, which would then load a
/// DaskCluster. Loaders outside the paths given are not known (`docs/architecture.md`).
fn loaded_fix(cx: &Context<'_>, loaders: &[Loader]) -> Result<Fix, Declined> {
    for l in loaders {
        let Loader {
            at, form, verdict, ..
        } = l;
        match verdict {
            Verdict::Declined(why) => {
                return Err(Declined::new(format!(
                    "{at} loads this file as its classic pod template ({form}), so it becomes \
                     a DaskCluster only with that code's fix, which is declined: {why}"
                )));
            }
            Verdict::Carried => {
                return Err(Declined::new(format!(
                    "{at} loads this file as its scheduler pod template ({form}): that code's \
                     fix carries it into its DaskCluster's `spec.scheduler.spec`, so it is not \
                     migrated on its own"
                )));
            }
            Verdict::Migrates { original, .. } if original != cx.text => {
                return Err(Declined::new(format!(
                    "{at} loads this file as its classic pod template ({form}), and that \
                     code's fix was made from the file as it was before this pass: rerun"
                )));
            }
            Verdict::Migrates { .. } => {}
        }
    }
    let fixed: BTreeSet<&str> = loaders
        .iter()
        .filter_map(|l| match &l.verdict {
            Verdict::Migrates { fixed, .. } => Some(fixed.as_str()),
            _ => None,
        })
        .collect();
    let at: Vec<&str> = loaders.iter().map(|l| l.at.as_str()).collect();
    let [fixed] = fixed.into_iter().collect::<Vec<_>>()[..] else {
        return Err(Declined::new(format!(
            "{} load this file as their classic pod template under different cluster names, \
             so no one of them can migrate it: give them one name, or migrate by hand",
            at.join(", ")
        )));
    };
    Ok(Fix::new(
        vec![Edit::replace(TextRange::new(0, cx.text.len()), fixed)],
        Applicability::Unsafe,
        format!(
            "rewrite the classic pod template as a DaskCluster, with the code that loads it \
             ({})",
            at.join(", ")
        ),
    ))
}

/// The fix replacing the classic pod template document `root` with DaskCluster `name`
/// (its scheduler `scheduler` when given, else one made like the workers).
///
/// With `reporter`, the report is returned with the fix, and the DaskCluster opens with its
/// comment block when the reporter gives a headline.
fn document_fix(
    cx: &Context<'_>,
    root: &Node,
    scheduler: Option<classic::ClassicPod>,
    (name, named_per_session): (&str, bool),
    reporter: Option<&Reporter<'_>>,
) -> Result<(Fix, Option<MigrationReport>), Declined> {
    let (mut text, record) = cluster_text_with_pod(cx, root, scheduler, name, named_per_session)?;
    let report = reporter.map(|r| {
        let (headline, report) = r(name, record);
        if let Some(headline) = headline {
            text = format!("{}{text}", report.comment_block(&headline));
        }
        report
    });
    let end = yaml_text::line_end_inclusive(cx.text, root.range.end());
    let keep_newline = usize::from(cx.text[..end].ends_with('\n'));
    let range = TextRange::new(root.range.start(), end - keep_newline);
    let fix = Fix::new(
        vec![Edit::replace(range, text.trim_end_matches('\n'))],
        Applicability::Unsafe,
        format!("rewrite the classic pod template as DaskCluster `{name}`"),
    );
    Ok((fix, report))
}

/// The text of `other`, a YAML file that code loads as its classic pod template
/// (`KubeCluster.from_yaml(path)`), with that template migrated to DaskCluster `name` (the
/// name the code gives its cluster; else one from the file name, as
/// [`rewrite`] chooses): the other half of the code's fix. `Ok(None)` when the file already
/// holds a DaskCluster (nothing to change); `Err` says why it cannot be migrated with the
/// code (not one template, not a template dusk can read, an invalid result).
///
/// `scheduler`, the pod the code passes as `scheduler_pod_template=` (a file read with
/// [`loaded_scheduler`], or a pod written in the code), becomes the DaskCluster's
/// `spec.scheduler.spec` (a file is kept: see [`no_longer_loaded`]); `Err` says why when it cannot (a
/// template file that is a DaskCluster already, whose scheduler dusk does not replace).
pub fn migrate_loaded(
    cx: &Context<'_>,
    other: &crate::migrate::OtherText,
    scheduler: Option<classic::ClassicPod>,
    name: Option<&str>,
) -> Result<Option<String>, Declined> {
    Ok(migrate_loaded_reported(cx, other, scheduler, name, None)?.map(|(text, _)| text))
}

/// [`migrate_loaded`], with the migration report `reporter` makes of the builder's records
/// (each source a line of `other` as `path:line`), returned with the text. The code's
/// reporter gives no comment block: the file's text must not depend on which code loads it
/// (several loaders must agree on it, and their reports differ).
pub fn migrate_loaded_reported(
    cx: &Context<'_>,
    other: &crate::migrate::OtherText,
    scheduler: Option<classic::ClassicPod>,
    name: Option<&str>,
    reporter: Option<&Reporter<'_>>,
) -> Result<Option<(String, Option<MigrationReport>)>, Declined> {
    let shown = &other.display;
    let parsed = crate::migrate::Parsed::Yaml(parse_loaded(other)?);
    let crate::migrate::Parsed::Yaml(file) = &parsed else {
        unreachable!("built as YAML just above");
    };
    let root = one_document(file, shown, "pod template")?;
    if root.get_str("kind") == Some("DaskCluster") {
        if scheduler.is_some() {
            return Err(Declined::new(format!(
                "`{shown}` is a DaskCluster already: put the scheduler pod template into its \
                 `spec.scheduler.spec` by hand"
            )));
        }
        return Ok(None);
    }
    if pod_spec_of(root).is_none() {
        return Err(Declined::new(format!(
            "`{shown}` is not a classic pod template (no `spec.containers`)"
        )));
    }
    let memo = crate::migrate::Memo::default();
    let ocx = Context {
        path: &other.path,
        text: &other.text,
        parsed: &parsed,
        range: root.range,
        pending: &[],
        memo: &memo,
        others: None,
        loaded_by: None,
        ..*cx
    };
    // Named by the code that loads it, or after its file: then the classic KubeCluster
    // named each cluster anew.
    let named_per_session = name.is_none();
    let name = match name {
        Some(n) => n.to_owned(),
        None => cluster_name(&other.path, file, root),
    };
    // The builder's sources are ranges of `other`: made its lines before the reporter
    // mixes them with the code's.
    let at = crate::migrate::migration_report::lines_in(shown, &other.text);
    let located = reporter.map(|r| {
        move |name: &str, record: Vec<Record>| {
            r(name, crate::migrate::migration_report::located(record, &at))
        }
    });
    let located = located.as_ref().map(|r| r as &Reporter<'_>);
    let (fix, report) = document_fix(&ocx, root, scheduler, (&name, named_per_session), located)
        .map_err(|d| Declined::new(format!("`{shown}`: {}", d.reason)))?;
    let fixed = apply_edits(&other.text, &fix.edits).map_err(|e| Declined::new(e.to_string()))?;
    let problems = crate::migrate::check(
        crate::discover::SourceKind::Yaml,
        &fixed,
        yaml::Limits::default(),
    )
    .map_err(|e| Declined::new(format!("`{shown}` would not parse once migrated: {e}")))?;
    if let Some(p) = problems.iter().find(|p| p.level == validate::Level::Error) {
        return Err(Declined::new(format!(
            "`{shown}` would be an invalid DaskCluster: {p}"
        )));
    }
    Ok(Some((fixed, report)))
}

/// The scheduler pod of `other`, a file code passes as its classic `scheduler_pod_template=`:
/// one classic pod template document, read into the model, or why not.
pub fn loaded_scheduler(
    other: &crate::migrate::OtherText,
) -> Result<classic::ClassicPod, Declined> {
    let shown = &other.display;
    let file = parse_loaded(other)?;
    let root = one_document(&file, shown, "scheduler pod template")?;
    if pod_spec_of(root).is_none() {
        return Err(Declined::new(format!(
            "`{shown}` is not a classic pod template (no `spec.containers`)"
        )));
    }
    scheduler_pod(&other.text, root).map_err(|d| Declined::new(format!("`{shown}`: {}", d.reason)))
}

/// The scheduler template file `scheduler` that `code`'s fix carries into the DaskCluster
/// `worker` (a path as the code writes it) becomes, with a comment on top saying no code
/// loads it once that fix is made: the file is kept (never deleted), and the note says so
/// where a reader of the file looks. `None` when other code of the run loads it too (it is
/// still in use), or when it has the note already.
pub fn no_longer_loaded(
    cx: &Context<'_>,
    scheduler: crate::migrate::OtherText,
    code: &str,
    worker: &str,
) -> Option<crate::source::edit::OtherFile> {
    if cx.loaded_by.is_some_and(|of| of(&scheduler.path).len() > 1) {
        return None;
    }
    let note = format!(
        "# dusk: `{code}` no longer loads this file: its pod is the `spec.scheduler.spec` of \
         the DaskCluster in `{worker}`; delete this file once reviewed\n"
    );
    if scheduler.text.starts_with(&note) {
        return None;
    }
    let fixed = format!("{note}{}", scheduler.text);
    Some(crate::source::edit::OtherFile {
        path: scheduler.path,
        display: scheduler.display,
        original: scheduler.text,
        fixed,
    })
}

/// A file code loads, parsed, or why it cannot be.
fn parse_loaded(
    other: &crate::migrate::OtherText,
) -> Result<std::rc::Rc<yaml::YamlFile>, Declined> {
    // Shared: each pass of the loop over the code that loads it asks again.
    yaml::parse_shared(&other.text, yaml::Limits::default()).map_err(|e| {
        Declined::new(format!(
            "`{}` is not valid YAML ({})",
            other.display, e.message
        ))
    })
}

/// The one document of a file code loads as its `what` (a pod template), or why not.
fn one_document<'f>(
    file: &'f yaml::YamlFile,
    shown: &str,
    what: &str,
) -> Result<&'f Node, Declined> {
    let roots: Vec<&Node> = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .collect();
    match roots[..] {
        [root] => Ok(root),
        _ => Err(Declined::new(format!(
            "`{shown}` holds {} YAML documents, and the code loads one {what}: split the \
             file, then rerun",
            roots.len()
        ))),
    }
}

/// The DaskCluster YAML (a document at indentation 0, ending in a newline) that replaces the
/// classic pod template `template` (a document root or a mapping inside one, as a dask
/// config's `kubernetes.worker-template`), or why it is not one dusk can migrate.
pub fn cluster_text(cx: &Context<'_>, template: &Node, name: &str) -> Result<String, Declined> {
    cluster_text_with_scheduler(cx, template, None, name)
}

/// [`cluster_text`], with the scheduler's own classic pod template (a dask config's
/// `kubernetes.scheduler-template`, the classic `scheduler_pod_template=`) as the
/// DaskCluster's `spec.scheduler.spec` instead of a scheduler made like the workers.
pub fn cluster_text_with_scheduler(
    cx: &Context<'_>,
    template: &Node,
    scheduler: Option<&Node>,
    name: &str,
) -> Result<String, Declined> {
    let scheduler = scheduler.map(|s| scheduler_pod(cx.text, s)).transpose()?;
    // A dask config's fixed `kubernetes.name`: one name in every session already.
    Ok(cluster_text_with_pod(cx, template, scheduler, name, false)?.0)
}

/// [`cluster_text`], with `scheduler` (a classic scheduler pod, read from this file or
/// another) as the DaskCluster's `spec.scheduler.spec`; and the builder's record of each
/// field.
fn cluster_text_with_pod(
    cx: &Context<'_>,
    template: &Node,
    scheduler: Option<classic::ClassicPod>,
    name: &str,
    named_per_session: bool,
) -> Result<(String, Vec<Record>), Declined> {
    let at = cx.line(template.range.start());
    let spec = pod_spec_of(template).or_decline_with(|| {
        format!("the document at {at} is not a classic pod template (no `spec.containers`)")
    })?;
    let (block, flow) = worker_block(cx.text, spec, Edits::All)?;
    let mut model = model(cx.text, template, name)?;
    model.named_per_session = named_per_session;
    if let Some(mut pod) = scheduler {
        // The classic KubeCluster always overwrote the scheduler container's args with
        // `dask-scheduler` (dask-facts §4.1); the operator keeps what it is given, so the
        // args become what the operator's own scheduler runs.
        if let Some(c) = pod.spec.containers.first_mut() {
            c.args = Some(
                crate::dask::scheduler_program(new_cli_available(cx))
                    .iter()
                    .chain(&["--host", "0.0.0.0"])
                    .map(|s| (*s).to_owned())
                    .collect(),
            );
        }
        model.scheduler = classic::SchedulerPod::Own(Box::new(pod));
    }
    let options = build::Options {
        new_cli: new_cli_available(cx),
    };
    let build::Built {
        resource: cluster,
        record,
    } = build::cluster(&model, options)?;
    let generated = to_yaml(&cluster).map_err(|e| Declined::new(e.to_string()))?;
    let unfaithful = || {
        Declined::new(format!(
            "the pod template at {at} is written in a form dusk cannot move into a \
             DaskCluster without changing it: migrate it by hand"
        ))
    };
    // Keep the old spec's own text (and comments) where the generated one would go.
    let text = if flow {
        generated
    } else {
        splice_worker_spec(
            &generated,
            &block,
            yaml_text::column(cx.text, spec.range.start()),
        )
        .ok_or_else(unfaithful)?
    };
    // The text must say exactly what the typed resource says.
    let doc = yaml::parse(&text, yaml::Limits::default()).map_err(|_| unfaithful())?;
    let written = doc
        .documents
        .first()
        .and_then(|d| d.root.as_ref())
        .map(validate::to_json)
        .ok_or_else(unfaithful)?;
    if without_nulls(written) != without_nulls(to_json(&cluster)) {
        return Err(unfaithful());
    }
    Ok((text, record))
}

/// The cluster name: the file's stem as an RFC 1123 label of at most 53 characters, with
/// the document's number when the file holds several pod templates.
pub fn cluster_name(path: &Path, file: &YamlFile, root: &Node) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let templates: Vec<&Node> = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .filter(|r| pod_spec_of(r).is_some())
        .collect();
    let suffix = match templates.iter().position(|r| std::ptr::eq(*r, root)) {
        Some(i) if templates.len() > 1 => format!("-{}", i + 1),
        _ => String::new(),
    };
    let base = rfc1123_label(&stem, 53 - suffix.len());
    format!("{base}{suffix}")
}

/// `text` made an RFC 1123 label of at most `max` characters: lower case, runs of other
/// characters become one `-`, no `-` at either end; `dask` if nothing is left.
pub fn rfc1123_label(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    let out = out.trim_matches('-');
    if out.is_empty() {
        "dask".into()
    } else {
        out.to_owned()
    }
}

/// The old pod spec's text, whole lines, with the worker's edits applied; and whether it is
/// a flow mapping (`spec: {…}`).
fn worker_block(text: &str, spec: &Node, which: Edits) -> Result<(String, bool), Declined> {
    let flow = yaml_text::is_flow(text, spec);
    let start = if flow {
        spec.range.start()
    } else {
        yaml_text::line_start(text, spec.range.start())
    };
    let end = if flow {
        spec.range.end()
    } else {
        yaml_text::line_end_inclusive(text, spec.range.end())
    };
    let edits = worker_edits(text, spec, which)?;
    let garbled = || {
        Declined::new(format!(
            "the pod spec at {} is written in a form dusk cannot edit in place: migrate it by hand",
            crate::migrate::line_of(text, spec.range.start())
        ))
    };
    let local: Vec<Edit> = edits
        .into_iter()
        .filter(|e| e.range.start() >= start && e.range.end() <= end)
        .map(|e| {
            Edit::replace(
                TextRange::new(e.range.start() - start, e.range.end() - start),
                e.content,
            )
        })
        .collect();
    let mut block = apply_edits(&text[start..end], &local).map_err(|_| garbled())?;
    if !flow && !block.ends_with('\n') {
        block.push('\n');
    }
    Ok((block, flow))
}

/// Which edits of the old pod spec to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edits {
    /// Quote numeric quantities and env values: the pod as written, readable by Kubernetes'
    /// types (what the model holds).
    QuotesOnly,
    /// Also what the builder does to the worker (drop `restartPolicy` and the positional
    /// scheduler address, add `--name`), mirrored in the text to keep its comments.
    All,
}

/// Edits of the old pod spec that make it an operator worker spec.
fn worker_edits(text: &str, spec: &Node, which: Edits) -> Result<Vec<Edit>, Declined> {
    let at = |offset: usize| crate::migrate::line_of(text, offset);
    let entries = spec.as_map().or_decline_with(|| {
        format!(
            "the pod spec at {} is not a mapping",
            at(spec.range.start())
        )
    })?;
    let mut edits = Vec::new();
    if let Some(i) = entries
        .iter()
        .position(|e| e.key.as_str() == Some("restartPolicy"))
        .filter(|_| which == Edits::All)
    {
        edits.push(yaml_text::remove_entry(text, spec, i).or_decline_with(|| {
            format!(
                "`restartPolicy` at {} is written in a form dusk cannot remove: remove it by hand",
                at(entries[i].key.range.start())
            )
        })?);
    }
    let containers = spec
        .get("containers")
        .and_then(Node::as_seq)
        .or_decline_with(|| {
            format!(
                "`containers` of the pod spec at {} is not a list",
                at(spec.range.start())
            )
        })?;
    if let Some(worker) = containers.first().filter(|_| which == Edits::All) {
        edits.extend(worker_command_edits(text, worker));
    }
    for container in containers.iter().chain(
        spec.get("initContainers")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten(),
    ) {
        for kind in ["limits", "requests"] {
            let Some(map) = container.path(&["resources", kind]).and_then(Node::as_map) else {
                continue;
            };
            for e in map.iter().filter(|e| e.value.is_number()) {
                let raw = e.value.as_str().unwrap_or_default();
                edits.push(Edit::replace(e.value.range, yaml_text::double_quoted(raw)));
            }
        }
        edits.extend(env_value_edits(text, container)?);
    }
    Ok(edits)
}

/// Kubernetes takes env values only as strings. A number (`value: 4`) is quoted, as the
/// classic KubeCluster's client turned it into the string `"4"`; a boolean is declined, since Python would have written `True` where YAML reads `true`.
fn env_value_edits(text: &str, container: &Node) -> Result<Vec<Edit>, Declined> {
    let mut edits = Vec::new();
    for var in container
        .get("env")
        .and_then(Node::as_seq)
        .into_iter()
        .flatten()
    {
        let Some(value) = var.get("value") else {
            continue;
        };
        let raw = value.as_str().unwrap_or_default();
        let name = var.get_str("name").unwrap_or("?");
        let line = crate::migrate::line_of(text, value.range.start());
        if value.is_number() {
            edits.push(Edit::replace(value.range, yaml_text::double_quoted(raw)));
        } else if matches!(
            crate::extract::model::Literal::from_yaml(value),
            crate::extract::model::Literal::Bool(_)
        ) {
            return Err(Declined::new(format!(
                "env value `{raw}` of `{name}` at {line} is not a string, and Kubernetes \
                 takes only strings: quote it (`\"{raw}\"`, or `\"True\"` as Python wrote it) \
                 and rerun"
            )));
        } else if value.as_map().is_some() || value.as_seq().is_some() {
            return Err(Declined::new(format!(
                "env value of `{name}` at {line} is not a string: write it as one and rerun"
            )));
        }
    }
    Ok(edits)
}

/// Drop the positional scheduler address; add `--name $(DASK_WORKER_NAME)`.
fn worker_command_edits(text: &str, worker: &Node) -> Vec<Edit> {
    let mut edits = Vec::new();
    let lists: Vec<&Node> = ["command", "args"]
        .iter()
        .filter_map(|k| worker.get(k))
        .filter(|n| n.as_seq().is_some())
        .collect();
    for list in &lists {
        let items = list.as_seq().unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            if item.as_str() == Some(SCHEDULER_ADDRESS)
                && items.len() > 1
                && let Some(edit) = yaml_text::remove_item(text, list, i)
            {
                edits.push(edit);
            }
        }
    }
    let target = worker
        .get("args")
        .or_else(|| worker.get("command"))
        .filter(|n| n.as_seq().is_some());
    if let Some(list) = target
        && runs_a_worker(worker)
        && !lists.iter().any(|l| has_name(l))
    {
        let items: Vec<String> = NAME_ARGS.iter().map(|a| yaml_text::scalar(a)).collect();
        if let Some(edit) = yaml_text::append_items(text, list, &items) {
            edits.push(edit);
        }
    }
    edits
}

/// A classic pod template read into the model: its pod as written (numeric quantities and
/// env values quoted, as Kubernetes takes them), one worker (as the classic KubeCluster
/// started before `scale()`), and the operator's default idle timeout written out.
/// A classic scheduler pod template as the model's scheduler pod, or why not.
pub fn scheduler_pod(text: &str, template: &Node) -> Result<classic::ClassicPod, Declined> {
    let at = crate::migrate::line_of(text, template.range.start());
    let spec = pod_spec_of(template).or_decline_with(|| {
        format!(
            "the scheduler template at {at} is not a classic pod template (no `spec.containers`)"
        )
    })?;
    for c in spec
        .get("containers")
        .and_then(Node::as_seq)
        .into_iter()
        .flatten()
    {
        if c.get_str("name").is_none_or(str::is_empty) {
            return Err(Declined::new(format!(
                "the scheduler container at {} has no `name`, which Kubernetes requires: add \
                 one (`name: scheduler`) and rerun",
                crate::migrate::line_of(text, c.range.start())
            )));
        }
    }
    let (block, _) = worker_block(text, spec, Edits::QuotesOnly)?;
    read_block(&block)
        .and_then(|json| classic::pod_from_template(template, json))
        .map_err(|why| {
            Declined::new(format!(
                "the scheduler pod spec at {at} is not one Kubernetes accepts ({why}): fix it first"
            ))
        })
}

pub fn model(text: &str, template: &Node, name: &str) -> Result<ClassicCluster, Declined> {
    let at = crate::migrate::line_of(text, template.range.start());
    let spec = pod_spec_of(template).or_decline_with(|| {
        format!("the document at {at} is not a classic pod template (no `spec.containers`)")
    })?;
    for list in ["containers", "initContainers"] {
        for c in spec.get(list).and_then(Node::as_seq).into_iter().flatten() {
            if c.get_str("name").is_none_or(str::is_empty) {
                return Err(Declined::new(format!(
                    "the container at {} has no `name`, which Kubernetes requires: add one \
                     (`name: worker`) and rerun",
                    crate::migrate::line_of(text, c.range.start())
                )));
            }
        }
    }
    let (block, _) = worker_block(text, spec, Edits::QuotesOnly)?;
    let pod = read_block(&block)
        .and_then(|json| classic::pod_from_template(template, json))
        .map_err(|why| {
            Declined::new(format!(
                "the pod spec at {at} is not one Kubernetes accepts ({why}): fix it first"
            ))
        })?;
    let mut cluster = ClassicCluster::new(
        Sourced::new(
            name.to_owned(),
            Source::Default("the file's name, made an RFC 1123 label"),
        ),
        pod,
    );
    cluster.replicas = Some(Sourced::new(
        1,
        Source::Default("one worker, as the classic KubeCluster started before `scale()`"),
    ));
    cluster.idle_timeout = Some(Sourced::new(
        0,
        Source::Default("the operator's default: never delete an idle cluster"),
    ));
    Ok(cluster)
}

/// A pod spec's text read as the JSON Kubernetes would receive.
fn read_block(block: &str) -> Result<Value, String> {
    let file = yaml::parse(block, yaml::Limits::default()).map_err(|e| e.message)?;
    file.documents
        .first()
        .and_then(|d| d.root.as_ref())
        .map(|root| without_nulls(validate::to_json(root)))
        .ok_or_else(|| "it is empty".to_owned())
}

/// Put `block` (the old spec's lines, indented at `from`) in place of the generated worker
/// spec.
fn splice_worker_spec(generated: &str, block: &str, from: usize) -> Option<String> {
    let (start, end) = worker_spec_lines(generated)?;
    let moved = yaml_text::reindent(block, from, WORKER_SPEC_INDENT);
    Some(format!(
        "{}{moved}{}",
        &generated[..start],
        &generated[end..]
    ))
}

/// Where the lines holding `spec.worker.spec` are in `generated`, a DaskCluster as
/// [`to_yaml`] writes it (block style, two spaces a level): from the first line below
/// `    spec:`, which must be indented [`WORKER_SPEC_INDENT`], to the end of the last line
/// indented at least that much before one indented less (blank lines between belong to
/// it, as a block scalar may hold them). Read from the text rather than a parse of it:
/// the text is generated, and that parse was 1.4% of `dusk check` (#13). The caller's
/// check that the final text says what the resource says stands behind this.
fn worker_spec_lines(generated: &str) -> Option<(usize, usize)> {
    const KEYS: [&str; 3] = ["spec:", "  worker:", "    spec:"];
    let (mut found, mut offset) = (0, 0);
    let mut lines: Option<(usize, usize)> = None;
    for line in generated.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if indent == body.len() {
            continue;
        }
        match &mut lines {
            Some((_, end)) if indent >= WORKER_SPEC_INDENT => *end = offset,
            Some(_) => break,
            None if found == KEYS.len() => {
                if indent != WORKER_SPEC_INDENT {
                    return None;
                }
                lines = Some((at, offset));
            }
            // A line indented no deeper than the key last found ends that key's block.
            None if found > 0 && indent < 2 * found => return None,
            None => found += usize::from(body == KEYS[found]),
        }
    }
    lines
}

/// A JSON value without null members (the API server prunes them).
pub fn without_nulls(value: Value) -> Value {
    let mut value = value;
    let mut todo: Vec<&mut Value> = vec![&mut value];
    while let Some(v) = todo.pop() {
        match v {
            Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                todo.extend(map.values_mut());
            }
            Value::Array(items) => todo.extend(items.iter_mut()),
            _ => {}
        }
    }
    value
}

/// The flat DaskCluster and DaskWorkerGroup schema of operator 2022.4.x: a producer of the
/// model (what the 2022.4 controller ran for these fields), built by the one builder.
mod flat {
    use super::*;
    use crate::extract::classic::{ClassicPod, SchedulerPod};
    use k8s_openapi::api::core::v1::{
        Container, ContainerPort, EnvVar, LocalObjectReference, PodSpec, ResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    /// A flat resource rewritten with embedded pod specs, as one generated document.
    pub fn rewrite(cx: &Context<'_>, root: &Node) -> Option<Fix> {
        let kind = root.get_str("kind")?;
        let api = root.get_str("apiVersion")?;
        let spec = root.get("spec")?;
        let flat = [
            "image",
            "replicas",
            "resources",
            "env",
            "imagePullPolicy",
            "protocol",
        ]
        .iter()
        .any(|k| spec.get(k).is_some());
        if !api.starts_with("kubernetes.dask.org/") || !flat || spec.get("worker").is_some() {
            return None;
        }
        let json = without_nulls(validate::to_json(root));
        let metadata: ObjectMeta = serde_json::from_value(json.get("metadata")?.clone()).ok()?;
        let options = build::Options {
            new_cli: new_cli_available(cx),
        };
        let model = model(root, &json, &metadata, options.new_cli)?;
        let (text, json_of) = match kind {
            "DaskCluster" => {
                let mut cluster = build::cluster(&model, options).ok()?.resource;
                cluster.metadata = metadata;
                (to_yaml(&cluster).ok()?, to_json(&cluster))
            }
            "DaskWorkerGroup" => {
                let cluster = json.pointer("/spec/cluster")?.as_str()?;
                let mut group = build::worker_group(&model, cluster, options).ok()?.resource;
                group.metadata = metadata;
                (to_yaml(&group).ok()?, to_json(&group))
            }
            _ => return None,
        };
        let doc = yaml::parse(&text, yaml::Limits::default()).ok()?;
        let written = validate::to_json(doc.documents.first()?.root.as_ref()?);
        if without_nulls(written) != without_nulls(json_of) {
            return None;
        }
        let end = yaml_text::line_end_inclusive(cx.text, root.range.end());
        let keep_newline = usize::from(cx.text[..end].ends_with('\n'));
        Some(Fix::new(
            vec![Edit::replace(
                TextRange::new(root.range.start(), end - keep_newline),
                text.trim_end_matches('\n'),
            )],
            Applicability::Unsafe,
            format!("rewrite the flat 2022.4 {kind} with embedded pod specs"),
        ))
    }

    /// The flat resource as the model: the worker `make_worker_spec` ran for these fields,
    /// a scheduler like the workers with the scheduler's own env and resources.
    fn model(
        root: &Node,
        json: &Value,
        metadata: &ObjectMeta,
        new_cli: bool,
    ) -> Option<ClassicCluster> {
        let spec = json.get("spec")?;
        let source = |key: &str| {
            root.path(&["spec", key])
                .map_or(Source::Default("operator 2022.4's default"), |n| {
                    Source::Span(n.range)
                })
        };
        let worker = ClassicPod {
            spec: worker_pod(spec, new_cli)?,
            source: Some(Source::Span(root.range)),
            sources: ["image", "imagePullPolicy", "env", "resources"]
                .iter()
                .filter_map(|k| {
                    Some((
                        format!("containers[0].{k}"),
                        Source::Span(root.path(&["spec", k])?.range),
                    ))
                })
                .chain(
                    root.path(&["spec", "imagePullSecrets"])
                        .map(|n| ("imagePullSecrets".to_owned(), Source::Span(n.range))),
                )
                .collect(),
            ..ClassicPod::default()
        };
        let mut model = ClassicCluster::new(
            Sourced::new(metadata.name.clone()?, source("metadata")),
            worker,
        );
        model.replicas = Some(Sourced::new(
            spec.get("replicas").and_then(Value::as_i64).unwrap_or(1) as i32,
            source("replicas"),
        ));
        let scheduler = spec.get("scheduler").cloned().unwrap_or_default();
        let scheduler_source = source("scheduler");
        model.scheduler = SchedulerPod::LikeWorkers {
            env: Some(Sourced::new(
                env(scheduler.get("env"))?.unwrap_or_default(),
                scheduler_source.clone(),
            )),
            resources: Some(Sourced::new(
                resources(scheduler.get("resources"))?,
                scheduler_source.clone(),
            )),
        };
        model.service_type = scheduler
            .get("serviceType")
            .and_then(Value::as_str)
            .map(|t| Sourced::new(t.to_owned(), scheduler_source));
        if let Some(protocol) = spec.get("protocol").and_then(Value::as_str) {
            model
                .unsupported
                .push(crate::extract::classic::Unsupported {
                    what: format!("protocol: {protocol}"),
                    source: source("protocol"),
                    reason: "the operator's resources have no protocol field; set TLS in the pod \
                         specs by hand"
                        .into(),
                });
        }
        Some(model)
    }

    /// The worker container `make_worker_spec` would build from the flat fields.
    fn container(spec: &Value, name: &str, args: Vec<String>) -> Option<Container> {
        Some(Container {
            name: name.into(),
            image: spec.get("image").and_then(Value::as_str).map(str::to_owned),
            image_pull_policy: spec
                .get("imagePullPolicy")
                .and_then(Value::as_str)
                .map(str::to_owned),
            args: (!args.is_empty()).then_some(args),
            env: env(spec.get("env"))?,
            resources: resources(spec.get("resources"))?,
            ..Container::default()
        })
    }

    fn worker_pod(spec: &Value, new_cli: bool) -> Option<PodSpec> {
        let args = crate::dask::worker_program(new_cli)
            .iter()
            .chain(&[
                "--name",
                "$(DASK_WORKER_NAME)",
                "--dashboard",
                "--dashboard-address",
                "8788",
            ])
            .map(|s| (*s).to_owned())
            .collect();
        let mut worker = container(spec, "worker", args)?;
        worker.ports = Some(vec![ContainerPort {
            name: Some("http-dashboard".into()),
            container_port: 8788,
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]);
        Some(PodSpec {
            containers: vec![worker],
            image_pull_secrets: pull_secrets(spec)?,
            ..PodSpec::default()
        })
    }

    /// `env` as a dict or a list of EnvVars; `Some(None)` when absent or empty.
    fn env(value: Option<&Value>) -> Option<Option<Vec<EnvVar>>> {
        let list: Vec<EnvVar> = match value {
            None => return Some(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| EnvVar {
                    name: k.clone(),
                    value: Some(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
                    ..EnvVar::default()
                })
                .collect(),
            Some(v @ Value::Array(_)) => serde_json::from_value(v.clone()).ok()?,
            Some(_) => return None,
        };
        Some((!list.is_empty()).then_some(list))
    }

    fn resources(value: Option<&Value>) -> Option<Option<ResourceRequirements>> {
        let Some(value) = value.filter(|v| v.as_object().is_some_and(|m| !m.is_empty())) else {
            return Some(None);
        };
        let mut value = value.clone();
        for kind in value.as_object_mut()?.values_mut() {
            for q in kind
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                if q.is_number() {
                    *q = Value::String(q.to_string());
                }
            }
        }
        serde_json::from_value(value).ok().map(Some)
    }

    fn pull_secrets(spec: &Value) -> Option<Option<Vec<LocalObjectReference>>> {
        match spec.get("imagePullSecrets") {
            None => Some(None),
            Some(v) => serde_json::from_value::<Vec<LocalObjectReference>>(v.clone())
                .ok()
                .map(|l| (!l.is_empty()).then_some(l)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_spec_is_found_in_the_generated_text() {
        let generated = "apiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata:\n  name: etl\n\
                         spec:\n  scheduler:\n    spec:\n      containers: []\n  worker:\n    replicas: 1\n\
                         \x20   spec:\n      containers:\n      - name: worker\n        args:\n        - |\n\
                         \x20         one\n\n\x20         two\n      volumes: []\n  idle: 0\n";
        let (start, end) = worker_spec_lines(generated).expect("a worker spec");
        assert_eq!(
            &generated[start..end],
            "      containers:\n      - name: worker\n        args:\n        - |\n          one\n\n          two\n      volumes: []\n"
        );
        // Not the scheduler's spec; none when the worker has no spec or it is inline.
        assert_eq!(
            worker_spec_lines("spec:\n  scheduler:\n    spec:\n      a: 1\n"),
            None
        );
        assert_eq!(worker_spec_lines("spec:\n  worker:\n    spec: {}\n"), None);
        assert_eq!(
            worker_spec_lines("spec:\n  worker:\n    replicas: 1\nother:\n    spec:\n      a: 1\n"),
            None
        );
    }

    #[test]
    fn names_become_rfc1123_labels() {
        assert_eq!(rfc1123_label("worker-spec", 53), "worker-spec");
        assert_eq!(rfc1123_label("My_Worker.Spec", 53), "my-worker-spec");
        assert_eq!(rfc1123_label("__", 53), "dask");
        assert_eq!(rfc1123_label(&"a".repeat(60), 53).len(), 53);
        assert_eq!(rfc1123_label("ab-cd", 3), "ab");
    }
}
