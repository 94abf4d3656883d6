//! `dask-config`: move a dask config file's `kubernetes:` section to the operator's keys.
//!
//! ## What it rewrites
//! The key a finding points at, in a YAML dask config:
//! - `worker-template` (inline) with a fixed `kubernetes.name`: becomes
//!   `custom-cluster-spec:` holding the DaskCluster that `pod-template-to-daskcluster` builds
//!   from the template, named after `kubernetes.name`; an inline `scheduler-template` beside
//!   it becomes that DaskCluster's `spec.scheduler.spec` (its args the operator's `dask
//!   scheduler --host 0.0.0.0`, since the classic KubeCluster overwrote them too) and goes
//!   with the same fix, its own finding declining until then;
//! - `worker-template` when the name is a template (`dask-{JUPYTERHUB_USER}-{uuid}`, or no
//!   name, whose default is one): a custom spec cannot carry a templated name (the operator
//!   creates it unformatted, dask-facts §4.0), so the template's first container becomes the
//!   operator's `image`, `resources`, `env` and `worker-command` keys (each only if not set
//!   already), and a comment lists every pod setting that has no key;
//! - `worker-template-path` with a fixed name: renamed `custom-cluster-spec` (the file itself
//!   must then hold a DaskCluster: `dusk fix --unsafe-fixes` on it does that); with a
//!   templated name it is removed with a comment saying why;
//! - `worker-name` → `name` (the key the classic docs named but nothing read);
//!   `scheduler-timeout` → `idle-timeout`; a time-string `idle-timeout` → integer seconds;
//! - classic-only keys (`deploy-mode`, `host`, `port`, `interface`, `protocol`,
//!   `dashboard-address`, `scheduler-service-*`, `scheduler-pdb-template`,
//!   `scheduler-template[-path]`, `count.max`): removed, each with a `# dusk: removed …`
//!   comment in its place; a mapping left empty stays a mapping (`count: {}`);
//! - `labextension.factory.module: dask_kubernetes` → `dask_kubernetes.operator`.
//!
//! ## Output
//! Text edits in the config file; other keys, comments and formatting stay.
//!
//! ## Fix safety
//! Unsafe: the operator reads these keys differently (it deletes an idle cluster, it names
//! clusters exactly as configured), and removed keys take behaviour with them.
//!
//! In a container's `env`, the same keys as `DASK_KUBERNETES__…` variables: classic-only
//! ones removed with a comment, `WORKER_NAME` → `NAME`, time strings → seconds (quoted: env
//! values are strings), `WORKER_TEMPLATE_PATH` → `CUSTOM_CLUSTER_SPEC` when `NAME` is fixed.
//!
//! ## Not handled
//! In Python, keys of a dict passed to `dask.config.set({…})` (dotted or nested): the same
//! renames and removals, with the comment above the statement.
//!
//! Keys set through `os.environ` in Python, inline templates in
//! variables, YAML embedded in ConfigMap strings; templates the
//! operator's types cannot read; the labextension factory's `kwargs` (the operator's
//! KubeCluster takes the config's `kubernetes.name` when none is given).

use super::pod_template_to_daskcluster::{cluster_text_with_scheduler, pod_spec_of, without_nulls};
use super::python_classic_cluster::seconds;
use crate::migrate::python_text::shorten;
use crate::migrate::{Context, Declined, OrDecline, validate, yaml_text};
use crate::source::TextRange;
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::python::{Field, FieldChild as _, KindName as _};
use crate::source::yaml::{Node, YamlFile};
use serde_json::Value;

/// Why a classic key has no operator equivalent.
fn removal_reason(key: &str) -> &'static str {
    match key {
        "host" | "port" | "deploy-mode" | "interface" | "protocol" | "dashboard-address" => {
            "the operator always runs the scheduler in the cluster"
        }
        "scheduler-service-wait-timeout" => "the closest operator key is resource-timeout",
        "scheduler-service-name-resolution-retries" => "no operator equivalent",
        "scheduler-service-template" => "the Service is spec.scheduler.service of a DaskCluster",
        "scheduler-pdb-template" => "the operator creates no PodDisruptionBudget",
        "scheduler-template" | "scheduler-template-path" => {
            "the scheduler's pod is spec.scheduler.spec of a DaskCluster"
        }
        "max" => "the operator ignores it: use adapt(maximum=...) or a ResourceQuota",
        _ => "no operator equivalent",
    }
}

