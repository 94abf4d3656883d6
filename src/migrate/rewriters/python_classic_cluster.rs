//! `python-classic-cluster`: use the operator's `KubeCluster` instead of the classic one.
//!
//! ## What it rewrites
//! - `from dask_kubernetes import KubeCluster` (and the `classic`/`core` paths): imported
//!   from `dask_kubernetes.operator`; a statement importing other names keeps them and a new
//!   statement follows. Attribute chains in code (`dask_kubernetes.KubeCluster`) likewise.
//! - `KubeCluster(pod_template, …)`, `KubeCluster(pod_template=…)`,
//!   `KubeCluster.from_yaml(path, …)`, `KubeCluster.from_dict(spec, …)`: the template becomes
//!   `custom_cluster_spec=…` (a pod dict literal of the file, inline or bound to a name used
//!   only there, is rewritten in place as the DaskCluster the one builder makes of it, named
//!   from the call's literal `name=`; without one, or with values that are not literals,
//!   the call is declined); other positional arguments get their classic names; `name`,
//!   `namespace`, `n_workers`, `env` and `idle_timeout` stay (a literal time string such as
//!   `"5 minutes"` becomes integer seconds, as the operator wants); classic-only keywords are
//!   removed, each with a `# dusk: removed …` comment above the statement.
//! - `scheduler_pod_template=` is the DaskCluster's `spec.scheduler.spec` (dask-facts §4.1),
//!   not a keyword without equivalent: a literal path beside a literal worker template path
//!   is read and carried into the DaskCluster the worker template becomes (its service
//!   account, node placement, env, resources, labels; the args the operator's scheduler
//!   runs), and the keyword leaves the call without a comment. The scheduler's file is
//!   kept, never deleted: no code loads it once migrated, so the fix puts a `# dusk:` note
//!   on top saying so (`no_longer_loaded`; none while other code of the run loads it too),
//!   and its `classic-scheduler-pod-template` finding stays in `check` and `fix` alike for
//!   a person to delete the file. A pod written in the code beside a literal worker template
//!   path — a dict literal in the API form the classic class read, a `make_pod_spec(...)`
//!   call, or a name last bound to one of them before the call — is carried the same way
//!   (`scheduler_in_code`); such a dict or call holding a value that is not a literal
//!   declines the call, naming its line. Any other value (an expression, a pod beside a
//!   template that is not a file) is removed with a comment saying to move it into the
//!   DaskCluster's scheduler spec by hand.
//!
//! ## Output
//! Text edits on the call's arguments and the import; the rest of the line is untouched.
//! A template given as a file path (`from_yaml("k8s/worker.yaml")`, `KubeCluster("…")`) is
//! the other half of the same fix: the file becomes a DaskCluster named from the call's
//! `name=` (`pod_template_to_daskcluster::migrate_loaded`), and the fix carries both files'
//! changes (`Fix::elsewhere`), written together or not at all. The call is declined, with
//! the reason, when that file is missing, outside the paths given, or its migration is
//! declined — or when the scheduler template it passes is missing, outside the paths given
//! or not one classic pod template; and the import stays while such a call uses it.
//! Imports and chains move only once no call or keyword fix is pending in the file, so
//! calls are migrated while they still resolve to the classic class.
//!
//! A call whose template becomes a DaskCluster (a file it loads, a pod dict in the code)
//! carries the migration report (`Fix::migration`): the builder's record of the DaskCluster,
//! the call's keywords with their fates (`n_workers`, `env`, `idle_timeout` are ignored by the
//! operator's `KubeCluster` beside `custom_cluster_spec=`, which it creates as given), and the
//! steps left for a person. It is only data: neither the code nor the template file it loads
//! gets a comment (several calls may load one file).
//!
//! ## Fix safety
//! Unsafe: `custom_cluster_spec` needs a DaskCluster, so the template it names must be
//! migrated too (`pod-template-to-daskcluster` does that for YAML files, `python-make-pod-spec`
//! for `make_pod_spec` calls); dropped keywords change behaviour; the operator deletes an
//! idle cluster where the classic one only stopped its scheduler.
//!
//! ## Not handled
//! Templates passed through `**kwargs`, `from_yaml` with a path that is not a literal
//! string (declined: the file cannot be migrated with it), more positional arguments than
//! the classic signature has, `import dask_kubernetes.classic` module objects, and idle timeouts that are not a
//! literal string.

use crate::migrate::python_text::{
    ancestor, comment_above, items, move_import, node_at, plain_string, range, shorten, taken_name,
    text_of,
};
use crate::migrate::{Context, Declined, OrDecline};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::{Field, FieldChild as _, KindName as _};
use tree_sitter::Node;

pub const OPERATOR: &str = crate::dask::OPERATOR_MODULE;

/// The classic constructor's parameters, in order.
const CLASSIC_PARAMS: &[&str] = &[
    "pod_template",
    "name",
    "namespace",
    "n_workers",
    "host",
    "port",
    "env",
    "auth",
    "idle_timeout",
    "deploy_mode",
    "interface",
    "protocol",
    "dashboard_address",
    "security",
    "scheduler_service_wait_timeout",
    "scheduler_service_name_resolution_retries",
    "scheduler_pod_template",
    "apply_default_affinity",
];

/// Keywords the operator's KubeCluster does not take.
const CLASSIC_ONLY: &[&str] = crate::dask::CLASSIC_ONLY_KEYWORDS;

/// The classic scheduler's pod template: the DaskCluster's `spec.scheduler.spec`.
const SCHEDULER_TEMPLATE: &str = "scheduler_pod_template";

/// Rewriters whose pending call or keyword fixes an import move must wait for.
pub const CALL_REWRITERS: &[&str] = &[
    "python-classic-cluster",
    "python-make-pod-spec",
    "python-remove-keyword",
];

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let doc = cx.python_doc()?;
    let node = node_at(doc, cx.range).or_decline("the finding is not at Python code")?;
    if node.kind_name() == "call" {
        return constructor(cx, node);
    }
    if calls_pending(cx) {
        return Err(Declined::new(
            "the import moves once the classic calls that use it are migrated: \
             fix those first (they are listed too)",
        ));
    }
    // A classic call no fix can migrate would be left calling a method or passing a
    // template the operator's class does not have: the import stays with it.
    if let Some(why) = call_declined(cx) {
        return Err(why);
    }
    let mut taken = None;
    let edits = if ancestor(node, &["import_from_statement"]).is_some() {
        taken = taken_name(doc, cx.range);
        if !text_of(cx.text, node).ends_with("KubeCluster") {
            return Err(Declined::new(
                "only the `KubeCluster` name of this import moves to the operator: \
                 change the rest by hand",
            ));
        }
        move_import(
            cx.text,
            doc,
            cx.range,
            cx.cell_range(cx.range.start()),
            OPERATOR,
            None,
        )
        .or_decline("the import is written in a form dusk cannot split: change it by hand")?
    } else if node.kind_name() == "attribute" && text_of(cx.text, node).ends_with(".KubeCluster") {
        // `dk.KubeCluster`, `dask_kubernetes.KubeCluster`, `classic.KubeCluster`: the full
        // path needs `dask_kubernetes` bound and its `operator` submodule loaded, which no
        // import of the package alone does.
        // A chain through the package itself (`dk.KubeCluster` behind `import dask_kubernetes
        // as dk`) keeps its name: `dk.operator.KubeCluster`, so the import stays in use.
        let chain = text_of(cx.text, node);
        let root = chain.split('.').next().unwrap_or("");
        let through_package = chain == format!("{root}.KubeCluster")
            && binds_package(cx.text, doc, root, "dask_kubernetes");
        let path = if through_package {
            format!("{root}.operator.KubeCluster")
        } else {
            format!("{OPERATOR}.KubeCluster")
        };
        let mut edits = vec![Edit::replace(range(node), path)];
        // `from dask_kubernetes import classic` used only here would import a module that no
        // longer exists: it goes with its last use.
        if !through_package {
            edits.extend(super::python_remove_keyword::imports_only_used_in(cx, node));
        }
        if !imports_module(cx.text, doc, OPERATOR) {
            // Where the package's old import is, keeping the file's import order.
            let import = format!("import {OPERATOR}");
            edits.push(
                super::python_make_pod_spec::new_import(cx, doc, &import)
                    .or_decline("no import to put `import dask_kubernetes.operator` beside")?,
            );
        }
        edits
    } else {
        return Err(Declined::new(format!(
            "`{}` is not an import, attribute or call of the classic `KubeCluster` dusk can \
             rewrite: change it by hand",
            shorten(text_of(cx.text, node))
        )));
    };
    Ok(Fix::new(
        edits,
        Applicability::Unsafe,
        format!("import `KubeCluster` from `{OPERATOR}`"),
    )
    .taking(taken))
}

