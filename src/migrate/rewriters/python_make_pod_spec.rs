//! `python-make-pod-spec`: build a DaskCluster with `make_cluster_spec` instead of a classic
//! worker pod with `make_pod_spec`.
//!
//! ## What it rewrites
//! - `make_pod_spec(image, …)` calls (positional arguments in the classic order too);
//! - `from dask_kubernetes import make_pod_spec` (and the `classic`, `objects`,
//!   `common.objects` paths) and attribute chains naming it.
//!
//! ## Output
//! `make_cluster_spec(name=…, image=…, resources={"limits": {…}, "requests": {…}}, env=…,
//! worker_command=[…])`, derived from the one model and the one builder: the call's
//! arguments become a `ClassicCluster` (`extract::python::make_pod_spec`: the pod classic
//! `make_pod_spec` built, each field with its argument's span; expressions held as
//! placeholders), `migrate::build::cluster_on_cli` makes it a DaskCluster (the same fields
//! and fidelity decisions as a pod template: `restartPolicy: Never` and the positional
//! `$(DASK_SCHEDULER_ADDRESS)` dropped, the command made to run on the `distributed` in play),
//! and the keywords are read back from the built worker:
//! - `worker_command`: the worker's args without the `--name $(DASK_WORKER_NAME)` that
//!   `make_cluster_spec` adds itself: `dask worker` where the image's tag (else the versions
//!   in play: pin, target) has the new CLI, `dask-worker` for an older image (then the
//!   `dask-worker-command` rule's own fix bumps the image), `--nthreads <threads_per_worker>`
//!   (1 by default), `--memory-limit`/`--resources` when given;
//! - `resources`: `memory_limit`, `cpu_limit`, `gpu_limit` (as `nvidia.com/gpu`) in `limits`,
//!   `memory_request`, `cpu_request` in `requests`, all strings (the CRD's quantities are);
//! - `env`: the dict, values as strings (`"1"` for `1`); an `env=` expression stays as it is;
//! - literal values are written as Python strings, expressions as themselves (`image=`) or
//!   through `str()`;
//! - `name`: the `name=` string of the `KubeCluster(…)` call it (or the variable it is
//!   assigned to) is passed to, else `"dask"`;
//! - `labels`, `annotations`, `extra_container_config` and `extra_pod_config` are applied to
//!   the returned dict by statements after the assignment (`spec = make_pod_spec(…)`):
//!   labels and annotations into `spec["spec"]["worker"]["metadata"]`; a literal extra config
//!   is in the model (merged as `make_pod_spec` merged it: dicts deep-merged, lists appended,
//!   other values replaced), so each of its keys is written as the built worker has it, and a
//!   key the builder dropped (`restartPolicy: OnFailure`, which the operator's Deployments
//!   reject) is not written; a config that is an expression is merged by statements the same
//!   way, its `restartPolicy` key left out.
//!
//! The import leaves once no use of it is left: each migrated call imports
//! `make_cluster_spec` itself, and a call another fix took in (a `scheduler_pod_template=`
//! carried into the DaskCluster) needs no new name. A package's `__init__.py`, or a name in
//! `__all__`, keeps it: other modules may import it from there.
//!
//! The call's fix carries the migration report as data only (`Fix::migration`, no comment in
//! the code): the builder's record of each argument, the steps left for a person.
//!
//! ## Fix safety
//! Unsafe: the result is a DaskCluster, not a V1Pod, so code that reads the pod
//! (`pod.spec.containers[0]`) needs a person; `--death-timeout 60` and `restartPolicy: Never`
//! are dropped; the name is a guess when no KubeCluster call names it. A name that is not a
//! valid DaskCluster name is declined with the builder's reason.
//!
//! ## Not handled
//! `**kwargs`, unknown keywords, and labels/annotations/extra configs when the call is not
//! the right-hand side of a plain assignment (no statement to add the settings after).

