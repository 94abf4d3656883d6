//! `hand-rolled-to-daskcluster`: a hand-written Dask stack in one file — a scheduler
//! Deployment or StatefulSet, the Service in front of it and the worker Deployments that
//! connect to it — becomes one DaskCluster (N → 1).
//!
//! ## What it rewrites
//! The stack a `hand-rolled-dask-workload` finding belongs to, read from the documents of
//! its file: the one workload that runs `dask-scheduler`/`dask scheduler`; the Services whose
//! selector picks its pods; and every workload running a Dask worker whose args, command or
//! env name one of those Services (`dask-scheduler:8786`, `tcp://dask-scheduler.ns:8786`).
//! With no Service, every worker workload of the file joins the one scheduler. This is a
//! producer of the classic-cluster model: the resources come from `migrate::build`.
//!
//! ## Output
//! The scheduler's document becomes a DaskCluster named after the scheduler workload without
//! its `-scheduler` suffix (`dask-scheduler` → `dask`), in the scheduler's namespace:
//! `spec.worker` is the first worker Deployment's pod (replicas, resources, env, volumes,
//! placement, security context kept; the positional scheduler address and a
//! `DASK_SCHEDULER_ADDRESS` env naming the old Service dropped, as the controller sets both);
//! `spec.scheduler.spec` is the scheduler's pod (the builder adds the `tcp-comm` and
//! `http-dashboard` ports and probes); `spec.scheduler.service.type` is the Service's type.
//! Each further worker Deployment becomes a DaskWorkerGroup `<cluster>-<deployment>`. The
//! Service and worker documents are removed. Every other document of the file is left byte
//! for byte, comments included. A comment block above the DaskCluster is the migration
//! report: the new scheduler address, the documents of the file that still name the old
//! one (clients to change), and what each field became.
//!
//! ## Fix safety
//! Unsafe: the scheduler's address changes (to `<cluster>-scheduler.<namespace>:8786`), the
//! old objects must be deleted before the operator creates a Service of the same name, and
//! comments inside the replaced documents are dropped.
//!
//! ## Across files and directories
//! The stack may span the files around the scheduler's (`Context::beside`, read through
//! `Context::others`, so only files inside the paths given; `stack_scope`): its directory
//! first, then its parent's tree, and so on up to the path given, until one scope holds
//! workers that name the scheduler's Services — the Services of the scope whose selector
//! picks the scheduler's pod labels in its namespace (`k8s/services.yaml` among unrelated
//! Services, `scheduler/service.yaml`) — or, with none, its own name
//! (`deploy/dask/workers/deployment.yaml`). The DaskCluster replaces the scheduler's document
//! (the fix's description says so); each other file loses the stack's Services and workers
//! in the same fix (`Fix::elsewhere`: all files or none; a file left with no document gets a
//! comment saying where they went). The report names where each part was, the clients of
//! the old address and the Ingresses sending traffic to the old Service by name. Declined,
//! with the reason, when the scope is ambiguous: a Service selecting two schedulers,
//! another scheduler behind a Service of the same name, a Service the workers use that
//! selects the pods of no scheduler; when a kustomization under the path given builds from
//! the stack's files and patches one of its objects (the patch would no longer apply); and
//! when no worker is found and some files beside it could not be read with it (outside the
//! paths given). The workers' own findings decline: the scheduler's fix moves them.
//!
//! ## Not handled
//! A file with several schedulers and no Service to tell them apart, a worker started
//! through a shell string, pods Kubernetes' types cannot read, and kustomize overlays
//! (a patched stack is declined; `namePrefix`, `images` and the like are not applied).

use super::pod_template_to_daskcluster::rfc1123_label;
use super::replace_command::new_cli_available;
use super::stack_scope::{self, Beside};
use crate::extract::classic::{ClassicCluster, ClassicPod, SchedulerPod, Source, Sourced};
use crate::migrate::build::{self, Fidelity, Options};
use crate::migrate::operator::{to_json, to_yaml};
use crate::migrate::{Context, Declined, validate};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix, OtherFile, apply_edits};
use crate::source::yaml::Node;
use k8s_openapi::api::core::v1::PodSpec;
use std::collections::BTreeMap;