const REMOVED: &[&str] = &[
    "host",
    "port",
    "deploy-mode",
    "interface",
    "protocol",
    "dashboard-address",
    "scheduler-service-wait-timeout",
    "scheduler-service-name-resolution-retries",
    "scheduler-service-template",
    "scheduler-pdb-template",
    "scheduler-template",
    "scheduler-template-path",
];

fn normal(key: &str) -> String {
    key.to_lowercase().replace('_', "-")
}

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    if let Some(file) = cx.yaml()
        && let Some(found) = yaml_text::entry_at(file, cx.range)
        && found.entry.key.range == cx.range
        && found.entry.key.as_str().map(normal).as_deref() == Some("scheduler-template")
        && scheduler_moves_with_workers(&found)
    {
        return Err(Declined::new(
            "`kubernetes.scheduler-template` moves into the DaskCluster with \
             `kubernetes.worker-template` (as its `spec.scheduler.spec`): fix that key; this \
             one goes with it",
        ));
    }
    if let Some(file) = cx.yaml()
        && let Some(found) = yaml_text::entry_at(file, cx.range)
        && found.entry.key.range == cx.range
        && parent_key(file, found.map).map(normal).as_deref() == Some("kubernetes")
        && found.entry.key.as_str().map(normal).as_deref() == Some("worker-template-path")
        && let Err(why) = loaded_file(cx, &found)
    {
        return Err(why);
    }
    attempt(cx).or_decline_with(|| {
        let written = cx.text.get(cx.range.as_range()).unwrap_or_default();
        let written = crate::migrate::python_text::shorten(written);
        let at = cx.line(cx.range.start());
        if written.contains("template") {
            format!(
                "`{written}` at {at} is not a literal classic pod template dusk can migrate \
                 (a computed value, a path it cannot read, or fields Kubernetes' types \
                 reject): migrate it by hand"
            )
        } else {
            format!(
                "`{written}` at {at} is set in a form dusk cannot rewrite (its value is not \
                 a literal, or it is not a plain key): change it by hand"
            )
        }
    })
}

fn attempt(cx: &Context<'_>) -> Option<Fix> {
    if cx.python().is_some() {
        return python_config(cx);
    }
    let file = cx.yaml()?;
    let found = yaml_text::entry_at(file, cx.range)?;
    let key = normal(found.entry.key.as_str()?);
    if key == "name"
        && found.entry.value.range == cx.range
        && let Some(var) = found.entry.value.as_str()
        && let Some(config_key) = crate::extract::model::config_key_from_env(var)
    {
        return env_var(cx, cx.text, file, &found, var, &config_key);
    }
    if found.entry.key.range != cx.range {
        return None;
    }
    let parent = parent_key(file, found.map).map(normal);
    let fix = |edits: Vec<Edit>, what: String| Some(Fix::new(edits, Applicability::Unsafe, what));
    match (parent.as_deref(), key.as_str()) {
        (Some("count"), "max") => fix(
            remove_with_comment(cx.text, file, &found, "max")?,
            "remove `kubernetes.count.max`".into(),
        ),
        (Some("factory"), "module") => factory_module(cx.text, &found),
        (Some("labextension"), "factory") => factory(cx.text, &found),
        (Some("kubernetes"), k) if REMOVED.contains(&k) => fix(
            remove_with_comment(cx.text, file, &found, k)?,
            format!("remove `kubernetes.{k}`"),
        ),
        (Some("kubernetes"), "worker-name") => rename(&found, "name", None),
        (Some("kubernetes"), "scheduler-timeout") => {
            let secs = found.entry.value.as_str().and_then(seconds);
            rename(&found, "idle-timeout", secs)
        }
        (Some("kubernetes"), "idle-timeout") => {
            let secs = found.entry.value.as_string_scalar().and_then(seconds)?;
            fix(
                vec![Edit::replace(found.entry.value.range, secs.to_string())],
                "write `kubernetes.idle-timeout` as integer seconds".into(),
            )
        }
        (Some("kubernetes"), "worker-template-path") => template_path(cx, file, &found),
        (Some("kubernetes"), "worker-template") => template(cx, &found),
        _ => None,
    }
}