/// Whether `local` is bound by `import <package>` or `import <package> as <local>`.
fn binds_package(
    text: &str,
    doc: &crate::source::python::PyDocument,
    local: &str,
    package: &str,
) -> bool {
    items(doc.tree.root_node()).into_iter().any(|stmt| {
        stmt.kind_name() == "import_statement" && {
            let mut cursor = stmt.walk();
            stmt.fields(Field::Name, &mut cursor)
                .any(|n| match n.kind_name() {
                    "aliased_import" => {
                        n.field(Field::Name).map(|m| text_of(text, m)) == Some(package)
                            && n.field(Field::Alias).map(|a| text_of(text, a)) == Some(local)
                    }
                    _ => text_of(text, n) == package && package == local,
                })
        }
    })
}

/// Whether a top-level `import <module>` is in the file.
pub(crate) fn imports_module(
    text: &str,
    doc: &crate::source::python::PyDocument,
    module: &str,
) -> bool {
    items(doc.tree.root_node()).into_iter().any(|stmt| {
        stmt.kind_name() == "import_statement" && {
            let mut cursor = stmt.walk();
            stmt.fields(Field::Name, &mut cursor)
                .any(|n| text_of(text, n) == module)
        }
    })
}

/// Whether a call or keyword finding that an import move would hide still has a fix to
/// apply (its rewriter, asked now, gives one).
/// Asked for imports and attribute chains, never for a call, so the answer is the file's:
/// it is computed once per pass.
pub fn calls_pending(cx: &Context<'_>) -> bool {
    let Some(doc) = cx.python() else {
        return false;
    };
    let pending = || {
        cx.pending.iter().any(|(rule, r)| {
            let Some(name) = rule.fix.as_ref().map(|f| f.rewriter.as_str()) else {
                return false;
            };
            CALL_REWRITERS.contains(&name)
                && *r != cx.range
                && node_at(doc, *r)
                    .is_some_and(|n| matches!(n.kind_name(), "call" | "keyword_argument"))
                && crate::migrate::rewriter(name)
                    .is_some_and(|rewrite| cx.memo.makes(rewrite, &cx.for_finding(rule, *r)))
        })
    };
    cx.memo.verdict("classic calls pending", pending)
}

/// Why a classic `KubeCluster` call of this file cannot be migrated, if one cannot: the
/// call's own reason, with its line. (Asked for imports and chains, never for a call.)
fn call_declined(cx: &Context<'_>) -> Option<Declined> {
    let (_, why) = blocked_call(cx)?;
    Some(Declined::new(format!(
        "the import stays while a classic call that uses it cannot be migrated ({why})"
    )))
}

/// A call's fix, made only while every other classic call of the file can be migrated too:
/// one that cannot keeps the import classic, and a classic class called with the operator's
/// arguments fails where the old call ran.
fn constructor(cx: &Context<'_>, call: Node<'_>) -> Result<Fix, Declined> {
    let fix = cx
        .memo
        .take(own_fix_key(), cx)
        .unwrap_or_else(|| own_fix(cx, call))?;
    // File-wide, as the import's own rule (`call_declined`) is: a blocked call keeps the
    // classic import, and every name it binds, classic. (This call is not the blocked one:
    // its own fix is made.)
    let Some((at, _)) = blocked_call(cx) else {
        return Ok(fix);
    };
    Err(Declined::new(format!(
        "the classic call at {} cannot be migrated (its finding says why), so the classic \
         import stays and this call keeps its classic arguments: migrate that call first",
        cx.line(at),
    )))
}

/// The first classic call of the file whose own fix cannot be made: where it starts and
/// why. The same for every finding of the file, so found once per pass.
fn blocked_call(cx: &Context<'_>) -> Option<(usize, String)> {
    let first = || {
        classic_calls(cx)
            .filter(|(_, call)| !passes_custom_spec(cx.text, *call))
            .find_map(|(finding, call)| {
                // Kept for the call's own rewriter call (`constructor`) of this pass.
                let why = finding
                    .memo
                    .keep(own_fix_key(), &finding, || own_fix(&finding, call))
                    .err()?;
                Some((call.start_byte(), why))
            })
    };
    cx.memo.verdict("classic call blocked", first)
}

/// The pending `python-classic-cluster` findings of this pass that are calls: each with its
/// context and its call.
fn classic_calls<'a>(cx: &'a Context<'a>) -> impl Iterator<Item = (Context<'a>, Node<'a>)> + 'a {
    (0..pending_classic_calls(cx).len()).filter_map(move |k| classic_call(cx, k))
}

/// Where [`classic_calls`] come from: by the index of each in `cx.pending`, the range of its
/// call, in the order of `cx.pending`. Found once per pass.
fn pending_classic_calls(cx: &Context<'_>) -> std::rc::Rc<Vec<(usize, TextRange)>> {
    let doc = cx.python();
    cx.memo.verdict("pending classic calls", || {
        let found: Vec<(usize, TextRange)> = cx
            .pending
            .iter()
            .enumerate()
            .filter_map(|(i, (rule, r))| {
                let ours = rule
                    .fix
                    .as_ref()
                    .is_some_and(|f| f.rewriter == "python-classic-cluster");
                let call = node_at(doc?, *r).filter(|n| ours && n.kind_name() == "call")?;
                Some((i, range(call)))
            })
            .collect();
        std::rc::Rc::new(found)
    })
}

/// The `k`th of [`classic_calls`]: its finding's context and its call.
fn classic_call<'a>(cx: &'a Context<'a>, k: usize) -> Option<(Context<'a>, Node<'a>)> {
    let (i, _) = *pending_classic_calls(cx).get(k)?;
    let (rule, r) = cx.pending[i];
    let call = node_at(cx.python()?, r)?;
    Some((cx.for_finding(rule, r), call))
}

/// [`classic_calls`] by the range of their call (the `k` of [`classic_call`], in order),
/// found once per pass: a question about one call (does it stay classic?) asked per finding
/// would otherwise look at every call of the file for every finding (#13).
fn classic_calls_at(cx: &Context<'_>, call: TextRange) -> Vec<usize> {
    type ByRange = std::rc::Rc<foldhash::HashMap<TextRange, Vec<usize>>>;
    let by_range: ByRange = cx.memo.verdict("pending classic calls by range", || {
        let mut by_range: foldhash::HashMap<TextRange, Vec<usize>> = foldhash::HashMap::default();
        for (k, (_, r)) in pending_classic_calls(cx).iter().enumerate() {
            by_range.entry(*r).or_default().push(k);
        }
        std::rc::Rc::new(by_range)
    });
    by_range.get(&call).cloned().unwrap_or_default()
}