/// Kinds whose pod template may run Dask by hand.
const WORKLOADS: &[&str] = &["Deployment", "StatefulSet"];

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let file = cx.yaml().ok_or_else(|| Declined::new("not a YAML file"))?;
    // Asked once per finding: the file-wide answers come from the pass's memo, so a stream
    // of N worker Deployments costs N, not N² (#13).
    let schedulers: Vec<&Node> = schedulers_of(cx, file);
    if schedulers.is_empty() {
        // Every worker of a file without a scheduler declines alike: no need to read the
        // other documents.
        return Err(Declined::new(match root_at(file, cx.range) {
            Some(_) => NO_SCHEDULER,
            None => OUTSIDE,
        }));
    }
    let roots: Vec<&Node> = file
        .documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .collect();
    let segments = cx.memo.verdict("hand-rolled-to-daskcluster: segments", || {
        std::rc::Rc::new(segments(cx.text))
    });
    let (scheduler, count) = scheduler_of(&roots, &schedulers, cx.range)?;
    // The scope widens one directory level at a time until it holds the workers.
    let mut limit = 0;
    let loaded = loop {
        let (loaded, more) = stack_scope::load(cx, scheduler, limit);
        let loaded_roots: Vec<Vec<&Node>> = loaded.iter().map(|l| l.roots()).collect();
        let found = find_stack(&roots, scheduler, count, &loaded, &loaded_roots);
        let widen = more && matches!(&found, Err(Miss::NoWorkers(_)));
        drop(found);
        drop(loaded_roots);
        if !widen {
            break loaded;
        }
        limit += 1;
    };
    let loaded_roots: Vec<Vec<&Node>> = loaded.iter().map(|l| l.roots()).collect();
    let stack = find_stack(&roots, scheduler, count, &loaded, &loaded_roots)
        .map_err(Miss::into_declined)?;
    let members: Vec<stack_scope::Member<'_>> = std::iter::once((stack.scheduler, None))
        .chain(
            stack
                .services
                .iter()
                .copied()
                .zip(stack.service_homes.iter().copied()),
        )
        .chain(
            stack
                .workers
                .iter()
                .copied()
                .zip(stack.homes.iter().copied()),
        )
        .map(|(n, home)| stack_scope::Member {
            kind: n.get_str("kind").unwrap_or(""),
            name: name_of(n),
            home,
        })
        .collect();
    stack_scope::kustomize_check(cx, &loaded, &members)?;
    let segment_of = |segments: &[Segment], root: &Node| -> Result<usize, Declined> {
        let i = segments
            .iter()
            .position(|s| s.content.contains_range(root.range))
            .ok_or_else(|| {
                Declined::new("a document shares its line with `---`: put it on its own line")
            })?;
        Ok(i)
    };
    let scheduler_seg = segment_of(&segments, stack.scheduler)?;
    let mut removed = Vec::new();
    for r in stack.members_in(None) {
        removed.push(segment_of(&segments, r)?);
    }
    let mut all = removed.clone();
    all.push(scheduler_seg);
    all.sort_unstable();
    if all.windows(2).any(|w| w[0] == w[1]) {
        return Err(Declined::new(
            "two documents of the stack share one `---` section",
        ));
    }
    let new_cli = new_cli_available(cx);
    let built = build_stack(&stack, new_cli, false)?;
    let mut files: Vec<(&str, &str, &[&Node], Option<usize>)> =
        vec![("this file", cx.text, &roots, None)];
    for (i, l) in loaded.iter().enumerate() {
        if let Some(other) = &l.text
            && l.level <= stack.level
        {
            files.push((&l.name, &other.text, &loaded_roots[i], Some(i)));
        }
    }
    // Files the fix leaves without an object, and the kustomizations that list them.
    let emptied: Vec<usize> = (0..loaded.len())
        .filter(|i| {
            let mine = stack.members_in(Some(*i)).count();
            mine > 0 && mine == loaded_roots[*i].len()
        })
        .collect();
    let steps: Vec<String> = stack_scope::listing(cx, &loaded, &emptied)
        .into_iter()
        .map(|(k, entries)| {
            format!(
                "Kustomization `{k}` lists {} in its `resources`, which the fix leaves without an object: remove {} from it.",
                list(&entries.iter().map(String::as_str).collect::<Vec<_>>()),
                if entries.len() == 1 { "it" } else { "them" }
            )
        })
        .collect();
    let mut text = report(&stack, &built, &files, &loaded, &steps);
    text.push_str(&built.yaml);
    let seg = &segments[scheduler_seg];
    let mut edits = vec![Edit::replace(seg.content, text)];
    edits.extend(removals(&segments, &removed));
    let elsewhere = stack.other_files(&loaded);
    let here = cx
        .path
        .file_name()
        .map_or(std::borrow::Cow::Borrowed(""), |n| n.to_string_lossy());
    let mut fix = Fix::new(
        edits,
        Applicability::Unsafe,
        format!(
            "replace {} `{}`, {} Service(s) and {} worker workload(s){} by DaskCluster `{}`{}; clients move from `{}` to `{}-scheduler.<namespace>:8786`",
            stack.scheduler.get_str("kind").unwrap_or("Deployment"),
            name_of(stack.scheduler),
            stack.services.len(),
            stack.workers.len(),
            if elsewhere.is_empty() {
                String::new()
            } else {
                format!(" (in {})", list(&elsewhere))
            },
            built.name,
            if elsewhere.is_empty() {
                String::new()
            } else {
                format!(", written in `{here}` in place of the scheduler")
            },
            stack.old_address(),
            built.name,
        ),
    );
    // The DaskCluster's edit opens with the comment block.
    let comment = fix.edits.iter().find(|e| e.range == seg.content);
    let report = migration_json(
        cx,
        &stack,
        &built,
        comment.map_or("", |e| &e.content),
        &loaded,
    );
    fix.migration.push(report);
    // Each other file loses the stack's documents, in the same fix.
    for (i, l) in loaded.iter().enumerate() {
        let Some(other) = &l.text else { continue };
        let mine: Vec<&Node> = stack.members_in(Some(i)).collect();
        if mine.is_empty() {
            continue;
        }
        let segs = self::segments(&other.text);
        let mut gone = Vec::new();
        for w in &mine {
            gone.push(
                segment_of(&segs, w)
                    .map_err(|d| Declined::new(format!("`{}`: {}", other.display, d.reason)))?,
            );
        }
        gone.sort_unstable();
        if gone.windows(2).any(|w| w[0] == w[1]) {
            return Err(Declined::new(format!(
                "`{}`: two documents of the stack share one `---` section",
                other.display
            )));
        }
        let mut fixed = apply_edits(&other.text, &removals(&segs, &gone))
            .map_err(|e| Declined::new(e.to_string()))?;
        if fixed.trim().is_empty() {
            let services = stack.service_homes.contains(&Some(i));
            let workers = stack.homes.contains(&Some(i));
            let what = match (services, workers) {
                (true, true) => "The Dask scheduler Service and workers of this file are",
                (true, false) => "The Dask scheduler Service of this file is",
                _ => "The Dask workers of this file are",
            };
            let scheduler_file = match other.path.parent() {
                Some(d) if stack.level > 0 || l.level > 0 => stack_scope::relative(cx.path, d),
                _ => here.to_string(),
            };
            fixed = format!(
                "# {what} now DaskCluster `{}` in `{scheduler_file}` (dusk fix).\n",
                built.name,
            );
        }
        fix.elsewhere.push(OtherFile {
            path: other.path.clone(),
            display: other.display.clone(),
            original: other.text.clone(),
            fixed,
        });
    }
    Ok(fix)
}

