//! `rename-service-ports`: give the scheduler Service's ports the names the operator uses.
//!
//! ## What it rewrites
//! The scheduler service of the DaskCluster (or DaskJob cluster, or `kind: Service`) a finding
//! is in. The operator finds the scheduler through Service ports named `tcp-comm` and
//! `http-dashboard`; other names break `KubeCluster` connections and the dashboard link.
//!
//! ## Output
//! The port serving 8786 (by `port` or `targetPort`, or named like `comm`/`tcp`/`scheduler`)
//! named `tcp-comm`, the one serving 8787 (or named like `dashboard`/`bokeh`/`http`) named
//! `http-dashboard`; a missing `name` is added. In a DaskCluster, every reference to an old
//! name inside the scheduler (container port names, `targetPort`, probe ports) is renamed
//! with it, so the scheduler still serves what the Service points at.
//!
//! ## Fix safety
//! Safe: inside one resource every reference is renamed together. A reference from another
//! object (an Ingress naming the service port) is not seen; the finding's message says so.
//!
//! ## Not handled
//! Ports that match neither role; references in other files.

use crate::migrate::{Context, Declined, OrDecline, yaml_text};
use crate::source::edit::{Applicability, Edit, Fix};
use crate::source::yaml::{Node, Value};
use std::collections::BTreeMap;

pub const COMM: &str = "tcp-comm";
pub const DASHBOARD: &str = "http-dashboard";

pub fn rewrite(cx: &Context<'_>) -> Result<Fix, Declined> {
    let root = yaml_text::root_at(cx.yaml_file()?, cx.range)
        .or_decline("the finding is not inside a YAML document")?;
    let (scope, ports) = scheduler_ports(root)
        .or_decline("no scheduler port list dusk recognises here: name the ports by hand")?;
    let mut renames: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut edits = Vec::new();
    for item in ports
        .as_seq()
        .or_decline("the scheduler's ports are not a list")?
    {
        let Some(role) = role(item) else { continue };
        match item.get("name") {
            Some(name) if name.as_str() == Some(role) => {}
            Some(name) => {
                if let Some(old) = name.as_str().filter(|s| !s.is_empty()) {
                    renames.insert(old.to_owned(), role);
                }
                edits.push(Edit::replace(name.range, role));
            }
            None => edits.push(
                insert_first_entry(cx.text, item, "name", role).or_decline_with(|| {
                    format!(
                        "the port at {} is written in a form dusk cannot add a name to",
                        cx.line(item.range.start())
                    )
                })?,
            ),
        }
    }
    if root.get_str("kind") != Some("Service") {
        edits.extend(rename_references(scope, ports, &renames));
    }
    if edits.is_empty() {
        return Err(Declined::new(
            "no port here is recognisably the scheduler's comm or dashboard port: name them by hand",
        ));
    }
    edits.sort_by_key(|e| e.range.start);
    edits.dedup_by_key(|e| e.range);
    Ok(Fix::new(
        edits,
        Applicability::Safe,
        format!("name the scheduler service ports `{COMM}` and `{DASHBOARD}`"),
    ))
}

/// The scheduler subtree and its Service's `ports` list.
fn scheduler_ports(root: &Node) -> Option<(&Node, &Node)> {
    match root.get_str("kind")? {
        "Service" => Some((root, root.path(&["spec", "ports"])?)),
        "DaskCluster" => {
            let s = root.path(&["spec", "scheduler"])?;
            Some((s, s.path(&["service", "ports"])?))
        }
        "DaskJob" => {
            let s = root.path(&["spec", "cluster", "spec", "scheduler"])?;
            Some((s, s.path(&["service", "ports"])?))
        }
        _ => None,
    }
}

fn number(node: Option<&Node>) -> Option<&str> {
    node.filter(|n| n.is_number()).and_then(Node::as_str)
}

/// Which of the two ports a service port item is.
fn role(item: &Node) -> Option<&'static str> {
    let port = number(item.get("port"));
    let target = item.get("targetPort").and_then(Node::as_str);
    let name = item.get_str("name").unwrap_or("").to_ascii_lowercase();
    if port == Some("8786") || target == Some("8786") {
        return Some(COMM);
    }
    if port == Some("8787") || target == Some("8787") {
        return Some(DASHBOARD);
    }
    if ["comm", "tcp", "scheduler"]
        .iter()
        .any(|w| name.contains(w))
    {
        return Some(COMM);
    }
    if ["dashboard", "bokeh", "http", "ui"]
        .iter()
        .any(|w| name.contains(w))
    {
        return Some(DASHBOARD);
    }
    None
}

/// Insert `key: value` as the first entry of a mapping, in its style.
fn insert_first_entry(text: &str, map: &Node, key: &str, value: &str) -> Option<Edit> {
    let first = map.as_map()?.first()?;
    let at = first.key.range.start();
    let sep = if yaml_text::is_flow(text, map) {
        ", ".to_owned()
    } else {
        format!("\n{}", " ".repeat(yaml_text::column(text, at)))
    };
    Some(Edit::insert(at, format!("{key}: {value}{sep}")))
}

/// Edits renaming old port names referenced inside `scope`: `name` of items of a `ports`
/// list and every `port`/`targetPort` string, except inside the service ports (done).
fn rename_references(
    scope: &Node,
    service_ports: &Node,
    renames: &BTreeMap<String, &'static str>,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    if renames.is_empty() {
        return edits;
    }
    let mut todo: Vec<(&Node, bool)> = vec![(scope, false)];
    while let Some((node, in_ports_item)) = todo.pop() {
        if std::ptr::eq(node, service_ports) {
            continue;
        }
        match &node.value {
            Value::Map(entries) => {
                for e in entries {
                    let key = e.key.as_str().unwrap_or("");
                    let renames_here =
                        matches!(key, "port" | "targetPort") || (in_ports_item && key == "name");
                    if renames_here
                        && let Some(new) = e.value.as_str().and_then(|s| renames.get(s))
                        && !e.value.is_number()
                    {
                        edits.push(Edit::replace(e.value.range, *new));
                    }
                    if key == "ports"
                        && let Some(items) = e.value.as_seq()
                    {
                        todo.extend(items.iter().map(|i| (i, true)));
                    } else {
                        todo.push((&e.value, false));
                    }
                }
            }
            Value::Seq(items) => todo.extend(items.iter().map(|i| (i, false))),
            Value::Scalar(_) => {}
        }
    }
    edits
}