/// The [`classic_calls`] (their `k`, in order) that `builder`'s pod goes to ([`fed_by`]),
/// from one look at every classic call's arguments per pass: asked per `make_pod_spec(...)`
/// call, a look at every classic call each made a file of N builders and N calls cost N²
/// (#13).
fn fed_calls(cx: &Context<'_>, builder: Node<'_>) -> Vec<usize> {
    type ByBuilder = std::rc::Rc<foldhash::HashMap<TextRange, Vec<usize>>>;
    let by_builder: ByBuilder = cx.memo.verdict("classic calls by the pod they take", || {
        let mut by_builder: foldhash::HashMap<TextRange, Vec<usize>> = foldhash::HashMap::default();
        let Some(doc) = cx.python() else {
            return std::rc::Rc::new(by_builder);
        };
        for k in 0..pending_classic_calls(cx).len() {
            let Some((_, user)) = classic_call(cx, k) else {
                continue;
            };
            for builder in fed_by(cx, doc, user) {
                let users = by_builder.entry(builder).or_default();
                if users.last() != Some(&k) {
                    users.push(k);
                }
            }
        }
        std::rc::Rc::new(by_builder)
    });
    if builder.kind_name() != "call" {
        return Vec::new();
    }
    by_builder.get(&range(builder)).cloned().unwrap_or_default()
}

/// Whether a call passes `custom_cluster_spec=` (its own fix is made).
fn passes_custom_spec(text: &str, call: Node<'_>) -> bool {
    call.field(Field::Arguments).is_some_and(|a| {
        items(a).iter().any(|i| {
            i.field(Field::Name)
                .is_some_and(|n| text_of(text, n) == "custom_cluster_spec")
        })
    })
}

/// Whether the classic `call` stays classic in this run: its constructor finding is pending
/// and that fix is declined. Its classic-only keywords then stay with it (they still mean
/// what they meant to the classic class).
pub(crate) fn stays_classic(cx: &Context<'_>, call: Node<'_>) -> bool {
    !passes_custom_spec(cx.text, call)
        && classic_calls_at(cx, range(call))
            .into_iter()
            .filter_map(|k| classic_call(cx, k))
            .any(|(finding, c)| c.id() == call.id() && constructor(&finding, call).is_err())
}

/// [`own_fix`], as [`crate::migrate::Memo`] keys what it made.
fn own_fix_key() -> usize {
    own_fix as fn(&Context<'_>, Node<'_>) -> Result<Fix, Declined> as usize
}

/// The fix of one call on its own (its arguments, and the template file it loads).
fn own_fix(cx: &Context<'_>, call: Node<'_>) -> Result<Fix, Declined> {
    let text = cx.text;
    let at = cx.line(call.start_byte());
    let function = call
        .field(Field::Function)
        .or_decline("the call has no function")?;
    let args = call
        .field(Field::Arguments)
        .filter(|a| a.kind_name() == "argument_list")
        .or_decline_with(|| {
            format!("the call at {at} passes a generator, not arguments: rewrite it by hand")
        })?;
    let method = (function.kind_name() == "attribute")
        .then(|| function.field(Field::Attribute))
        .flatten()
        .map(|a| text_of(text, a));
    let from_method = matches!(method, Some("from_yaml" | "from_dict"));
    let mut edits = Vec::new();
    if from_method {
        let object = function
            .field(Field::Object)
            .or_decline("the method has no object")?;
        edits.push(Edit::delete(TextRange::new(
            object.end_byte(),
            function.end_byte(),
        )));
    }
    let list = items(args);
    let mut removed = vec![false; list.len()];
    let mut comments = Vec::new();
    // `scheduler_pod_template=`: its value, and the argument as written.
    let mut scheduler = None;
    let mut positional = 0;
    // Each argument as the classic parameter it fills, for the migration report.
    let mut given: Vec<(&str, Node<'_>)> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        match item.kind_name() {
            "keyword_argument" => {
                let name_node = item
                    .field(Field::Name)
                    .or_decline("a keyword argument has no name")?;
                let name = text_of(text, name_node);
                given.push((name, *item));
                if name == "pod_template" {
                    edits.push(Edit::replace(range(name_node), "custom_cluster_spec"));
                } else if name == SCHEDULER_TEMPLATE {
                    removed[i] = true;
                    scheduler = item
                        .field(Field::Value)
                        .map(|v| (v, shorten(text_of(text, *item))));
                } else if CLASSIC_ONLY.contains(&name) {
                    removed[i] = true;
                    comments.push(shorten(text_of(text, *item)));
                } else if name == "idle_timeout"
                    && let Some(value) = item.field(Field::Value)
                    && let Some(seconds) = plain_string(text, value).as_deref().and_then(seconds)
                {
                    edits.push(Edit::replace(range(value), seconds.to_string()));
                }
            }
            "list_splat" | "dictionary_splat" => {}
            _ => {
                let param = match positional {
                    0 => "custom_cluster_spec",
                    p if !from_method => CLASSIC_PARAMS.get(p).copied().or_decline_with(|| {
                        format!(
                            "the call at {at} passes more positional arguments than the \
                             classic `KubeCluster` takes: name them and rerun"
                        )
                    })?,
                    _ => {
                        return Err(Declined::new(format!(
                            "`{}` at {at} takes one positional argument, this call passes \
                             more: name them and rerun",
                            method.unwrap_or("from_yaml")
                        )));
                    }
                };
                positional += 1;
                given.push((param, *item));
                if param == SCHEDULER_TEMPLATE {
                    removed[i] = true;
                    scheduler = Some((*item, format!("{param}={}", shorten(text_of(text, *item)))));
                } else if CLASSIC_ONLY.contains(&param) {
                    removed[i] = true;
                    comments.push(format!("{param}={}", shorten(text_of(text, *item))));
                } else {
                    edits.push(Edit::insert(item.start_byte(), format!("{param}=")));
                }
            }
        }
    }
    edits.extend(remove_many(&list, &removed).into_iter().map(Edit::delete));
    for c in &comments {
        edits.push(comment_above(
            text,
            call,
            &format!("dusk: removed `{c}`: no Dask Operator equivalent"),
        ));
    }
    if edits.is_empty() {
        let keyword = |k: &str| {
            list.iter()
                .any(|i| i.field(Field::Name).is_some_and(|n| text_of(text, n) == k))
        };
        let splat = list
            .iter()
            .any(|i| matches!(i.kind_name(), "list_splat" | "dictionary_splat"));
        return Err(Declined::new(if keyword("custom_cluster_spec") {
            format!(
                "the call at {at} already passes `custom_cluster_spec=`: what is left is its \
                 import (`classic-kubecluster-import` moves it)"
            )
        } else if splat {
            format!(
                "the call at {at} passes its arguments through `*args`/`**kwargs`: pass the \
                 migrated pod template as `custom_cluster_spec=` by hand"
            )
        } else {
            format!(
                "the call at {at} passes no pod template (classic read it from the dask \
                 config): pass a DaskCluster as `custom_cluster_spec=`, or `image=`, by hand"
            )
        }));
    }
    let mut fix = Fix::new(
        edits,
        Applicability::Unsafe,
        "build the operator's KubeCluster from a custom cluster spec",
    );
    // A template given as a file path: the file becomes the DaskCluster the call now
    // loads, in the same fix, or the call is not rewritten at all.
    let template = list.iter().find_map(|item| match item.kind_name() {
        "keyword_argument" => (item.field(Field::Name).map(|n| text_of(text, n))
            == Some("pod_template"))
        .then(|| item.field(Field::Value))
        .flatten(),
        "list_splat" | "dictionary_splat" => None,
        _ => Some(*item),
    });
    if let Some(t) = template {
        classic_pod_migrates(cx, t, call.start_byte())?;
    }
    // A pod dict written in the code becomes the DaskCluster `custom_cluster_spec=` takes.
    let code_report = |record: Vec<crate::migrate::build::Record>, name: &str| {
        call_report(
            cx,
            call,
            &given,
            name,
            record,
            scheduler.as_ref().map(|(v, _)| *v),
        )
    };
    if let Some(t) = template
        && let Some((edit, record, name)) = worker_in_code(cx, call, t, &list, from_method)?
    {
        let report = code_report(
            crate::migrate::migration_report::located(record, &code_at(cx)),
            &name,
        );
        fix.migration.push(report.to_file_json(
            &crate::migrate::migration_report::CommentIn::Nowhere,
            &|_| None,
        ));
        fix.description = format!(
            "build the operator's KubeCluster from a custom cluster spec: the pod dict at {} \
             rewritten as that DaskCluster",
            cx.line(edit.range.start())
        );
        fix.edits.push(edit);
    }
    let path = template.and_then(|t| plain_string(text, t));
    let scheduler_path = scheduler.as_ref().and_then(|(v, _)| plain_string(text, *v));
    let mut carried = false;
    if let Some(path) = path.filter(|_| method != Some("from_dict")) {
        let name = cluster_name_argument(text, &list, from_method);
        // A scheduler pod written in the code (a dict, `make_pod_spec(...)`, a name bound to
        // one) goes into the DaskCluster as a scheduler file would.
        let in_code = match (&scheduler, &scheduler_path) {
            (Some((value, _)), None) => scheduler_in_code(cx, *value, call.start_byte())?,
            _ => None,
        };
        let from_code = in_code.is_some();
        // No comment block in the template: its text is the same whichever code loads it.
        let reporter = |cluster: &str, record: Vec<crate::migrate::build::Record>| {
            (None, code_report(record, cluster))
        };
        let (loaded, report) = loaded_template(
            cx,
            &path,
            scheduler_path.as_deref(),
            in_code,
            name.as_deref(),
            &at,
            &reporter,
        )?;
        if !loaded.is_empty() {
            fix.description = match (&scheduler_path, &scheduler) {
                (Some(s), _) => format!(
                    "build the operator's KubeCluster from `{path}`, migrated to a DaskCluster \
                     with it, whose scheduler spec carries `{s}` (no longer loaded: delete it \
                     once reviewed)"
                ),
                (None, Some((value, _))) if from_code => format!(
                    "build the operator's KubeCluster from `{path}`, migrated to a DaskCluster \
                     with it, whose scheduler spec carries the `{SCHEDULER_TEMPLATE}=` pod at {}",
                    cx.line(value.start_byte())
                ),
                _ => format!(
                    "build the operator's KubeCluster from `{path}`, migrated to a DaskCluster \
                     with it"
                ),
            };
            carried = scheduler_path.is_some() || from_code;
            if let Some(report) = report {
                fix.migration.push(report.to_file_json(
                    &crate::migrate::migration_report::CommentIn::Nowhere,
                    &|_| None,
                ));
            }
            fix.elsewhere.extend(loaded);
        }
    } else if method == Some("from_yaml") && template.is_some() {
        return Err(Declined::new(format!(
            "`from_yaml` at {at} loads a file whose path is not a literal string, so dusk \
             cannot migrate the template with the call: migrate the file (`dusk fix \
             --unsafe-fixes FILE`), then pass it as `custom_cluster_spec=` by hand"
        )));
    }
    // A scheduler template the DaskCluster does not carry is for a person to move.
    if let Some((_, written)) = scheduler.filter(|_| !carried) {
        fix.edits.push(comment_above(
            text,
            call,
            &format!(
                "dusk: removed `{written}`: move that pod into the DaskCluster's \
                 `spec.scheduler.spec` by hand"
            ),
        ));
    }
    // The operator's KubeCluster creates a custom spec as given (dask-kubernetes 2026.3.0
    // `_create_cluster`): these keywords stay and do nothing, which a reviewer must see.
    let ignored: Vec<String> = given
        .iter()
        .filter_map(|(p, item)| {
            let field = match *p {
                "n_workers" => "`spec.worker.replicas`",
                "env" => "the containers' `env`",
                "idle_timeout" => "`spec.idleTimeout`",
                _ => return None,
            };
            Some(format!("`{}` (as {field})", shorten(text_of(text, *item))))
        })
        .collect();
    if !ignored.is_empty() {
        fix.description.push_str(&format!(
            "; the operator ignores {} beside `custom_cluster_spec=`: set {} in the DaskCluster",
            ignored.join(", "),
            if ignored.len() == 1 { "it" } else { "them" }
        ));
    }
    Ok(fix)
}