/// The stack of `scheduler` (of this file's `roots`; `count` schedulers in it) among this
/// file's documents and the files `loaded` beside it: the nearest directory first (its
/// own, then its parent's tree…) until one holds workers that name the scheduler's
/// Services (or, with none, its name). Declined when that scope is ambiguous: two
/// schedulers behind one Service name, or a Service the workers name that selects the
/// pods of no scheduler.
fn find_stack<'a>(
    roots: &[&'a Node],
    scheduler: &'a Node,
    count: usize,
    loaded: &[Beside],
    loaded_roots: &'a [Vec<&'a Node>],
) -> Result<Stack<'a>, Miss> {
    let max_level = loaded.iter().map(|l| l.level).max().unwrap_or(0);
    let mut scope: Vec<(Option<usize>, &Node)> = Vec::new();
    for level in 0..=max_level {
        scope.clear();
        scope.extend(roots.iter().map(|r| (None, *r)));
        for (i, l) in loaded.iter().enumerate() {
            if l.level <= level {
                scope.extend(loaded_roots[i].iter().map(|r| (Some(i), *r)));
            }
        }
        let (services, service_homes): (Vec<&Node>, Vec<Option<usize>>) = scope
            .iter()
            .filter(|(_, r)| r.get_str("kind") == Some("Service") && selects(r, scheduler))
            .map(|(h, r)| (*r, *h))
            .unzip();
        let mut names: Vec<&str> = services.iter().map(|s| name_of(s)).collect();
        let by_own_name = names.is_empty();
        if by_own_name {
            names.push(name_of(scheduler));
        }
        let (workers, homes): (Vec<&Node>, Vec<Option<usize>>) = scope
            .iter()
            .filter(|(_, r)| {
                is_workload(r)
                    && runs_worker(r)
                    && !runs_scheduler(r)
                    && !std::ptr::eq(*r, scheduler)
            })
            .filter(|(home, r)| {
                let addresses = address_strings(r);
                if addresses
                    .iter()
                    .any(|t| names.iter().any(|n| names_service(t, n)))
                {
                    return true;
                }
                // No Service to go by, in the scheduler's own file: a worker joins the one
                // scheduler unless it names another host (a stack not in view).
                home.is_none()
                    && by_own_name
                    && count == 1
                    && !addresses.iter().any(|t| looks_like_address(t))
            })
            .map(|(h, r)| (*r, *h))
            .unzip();
        if workers.is_empty() {
            continue;
        }
        check_scope(&scope, scheduler, &services, &names, by_own_name, loaded)
            .map_err(Miss::Ambiguous)?;
        return Ok(Stack {
            scheduler,
            services,
            service_homes,
            workers,
            homes,
            level,
        });
    }
    // No workers anywhere in view: say why as precisely as we can.
    orphan_service(&scope, scheduler, &[name_of(scheduler)], true, loaded)
        .map_err(Miss::Ambiguous)?;
    let refused: Vec<&str> = loaded.iter().filter_map(|l| l.refused.as_deref()).collect();
    if refused.is_empty() {
        return Err(Miss::NoWorkers(Declined::new(format!(
            "no worker Deployment in this file connects to `{}`: put the stack's documents in one file",
            name_of(scheduler)
        ))));
    }
    let shown = refused
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join("; ");
    let more = match refused.len() {
        0..=3 => String::new(),
        n => format!("; and {} more", n - 3),
    };
    Err(Miss::NoWorkers(Declined::new(format!(
        "no worker Deployment in this file connects to `{}`, and the YAML files beside it that could hold its workers cannot be fixed with it ({shown}{more}): give them to `dusk fix` too, or put the stack's documents in one file",
        name_of(scheduler)
    ))))
}

/// Why [`find_stack`] found no stack: no workers in view (a wider scope may hold them), or
/// a scope that is ambiguous.
enum Miss {
    NoWorkers(Declined),
    Ambiguous(Declined),
}

impl Miss {
    fn into_declined(self) -> Declined {
        match self {
            Miss::NoWorkers(d) | Miss::Ambiguous(d) => d,
        }
    }
}

/// Where a document of the scope is, as a decline names it.
fn place(home: Option<usize>, loaded: &[Beside]) -> String {
    match home {
        None => "this file".to_owned(),
        Some(i) => format!("`{}`", loaded[i].name),
    }
}

/// Declined when the stack's scope is ambiguous (see [`find_stack`]).
fn check_scope(
    scope: &[(Option<usize>, &Node)],
    scheduler: &Node,
    services: &[&Node],
    names: &[&str],
    by_own_name: bool,
    loaded: &[Beside],
) -> Result<(), Declined> {
    for (home, rival) in scope {
        if !(is_workload(rival) && runs_scheduler(rival)) || std::ptr::eq(*rival, scheduler) {
            continue;
        }
        if let Some(s) = services.iter().find(|s| selects(s, rival)) {
            return Err(Declined::new(format!(
                "two schedulers for one Service: `{}` selects `{}` here and `{}` in {}, so dusk cannot tell which one its clients reach: make its selector pick one of them (or give each stack its own labels) and rerun",
                name_of(s),
                name_of(scheduler),
                name_of(rival),
                place(*home, loaded),
            )));
        }
        let theirs: Vec<&str> = scope
            .iter()
            .filter(|(_, r)| r.get_str("kind") == Some("Service") && selects(r, rival))
            .map(|(_, r)| name_of(r))
            .collect();
        let tied = if theirs.is_empty() {
            vec![name_of(rival)]
        } else {
            theirs
        };
        if tied.iter().any(|t| names.contains(t)) {
            return Err(Declined::new(format!(
                "two schedulers answer to `{}`: `{}` in this file and `{}` in {}, so dusk cannot tell whose workers the other files hold: give their Services different names, or put each stack in one file",
                names.join("`, `"),
                name_of(scheduler),
                name_of(rival),
                match home {
                    None => "this file".to_owned(),
                    Some(i) => format!(
                        "`{}`",
                        loaded[*i]
                            .text
                            .as_ref()
                            .map_or(loaded[*i].name.as_str(), |t| t.display.as_str())
                    ),
                },
            )));
        }
    }
    orphan_service(scope, scheduler, names, by_own_name, loaded)
}