use super::python_classic_cluster::calls_pending;
use super::replace_command::new_cli_available;
use crate::extract::classic::{Source, Sourced};
use crate::extract::python::make_pod_spec::{self, Produced, given, produce};
use crate::migrate::build;
use crate::migrate::operator::DaskCluster;
use crate::migrate::python_text::{
    ancestor, indent_at, items, line_end, node_at, plain_string, range, statement_of,
    string_literal, text_of,
};
use crate::migrate::{Context, Declined, OrDecline};
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::{Field, FieldChild as _, KindName as _, PyDocument};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;
use tree_sitter::Node;

pub const NEW_NAME: &str = "make_cluster_spec";
pub const OPERATOR: &str = crate::dask::OPERATOR_MODULE;

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let doc = cx.python_doc()?;
    let node = node_at(doc, cx.range).or_decline("the finding is not at Python code")?;
    if node.kind_name() == "call" {
        let fix = call(cx, node)?;
        super::python_classic_cluster::fed_constructor_migrates(cx, node)?;
        return Ok(fix);
    }
    // The function of a call is renamed by the call's own fix.
    if node
        .parent()
        .is_some_and(|p| p.kind_name() == "call" && p.field(Field::Function) == Some(node))
    {
        return Err(Declined::new(
            "the call's own fix renames it: see the finding at the call",
        ));
    }
    if calls_pending(cx) {
        return Err(Declined::new(
            "the import moves once the `make_pod_spec` calls that use it are migrated: \
             fix those first",
        ));
    }
    let edits = if ancestor(node, &["import_from_statement"]).is_some() {
        if !text_of(cx.text, node).ends_with("make_pod_spec") {
            return Err(Declined::new(
                "only the `make_pod_spec` name of this import moves: change the rest by hand",
            ));
        }
        let stmt = statement_of(node);
        let local = bound_name(cx.text, node);
        match still_used(cx, &local, stmt) {
            // A use no fix migrates keeps the old name; importing the new one beside it
            // would only add an unused import.
            Some(line) => {
                return Err(Declined::new(format!(
                    "`{local}` is still used at line {line}, which dusk cannot migrate: the \
                     import stays until that use is changed by hand"
                )));
            }
            // No use is left (the call fixes imported the new name already, or another
            // fix took the call in): the old name just leaves, and the new one is not
            // imported where nothing would use it.
            None => {
                if let Some(why) = re_exported(cx, &local) {
                    return Err(Declined::new(format!(
                        "no code here uses `{local}`, but {why}: other modules may import it \
                         from here, so the import stays until they are migrated"
                    )));
                }
                let edits = drop_import_name(cx.text, stmt, cx.range).or_decline(
                    "the import is written in a form dusk cannot split: change it by hand",
                )?;
                let why = if imports_name(cx, doc, NEW_NAME) {
                    format!("`{NEW_NAME}` is imported already")
                } else {
                    "no code uses it any more".to_owned()
                };
                return Ok(Fix::new(
                    edits,
                    Applicability::Unsafe,
                    format!("remove the `{local}` import: {why}"),
                )
                .taking(crate::migrate::python_text::taken_name(doc, cx.range)));
            }
        }
    } else if node.kind_name() == "attribute" && text_of(cx.text, node).ends_with(".make_pod_spec")
    {
        vec![Edit::replace(range(node), format!("{OPERATOR}.{NEW_NAME}"))]
    } else {
        return Err(Declined::new(
            "this use of `make_pod_spec` is not an import, attribute or call dusk can rewrite: \
             change it by hand",
        ));
    };
    Ok(Fix::new(
        edits,
        Applicability::Unsafe,
        format!("import `{NEW_NAME}` from `{OPERATOR}`"),
    ))
}

/// The name an imported name binds: its alias, else itself.
fn bound_name(text: &str, node: Node<'_>) -> String {
    let aliased = ancestor(node, &["aliased_import"]);
    aliased.and_then(|a| a.field(Field::Alias)).map_or_else(
        || {
            text_of(text, node)
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_owned()
        },
        |a| text_of(text, a).to_owned(),
    )
}