/// The files a classic call loads as pod templates (`migrate::loads`): its template when
/// it is a literal path (`KubeCluster("worker.yaml")`, `pod_template="worker.yaml"`,
/// `from_yaml("worker.yaml")`; not `from_dict`), and a literal `scheduler_pod_template=`.
/// Empty for a finding that is not such a call.
pub fn loads(cx: &Context<'_>) -> Vec<crate::migrate::loads::Load> {
    use crate::migrate::loads::{Load, Role};
    let text = cx.text;
    let Some(call) = cx
        .python()
        .and_then(|doc| node_at(doc, cx.range))
        .filter(|n| n.kind_name() == "call")
    else {
        return Vec::new();
    };
    let (Some(function), Some(args)) = (
        call.field(Field::Function),
        call.field(Field::Arguments)
            .filter(|a| a.kind_name() == "argument_list"),
    ) else {
        return Vec::new();
    };
    let method = (function.kind_name() == "attribute")
        .then(|| function.field(Field::Attribute))
        .flatten()
        .map(|a| text_of(text, a));
    let form = shorten(text_of(text, function));
    let mut out = Vec::new();
    let mut positional = 0;
    for item in items(args) {
        let (param, value) = match item.kind_name() {
            "keyword_argument" => (
                item.field(Field::Name).map_or("", |n| text_of(text, n)),
                item.field(Field::Value),
            ),
            "list_splat" | "dictionary_splat" => continue,
            _ => {
                positional += 1;
                let param = match positional - 1 {
                    0 => "pod_template",
                    p => CLASSIC_PARAMS.get(p).copied().unwrap_or(""),
                };
                (param, Some(item))
            }
        };
        let role = match param {
            "pod_template" if method != Some("from_dict") => Role::Worker,
            SCHEDULER_TEMPLATE => Role::Scheduler,
            _ => continue,
        };
        if let Some(written) = value.and_then(|v| plain_string(text, v)) {
            let form = match role {
                Role::Worker => format!("`{form}`"),
                Role::Scheduler => format!("`{form}(..., {SCHEDULER_TEMPLATE}=...)`"),
            };
            out.push(Load {
                written,
                role,
                form,
            });
        }
    }
    out
}