/// Declined when a Service of the scope that workers connect to selects the pods of no
/// scheduler, yet is the host the stack goes by (the scheduler's own name, when no Service
/// selects it): the stack's real address is not what dusk would migrate.
fn orphan_service(
    scope: &[(Option<usize>, &Node)],
    scheduler: &Node,
    names: &[&str],
    by_own_name: bool,
    loaded: &[Beside],
) -> Result<(), Declined> {
    if !by_own_name {
        return Ok(());
    }
    let schedulers: Vec<&Node> = scope
        .iter()
        .map(|(_, r)| *r)
        .filter(|r| is_workload(r) && runs_scheduler(r))
        .collect();
    for (home, s) in scope {
        if s.get_str("kind") != Some("Service") || schedulers.iter().any(|x| selects(s, x)) {
            continue;
        }
        let name = name_of(s);
        let used = scope.iter().any(|(_, w)| {
            is_workload(w)
                && runs_worker(w)
                && address_strings(w).iter().any(|t| names_service(t, name))
        });
        if !used || !(names.contains(&name) || selector_overlaps(s, scheduler)) {
            continue;
        }
        let selector = s
            .path(&["spec", "selector"])
            .map(Node::string_map)
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        return Err(Declined::new(format!(
            "Service `{name}` in {} selects `{selector}`, which the pods of no scheduler carry (`{}` has {}), yet workers connect to it: fix its selector (or the scheduler's labels) so it selects the scheduler, then rerun",
            place(*home, loaded),
            name_of(scheduler),
            {
                let labels = scheduler
                    .path(&["spec", "template", "metadata", "labels"])
                    .map(Node::string_map)
                    .unwrap_or_default();
                if labels.is_empty() {
                    "no labels".to_owned()
                } else {
                    format!(
                        "`{}`",
                        labels
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                }
            },
        )));
    }
    Ok(())
}

/// Whether a Service's selector shares a label key with the scheduler's pods (the same
/// labels with another value: a selector that was meant for it).
fn selector_overlaps(service: &Node, scheduler: &Node) -> bool {
    let selector = service
        .path(&["spec", "selector"])
        .map(Node::string_map)
        .unwrap_or_default();
    let labels = scheduler
        .path(&["spec", "template", "metadata", "labels"])
        .map(Node::string_map)
        .unwrap_or_default();
    selector.keys().any(|k| labels.contains_key(k))
}

/// Edits deleting the sections `removed` (indices into `segments`, sorted) with one separator
/// line each, so the documents around them stay as they were.
fn removals(segments: &[Segment], removed: &[usize]) -> Vec<Edit> {
    removed
        .iter()
        .map(|&i| {
            let s = &segments[i];
            let range = match s.separator_before {
                Some(sep) => TextRange::new(sep.start(), s.content.end()),
                None if removed.contains(&1) || segments.len() == 1 => s.content,
                None => TextRange::new(
                    s.content.start(),
                    segments
                        .get(1)
                        .and_then(|n| n.separator_before)
                        .map_or(s.content.end(), |sep| sep.end()),
                ),
            };
            Edit::delete(range)
        })
        .collect()
}

/// One `---` section of a YAML stream: its content and the separator line before it.
#[derive(Debug, Clone, Copy)]
struct Segment {
    separator_before: Option<TextRange>,
    content: TextRange,
}

/// The sections of `text` between lines that are a document separator (`---`, alone or
/// followed by a comment).
fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut separator = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        let is_sep = bare == "---" || bare.starts_with("--- #");
        if is_sep {
            out.push(Segment {
                separator_before: separator,
                content: TextRange::new(start, at),
            });
            separator = Some(TextRange::new(at, at + line.len()));
            start = at + line.len();
        }
        at += line.len();
    }
    out.push(Segment {
        separator_before: separator,
        content: TextRange::new(start, text.len()),
    });
    out
}

/// The documents of one hand-rolled stack.
struct Stack<'a> {
    scheduler: &'a Node,
    services: Vec<&'a Node>,
    /// For each Service, the file beside the scheduler's it is in (an index into what
    /// [`stack_scope::load`] read), `None` for the scheduler's file.
    service_homes: Vec<Option<usize>>,
    workers: Vec<&'a Node>,
    /// For each worker, its file, as for `service_homes`.
    homes: Vec<Option<usize>>,
    /// How many directories up from the scheduler's the stack reaches (0: its own).
    level: usize,
}

impl<'a> Stack<'a> {
    /// The Services and workers of the stack in the file `home` (`None`: the scheduler's).
    fn members_in(&self, home: Option<usize>) -> impl Iterator<Item = &'a Node> + '_ {
        self.services
            .iter()
            .zip(&self.service_homes)
            .chain(self.workers.iter().zip(&self.homes))
            .filter(move |(_, h)| **h == home)
            .map(|(n, _)| *n)
    }

    /// The files beside the scheduler's that hold documents of the stack, as reports show
    /// them.
    fn other_files<'b>(&self, loaded: &'b [Beside]) -> Vec<&'b str> {
        let mut out: Vec<&str> = Vec::new();
        for h in self.service_homes.iter().chain(&self.homes).flatten() {
            let shown = loaded[*h].name.as_str();
            if !out.contains(&shown) {
                out.push(shown);
            }
        }
        out
    }

    fn service_names(&self) -> Vec<&str> {
        self.services.iter().map(|s| name_of(s)).collect()
    }

    /// The address workers used, as they wrote it (`dask-scheduler:8786`).
    fn old_address(&self) -> String {
        let port = self
            .services
            .first()
            .and_then(|s| s.path(&["spec", "ports"]))
            .and_then(Node::as_seq)
            .and_then(|p| p.first())
            .and_then(|p| p.get_str("port"))
            .unwrap_or("8786");
        match self.services.first() {
            Some(s) => format!("{}:{port}", name_of(s)),
            None => format!("{}:8786", name_of(self.scheduler)),
        }
    }
}

pub(crate) fn name_of(root: &Node) -> &str {
    root.path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("")
}