/// A key of a dict passed to `dask.config.set({…})` (a dotted key, or nested dicts).
fn python_config(cx: &Context<'_>) -> Option<Fix> {
    use crate::migrate::python_text::{
        comment_above, items, node_at, plain_string, range as node_range, remove_from_list, text_of,
    };
    let text = cx.text;
    let key_node = node_at(cx.python()?, cx.range)?;
    let pair = key_node.parent().filter(|p| p.kind_name() == "pair")?;
    let dict = pair.parent().filter(|d| d.kind_name() == "dictionary")?;
    // The dotted key: this key, prefixed by the keys of the dicts around it.
    let mut parts = vec![plain_string(text, key_node)?];
    let mut outer = dict;
    while let Some(p) = outer.parent().filter(|p| p.kind_name() == "pair") {
        parts.push(plain_string(text, p.field(Field::Key)?)?);
        outer = p.parent().filter(|d| d.kind_name() == "dictionary")?;
    }
    parts.reverse();
    let full = normal(&parts.join("."));
    let key = full.strip_prefix("kubernetes.")?;
    let value = pair.field(Field::Value)?;
    let own = normal(&parts[parts.len() - 1]);
    let content = |node: tree_sitter::Node<'_>| {
        let r = node_range(node);
        TextRange::new(r.start() + 1, r.end() - 1)
    };
    let renamed = |new_key: &str| own.replace(key.rsplit('.').next().unwrap_or(key), new_key);
    let fix = |edits: Vec<Edit>, what: String| Some(Fix::new(edits, Applicability::Unsafe, what));
    match key {
        "worker-name" => fix(
            vec![Edit::replace(
                content(key_node),
                full_or_own(&parts, &renamed("name")),
            )],
            format!("rename `{full}` to `kubernetes.name`"),
        ),
        "idle-timeout" => {
            let secs = plain_string(text, value).as_deref().and_then(seconds)?;
            fix(
                vec![Edit::replace(node_range(value), secs.to_string())],
                format!("write `{full}` as integer seconds"),
            )
        }
        "scheduler-timeout" => {
            let secs = plain_string(text, value).as_deref().and_then(seconds)?;
            fix(
                vec![
                    Edit::replace(
                        content(key_node),
                        full_or_own(&parts, &renamed("idle-timeout")),
                    ),
                    Edit::replace(node_range(value), secs.to_string()),
                ],
                format!("rename `{full}` to `kubernetes.idle-timeout`"),
            )
        }
        k if REMOVED.contains(&k)
            || k == "count.max"
            || k == "worker-template"
            || k == "worker-template-path" =>
        {
            let list = items(dict);
            let index = list.iter().position(|n| *n == pair)?;
            let reason = match k {
                "worker-template" | "worker-template-path" => {
                    "put a DaskCluster in kubernetes.custom-cluster-spec (dusk can migrate the template file)"
                }
                _ => removal_reason(k.rsplit('.').next().unwrap_or(k)),
            };
            fix(
                vec![
                    Edit::delete(remove_from_list(&list, index)?),
                    comment_above(
                        text,
                        pair,
                        &format!("dusk: removed `{}`: {reason}", shorten(text_of(text, pair))),
                    ),
                ],
                format!("remove `{full}`"),
            )
        }
        _ => None,
    }
}

/// The new key as written: dotted in full when the old one was (`"kubernetes.name"`),
/// else just the last part (`{"kubernetes": {"name": …}}`).
fn full_or_own(parts: &[String], new_own: &str) -> String {
    if parts.len() == 1 && parts[0].contains('.') {
        let mut dotted: Vec<&str> = parts[0].split('.').collect();
        dotted.pop();
        dotted.push(new_own.rsplit('.').next().unwrap_or(new_own));
        dotted.join(".")
    } else {
        new_own.to_owned()
    }
}

