//! Server-side apply as the fake API server does it: field ownership per manager, conflicts
//! with other managers' fields set to other values, removal of fields a manager stopped
//! applying, and `managedFields` rendered from ownership. A small model of the real
//! semantics (lists are atomic, maps merge), enough that dusk's plan, apply and conflict
//! handling meet realistic answers. Test code: recursion over small fixtures is fine here.

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub type FieldPath = Vec<String>;

#[derive(Debug, Clone)]
pub struct Owner {
    pub operation: &'static str,
    pub api_version: String,
    pub fields: BTreeSet<FieldPath>,
}

/// A stored object and who owns which of its fields.
#[derive(Debug, Clone)]
pub struct Stored {
    pub object: Value,
    pub owners: BTreeMap<String, Owner>,
}

/// Fields nobody owns: identity and what the server sets.
fn unowned(path: &[String]) -> bool {
    matches!(
        path.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["apiVersion"]
            | ["kind"]
            | ["status", ..]
            | ["metadata", "name"]
            | ["metadata", "namespace"]
            | ["metadata", "uid"]
            | ["metadata", "resourceVersion"]
            | ["metadata", "generation"]
            | ["metadata", "creationTimestamp"]
            | ["metadata", "managedFields"]
    )
}

/// The leaf fields a configuration sets (maps recurse; everything else is one field).
pub fn leaves(value: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    path.push(k.clone());
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {
                if !unowned(path) {
                    out.insert(path.clone());
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

pub fn get<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn remove(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = v;
    for k in parents {
        match node.get_mut(k) {
            Some(n) => node = n,
            None => return,
        }
    }
    if let Some(m) = node.as_object_mut() {
        m.remove(last);
    }
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (into, from) => *into = from.clone(),
    }
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Apply `config` as `manager`. `Err` lists `(manager, field)` conflicts when not forced.
pub fn apply(
    existing: Option<&Stored>,
    config: &Value,
    manager: &str,
    force: bool,
) -> Result<Stored, Vec<(String, String)>> {
    let mut object = existing.map_or_else(
        || {
            json!({"apiVersion": config["apiVersion"], "kind": config["kind"],
                   "metadata": {"name": config["metadata"]["name"]}})
        },
        |s| s.object.clone(),
    );
    let mut owners = existing.map(|s| s.owners.clone()).unwrap_or_default();
    let applied = leaves(config);
    let mut conflicts = Vec::new();
    for (other, owner) in owners.iter_mut().filter(|(m, _)| m.as_str() != manager) {
        let contested: Vec<FieldPath> = owner
            .fields
            .iter()
            .filter(|owned| {
                applied
                    .iter()
                    .any(|f| overlaps(owned, f) && get(&object, f) != get(config, f))
            })
            .cloned()
            .collect();
        for field in contested {
            if force {
                owner.fields.remove(&field);
            } else {
                conflicts.push((other.clone(), format!(".{}", field.join("."))));
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    if let Some(previous) = owners.get(manager) {
        for dropped in previous.fields.difference(&applied) {
            let shared = owners
                .iter()
                .any(|(m, o)| m != manager && o.fields.contains(dropped));
            if !shared {
                remove(&mut object, dropped);
            }
        }
    }
    merge(&mut object, config);
    owners.retain(|_, o| !o.fields.is_empty());
    owners.insert(
        manager.to_owned(),
        Owner {
            operation: "Apply",
            api_version: config["apiVersion"].as_str().unwrap_or("v1").to_owned(),
            fields: applied,
        },
    );
    Ok(Stored { object, owners })
}

/// `managedFields` as the API server shows it.
pub fn managed_fields(owners: &BTreeMap<String, Owner>) -> Value {
    let entries: Vec<Value> = owners
        .iter()
        .map(|(manager, owner)| {
            let mut fields = Value::Object(Map::new());
            for path in &owner.fields {
                let mut node = &mut fields;
                for key in path {
                    node = node
                        .as_object_mut()
                        .expect("built only from objects")
                        .entry(format!("f:{key}"))
                        .or_insert_with(|| Value::Object(Map::new()));
                }
            }
            json!({"manager": manager, "operation": owner.operation,
                   "apiVersion": owner.api_version, "time": "2026-11-22T10:00:00Z",
                   "fieldsType": "FieldsV1", "fieldsV1": fields})
        })
        .collect();
    Value::Array(entries)
}