pub(crate) fn words(container: &Node) -> Vec<String> {
    ["command", "args"]
        .iter()
        .filter_map(|k| container.get(k).and_then(Node::as_seq))
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn first_container(root: &Node) -> Option<&Node> {
    root.path(&["spec", "template", "spec", "containers"])
        .and_then(Node::as_seq)
        .and_then(|c| c.first())
}

fn is_workload(root: &Node) -> bool {
    root.get_str("kind").is_some_and(|k| WORKLOADS.contains(&k))
}

fn runs_scheduler(root: &Node) -> bool {
    let Some(c) = first_container(root) else {
        return false;
    };
    let w = words(c);
    w.iter().enumerate().any(|(i, word)| {
        let p = crate::dask::program(word);
        p == "dask-scheduler" || (p == "dask" && w.get(i + 1).is_some_and(|n| n == "scheduler"))
    })
}

fn runs_worker(root: &Node) -> bool {
    first_container(root).is_some_and(|c| crate::dask::runs_a_worker(&words(c)))
}

/// Whether a document refers to the Service `service` as an object: an Ingress backend
/// (`service: {name: …}`, the older `serviceName: …`) or a route's `backendRefs` entry.
fn names_service_object(node: &Node, service: &str) -> bool {
    use crate::source::yaml::Value;
    match &node.value {
        Value::Map(entries) => entries.iter().any(|e| {
            let key = e.key.as_str();
            (key == Some("service") && e.value.get_str("name") == Some(service))
                || (key == Some("serviceName") && e.value.as_str() == Some(service))
                || (key == Some("backendRefs")
                    && e.value.as_seq().is_some_and(|refs| {
                        refs.iter().any(|r| r.get_str("name") == Some(service))
                    }))
                || names_service_object(&e.value, service)
        }),
        Value::Seq(items) => items.iter().any(|i| names_service_object(i, service)),
        Value::Scalar(_) => false,
    }
}

/// Whether `text` names the Service `service` as a host.
fn names_service(text: &str, service: &str) -> bool {
    let host = text.strip_prefix("tcp://").unwrap_or(text);
    host.strip_prefix(service)
        .is_some_and(|rest| rest.starts_with(':') || rest.starts_with('.'))
}

/// Whether `text` is a scheduler address (`host:8786`, `tcp://host…`).
fn looks_like_address(text: &str) -> bool {
    text.starts_with("tcp://") || text.ends_with(":8786")
}

/// Every string of a worker's first container that could hold the scheduler's address.
fn address_strings(root: &Node) -> Vec<&str> {
    let Some(c) = first_container(root) else {
        return Vec::new();
    };
    let mut out: Vec<&str> = ["command", "args"]
        .iter()
        .filter_map(|k| c.get(k).and_then(Node::as_seq))
        .flatten()
        .filter_map(Node::as_str)
        .collect();
    for var in c.get("env").and_then(Node::as_seq).unwrap_or_default() {
        out.extend(var.get_str("value"));
    }
    out
}

/// Whether `service` selects the pods of the workload `scheduler`: its selector's labels are
/// on them, and they may be in one namespace (equal, or one of them left to `kubectl` or
/// kustomize).
pub(super) fn selects(service: &Node, scheduler: &Node) -> bool {
    fn namespace(n: &Node) -> Option<&str> {
        n.path(&["metadata", "namespace"]).and_then(Node::as_str)
    }
    if let (Some(a), Some(b)) = (namespace(service), namespace(scheduler))
        && a != b
    {
        return false;
    }
    let Some(selector) = service.path(&["spec", "selector"]).and_then(Node::as_map) else {
        return false;
    };
    let labels = scheduler.path(&["spec", "template", "metadata", "labels"]);
    !selector.is_empty()
        && selector.iter().all(|e| {
            let (Some(k), Some(v)) = (e.key.as_str(), e.value.as_str()) else {
                return false;
            };
            labels.and_then(|l| l.get_str(k)) == Some(v)
        })
}

/// Why a finding outside every document declines.
const OUTSIDE: &str = "the finding is outside every document";

/// Why a worker in a file without a scheduler declines.
const NO_SCHEDULER: &str = "no scheduler Deployment or StatefulSet in this file: the fix of the file holding the scheduler moves these workers into its DaskCluster when both files are among the paths given; else put the stack's documents in one file";

/// The workloads of `file` that run a Dask scheduler, in document order: computed once per
/// pass (the pass's memo keeps their document indices).
fn schedulers_of<'a>(cx: &Context<'_>, file: &'a crate::source::yaml::YamlFile) -> Vec<&'a Node> {
    let indices = cx
        .memo
        .verdict("hand-rolled-to-daskcluster: schedulers", || {
            std::rc::Rc::new(
                file.documents
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        d.root
                            .as_ref()
                            .is_some_and(|r| is_workload(r) && runs_scheduler(r))
                    })
                    .map(|(i, _)| i)
                    .collect::<Vec<usize>>(),
            )
        });
    indices
        .iter()
        .filter_map(|&i| file.documents.get(i).and_then(|d| d.root.as_ref()))
        .collect()
}

/// The document root holding `range`: found by position (documents are in text order),
/// then, should positions not tell, by looking at each.
fn root_at(file: &crate::source::yaml::YamlFile, range: TextRange) -> Option<&Node> {
    let docs = &file.documents;
    let after = docs.partition_point(|d| d.range.start() <= range.start());
    let near = after.saturating_sub(1);
    docs[near..docs.len().min(after + 1)]
        .iter()
        .chain(docs)
        .filter_map(|d| d.root.as_ref())
        .find(|r| r.range.contains_range(range))
}

/// The scheduler of the stack the finding at `range` belongs to (`schedulers`: the file's,
/// in order), and how many schedulers the file has.
fn scheduler_of<'a>(
    roots: &[&'a Node],
    schedulers: &[&'a Node],
    range: TextRange,
) -> Result<(&'a Node, usize), Declined> {
    let found = roots
        .iter()
        .copied()
        .find(|r| r.range.contains_range(range))
        .ok_or_else(|| Declined::new(OUTSIDE))?;
    let services_of = |s: &Node| -> Vec<&'a Node> {
        roots
            .iter()
            .copied()
            .filter(|r| r.get_str("kind") == Some("Service") && selects(r, s))
            .collect()
    };
    let scheduler = if schedulers.iter().any(|s| std::ptr::eq(*s, found)) {
        found
    } else {
        let mut mine = schedulers.iter().copied().filter(|s| {
            let names: Vec<&str> = services_of(s).iter().map(|x| name_of(x)).collect();
            address_strings(found)
                .iter()
                .any(|t| names.iter().any(|n| names_service(t, n)))
        });
        match (mine.next(), mine.next(), schedulers.len()) {
            (Some(s), None, _) => s,
            (None, _, 1) => schedulers[0],
            (None, _, 0) => return Err(Declined::new(NO_SCHEDULER)),
            _ => {
                return Err(Declined::new(
                    "several schedulers in this file and no Service tells which one these workers use",
                ));
            }
        }
    };
    Ok((scheduler, schedulers.len()))
}

/// The stack of `scheduler` among `roots` (`schedulers`: how many schedulers there are).
fn stack_of<'a>(
    roots: &[&'a Node],
    scheduler: &'a Node,
    schedulers: usize,
) -> Result<Stack<'a>, Declined> {
    let services: Vec<&'a Node> = roots
        .iter()
        .copied()
        .filter(|r| r.get_str("kind") == Some("Service") && selects(r, scheduler))
        .collect();
    let names: Vec<&str> = services.iter().map(|s| name_of(s)).collect();
    let workers: Vec<&Node> = roots
        .iter()
        .copied()
        .filter(|r| is_workload(r) && runs_worker(r) && !std::ptr::eq(*r, scheduler))
        .filter(|r| {
            let addresses = address_strings(r);
            if names.is_empty() && schedulers == 1 {
                // No Service to go by: a worker joins the one scheduler unless it names
                // another host (then it belongs to a stack not in view).
                let own = name_of(scheduler);
                return !addresses.iter().any(|t| looks_like_address(t))
                    || addresses.iter().any(|t| names_service(t, own));
            }
            addresses
                .iter()
                .any(|t| names.iter().any(|n| names_service(t, n)))
        })
        .collect();
    if workers.is_empty() {
        return Err(Declined::new(format!(
            "no worker Deployment in this file connects to `{}`: put the stack's documents in one file",
            name_of(scheduler)
        )));
    }
    let homes = vec![None; workers.len()];
    Ok(Stack {
        scheduler,
        service_homes: vec![None; services.len()],
        services,
        workers,
        homes,
        level: 0,
    })
}