/// The scheduler pod a `scheduler_pod_template=` value writes in the code: a dict literal
/// (the API form the classic class read), a `make_pod_spec(...)` call, or a name last bound
/// to one of them before the call (`before`). `Ok(None)` for any other expression (a person
/// moves it; the keyword's comment says so); `Err` for a dict or call dusk cannot evaluate.
fn scheduler_in_code(
    cx: &Context<'_>,
    value: Node<'_>,
    before: usize,
) -> Result<Option<crate::extract::classic::ClassicPod>, Declined> {
    use crate::extract::classic::{Source, Sourced};
    use crate::extract::python::make_pod_spec;
    let Some(doc) = cx.python() else {
        return Ok(None);
    };
    let text = cx.text;
    let node = match value.kind_name() {
        "identifier" => match last_assigned(cx, doc, text_of(text, value), before) {
            Some(bound) => bound,
            None => return Ok(None),
        },
        _ => value,
    };
    let at = cx.line(node.start_byte());
    let cannot = |what: &str| {
        Declined::new(format!(
            "the scheduler pod template at {at} {what}, which dusk cannot evaluate to carry it \
             into the DaskCluster's `spec.scheduler.spec`: write it with literals, or move it \
             there by hand"
        ))
    };
    let span = Source::Span(range(node));
    let pod = match node.kind_name() {
        "dictionary" => {
            let json = make_pod_spec::json_literal(text, node)
                .ok_or_else(|| cannot("holds values that are not literals"))?;
            pod_of_dict(&json, span)
                .map_err(|why| cannot(&format!("is not a pod Kubernetes accepts ({why})")))?
        }
        "call"
            if node
                .field(Field::Function)
                .is_some_and(|f| text_of(text, f).rsplit('.').next() == Some("make_pod_spec")) =>
        {
            let arguments = node
                .field(Field::Arguments)
                .and_then(|a| make_pod_spec::arguments(text, a))
                .ok_or_else(|| cannot("passes arguments `make_pod_spec` does not take"))?;
            let name = Sourced::new("scheduler".to_owned(), span);
            let produced = make_pod_spec::produce(text, node, &arguments, name)
                .map_err(|why| cannot(&format!("is a `make_pod_spec(...)` call that {why}")))?;
            let pod = produced.cluster.worker;
            let written = serde_json::to_string(&pod.spec).unwrap_or_default();
            if produced.env_expression.is_some()
                || written.contains('\u{E000}')
                || pod
                    .labels
                    .values()
                    .chain(pod.annotations.values())
                    .any(|v| v.contains('\u{E000}'))
            {
                return Err(cannot("passes expressions to `make_pod_spec(...)`"));
            }
            pod
        }
        _ => return Ok(None),
    };
    Ok(Some(pod))
}

/// A classic pod template given as a pod dict literal (inline, or a name last bound to one
/// before the call and used nowhere else): the edit writing, in its place, the DaskCluster
/// the one builder makes of it, named from the call's literal `name=`. `Ok(None)` when the
/// template is not a pod dict of this file (a path, a name bound elsewhere, an expression:
/// passed on as it is); `Err` for a pod dict dusk cannot carry.
fn worker_in_code(
    cx: &Context<'_>,
    call: Node<'_>,
    template: Node<'_>,
    list: &[Node<'_>],
    from_method: bool,
) -> Result<Option<(Edit, Vec<crate::migrate::build::Record>, String)>, Declined> {
    use crate::extract::classic::{ClassicCluster, Source, Sourced};
    let Some(doc) = cx.python() else {
        return Ok(None);
    };
    let text = cx.text;
    let dict = match template.kind_name() {
        "dictionary" => template,
        "identifier" => {
            let name = text_of(text, template);
            let Some(bound) = last_assigned(cx, doc, name, call.start_byte())
                .filter(|b| b.kind_name() == "dictionary")
            else {
                return Ok(None);
            };
            if let Some(line) = other_use(doc.tree.root_node(), text, name, bound, template) {
                return Err(Declined::new(format!(
                    "the pod template `{name}` is a pod dict that becomes the DaskCluster \
                     `custom_cluster_spec=` takes, and it is used at line {line} too: give \
                     this call a dict of its own, or migrate by hand"
                )));
            }
            bound
        }
        _ => return Ok(None),
    };
    let at = cx.line(dict.start_byte());
    let cannot = |what: String| {
        Declined::new(format!(
            "the pod template at {at} is a pod dict, which must become the DaskCluster \
             `custom_cluster_spec=` takes, and {what}"
        ))
    };
    let Some(json) = crate::extract::python::make_pod_spec::json_literal(text, dict) else {
        return Err(cannot(
            "it holds values that are not literals, which dusk cannot evaluate: write them \
             as literals, or migrate by hand"
                .into(),
        ));
    };
    if json.pointer("/spec/containers").is_none() {
        // Not a pod: a DaskCluster dict already, or something dusk does not know.
        return Ok(None);
    }
    let Some(name) = cluster_name_argument(text, list, from_method) else {
        return Err(cannot(
            "a DaskCluster needs a name: pass a literal `name=` to the call and rerun".into(),
        ));
    };
    let pod = pod_of_dict(&json, Source::Span(range(dict)))
        .map_err(|why| cannot(format!("it is not a pod Kubernetes accepts ({why})")))?;
    let image = pod.image().map(str::to_owned);
    let mut model = ClassicCluster::new(
        Sourced::new(name.clone(), Source::Default("the call's `name=`")),
        pod,
    );
    model.replicas = Some(Sourced::new(
        1,
        Source::Default("one worker, as the classic KubeCluster started before `scale()`"),
    ));
    model.idle_timeout = Some(Sourced::new(
        0,
        Source::Default("the operator's default: never delete an idle cluster"),
    ));
    let new_cli = crate::migrate::build::image_has_new_cli(image.as_deref())
        .unwrap_or_else(|| super::replace_command::new_cli_available(cx));
    let built =
        crate::migrate::build::cluster_on_cli(&model, crate::migrate::build::Options { new_cli })
            .map_err(|d| cannot(d.reason))?;
    let value = super::pod_template_to_daskcluster::without_nulls(
        crate::migrate::operator::to_json(&built.resource),
    );
    let line_start = text[..dict.start_byte()].rfind('\n').map_or(0, |i| i + 1);
    let indent = text[line_start..].chars().take_while(|c| *c == ' ').count();
    Ok(Some((
        Edit::replace(range(dict), python_literal(&value, indent)),
        built.record,
        name,
    )))
}

/// A pod dict in the API form (`{"metadata": {...}, "spec": {...}}`) as the model's pod.
fn pod_of_dict(
    json: &serde_json::Value,
    source: crate::extract::classic::Source,
) -> Result<crate::extract::classic::ClassicPod, String> {
    let spec = json.get("spec").cloned().ok_or("it has no `spec`")?;
    let spec = serde_json::from_value(super::pod_template_to_daskcluster::without_nulls(spec))
        .map_err(|e| e.to_string())?;
    let map = |field: &str| {
        json.pointer(&format!("/metadata/{field}"))
            .and_then(serde_json::Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(crate::extract::classic::ClassicPod {
        spec,
        labels: map("labels"),
        annotations: map("annotations"),
        sources: Default::default(),
        source: Some(source),
    })
}

/// The line of a use of `name` other than its binding `bound` (an assignment's value) and
/// the argument `arg`, if any.
fn other_use(
    root: Node<'_>,
    text: &str,
    name: &str,
    bound: Node<'_>,
    arg: Node<'_>,
) -> Option<usize> {
    let left = bound.parent().and_then(|a| a.field(Field::Left));
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.kind_name() == "identifier"
            && text_of(text, node) == name
            && node.id() != arg.id()
            && left.is_none_or(|l| l.id() != node.id())
            && !node.parent().is_some_and(|p| {
                p.kind_name() == "attribute" && p.field(Field::Attribute) == Some(node)
            })
        {
            return Some(node.start_position().row + 1);
        }
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return None;
            }
        }
    }
}