/// A `DASK_KUBERNETES__…` variable in a container's `env` list (`found` is its `name`).
fn env_var(
    cx: &Context<'_>,
    text: &str,
    file: &YamlFile,
    found: &yaml_text::Found<'_>,
    var: &str,
    config_key: &str,
) -> Option<Fix> {
    let key = config_key.strip_prefix("kubernetes.")?;
    let item = found.map;
    let (list, index) = yaml_text::seq_of(file, item)?;
    let value = item.get("value");
    let rename = |new: &str, new_value: Option<String>| -> Option<Fix> {
        // The list's names are read once per pass, however many variables it has.
        if cx.memo.item_names(list).contains(new) {
            return None;
        }
        let mut edits = vec![Edit::replace(found.entry.value.range, new)];
        if let (Some(v), Some(nv)) = (value, new_value) {
            edits.push(Edit::replace(v.range, nv));
        }
        Some(Fix::new(
            edits,
            Applicability::Unsafe,
            format!("rename `{var}` to `{new}`"),
        ))
    };
    let secs = || {
        value
            .and_then(|v| v.as_str())
            .and_then(seconds)
            .map(|s| format!("\"{s}\""))
    };
    match key {
        "worker-name" => rename("DASK_KUBERNETES__NAME", None),
        "scheduler-timeout" => rename("DASK_KUBERNETES__IDLE_TIMEOUT", Some(secs()?)),
        "idle-timeout" => Some(Fix::new(
            vec![Edit::replace(value?.range, secs()?)],
            Applicability::Unsafe,
            format!("write `{var}` as integer seconds"),
        )),
        "worker-template-path"
            if list
                .as_seq()?
                .iter()
                .find(|n| n.get_str("name") == Some("DASK_KUBERNETES__NAME"))
                .and_then(|n| n.get_str("value"))
                .is_some_and(|n| !n.contains('{')) =>
        {
            rename("DASK_KUBERNETES__CUSTOM_CLUSTER_SPEC", None)
        }
        k if REMOVED.contains(&k) || k == "count.max" || k == "worker-template-path" => {
            let shown = match value.and_then(Node::as_str) {
                Some(v) => format!("{var}={}", shorten(v)),
                None => var.to_owned(),
            };
            let reason = if k == "worker-template-path" {
                "the cluster name is a template (or unset), which a custom cluster spec cannot carry"
            } else {
                removal_reason(k.rsplit('.').next().unwrap_or(k))
            };
            let dash = text[..item.range.start()].rfind('-')?;
            let line = yaml_text::line_start(text, dash);
            let indent = " ".repeat(dash - line);
            Some(Fix::new(
                vec![
                    yaml_text::remove_item(text, list, index)?,
                    Edit::insert(
                        line,
                        format!("{indent}# dusk: removed `{shown}`: {reason}\n"),
                    ),
                ],
                Applicability::Unsafe,
                format!("remove `{var}`"),
            ))
        }
        _ => None,
    }
}

/// The key of the mapping entry whose value is `map`.
fn parent_key<'a>(file: &'a YamlFile, map: &Node) -> Option<&'a str> {
    yaml_text::entry_at(file, map.range)
        .filter(|f| f.entry.value.range == map.range && f.entry.value.as_map().is_some())
        .and_then(|f| f.entry.key.as_str())
}

/// The cluster name the `kubernetes` mapping sets (`name`, or the `worker-name` users
/// wrote for it), or the operator's default.
fn configured_name<'a>(found: &yaml_text::Found<'a>) -> &'a str {
    found
        .map
        .get_str("name")
        .or_else(|| found.map.get_str("worker-name"))
        .unwrap_or("dask-{user}-{uuid}")
}

/// The sibling `scheduler-template` of a `kubernetes` mapping, when the worker-template
/// fix will carry it: an inline mapping beside an inline `worker-template`, a fixed name
/// and no `custom-cluster-spec` yet.
fn sibling_scheduler_template<'a>(found: &yaml_text::Found<'a>) -> Option<(usize, &'a Node)> {
    let entries = found.map.as_map()?;
    let index = entries
        .iter()
        .position(|e| e.key.as_str().map(normal).as_deref() == Some("scheduler-template"))?;
    let node = &entries[index].value;
    node.as_map()?;
    pod_spec_of(node)?;
    Some((index, node))
}