/// The built resources as YAML, and what became of each field.
struct BuiltStack {
    name: String,
    namespace: Option<String>,
    yaml: String,
    /// The DaskCluster, then each DaskWorkerGroup, as the API server receives them.
    objects: Vec<serde_json::Value>,
    record: Vec<build::Record>,
}

fn pod_of(root: &Node, service_names: &[&str], drop_address: bool) -> Result<ClassicPod, Declined> {
    let template = root
        .path(&["spec", "template"])
        .ok_or_else(|| Declined::new(format!("`{}` has no pod template", name_of(root))))?;
    let spec_node = template
        .get("spec")
        .ok_or_else(|| Declined::new(format!("`{}` has no pod spec", name_of(root))))?;
    let mut spec: PodSpec = serde_json::from_value(
        super::pod_template_to_daskcluster::without_nulls(validate::to_json(spec_node)),
    )
    .map_err(|e| {
        Declined::new(format!(
            "Kubernetes' types cannot read the pod of `{}` ({e}): fix it first",
            name_of(root)
        ))
    })?;
    if drop_address && let Some(c) = spec.containers.first_mut() {
        for list in [&mut c.command, &mut c.args].into_iter().flatten() {
            list.retain(|w| !service_names.iter().any(|n| names_service(w, n)));
        }
        if let Some(env) = c.env.as_mut() {
            env.retain(|v| {
                !(v.name == "DASK_SCHEDULER_ADDRESS"
                    && v.value
                        .as_deref()
                        .is_some_and(|t| service_names.iter().any(|n| names_service(t, n))))
            });
            if env.is_empty() {
                c.env = None;
            }
        }
    }
    let labels: BTreeMap<String, String> = template
        .path(&["metadata", "labels"])
        .map(Node::string_map)
        .unwrap_or_default();
    let mut sources = BTreeMap::new();
    sources.insert(
        "containers[0].args".to_owned(),
        Source::Span(spec_node.range),
    );
    Ok(ClassicPod {
        spec,
        labels,
        source: Some(Source::Span(root.range)),
        sources,
        ..ClassicPod::default()
    })
}

fn replicas(root: &Node) -> Option<Sourced<i32>> {
    let node = root.path(&["spec", "replicas"])?;
    Some(Sourced::new(
        node.as_str()?.parse().ok()?,
        Source::Span(node.range),
    ))
}

fn cluster_name(scheduler: &Node) -> String {
    let n = name_of(scheduler);
    let base = n
        .strip_suffix("-scheduler")
        .filter(|b| !b.is_empty())
        .unwrap_or(n);
    rfc1123_label(base, 53)
}

/// `live`: the stack was read from a cluster, not a file; no text fix loop runs after it, so
/// the builder makes each workload's command run on its image's `distributed` (`new_cli`
/// when the image does not say).
fn build_stack(stack: &Stack<'_>, new_cli: bool, live: bool) -> Result<BuiltStack, Declined> {
    let name = cluster_name(stack.scheduler);
    let namespace = stack
        .scheduler
        .path(&["metadata", "namespace"])
        .and_then(Node::as_str)
        .map(str::to_owned);
    // Without a Service in the file, workers usually name the scheduler's own name (the
    // recipe's Service is named after its Deployment).
    let mut names = stack.service_names();
    if names.is_empty() {
        names.push(name_of(stack.scheduler));
    }
    let options = Options { new_cli };
    let mut record = Vec::new();
    let mut docs = Vec::new();
    let mut objects = Vec::new();
    let mut groups = Vec::new();
    for (i, w) in stack.workers.iter().enumerate() {
        let (group_name, group) = if i == 0 {
            (name.clone(), false)
        } else {
            (rfc1123_label(&format!("{name}-{}", name_of(w)), 53), true)
        };
        let mut c = ClassicCluster::new(
            Sourced::new(group_name, Source::Span(w.range)),
            pod_of(w, &names, true)?,
        );
        c.namespace = namespace
            .clone()
            .map(|n| Sourced::new(n, Source::Span(stack.scheduler.range)));
        c.replicas = replicas(w);
        let options = on_cli(&mut c, options, live, &mut record);
        if group {
            let built = build::worker_group(&c, &name, options)?;
            let prefix = built.resource.metadata.name.clone().unwrap_or_default();
            record.extend(built.record.into_iter().map(|mut r| {
                r.field = format!("{prefix}: {}", r.field);
                r
            }));
            groups.push(built.resource);
            continue;
        }
        c.scheduler = SchedulerPod::Own(Box::new(pod_of(stack.scheduler, &names, false)?));
        c.service_type = stack.services.first().map(|s| {
            Sourced::new(
                s.path(&["spec", "type"])
                    .and_then(Node::as_str)
                    .unwrap_or("ClusterIP")
                    .to_owned(),
                Source::Span(s.range),
            )
        });
        let options = on_cli(&mut c, options, live, &mut record);
        let built = build::cluster(&c, options)?;
        record.extend(built.record);
        docs.push(to_yaml(&built.resource).map_err(|e| Declined::new(e.to_string()))?);
        objects.push(to_json(&built.resource));
        let problems: Vec<String> = validate::resource(&to_json(&built.resource))
            .into_iter()
            .filter(|p| p.level == validate::Level::Error)
            .map(|p| p.to_string())
            .collect();
        if let Some(p) = problems.first() {
            return Err(Declined::new(format!(
                "the DaskCluster would be invalid: {p}"
            )));
        }
    }
    for g in &mut groups {
        g.metadata.namespace = namespace.clone();
        docs.push(to_yaml(g).map_err(|e| Declined::new(e.to_string()))?);
        objects.push(to_json(g));
    }
    Ok(BuiltStack {
        name,
        namespace,
        yaml: docs.join("---\n"),
        objects,
        record,
    })
}

/// What [`from_live`] builds for one stack: the operator resources (the DaskCluster first),
/// what they replace in words, and the migration report as JSON.
pub type LiveStack = (Vec<serde_json::Value>, String, serde_json::Value);

/// For a live stack: the options of the image in play, and the commands made to run on it.
fn on_cli(
    c: &mut ClassicCluster,
    options: Options,
    live: bool,
    record: &mut Vec<build::Record>,
) -> Options {
    if !live {
        return options;
    }
    let new_cli = build::image_has_new_cli(c.worker.image()).unwrap_or(options.new_cli);
    record.extend(build::normalise_commands(c, new_cli));
    Options { new_cli }
}