/// `value` as a Python literal (dicts and lists of dicts one item a line, indented by four
/// from `indent`; lists of scalars on one line), its first line unindented.
fn python_literal(value: &serde_json::Value, indent: usize) -> String {
    use serde_json::Value;
    let pad = " ".repeat(indent + 4);
    let close = " ".repeat(indent);
    match value {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let inner: Vec<String> = items.iter().map(|v| python_literal(v, indent)).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|v| format!("{pad}{},\n", python_literal(v, indent + 4)))
                .collect();
            format!("[\n{}{close}]", inner.concat())
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{pad}{}: {},\n",
                        serde_json::to_string(k).unwrap_or_default(),
                        python_literal(v, indent + 4)
                    )
                })
                .collect();
            format!("{{\n{}{close}}}", inner.concat())
        }
    }
}

/// The value last assigned to `name` (`name = …`) before byte `before`, at any depth.
/// Each call of a file asks about its template's name; the assignments to a name are found
/// once per pass (the pass's memo), from the name's identifiers (`identifiers_named`), not
/// by a walk of the tree per call (which made N calls cost N × the file, #13).
fn last_assigned<'t>(
    cx: &Context<'_>,
    doc: &'t crate::source::python::PyDocument,
    name: &str,
    before: usize,
) -> Option<Node<'t>> {
    // The start of each assignment to the name, in document order, and the range of the
    // value it assigns.
    let list = cx.memo.per_name("python assigned values", name, || {
        crate::migrate::python_text::identifiers_named(cx.text, doc, name)
            .into_iter()
            .filter_map(|left| {
                let assignment = left.parent().filter(|p| p.kind_name() == "assignment")?;
                (assignment.field(Field::Left) == Some(left)).then(|| {
                    (
                        assignment.start_byte(),
                        assignment.field(Field::Right).map(range),
                    )
                })
            })
            .collect::<Vec<(usize, Option<TextRange>)>>()
    });
    let last = list
        .partition_point(|(start, _)| *start < before)
        .checked_sub(1)?;
    let (start, value) = list[last];
    let value = value?;
    // The value node itself: the node of that range whose parent is that assignment.
    let mut node = doc
        .tree
        .root_node()
        .descendant_for_byte_range(value.start(), value.end())?;
    loop {
        let parent = node.parent()?;
        if parent.kind_name() == "assignment"
            && parent.start_byte() == start
            && parent.field(Field::Right) == Some(node)
        {
            return Some(node);
        }
        node = parent;
    }
}

/// The template argument built by `make_pod_spec(...)` (inline, or bound to a name before
/// the call) is a classic V1Pod: `custom_cluster_spec=` may point at it only when that call
/// is migrated to `make_cluster_spec(...)` too. Declined, with that call's reason, otherwise.
fn classic_pod_migrates(
    cx: &Context<'_>,
    template: Node<'_>,
    before: usize,
) -> Result<(), Declined> {
    let Some(doc) = cx.python() else {
        return Ok(());
    };
    let text = cx.text;
    let builder = match template.kind_name() {
        "call" => Some(template),
        "identifier" => last_assigned_call(cx, doc, text_of(text, template), before),
        _ => None,
    };
    let Some(builder) = builder.filter(|c| {
        c.field(Field::Function)
            .is_some_and(|f| text_of(text, f).rsplit('.').next() == Some("make_pod_spec"))
    }) else {
        return Ok(());
    };
    // The same builder feeds many calls (`KubeCluster(SPEC, …)` N times): answered once per
    // pass.
    per_builder(cx, "classic pod migrates", builder, || {
        builder_migrates(cx, builder)
    })
}

/// The answer of `compute` about `builder` (a `make_pod_spec(...)` call) to `question`,
/// computed once per pass: many findings ask it about the same builder (#13).
fn per_builder(
    cx: &Context<'_>,
    question: &'static str,
    builder: Node<'_>,
    compute: impl FnOnce() -> Result<(), Declined>,
) -> Result<(), Declined> {
    type Answers = std::rc::Rc<
        std::cell::RefCell<std::collections::BTreeMap<TextRange, Result<(), Declined>>>,
    >;
    let answers: Answers = cx.memo.verdict(question, Answers::default);
    let key = range(builder);
    if let Some(known) = answers.borrow().get(&key) {
        return known.clone();
    }
    // Not borrowed while computing: the answer may ask about other builders.
    let answer = compute();
    answers.borrow_mut().insert(key, answer.clone());
    answer
}

/// Whether the `make_pod_spec(...)` call `builder` is migrated by a fix of this pass, for a
/// classic call it feeds (see [`classic_pod_migrates`]).
fn builder_migrates(cx: &Context<'_>, builder: Node<'_>) -> Result<(), Declined> {
    let at = cx.line(builder.start_byte());
    // The pending `python-make-pod-spec` findings by range (the first of each), found once
    // per pass: a scan of `cx.pending` per builder made a notebook of N cells N² (#13).
    let by_range = cx.memo.verdict("pending make_pod_spec findings", || {
        let mut by_range: foldhash::HashMap<TextRange, usize> = foldhash::HashMap::default();
        for (i, (rule, r)) in cx.pending.iter().enumerate() {
            if rule
                .fix
                .as_ref()
                .is_some_and(|f| f.rewriter == "python-make-pod-spec")
            {
                by_range.entry(*r).or_insert(i);
            }
        }
        std::rc::Rc::new(by_range)
    });
    let pending = by_range.get(&range(builder)).map(|&i| &cx.pending[i]);
    let Some((rule, r)) = pending else {
        return Err(Declined::new(format!(
            "the pod template is the classic V1Pod that `make_pod_spec(...)` at {at} builds, \
             and no fix of this run migrates that call: select `make-pod-spec-call` too, or \
             migrate it by hand first"
        )));
    };
    match super::python_make_pod_spec::own_call_fix(&cx.for_finding(rule, *r), builder) {
        Ok(_) => Ok(()),
        Err(why) => Err(Declined::new(format!(
            "the pod template is the classic V1Pod that `make_pod_spec(...)` at {at} builds, \
             which dusk cannot migrate ({}): migrate that call by hand first",
            why.reason
        ))),
    }
}

/// A `make_pod_spec(...)` call whose pod goes to a classic `KubeCluster` call (inline, or
/// through the name it is assigned to) is migrated only with that call: a classic class
/// handed a DaskCluster fails where the old code ran.
pub(crate) fn fed_constructor_migrates(
    cx: &Context<'_>,
    builder: Node<'_>,
) -> Result<(), Declined> {
    if cx.python().is_none() {
        return Ok(());
    }
    per_builder(cx, "fed constructor migrates", builder, || {
        users_migrate(cx, builder)
    })
}

/// [`fed_constructor_migrates`], computed: every classic call fed `builder`'s pod migrates.
fn users_migrate(cx: &Context<'_>, builder: Node<'_>) -> Result<(), Declined> {
    let text = cx.text;
    for (finding, user) in fed_calls(cx, builder)
        .into_iter()
        .filter_map(|k| classic_call(cx, k))
    {
        if !passes_custom_spec(text, user) {
            constructor(&finding, user).map_err(|_| {
                Declined::new(format!(
                    "the pod it builds goes to the classic `KubeCluster` call at {}, which \
                     cannot be migrated (its finding says why): a classic cluster cannot take \
                     a DaskCluster",
                    cx.line(user.start_byte()),
                ))
            })?;
        }
    }
    Ok(())
}