/// Whether the `scheduler-template` of `found`'s mapping moves with its worker template.
fn scheduler_moves_with_workers(found: &yaml_text::Found<'_>) -> bool {
    fixed_name(found).is_some()
        && found.map.get("custom-cluster-spec").is_none()
        && found
            .map
            .get("worker-template")
            .is_some_and(|w| w.as_map().is_some())
        && sibling_scheduler_template(found).is_some()
}

/// The configured name, if it is fixed (no `{…}` or `${…}` placeholders).
fn fixed_name<'a>(found: &yaml_text::Found<'a>) -> Option<&'a str> {
    let name = configured_name(found);
    (!name.contains('{') && !name.contains('$')).then_some(name)
}

/// Replace an entry by a `# dusk: removed …` comment (block style), or drop it and put the
/// comment above its line (flow style). An only entry leaves `{}`.
fn remove_with_comment(
    text: &str,
    file: &YamlFile,
    found: &yaml_text::Found<'_>,
    key: &str,
) -> Option<Vec<Edit>> {
    let entry = found.entry;
    let shown = shorten(&text[entry.key.range.start()..entry.value.range.end()]);
    let comment = format!("# dusk: removed `{shown}`: {}", removal_reason(key));
    let key_at = entry.key.range.start();
    let line = yaml_text::line_start(text, key_at);
    if found.map.as_map()?.len() == 1 {
        // `parent:\n  key: v` → `parent: {}  # dusk: removed …`
        if yaml_text::is_flow(text, found.map) {
            return Some(vec![Edit::replace(
                found.map.range,
                format!("{{}}  {comment}"),
            )]);
        }
        let parent = yaml_text::entry_at(file, found.map.range)
            .filter(|f| f.entry.value.range == found.map.range)?;
        let end = yaml_text::line_end_inclusive(text, found.map.range.end());
        let newline = if text[..end].ends_with('\n') {
            "\n"
        } else {
            ""
        };
        return Some(vec![Edit::replace(
            TextRange::new(parent.entry.key.range.end(), end),
            format!(": {{}}  {comment}{newline}"),
        )]);
    }
    if yaml_text::is_flow(text, found.map) || !yaml_text::starts_line(text, key_at) {
        let line_indent: String = text[line..].chars().take_while(|c| *c == ' ').collect();
        return Some(vec![
            yaml_text::remove_entry(text, found.map, found.index)?,
            Edit::insert(line, format!("{line_indent}{comment}\n")),
        ]);
    }
    let end = yaml_text::line_end_inclusive(text, entry.value.range.end());
    let newline = if text[..end].ends_with('\n') {
        "\n"
    } else {
        ""
    };
    Some(vec![Edit::replace(
        TextRange::new(line, end),
        format!("{}{comment}{newline}", " ".repeat(key_at - line)),
    )])
}

/// Rename an entry's key (unless the new key is set already), optionally with a new value.
fn rename(found: &yaml_text::Found<'_>, new_key: &str, value: Option<u64>) -> Option<Fix> {
    if found.map.get(new_key).is_some() {
        return None;
    }
    let mut edits = vec![Edit::replace(found.entry.key.range, new_key)];
    if let Some(v) = value {
        edits.push(Edit::replace(found.entry.value.range, v.to_string()));
    }
    Some(Fix::new(
        edits,
        Applicability::Unsafe,
        format!(
            "rename `{}` to `{new_key}`",
            found.entry.key.as_str().unwrap_or("")
        ),
    ))
}

/// The fix of a labextension `factory:` entry: its `module`.
pub(crate) fn factory(text: &str, found: &yaml_text::Found<'_>) -> Option<Fix> {
    let map = &found.entry.value;
    let index = map
        .as_map()?
        .iter()
        .position(|e| e.key.as_str() == Some("module"))?;
    let module = yaml_text::Found {
        map,
        index,
        entry: &map.as_map()?[index],
        root: found.root,
    };
    factory_module(text, &module)
}