/// A hand-run stack found among live objects of one namespace (Deployments, StatefulSets
/// and Services as YAML trees): for each scheduler workload, the operator resources that
/// replace it and its workers (the DaskCluster first), with a sentence naming what they
/// replace and the migration report (`migrate::migration_report`, JSON); or why not.
pub fn from_live(roots: &[&Node], new_cli: bool) -> Vec<Result<LiveStack, Declined>> {
    let schedulers: Vec<&Node> = roots
        .iter()
        .copied()
        .filter(|r| is_workload(r) && runs_scheduler(r))
        .collect();
    schedulers
        .iter()
        .map(|s| {
            let stack = stack_of(roots, s, schedulers.len())?;
            let built = build_stack(&stack, new_cli, true)?;
            let from = format!(
                "hand-run {} `{}` with {} worker workload(s)",
                s.get_str("kind").unwrap_or("Deployment"),
                name_of(s),
                stack.workers.len()
            );
            let mut steps = vec![format!(
                "Point clients at `tcp://{}-scheduler.{}:8786` instead of `{}`.",
                built.name,
                built.namespace.as_deref().unwrap_or("<namespace>"),
                stack.old_address()
            )];
            let mut members: Vec<String> = std::iter::once(stack.scheduler)
                .chain(stack.workers.iter().copied())
                .map(|w| format!("{} `{}`", w.get_str("kind").unwrap_or("Deployment"), name_of(w)))
                .collect();
            members.extend(stack.services.iter().map(|s| format!("Service `{}`", name_of(s))));
            steps.push(format!(
                "Once the DaskCluster runs, delete {} and the Services selecting the scheduler (`dusk apply --from-cluster --prune-classic` lists and deletes them).",
                members.join(", ")
            ));
            // Live trees have no file: name the workload each field came from instead.
            let kind_name = |w: &Node| {
                format!(
                    "{} {}/{}",
                    w.get_str("kind").unwrap_or("Deployment"),
                    built.namespace.as_deref().unwrap_or(""),
                    name_of(w)
                )
            };
            let fields = built
                .record
                .iter()
                .cloned()
                .map(|mut r| {
                    if let Some(Source::Span(_)) = r.source {
                        let group = stack
                            .workers
                            .iter()
                            .skip(1)
                            .find(|w| r.field.contains(&format!("-{}: ", name_of(w))));
                        let from = if let Some(w) = group {
                            kind_name(w)
                        } else if r.field.starts_with("scheduler")
                            || matches!(r.field.as_str(), "name" | "namespace")
                        {
                            kind_name(stack.scheduler)
                        } else {
                            kind_name(stack.workers[0])
                        };
                        r.source = Some(Source::Live(from));
                    }
                    r
                })
                .collect();
            let report = crate::migrate::migration_report::MigrationReport {
                from: from.clone(),
                kind: crate::migrate::migration_report::DASK_CLUSTER,
                cluster: built.name.clone(),
                namespace: built.namespace.clone(),
                old_address: Some(stack.old_address()),
                fields,
                steps,
            };
            Ok((built.objects, from, report.to_json()))
        })
        .collect()
}

/// A hand-run stack found among live objects: the DaskCluster's name and the workloads it
/// replaces (`(kind, name)`, the scheduler first), for `--prune-classic`.
pub struct LiveMembers {
    pub cluster: String,
    pub workloads: Vec<(String, String)>,
    /// The scheduler's pod labels, to find the Services selecting it.
    pub scheduler_labels: BTreeMap<String, String>,
}

/// The members of each hand-run stack among `roots` (as [`from_live`] finds them).
pub fn live_members(roots: &[&Node]) -> Vec<LiveMembers> {
    let schedulers: Vec<&Node> = roots
        .iter()
        .copied()
        .filter(|r| is_workload(r) && runs_scheduler(r))
        .collect();
    schedulers
        .iter()
        .filter_map(|s| {
            let stack = stack_of(roots, s, schedulers.len()).ok()?;
            let workloads = std::iter::once(stack.scheduler)
                .chain(stack.workers.iter().copied())
                .map(|w| {
                    (
                        w.get_str("kind").unwrap_or("Deployment").to_owned(),
                        name_of(w).to_owned(),
                    )
                })
                .collect();
            let scheduler_labels = stack
                .scheduler
                .path(&["spec", "template", "metadata", "labels"])
                .map(Node::string_map)
                .unwrap_or_default();
            Some(LiveMembers {
                cluster: cluster_name(stack.scheduler),
                workloads,
                scheduler_labels,
            })
        })
        .collect()
}

/// A file the report looks for clients in: how it is shown, its text, its documents and
/// which file beside the scheduler's it is (`None`: the scheduler's).
type Shown<'a, 'b> = (&'a str, &'a str, &'a [&'b Node], Option<usize>);