/// The `make_pod_spec(...)` calls (by range) whose pod goes to the call `user`: as an
/// argument, inline or through the name it is assigned to (the call last assigned to that
/// name before `user`, assigned before the argument reads it). Each builder once, in the
/// order of `user`'s arguments.
fn fed_by(
    cx: &Context<'_>,
    doc: &crate::source::python::PyDocument,
    user: Node<'_>,
) -> Vec<TextRange> {
    let text = cx.text;
    let Some(args) = user.field(Field::Arguments) else {
        return Vec::new();
    };
    let mut builders: Vec<TextRange> = Vec::new();
    for item in items(args) {
        let value = match item.kind_name() {
            "keyword_argument" => item.field(Field::Value),
            _ => Some(item),
        };
        let builder = value.and_then(|v| match v.kind_name() {
            "call" => Some(range(v)),
            "identifier" => last_assigned_call(cx, doc, text_of(text, v), user.start_byte())
                .filter(|c| v.start_byte() > c.end_byte())
                .map(range),
            _ => None,
        });
        if let Some(b) = builder.filter(|b| !builders.contains(b)) {
            builders.push(b);
        }
    }
    builders
}

/// The report of the DaskCluster a `make_pod_spec(...)` call (`builder`) now builds, when a
/// classic `KubeCluster` call of this pass takes its pod through a name (and is migrated
/// with it): the
/// builder's `record` (sources located), then that call's keywords and steps, as a call
/// whose template became the DaskCluster reports them.
pub(crate) fn consumer_report(
    cx: &Context<'_>,
    builder: Node<'_>,
    name: &str,
    record: Vec<crate::migrate::build::Record>,
) -> Option<crate::migrate::migration_report::MigrationReport> {
    cx.python()?;
    // Through a name only: a `make_pod_spec(...)` written inside the call is fixed in the
    // pass after the call's own fix (the two overlap), when the call is no longer classic,
    // so its report could not say the same in `check` and in `fix`.
    let inside = |user: Node<'_>| {
        user.start_byte() <= builder.start_byte() && builder.end_byte() <= user.end_byte()
    };
    let (_, user) = fed_calls(cx, builder)
        .into_iter()
        .filter_map(|k| classic_call(cx, k))
        .find(|(_, user)| !inside(*user) && !passes_custom_spec(cx.text, *user))?;
    let given = classic_arguments(cx.text, user);
    Some(call_report(cx, user, &given, name, record, None))
}

/// The arguments of a classic `KubeCluster` call as the classic parameters they fill
/// (positional ones by the classic signature; `from_yaml`/`from_dict` take one).
fn classic_arguments<'t>(text: &'t str, call: Node<'t>) -> Vec<(&'t str, Node<'t>)> {
    let from_method = call
        .field(Field::Function)
        .filter(|f| f.kind_name() == "attribute")
        .and_then(|f| f.field(Field::Attribute))
        .is_some_and(|a| matches!(text_of(text, a), "from_yaml" | "from_dict"));
    let Some(args) = call.field(Field::Arguments) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut positional = 0;
    for item in items(args) {
        match item.kind_name() {
            "keyword_argument" => {
                if let Some(n) = item.field(Field::Name) {
                    out.push((text_of(text, n), item));
                }
            }
            "list_splat" | "dictionary_splat" => {}
            _ => {
                let param = match positional {
                    0 => Some("pod_template"),
                    p if !from_method => CLASSIC_PARAMS.get(p).copied(),
                    _ => None,
                };
                positional += 1;
                if let Some(param) = param {
                    out.push((param, item));
                }
            }
        }
    }
    out
}

/// The call last assigned to `name` (`name = f(...)`) before byte `before`, at any depth:
/// none when the last value assigned is not a call.
fn last_assigned_call<'t>(
    cx: &Context<'_>,
    doc: &'t crate::source::python::PyDocument,
    name: &str,
    before: usize,
) -> Option<Node<'t>> {
    last_assigned(cx, doc, name, before).filter(|value| value.kind_name() == "call")
}