/// Why an import with no use in its file may still be used from outside: a package's
/// `__init__.py`, or a module listing the name in `__all__`.
fn re_exported(cx: &Context<'_>, name: &str) -> Option<&'static str> {
    if cx.path.file_name().is_some_and(|f| f == "__init__.py") {
        return Some("this is a package's `__init__.py`");
    }
    // Whether the text names `__all__` at all is the file's answer, found once per pass: a
    // scan per import made a notebook of N cells N × its length (#13).
    let lists = cx.memo.verdict("python text mentions __all__", || {
        cx.text.contains("__all__")
    });
    let quoted = [format!("\"{name}\""), format!("'{name}'")];
    (lists && quoted.iter().any(|q| cx.text.contains(q.as_str()))).then_some("`__all__` lists it")
}

/// The 1-based line of a use of `name` outside the import statement `stmt`, if any.
fn still_used(cx: &Context<'_>, name: &str, stmt: Node<'_>) -> Option<usize> {
    let uses = crate::migrate::python_text::name_uses(cx, name);
    let inside =
        |r: &crate::source::TextRange| stmt.start_byte() <= r.start() && r.end() <= stmt.end_byte();
    uses.iter()
        .find(|(r, _)| !inside(r))
        .map(|(_, row)| row + 1)
}

/// The edit removing the imported name at `range` from `stmt` (the whole statement, with
/// its lines when no other statement shares them, when it is the only name).
fn drop_import_name(text: &str, stmt: Node<'_>, at: crate::source::TextRange) -> Option<Vec<Edit>> {
    let names = crate::migrate::python_text::imported_names(stmt);
    let index = names
        .iter()
        .position(|n| n.start_byte() <= at.start() && at.end() <= n.end_byte())?;
    if names.len() == 1 {
        return Some(vec![Edit::delete(
            crate::migrate::python_text::statement_removal(text, stmt),
        )]);
    }
    Some(vec![Edit::delete(
        crate::migrate::python_text::remove_from_list(&names, index)?,
    )])
}

/// Whether an import statement of the file already binds `name`. The words of the file's
/// top-level imports are read once per pass: asked per finding, a walk over every statement
/// each made a notebook of N cells cost N² statements.
fn imports_name(cx: &Context<'_>, doc: &PyDocument, name: &str) -> bool {
    let words = cx.memo.verdict("python import words", || {
        let words: foldhash::HashSet<String> = items(doc.tree.root_node())
            .into_iter()
            .filter(|stmt| {
                matches!(
                    stmt.kind_name(),
                    "import_from_statement" | "import_statement"
                )
            })
            .flat_map(|stmt| {
                text_of(cx.text, stmt)
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        std::rc::Rc::new(words)
    });
    words.contains(name)
}

/// The fix of a `make_pod_spec(...)` call on its own (its arguments only), for a rewriter
/// that must know whether the call can be migrated without asking about its users.
pub(crate) fn own_call_fix(cx: &Context<'_>, node: Node<'_>) -> Result<Fix, Declined> {
    call(cx, node)
}

fn call(cx: &Context<'_>, call: Node<'_>) -> Result<Fix, Declined> {
    let text = cx.text;
    let at = cx.line(call.start_byte());
    let function = call
        .field(Field::Function)
        .or_decline("the call has no function")?;
    let new_function = match function.kind_name() {
        "identifier" if text_of(text, function) == "make_pod_spec" => NEW_NAME.to_owned(),
        "identifier" => text_of(text, function).to_owned(),
        "attribute" if text_of(text, function).starts_with("dask_kubernetes.") => {
            format!("{OPERATOR}.{NEW_NAME}")
        }
        _ => {
            return Err(Declined::new(format!(
                "the function called at {at} is not a name dusk can rename: rewrite it by hand"
            )));
        }
    };
    let args = call
        .field(Field::Arguments)
        .filter(|a| a.kind_name() == "argument_list")
        .or_decline_with(|| format!("the call at {at} passes a generator, not arguments"))?;
    let arguments = make_pod_spec::arguments(text, args).or_decline_with(|| {
        let migrated = items(args).iter().any(|i| {
            i.field(Field::Name)
                .is_some_and(|n| matches!(text_of(text, n), "worker_command" | "name"))
        });
        if migrated {
            return format!(
                "the call at {at} already takes `make_cluster_spec`'s parameters: what is left \
                 is its import (`make-pod-spec-import` moves it)"
            );
        }
        format!(
            "the call at {at} passes `*args`/`**kwargs`, an unknown keyword or too many \
             arguments: write them out as `make_pod_spec`'s named parameters and rerun"
        )
    })?;
    // The model: what classic `make_pod_spec` built for these arguments; the builder makes
    // it an operator worker (the same fields and fidelity decisions as a pod template).
    let name = cluster_name(cx, call);
    // No call names it: the classic KubeCluster made a new name in each session.
    let named_per_session = matches!(name.source, Source::Default(_));
    let mut produced = produce(text, call, &arguments, name).map_err(|why| {
        Declined::new(format!(
            "{why} at {at}: add one (the operator needs it) and rerun"
        ))
    })?;
    produced.cluster.named_per_session = named_per_session;
    let image = produced.cluster.worker.image().map(str::to_owned);
    let new_cli =
        build::image_has_new_cli(image.as_deref()).unwrap_or_else(|| new_cli_available(cx));
    let built = build::cluster_on_cli(&produced.cluster, build::Options { new_cli })?;
    let kwargs = keywords(text, &built.resource, &produced);
    // What the builder kept of the worker pod: an extra config's key it dropped (such as
    // `restartPolicy`, which the operator's Deployments reject) is not written back.
    let worker_json = serde_json::to_value(&built.resource.spec.worker.spec)
        .map_err(|e| Declined::new(e.to_string()))?;
    let dropped: Vec<String> = built
        .record
        .iter()
        .filter(|r| matches!(r.fidelity, build::Fidelity::Dropped(_)))
        .filter_map(|r| r.field.strip_prefix("worker.").map(str::to_owned))
        .collect();
    let multi_line = text_of(text, call).contains('\n');
    let rendered = if multi_line {
        let indent = format!("{}    ", indent_at(text, call.start_byte()));
        let close = indent_at(text, call.start_byte());
        let body: String = kwargs.iter().map(|k| format!("\n{indent}{k},")).collect();
        format!("{new_function}({body}\n{close})")
    } else {
        format!("{new_function}({})", kwargs.join(", "))
    };
    let mut edits = vec![Edit::replace(range(call), rendered)];
    let extras: Vec<(&str, &str)> = [
        "labels",
        "annotations",
        "extra_container_config",
        "extra_pod_config",
    ]
    .iter()
    .filter_map(|p| {
        let (_, node) = arguments.iter().find(|(name, _)| name == p)?;
        given(text, *node).then(|| (*p, text_of(text, *node)))
    })
    .collect();
    // The new name must be bound where the call is: a fix of its own, whatever the import's
    // finding does (it may be declined, or not selected).
    if let Some(doc) = cx.python() {
        let import = if new_function == NEW_NAME && !imports_name(cx, doc, NEW_NAME) {
            Some(format!("from {OPERATOR} import {NEW_NAME}\n"))
        } else if new_function.starts_with(&format!("{OPERATOR}."))
            && !super::python_classic_cluster::imports_module(text, doc, OPERATOR)
        {
            Some(format!("import {OPERATOR}\n"))
        } else {
            None
        };
        if let Some(import) = import {
            // Where the old import is, keeping the file's import order.
            edits.push(
                new_import(cx, doc, &import)
                    .or_decline_with(|| format!("no import to put `{}` beside", import.trim()))?,
            );
        }
    }
    if !extras.is_empty() {
        edits.push(
            apply_extras(
                text,
                call,
                &extras,
                &arguments,
                (&worker_json, &dropped),
                &produced,
            )
            .or_decline_with(|| {
                format!(
                    "the call at {at} passes labels, annotations or extra configs but is not \
                     the right-hand side of a plain assignment (`spec = make_pod_spec(…)`): \
                     assign it to a name and rerun"
                )
            })?,
        );
    }
    // Every placeholder of the model must have been written back as its expression.
    if edits
        .iter()
        .any(|e| e.content.contains(['\u{E000}', '\u{E001}']))
    {
        return Err(Declined::new(format!(
            "an expression of the call at {at} ends up where dusk cannot write it back:              migrate the call by hand"
        )));
    }
    let mut fix = Fix::new(
        edits,
        Applicability::Unsafe,
        format!("build a DaskCluster with `{NEW_NAME}`"),
    );
    fix.migration.push(report(cx, call, &built).to_file_json(
        &crate::migrate::migration_report::CommentIn::Nowhere,
        &|_| None,
    ));
    Ok(fix)
}

/// The migration report of a `make_pod_spec(...)` call made `make_cluster_spec(...)`: the
/// builder's record of the DaskCluster (each source a line of the code), and the steps left
/// for a person. Only data: the code gets no comment block.
fn report(
    cx: &Context<'_>,
    call: Node<'_>,
    built: &build::Built<DaskCluster>,
) -> crate::migrate::migration_report::MigrationReport {
    use super::python_classic_cluster::{code_at, code_file};
    let name = built.resource.metadata.name.clone().unwrap_or_default();
    let fields = crate::migrate::migration_report::located(built.record.clone(), &code_at(cx));
    let v1pod = "`make_cluster_spec` returns the DaskCluster as a dict, not a `V1Pod`: code that reads the pod (`pod.spec.containers[0]`) must read `spec[\"spec\"][\"worker\"][\"spec\"]` instead.";
    // A classic `KubeCluster` call takes the pod: one report of both, with its keywords.
    if let Some(mut report) =
        super::python_classic_cluster::consumer_report(cx, call, &name, fields.clone())
    {
        report.from = format!(
            "classic `make_pod_spec(...)` at {} of `{}`, and the `KubeCluster` call that takes it",
            cx.line(call.start_byte()),
            code_file(cx)
        );
        report.steps.insert(0, v1pod.to_owned());
        return report;
    }
    let mut steps = vec![
        v1pod.to_owned(),
        format!(
            "Pass it to the operator's `KubeCluster(custom_cluster_spec=…)` (the `KubeCluster` call's own fix does so where dusk migrates it), which creates DaskCluster `{name}` when the code runs: {}.",
            super::pod_template_to_daskcluster::OPERATOR_INSTALL.replacen("Install", "install", 1)
        ),
        format!("Clients reach the scheduler at `tcp://{name}-scheduler.<namespace>:8786`."),
    ];
    steps.extend(super::pod_template_to_daskcluster::template_steps(&fields));
    crate::migrate::migration_report::MigrationReport {
        from: format!(
            "classic `make_pod_spec(...)` at {} of `{}`",
            cx.line(call.start_byte()),
            code_file(cx)
        ),
        kind: crate::migrate::migration_report::DASK_CLUSTER,
        cluster: name,
        namespace: None,
        old_address: None,
        fields,
        steps,
    }
}

/// The `name=` string of the call this call (or the variable it is assigned to) is passed
/// to, such as `KubeCluster(spec, name="etl")`, with its span; else `dask`. A variable
/// assigned in a function is looked for in that function only (each of a module's builder
/// functions names its own cluster), else in the whole file, from the assignment on (each of
/// a notebook's cells names its own); its uses come from the pass's index of names
/// ([`crate::migrate::python_text::name_uses`]), looked at until one is passed with a name.
fn cluster_name(cx: &Context<'_>, call: Node<'_>) -> Sourced<String> {
    let text = cx.text;
    let var = call
        .parent()
        .filter(|p| p.kind_name() == "assignment")
        .and_then(|a| a.field(Field::Left))
        .filter(|l| l.kind_name() == "identifier");
    let ancestors: Vec<Node<'_>> = std::iter::successors(call.parent(), Node::parent).collect();
    let root = ancestors.last().copied().unwrap_or(call);
    let scope = ancestors
        .iter()
        .find(|n| n.kind_name() == "function_definition")
        .map_or(0..text.len(), |f| f.byte_range());
    let index = var.map(|v| crate::migrate::python_text::name_uses(cx, text_of(text, v)));
    let uses: &[(crate::source::TextRange, usize)] = index.as_deref().map_or(&[], Vec::as_slice);
    // The uses after the assignment first (a later cell or statement binding the name
    // again names its own cluster), then those before it in the scope (a function defined
    // above a module-level assignment reads it when called).
    let first = uses.partition_point(|(r, _)| r.start() < scope.start);
    let last = uses
        .partition_point(|(r, _)| r.end() <= scope.end)
        .max(first);
    let here = uses
        .partition_point(|(r, _)| r.start() < call.end_byte())
        .clamp(first, last);
    let node = |(r, _): &(crate::source::TextRange, usize)| {
        root.descendant_for_byte_range(r.start(), r.end())
    };
    std::iter::once(call)
        .chain(uses[here..last].iter().filter_map(node))
        .chain(uses[first..here].iter().filter_map(node))
        .find_map(|arg| name_keyword(text, arg))
        .unwrap_or_else(|| {
            Sourced::new(
                "dask".into(),
                Source::Default("no KubeCluster call names it"),
            )
        })
}

/// The `name="…"` sibling of an argument, in the argument list holding it.
fn name_keyword(text: &str, arg: Node<'_>) -> Option<Sourced<String>> {
    let list = arg
        .parent()
        .and_then(|p| {
            if p.kind_name() == "keyword_argument" {
                p.parent()
            } else {
                Some(p)
            }
        })
        .filter(|p| p.kind_name() == "argument_list")?;
    let value = items(list)
        .into_iter()
        .filter(|a| a.kind_name() == "keyword_argument")
        .find(|a| {
            a.field(Field::Name)
                .is_some_and(|n| text_of(text, n) == "name")
        })?
        .field(Field::Value)?;
    Some(Sourced::new(
        plain_string(text, value)?,
        Source::Span(range(value)),
    ))
}

/// `make_cluster_spec`'s keywords for the built DaskCluster: `name`, `image`, `resources`,
/// `env` and `worker_command` (the worker's args without the `--name $(DASK_WORKER_NAME)`
/// that `make_cluster_spec` adds itself). Values are Python string literals, or the
/// expression a placeholder of the model stands for.
fn keywords(text: &str, cluster: &DaskCluster, produced: &Produced<'_>) -> Vec<String> {
    let value = |v: &str| string_value(text, produced, v);
    let worker = &cluster.spec.worker.spec.containers[0];
    let mut kwargs = vec![format!(
        "name={}",
        string_literal(cluster.metadata.name.as_deref().unwrap_or("dask"))
    )];
    // make_pod_spec passed `image` as it was: an expression stays one, without `str()`.
    if let Some(image) = &worker.image {
        let written = produced
            .opaque
            .expression(image)
            .map_or_else(|| value(image), |n| text_of(text, n).to_owned());
        kwargs.push(format!("image={written}"));
    }
    if let Some(r) = &worker.resources {
        // make_pod_spec's order: memory, cpu, then the rest.
        let dict = |map: Option<&BTreeMap<String, Quantity>>| -> String {
            let mut pairs: Vec<(&String, &Quantity)> = map.into_iter().flatten().collect();
            pairs.sort_by_key(|(k, _)| match k.as_str() {
                "memory" => 0,
                "cpu" => 1,
                _ => 2,
            });
            let items: Vec<String> = pairs
                .iter()
                .map(|(k, q)| format!("{}: {}", string_literal(k), value(&q.0)))
                .collect();
            format!("{{{}}}", items.join(", "))
        };
        kwargs.push(format!(
            "resources={{\"limits\": {}, \"requests\": {}}}",
            dict(r.limits.as_ref()),
            dict(r.requests.as_ref())
        ));
    }
    if let Some(env) = produced.env_expression {
        kwargs.push(format!("env={}", text_of(text, env)));
    } else if let Some(env) = worker.env.as_ref().filter(|e| !e.is_empty()) {
        let items: Vec<String> = env
            .iter()
            .map(
                |var| match (produced.opaque.expression(&var.name), &var.value) {
                    // A `**splat` item of the dict, kept whole.
                    (Some(n), None) => text_of(text, n).to_owned(),
                    (Some(n), Some(v)) => format!("{}: {}", text_of(text, n), value(v)),
                    (None, v) => format!(
                        "{}: {}",
                        string_literal(&var.name),
                        value(v.as_deref().unwrap_or(""))
                    ),
                },
            )
            .collect();
        kwargs.push(format!("env={{{}}}", items.join(", ")));
    }
    let mut command: Vec<String> = worker.args.clone().unwrap_or_default();
    if let Some(i) = command
        .windows(2)
        .position(|w| w == crate::dask::WORKER_NAME_ARGS)
    {
        command.drain(i..i + 2);
    }
    let command: Vec<String> = command.iter().map(|w| value(w)).collect();
    kwargs.push(format!("worker_command=[{}]", command.join(", ")));
    kwargs
}

/// Statements after `var = make_pod_spec(…)` putting labels, annotations and the extra
/// configs into the returned DaskCluster dict.
fn apply_extras(
    text: &str,
    call: Node<'_>,
    extras: &[(&str, &str)],
    arguments: &[(&'static str, Node<'_>)],
    (built_worker, dropped): (&serde_json::Value, &[String]),
    produced: &Produced<'_>,
) -> Option<Edit> {
    let assignment = call.parent().filter(|p| p.kind_name() == "assignment")?;
    let target = assignment
        .field(Field::Left)
        .filter(|l| l.kind_name() == "identifier")?;
    let stmt = statement_of(assignment);
    if stmt.kind_name() != "expression_statement" {
        return None;
    }
    let var = text_of(text, target);
    let indent = indent_at(text, stmt.start_byte());
    let worker = format!("{var}[\"spec\"][\"worker\"]");
    let mut lines = Vec::new();
    let meta: Vec<String> = extras
        .iter()
        .filter(|(p, _)| matches!(*p, "labels" | "annotations"))
        .map(|(p, v)| format!("\"{p}\": {v}"))
        .collect();
    if !meta.is_empty() {
        lines.push(format!("{worker}[\"metadata\"] = {{{}}}", meta.join(", ")));
    }
    for (param, target, built) in [
        (
            "extra_container_config",
            format!("{worker}[\"spec\"][\"containers\"][0]"),
            &built_worker["containers"][0],
        ),
        (
            "extra_pod_config",
            format!("{worker}[\"spec\"]"),
            built_worker,
        ),
    ] {
        let Some((_, node)) = arguments.iter().find(|(p, _)| *p == param) else {
            continue;
        };
        if !given(text, *node) {
            continue;
        }
        // A literal config is in the model: each key is written as the builder left it
        // (merged as make_pod_spec merged it, quantities as strings, dropped keys left out).
        if let Some(serde_json::Value::Object(config)) = make_pod_spec::json_literal(text, *node) {
            for key in config.keys() {
                if let Some(value) = built.get(key) {
                    lines.push(format!(
                        "{target}[{}] = {}",
                        string_literal(key),
                        python_literal(text, produced, value)
                    ));
                }
            }
            continue;
        }
        // Not in the model: what the builder drops from every worker is left out.
        let prefix = if param == "extra_pod_config" {
            ""
        } else {
            "containers[0]."
        };
        lines.extend(merge_lines(text, &target, *node, |key| {
            !dropped.iter().any(|d| *d == format!("{prefix}{key}"))
        }));
    }
    let body: String = lines.iter().map(|l| format!("\n{indent}{l}")).collect();
    Some(Edit::insert(line_end(text, stmt.end_byte()), body))
}

/// A string of the built resource as Python: a literal, or the expression a placeholder of
/// the model stands for (through `str()` unless it is a string already).
fn string_value(text: &str, produced: &Produced<'_>, v: &str) -> String {
    match produced.opaque.expression(v) {
        Some(n) if matches!(n.kind_name(), "string" | "concatenated_string") => {
            text_of(text, n).to_owned()
        }
        Some(n) => format!("str({})", text_of(text, n)),
        None => string_literal(v),
    }
}

/// A JSON value of the built resource as a Python literal (strings as [`string_value`]).
fn python_literal(text: &str, produced: &Produced<'_>, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_value(text, produced, s),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| python_literal(text, produced, i))
                .collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        string_value(text, produced, k),
                        python_literal(text, produced, v)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Statements merging a config that is not a literal into `target` the way `make_pod_spec`
/// did. A pair whose key is a string the builder drops from the worker (`kept` says no) is
/// not written.
fn merge_lines(
    text: &str,
    target: &str,
    config: Node<'_>,
    kept: impl Fn(&str) -> bool,
) -> Vec<String> {
    if config.kind_name() != "dictionary" {
        return vec![format!("{target}.update({})", text_of(text, config))];
    }
    items(config)
        .into_iter()
        .filter_map(|pair| {
            if pair.kind_name() != "pair" {
                return Some(format!("{target}.update({{{}}})", text_of(text, pair)));
            }
            let key_node = pair.field(Field::Key)?;
            if plain_string(text, key_node).is_some_and(|k| !kept(&k)) {
                return None;
            }
            let key = text_of(text, key_node);
            let value_node = pair.field(Field::Value)?;
            let value = text_of(text, value_node);
            Some(match value_node.kind_name() {
                "dictionary" => {
                    format!("{target}[{key}] = {{**({target}.get({key}) or {{}}), **{value}}}")
                }
                "list" => format!("{target}[{key}] = ({target}.get({key}) or []) + {value}"),
                _ => format!("{target}[{key}] = {value}"),
            })
        })
        .collect()
}

/// The edit adding `import` (a whole statement) where the file's imports stay in order: in
/// place of the file's first top-level import of the `dask_kubernetes` package (just above
/// it: the old import, which the fixes rewrite or remove, follows), else above the file's
/// first import. The same point for every fix of a pass (found once per pass), and shared
/// ([`Edit::insert_shared`]): the fixes of a pass that add the same import add it once.
/// `None` when the file imports nothing.
pub(crate) fn new_import(cx: &Context<'_>, doc: &PyDocument, import: &str) -> Option<Edit> {
    let text = cx.text;
    let start = cx.memo.verdict("python new import point", || {
        let statements = items(doc.tree.root_node());
        let imports = || {
            statements
                .iter()
                .filter(|s| matches!(s.kind_name(), "import_statement" | "import_from_statement"))
        };
        let stmt = imports()
            .find(|s| imports_package(text, **s, PACKAGE))
            .or_else(|| imports().next())?;
        let at = stmt.start_byte().min(text.len());
        Some(text[..at].rfind('\n').map_or(0, |i| i + 1))
    })?;
    Some(Edit::insert_shared(
        start,
        format!("{}\n", import.trim_end()),
    ))
}

/// The package whose imports a new operator import goes beside.
const PACKAGE: &str = "dask_kubernetes";

/// Whether the import statement `stmt` imports `package` or one of its modules.
fn imports_package(text: &str, stmt: Node<'_>, package: &str) -> bool {
    let of_package = |module: &str| {
        module == package
            || module
                .strip_prefix(package)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    if stmt.kind_name() == "import_from_statement" {
        return stmt
            .field(Field::ModuleName)
            .is_some_and(|m| of_package(text_of(text, m)));
    }
    let mut cursor = stmt.walk();
    stmt.fields(Field::Name, &mut cursor).any(|n| {
        let module = match n.kind_name() {
            "aliased_import" => n.field(Field::Name).map(|m| text_of(text, m)),
            _ => Some(text_of(text, n)),
        };
        module.is_some_and(of_package)
    })
}