/// The migration report, as comments above the DaskCluster. `files`: the scheduler's file,
/// then the files beside it that were read, where clients of the old address are looked for.
fn report(
    stack: &Stack<'_>,
    built: &BuiltStack,
    files: &[Shown<'_, '_>],
    loaded: &[Beside],
    steps: &[String],
) -> String {
    let ns = built.namespace.as_deref().unwrap_or("<namespace>");
    let old = stack.old_address();
    let shown = |nodes: &[&Node], homes: &[Option<usize>]| -> Vec<String> {
        nodes
            .iter()
            .zip(homes)
            .map(|(w, h)| match h.map(|h| &loaded[h].name) {
                Some(file) => format!("`{}` (in `{file}`)", name_of(w)),
                None => format!("`{}`", name_of(w)),
            })
            .collect()
    };
    let workers = shown(&stack.workers, &stack.homes);
    let services = shown(&stack.services, &stack.service_homes);
    let mut lines = vec![
        format!(
            "Migrated by `dusk fix` from the hand-written {} `{}`, Service(s) {} and worker(s) {}.",
            stack.scheduler.get_str("kind").unwrap_or("Deployment"),
            name_of(stack.scheduler),
            if services.is_empty() {
                "(none)".to_owned()
            } else {
                services.join(", ")
            },
            if workers.is_empty() {
                "(none)".to_owned()
            } else {
                workers.join(", ")
            },
        ),
        format!(
            "The scheduler moves from `{old}` to `{}-scheduler.{ns}:8786` (dashboard: port 8787).",
            built.name
        ),
    ];
    let new_service = format!("{}-scheduler", built.name);
    if stack.service_names().contains(&new_service.as_str()) {
        lines.push(format!(
            "The operator's Service keeps the name `{new_service}`, so clients in the namespace keep their address; delete the old Deployments and Service before applying this, or the operator cannot create it."
        ));
    } else {
        lines.push(format!(
            "Delete the old objects once the DaskCluster runs; the operator creates Service `{new_service}`."
        ));
    }
    let in_stack = |r: &Node| {
        std::ptr::eq(r, stack.scheduler)
            || stack
                .services
                .iter()
                .chain(&stack.workers)
                .any(|s| std::ptr::eq(r, *s))
    };
    let names = stack.service_names();
    for (shown, text, roots, home) in files {
        // A document as the lines name it, and the file as they name it.
        let describe = |r: &Node| {
            format!(
                "{} `{}` ({})",
                r.get_str("kind").unwrap_or("document"),
                name_of(r),
                crate::migrate::line_of(text, r.range.start())
            )
        };
        let place = match home {
            None => (*shown).to_owned(),
            Some(_) => format!("`{shown}`"),
        };
        let clients: Vec<String> = roots
            .iter()
            .filter(|r| !in_stack(r))
            .filter(|r| {
                let text = &text[r.range.as_range()];
                names
                    .iter()
                    .any(|n| text.contains(&format!("{n}:")) || text.contains(&format!("//{n}.")))
            })
            .map(|r| describe(r))
            .collect();
        if !clients.is_empty() {
            lines.push(format!(
                "Documents of {place} that name the old address: {}.",
                clients.join(", ")
            ));
        }
        // An Ingress (or route) sending traffic to the old Service by name.
        let backends: Vec<String> = roots
            .iter()
            .filter(|r| !in_stack(r))
            .filter(|r| names.iter().any(|n| names_service_object(r, n)))
            .map(|r| describe(r))
            .collect();
        if !backends.is_empty() {
            lines.push(format!(
                "Documents of {place} that send traffic to Service {} by name: {}; the operator's Service is `{}-scheduler`, its ports `tcp-comm` and `http-dashboard`: point them there.",
                list(&names),
                backends.join(", "),
                built.name,
            ));
        }
    }
    lines.extend(steps.iter().cloned());
    lines.push("What each field became:".into());
    lines.extend(record_lines(&built.record));
    let mut out = String::new();
    for l in lines {
        out.push_str("# ");
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// Each field's fate, one indented line per record, as the migration reports write them.
pub(crate) fn record_lines(record: &[build::Record]) -> Vec<String> {
    record
        .iter()
        .map(|r| {
            let (label, detail) = match &r.fidelity {
                Fidelity::Carried => ("carried", String::new()),
                Fidelity::Transformed(how) => ("transformed", format!(": {how}")),
                Fidelity::Dropped(why) => ("not supported", format!(": {why}")),
                Fidelity::Dependency(what) => ("dependency", format!(": {what}")),
            };
            format!("  `{}`: {label}{detail}", r.field)
        })
        .collect()
}

/// The migration report the comment block (`text` opens with it) writes, as data
/// (`Fix::migration`); each field's line is in the file of the workload it came from.
fn migration_json(
    cx: &Context<'_>,
    stack: &Stack<'_>,
    built: &BuiltStack,
    text: &str,
    loaded: &[Beside],
) -> serde_json::Value {
    use crate::migrate::migration_report::{CommentIn, MigrationReport, lines_in, shown};
    let lines: Vec<&str> = text
        .lines()
        .map_while(|l| l.strip_prefix('#'))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    let report = MigrationReport::from_comment(
        format!(
            "hand-written {} `{}` with {} worker workload(s)",
            stack.scheduler.get_str("kind").unwrap_or("Deployment"),
            name_of(stack.scheduler),
            stack.workers.len()
        ),
        built.name.clone(),
        built.namespace.clone(),
        Some(stack.old_address()),
        &lines,
        &built.record,
    );
    let shown = shown(cx.path);
    let here = lines_in(&shown, cx.text);
    let beside: Vec<Option<_>> = loaded
        .iter()
        .map(|l| l.text.as_ref().map(|t| lines_in(&t.display, &t.text)))
        .collect();
    // As `from_live` tells them apart: a group's fields name its Deployment, the
    // scheduler's start with `scheduler`, the rest are the first worker's.
    let home_of = |field: &str| -> Option<usize> {
        if field.starts_with("scheduler") || matches!(field, "name" | "namespace") {
            return None;
        }
        if field == "service_type" {
            return stack.service_homes.first().copied().flatten();
        }
        let i = stack
            .workers
            .iter()
            .skip(1)
            .position(|w| field.contains(&format!("-{}: ", name_of(w))))
            .map_or(0, |i| i + 1);
        stack.homes.get(i).copied().flatten()
    };
    let mut json = report.to_file_json(&CommentIn::FixedFile, &|_| None);
    if let Some(fields) = json["fields"].as_array_mut() {
        for (f, r) in fields.iter_mut().zip(&built.record) {
            if let Some(crate::extract::classic::Source::Span(range)) = r.source {
                let at = match home_of(&r.field) {
                    None => here(range),
                    Some(i) => beside
                        .get(i)
                        .and_then(|b| b.as_ref())
                        .and_then(|b| b(range)),
                };
                if let Some(at) = at {
                    f["source"] = serde_json::json!(at);
                }
            }
        }
    }
    json
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        return "(none)".into();
    }
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_at_separator_lines() {
        let text = "a: 1\n---\n# c\nb: 2\n--- # x\nc: 3\n";
        let s = segments(text);
        assert_eq!(s.len(), 3);
        assert_eq!(&text[s[0].content.as_range()], "a: 1\n");
        assert_eq!(&text[s[1].content.as_range()], "# c\nb: 2\n");
        assert_eq!(
            &text[s[2].separator_before.unwrap().as_range()],
            "--- # x\n"
        );
        assert_eq!(&text[s[2].content.as_range()], "c: 3\n");
    }

    #[test]
    fn service_hosts() {
        assert!(names_service("dask-scheduler:8786", "dask-scheduler"));
        assert!(names_service(
            "tcp://dask-scheduler.data.svc:8786",
            "dask-scheduler"
        ));
        assert!(!names_service("dask-scheduler-2:8786", "dask-scheduler"));
        assert!(!names_service("--nthreads", "dask-scheduler"));
    }
}