/// The cluster name a classic call passes as a literal string (`name="etl"`, or the
/// second positional argument of `KubeCluster(...)`).
fn cluster_name_argument(text: &str, list: &[Node<'_>], from_method: bool) -> Option<String> {
    let keyword = list.iter().find_map(|item| {
        (item.kind_name() == "keyword_argument"
            && item.field(Field::Name).map(|n| text_of(text, n)) == Some("name"))
        .then(|| item.field(Field::Value))
        .flatten()
    });
    let positional = || {
        list.iter()
            .filter(|i| {
                !matches!(
                    i.kind_name(),
                    "keyword_argument" | "list_splat" | "dictionary_splat"
                )
            })
            .nth(1)
            .copied()
            .filter(|_| !from_method)
    };
    keyword
        .or_else(positional)
        .and_then(|v| plain_string(text, v))
}

/// The pod template file `path` a call loads, migrated to DaskCluster `name` (the call's
/// `name=`, else one from the file name): the other file of the call's fix, then the
/// scheduler template file it carries, with a note that no code loads it any more. Empty
/// when it is a DaskCluster already. Declined, with the reason, when the file cannot be migrated
/// with the call: missing, outside the paths given, or its own migration declined.
fn loaded_template(
    cx: &Context<'_>,
    path: &str,
    scheduler: Option<&str>,
    scheduler_pod: Option<crate::extract::classic::ClassicPod>,
    name: Option<&str>,
    at: &str,
    reporter: &super::pod_template_to_daskcluster::Reporter<'_>,
) -> Result<
    (
        Vec<crate::source::edit::OtherFile>,
        Option<crate::migrate::migration_report::MigrationReport>,
    ),
    Declined,
> {
    let why = |reason: String| {
        Declined::new(format!(
            "the call at {at} loads the pod template `{path}`, which must become a DaskCluster \
             in the same fix, and {reason}"
        ))
    };
    if let Some(n) = name.filter(|n| n.contains('{')) {
        return Err(why(format!(
            "the cluster name `{n}` has placeholders, which the operator does not fill in a \
             custom cluster spec's name: give a fixed name, or use `make_cluster_spec` by hand"
        )));
    }
    let read = cx.others.ok_or_else(|| {
        why("dusk reads other files only when it fixes files (not standard input)".into())
    })?;
    let other = read(cx.path, path).map_err(why)?;
    // The scheduler's template is read (and kept): the DaskCluster carries it.
    let scheduler_file = scheduler
        .map(|s| {
            read(cx.path, s).map_err(|reason| {
                Declined::new(format!(
                    "the call at {at} passes the scheduler pod template `{s}`, which must go \
                     into the DaskCluster's scheduler spec in the same fix, and {reason}"
                ))
            })
        })
        .transpose()?;
    let scheduler = scheduler_file
        .as_ref()
        .map(super::pod_template_to_daskcluster::loaded_scheduler)
        .transpose()?
        .or(scheduler_pod);
    let fixed = super::pod_template_to_daskcluster::migrate_loaded_reported(
        cx,
        &other,
        scheduler,
        name,
        Some(reporter),
    )
    .map_err(|d| why(format!("it cannot be migrated: {}", d.reason)))?;
    let Some((fixed, report)) = fixed else {
        return Ok((Vec::new(), None));
    };
    let code = cx.path.file_name().map_or_else(
        || cx.path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let note = scheduler_file
        .and_then(|s| super::pod_template_to_daskcluster::no_longer_loaded(cx, s, &code, path));
    let files = std::iter::once(crate::source::edit::OtherFile {
        path: other.path,
        display: other.display,
        original: other.text,
        fixed,
    })
    .chain(note)
    .collect();
    Ok((files, report))
}

/// The code file as reports show it.
pub(crate) fn code_file(cx: &Context<'_>) -> String {
    crate::migrate::migration_report::shown(cx.path)
}

/// Where a byte range of the code is, for a report's `source`: `path:line` in a Python
/// file, `path (cell C, line L)` in a notebook.
pub(crate) fn code_at<'a>(cx: &'a Context<'a>) -> impl Fn(TextRange) -> Option<String> + 'a {
    let shown = code_file(cx);
    move |r: TextRange| {
        let line = cx.line(r.start());
        Some(match line.strip_prefix("line ") {
            Some(n) => format!("{shown}:{n}"),
            None => format!("{shown} ({line})"),
        })
    }
}

/// The migration report of a classic `KubeCluster` call made the operator's: the builder's
/// `record` of the DaskCluster `name` it now creates (sources already located), then the
/// call's own arguments with their fates, and the steps left for a person.
fn call_report(
    cx: &Context<'_>,
    call: Node<'_>,
    given: &[(&str, Node<'_>)],
    name: &str,
    record: Vec<crate::migrate::build::Record>,
    scheduler: Option<Node<'_>>,
) -> crate::migrate::migration_report::MigrationReport {
    use crate::extract::classic::Source;
    use crate::migrate::build::{Fidelity, Record};
    let text = cx.text;
    let at = code_at(cx);
    let mut fields = record;
    // The builder named the cluster after the call's `name=`, when it has one.
    if let Some((_, item)) = given.iter().find(|(p, _)| *p == "name") {
        for r in fields.iter_mut().filter(|r| r.field == "name") {
            r.source = at(range(*item)).map(Source::Live);
        }
    }
    // The template's own steps, before the call's keywords join its fields.
    let template_steps = super::pod_template_to_daskcluster::template_steps(&fields);
    let mut namespace = None;
    let mut dropped = Vec::new();
    let mut ignored = Vec::new();
    for (param, item) in given {
        let value = match item.kind_name() {
            "keyword_argument" => item.field(Field::Value).unwrap_or(*item),
            _ => *item,
        };
        let written = shorten(text_of(text, value));
        // The template, positional or not, is the classic `pod_template`.
        let param = match *param {
            "custom_cluster_spec" => "pod_template",
            p => p,
        };
        let fidelity = match param {
            "pod_template" => Fidelity::Transformed(
                "passed as `custom_cluster_spec=`: the DaskCluster of this report".into(),
            ),
            "name" => Fidelity::Carried,
            "namespace" => {
                namespace = plain_string(text, value);
                Fidelity::Transformed(
                    "the operator's KubeCluster creates the DaskCluster in this namespace".into(),
                )
            }
            // The operator's KubeCluster creates a custom spec as given (dask-kubernetes
            // 2026.3.0 `_create_cluster`): these keywords stay on the call and do nothing.
            "n_workers" => {
                ignored.push(format!("`n_workers={written}`"));
                Fidelity::Dropped(
                    "ignored with `custom_cluster_spec=` (the operator's KubeCluster creates the spec as given): set the DaskCluster's `spec.worker.replicas`, or call `cluster.scale(N)`".into(),
                )
            }
            "env" => {
                ignored.push(format!("`env={written}`"));
                Fidelity::Dropped(
                    "ignored with `custom_cluster_spec=`: put the variables in the `env` of the DaskCluster's worker and scheduler containers".into(),
                )
            }
            "idle_timeout" => {
                ignored.push(format!("`idle_timeout={written}`"));
                Fidelity::Dropped(
                    "ignored with `custom_cluster_spec=`: set the DaskCluster's `spec.idleTimeout` (seconds; the operator then deletes the whole cluster once idle that long, where the classic one stopped its scheduler)".into(),
                )
            }
            SCHEDULER_TEMPLATE if scheduler.is_some() && fields.iter().any(|r| r.field == "scheduler" && matches!(r.fidelity, Fidelity::Transformed(ref t) if t.starts_with("its own pod"))) => {
                Fidelity::Transformed("the DaskCluster's `spec.scheduler.spec`".into())
            }
            SCHEDULER_TEMPLATE => Fidelity::Dropped(
                "removed from the call: move that pod into the DaskCluster's `spec.scheduler.spec` by hand".into(),
            ),
            p if CLASSIC_ONLY.contains(&p) => {
                dropped.push(format!("`{p}={written}`"));
                Fidelity::Dropped("no Dask Operator equivalent: removed from the call".into())
            }
            _ => Fidelity::Carried,
        };
        fields.push(Record {
            field: format!("KubeCluster({param}=)"),
            source: Some(Source::Live(
                at(range(*item)).unwrap_or_else(|| written.clone()),
            )),
            fidelity,
        });
    }
    let mut steps = vec![
        format!(
            "The operator's `KubeCluster` creates DaskCluster `{name}` when the code at {} runs: {}.",
            cx.line(call.start_byte()),
            super::pod_template_to_daskcluster::OPERATOR_INSTALL.replacen("Install", "install", 1)
        ),
        format!(
            "Clients reach the scheduler at `tcp://{name}-scheduler.{}:8786` (a `Client(cluster)` finds it itself).",
            namespace.as_deref().unwrap_or("<namespace>")
        ),
        "The identity the code runs as needs RBAC on `kubernetes.dask.org` `daskclusters`, `daskworkergroups`, `daskworkergroups/scale` and `daskautoscalers` (get, list, watch, patch, create, delete) and on `pods` and `services` (get, list, watch); the classic class used `pods`, `pods/log`, `services` and `poddisruptionbudgets`.".to_owned(),
    ];
    if !dropped.is_empty() {
        steps.push(format!(
            "The call no longer passes {}: the operator has no equivalent (a `# dusk: removed` comment above the call names each).",
            dropped.join(", ")
        ));
    }
    if !ignored.is_empty() {
        steps.push(format!(
            "The operator's `KubeCluster` ignores {} beside `custom_cluster_spec=`: move each into the DaskCluster (see its field below), then remove it from the call.",
            ignored.join(", ")
        ));
    }
    steps.extend(template_steps);
    crate::migrate::migration_report::MigrationReport {
        from: format!(
            "classic `{}` at {} of `{}`",
            shorten(text_of(text, call.field(Field::Function).unwrap_or(call))),
            cx.line(call.start_byte()),
            code_file(cx)
        ),
        kind: crate::migrate::migration_report::DASK_CLUSTER,
        cluster: name.to_owned(),
        namespace,
        old_address: None,
        fields,
        steps,
    }
}

/// Ranges deleting the `removed` items of a comma-separated list, each with one comma.
pub fn remove_many(items: &[Node<'_>], removed: &[bool]) -> Vec<TextRange> {
    let Some(last_kept) = removed.iter().rposition(|r| !r) else {
        return match (items.first(), items.last()) {
            (Some(a), Some(b)) => vec![TextRange::new(a.start_byte(), b.end_byte())],
            _ => Vec::new(),
        };
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate().take(last_kept) {
        if removed[i] {
            out.push(TextRange::new(item.start_byte(), items[i + 1].start_byte()));
        }
    }
    if last_kept + 1 < items.len() {
        let end = items[items.len() - 1].end_byte();
        out.push(TextRange::new(items[last_kept].end_byte(), end));
    }
    out
}

/// Seconds in a dask time string such as `"5 minutes"`, `"30s"`, `"1.5h"`.
pub fn seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        "ms" | "millisecond" | "milliseconds" => 0.001,
        _ => return None,
    };
    let s = (number * factor).round();
    (s.is_finite() && s >= 0.0).then_some(s as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dask_time_strings_become_seconds() {
        for (text, want) in [
            ("5 minutes", Some(300)),
            ("30s", Some(30)),
            ("1.5h", Some(5400)),
            ("60", Some(60)),
            ("2 fortnights", None),
            ("", None),
        ] {
            assert_eq!(seconds(text), want, "{text}");
        }
    }
}