/// `module: dask_kubernetes` of a labextension factory → `dask_kubernetes.operator`.
pub(crate) fn factory_module(text: &str, module: &yaml_text::Found<'_>) -> Option<Fix> {
    let value = module.entry.value.as_str()?;
    if !matches!(
        value,
        "dask_kubernetes" | "dask_kubernetes.classic" | "dask_kubernetes.core"
    ) {
        return None;
    }
    let like = &text[module.entry.value.range.as_range()];
    Some(Fix::new(
        vec![Edit::replace(
            module.entry.value.range,
            yaml_text::scalar_like(like, "dask_kubernetes.operator"),
        )],
        Applicability::Unsafe,
        "make the JupyterLab extension build the operator's KubeCluster",
    ))
}

fn template_path(cx: &Context<'_>, file: &YamlFile, found: &yaml_text::Found<'_>) -> Option<Fix> {
    let text = cx.text;
    if fixed_name(found).is_some() {
        if found.map.get("custom-cluster-spec").is_some() {
            return None;
        }
        let rename = vec![Edit::replace(found.entry.key.range, "custom-cluster-spec")];
        // The template file of the run becomes the DaskCluster in the same fix.
        if let Ok(files) = loaded_file(cx, found)
            && !files.is_empty()
        {
            let path = found.entry.value.as_str().unwrap_or_default();
            let carried = found
                .map
                .get("scheduler-template-path")
                .and_then(Node::as_str)
                .filter(|s| cx.others.is_some_and(|read| read(cx.path, s).is_ok()))
                .map(|s| {
                    format!(
                        ", whose scheduler spec carries `{s}` (no longer loaded: delete it once \
                         reviewed)"
                    )
                })
                .unwrap_or_default();
            let mut fix = Fix::new(
                rename,
                Applicability::Unsafe,
                format!(
                    "read the cluster from `kubernetes.custom-cluster-spec`: `{path}`, migrated \
                     to a DaskCluster with it{carried}"
                ),
            );
            fix.elsewhere.extend(files);
            return Some(fix);
        }
        return Some(Fix::new(
            rename,
            Applicability::Unsafe,
            "read the cluster from `kubernetes.custom-cluster-spec`: the file must now hold a \
             DaskCluster (run `dusk fix --unsafe-fixes` on it)",
        ));
    }
    let edits = remove_with_comment(text, file, found, "worker-template-path")?;
    let edits = edits
        .into_iter()
        .map(|e| Edit {
            content: e.content.replace(
                ": no operator equivalent",
                ": the cluster name is a template, which a custom cluster spec cannot carry; \
                 set kubernetes.image, resources, env and worker-command from that template",
            ),
            ..e
        })
        .collect();
    Some(Fix::new(
        edits,
        Applicability::Unsafe,
        "remove `kubernetes.worker-template-path` (a templated name cannot use a custom spec)",
    ))
}

/// The pod template file a fixed-name `kubernetes.worker-template-path` names, migrated to
/// the DaskCluster `custom-cluster-spec` will name (with a `scheduler-template-path` file
/// beside it as its scheduler, that file then noted as no longer loaded): empty when the
/// file is not one of the run (missing, outside the paths given, another machine's path:
/// the rename says to migrate it) or is a DaskCluster already; `Err` when it is, and
/// cannot be migrated with the key.
fn loaded_file(
    cx: &Context<'_>,
    found: &yaml_text::Found<'_>,
) -> Result<Vec<crate::source::edit::OtherFile>, Declined> {
    let (Some(name), Some(path), Some(read)) =
        (fixed_name(found), found.entry.value.as_str(), cx.others)
    else {
        return Ok(Vec::new());
    };
    if found.map.get("custom-cluster-spec").is_some() {
        return Ok(Vec::new());
    }
    let Ok(other) = read(cx.path, path) else {
        return Ok(Vec::new());
    };
    let at = cx.line(found.entry.key.range.start());
    // A scheduler file of the run goes into the DaskCluster, or the key is not migrated.
    let scheduler_file = found
        .map
        .get("scheduler-template-path")
        .and_then(Node::as_str)
        .and_then(|s| read(cx.path, s).ok());
    let scheduler = scheduler_file
        .as_ref()
        .map(super::pod_template_to_daskcluster::loaded_scheduler)
        .transpose()
        .map_err(|d| {
            Declined::new(format!(
                "`kubernetes.worker-template-path` at {at} loads the pod template `{path}`, \
                 which must become a DaskCluster with the `scheduler-template-path` beside it \
                 as its scheduler, and {}",
                d.reason
            ))
        })?;
    let fixed = super::pod_template_to_daskcluster::migrate_loaded(
        cx,
        &other,
        scheduler,
        Some(name),
    )
    .map_err(|d| {
        Declined::new(format!(
            "`kubernetes.worker-template-path` at {at} loads the pod template `{path}`, which \
             must become a DaskCluster in the same fix, and it cannot be migrated: {}",
            d.reason
        ))
    })?;
    let Some(fixed) = fixed else {
        return Ok(Vec::new());
    };
    let code = cx.path.file_name().map_or_else(
        || cx.path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let note = scheduler_file
        .and_then(|s| super::pod_template_to_daskcluster::no_longer_loaded(cx, s, &code, path));
    Ok(std::iter::once(crate::source::edit::OtherFile {
        path: other.path,
        display: other.display,
        original: other.text,
        fixed,
    })
    .chain(note)
    .collect())
}

/// The files a dask config's `kubernetes.worker-template-path` and
/// `scheduler-template-path` load (`migrate::loads`); empty for any other finding.
pub fn loads(cx: &Context<'_>) -> Vec<crate::migrate::loads::Load> {
    use crate::migrate::loads::{Load, Role};
    let Some(file) = cx.yaml() else {
        return Vec::new();
    };
    let Some(found) = yaml_text::entry_at(file, cx.range)
        .filter(|f| f.entry.key.range == cx.range)
        .filter(|f| parent_key(file, f.map).map(normal).as_deref() == Some("kubernetes"))
    else {
        return Vec::new();
    };
    let key = found.entry.key.as_str().map(normal).unwrap_or_default();
    let role = match key.as_str() {
        "worker-template-path" => Role::Worker,
        "scheduler-template-path" => Role::Scheduler,
        _ => return Vec::new(),
    };
    found
        .entry
        .value
        .as_str()
        .map(|written| Load {
            written: written.to_owned(),
            role,
            form: format!("`kubernetes.{key}`"),
        })
        .into_iter()
        .collect()
}

fn template(cx: &Context<'_>, found: &yaml_text::Found<'_>) -> Option<Fix> {
    let text = cx.text;
    let template = &found.entry.value;
    let key_at = found.entry.key.range.start();
    if !yaml_text::starts_line(text, key_at) || yaml_text::is_flow(text, found.map) {
        return None;
    }
    let column = yaml_text::column(text, key_at);
    let line = yaml_text::line_start(text, key_at);
    let end = yaml_text::line_end_inclusive(text, template.range.end());
    let newline = if text[..end].ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let range = TextRange::new(line, end);
    let indent = " ".repeat(column);
    if let Some(name) = fixed_name(found) {
        if found.map.get("custom-cluster-spec").is_some() {
            return None;
        }
        let scheduler = sibling_scheduler_template(found);
        let cluster =
            cluster_text_with_scheduler(cx, template, scheduler.map(|(_, n)| n), name).ok()?;
        let body = yaml_text::reindent(&cluster, 0, column + 2);
        let mut edits = vec![Edit::replace(
            range,
            format!("{indent}custom-cluster-spec:\n{body}{newline}"),
        )];
        let mut description = format!(
            "move `kubernetes.worker-template` into `kubernetes.custom-cluster-spec` as DaskCluster `{name}`"
        );
        if let Some((index, _)) = scheduler {
            let mut removal = yaml_text::remove_entry(text, found.map, index)?;
            // The comment lines right above the key describe it: they go with it.
            let key_at = found.map.as_map()?[index].key.range.start();
            let mut start = removal.range.start();
            while start > 0 && start == yaml_text::line_start(text, start) {
                let prev = yaml_text::line_start(text, start - 1);
                let line = &text[prev..start];
                let same_indent = line.len() - line.trim_start_matches(' ').len()
                    == yaml_text::column(text, key_at);
                if same_indent && line.trim_start().starts_with('#') {
                    start = prev;
                } else {
                    break;
                }
            }
            removal.range = TextRange::new(start, removal.range.end());
            edits.push(removal);
            description
                .push_str(", with `kubernetes.scheduler-template` as its `spec.scheduler.spec`");
        }
        return Some(Fix::new(edits, Applicability::Unsafe, description));
    }
    let (lines, dropped) = operator_keys(template, found.map)?;
    let name = configured_name(found);
    let mut out = format!(
        "{indent}# dusk: moved kubernetes.worker-template to the operator's keys: the cluster name \
         `{name}` is a template, which a custom cluster spec cannot carry.\n"
    );
    if !dropped.is_empty() {
        out.push_str(&format!(
            "{indent}# dusk: not carried over (no operator key): {}\n",
            dropped.join(", ")
        ));
    }
    for l in lines {
        out.push_str(&yaml_text::reindent(&l, 0, column));
    }
    let description = if dropped.is_empty() {
        "move `kubernetes.worker-template` to the operator's image/resources/env/worker-command keys".to_owned()
    } else {
        format!(
            "move `kubernetes.worker-template` to the operator's keys; not carried over: {}",
            dropped.join(", ")
        )
    };
    Some(Fix::new(
        vec![Edit::replace(
            range,
            format!("{out}{newline}").replace("\n\n", "\n"),
        )],
        Applicability::Unsafe,
        description,
    ))
}

/// `image`, `resources`, `env` and `worker-command` entries (YAML text at indentation 0)
/// from a template's first container, each only if `kubernetes` lacks it; and the settings
/// with no key.
fn operator_keys(template: &Node, kubernetes: &Node) -> Option<(Vec<String>, Vec<String>)> {
    let spec = pod_spec_of(template)?;
    let json = without_nulls(validate::to_json(spec));
    let containers = json.get("containers")?.as_array()?;
    let first = containers.first()?.as_object()?;
    let mut dropped: Vec<String> = Vec::new();
    for (k, _) in json.as_object()? {
        if !matches!(k.as_str(), "containers" | "restartPolicy") {
            dropped.push(k.clone());
        }
    }
    if containers.len() > 1 {
        dropped.push("containers[1:]".into());
    }
    for (k, _) in first {
        if !matches!(
            k.as_str(),
            "image" | "args" | "command" | "env" | "resources" | "name"
        ) {
            dropped.push(format!("containers[0].{k}"));
        }
    }
    if let Some(meta) = template.get("metadata").and_then(Node::as_map) {
        dropped.extend(
            meta.iter()
                .filter_map(|e| e.key.as_str())
                .map(|k| format!("metadata.{k}")),
        );
    }
    let mut lines = Vec::new();
    let mut put = |key: &str, value: Value| {
        if kubernetes.get(key).is_some() {
            return;
        }
        let yaml = serde_saphyr::to_string(&serde_json::json!({ key: value })).unwrap_or_default();
        lines.push(if yaml.ends_with('\n') {
            yaml
        } else {
            format!("{yaml}\n")
        });
    };
    if let Some(image) = first.get("image") {
        put("image", image.clone());
    }
    if let Some(resources) = first.get("resources") {
        put("resources", quantities_as_strings(resources.clone()));
    }
    if let Some(env) = first
        .get("env")
        .filter(|e| e.as_array().is_some_and(|a| !a.is_empty()))
    {
        put("env", env.clone());
    }
    let command: Vec<Value> = ["command", "args"]
        .iter()
        .filter_map(|k| first.get(*k)?.as_array())
        .flatten()
        .filter(|a| a.as_str() != Some(crate::dask::SCHEDULER_ADDRESS))
        .map(|a| match a {
            Value::String(_) => a.clone(),
            other => Value::String(other.to_string()),
        })
        .collect();
    if !command.is_empty() {
        put("worker-command", Value::Array(command));
    }
    Some((lines, dropped))
}

fn quantities_as_strings(resources: Value) -> Value {
    let mut resources = resources;
    if let Some(map) = resources.as_object_mut() {
        for kind in map.values_mut() {
            if let Some(q) = kind.as_object_mut() {
                for v in q.values_mut() {
                    if v.is_number() {
                        *v = Value::String(v.to_string());
                    }
                }
            }
        }
    }
    resources
}
