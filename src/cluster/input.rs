//! Paths → the Dask Operator resources to plan, each with the file and line it came from.
//!
//! Reads the YAML files under the given paths (the same walk as `dusk check`) and keeps every
//! document whose `apiVersion` is in `kubernetes.dask.org`. Objects keep their source text,
//! so a field the API server rejects can be shown at its line. Never contacts a cluster.

use super::plan::{Desired, Origin};
use super::yaml::json_from_node;
use super::{Error, Kind, OPERATOR_GROUP, ObjectId};
use crate::discover::{SourceKind, discover};
use crate::migrate::{FileMeta, FixSettings, fix_text};
use crate::source::LineIndex;
use crate::source::yaml::Node;
use std::path::PathBuf;
use std::sync::Arc;

/// Largest file read, as for `dusk check`.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The operator resources `dusk plan` and `dusk apply` work on for these paths: each YAML
/// file as `dusk fix` (with `fix`'s settings) would leave it, so classic pod templates are
/// planned as the DaskClusters they become. Nothing is written; an object's line is its line
/// in that fixed text.
pub fn resources_for_paths(
    paths: &[PathBuf],
    fix: &FixSettings<'_>,
) -> Result<Vec<Desired>, Error> {
    let found = discover(paths);
    if let Some(w) = found.warnings.first() {
        return Err(Error::Read {
            path: display_path(&w.path),
            source: std::io::Error::other(w.message.clone()),
        });
    }
    let mut out = Vec::new();
    for file in found.files.iter().filter(|f| f.kind == SourceKind::Yaml) {
        let path = display_path(&file.path);
        let text = read(&file.path, &path)?;
        let meta = FileMeta {
            kind: file.kind,
            beside_chart: file.beside_chart,
            path: &file.path,
            display_path: &path,
        };
        let fixed = fix_text(meta, text, fix).fixed;
        if fixed.contains(OPERATOR_GROUP) {
            out.extend(objects_in_text(&path, fixed.into())?);
        }
    }
    Ok(out)
}

/// A path as reports show it: as given, without a leading `./`.
fn display_path(path: &std::path::Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

fn read(file: &std::path::Path, path: &str) -> Result<String, Error> {
    let io_error = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let bytes = crate::discover::read_regular(file, MAX_FILE_BYTES).map_err(io_error)?;
    String::from_utf8(bytes).map_err(|_| io_error(std::io::Error::other("not UTF-8")))
}

/// The operator resources among the documents of one YAML text.
pub fn objects_in_text(path: &str, text: Arc<str>) -> Result<Vec<Desired>, Error> {
    let index = LineIndex::new(&text);
    let file = crate::source::yaml::parse(&text, Default::default()).map_err(|e| {
        let at = index.line_column(&text, e.range.start());
        Error::Yaml {
            path: path.to_owned(),
            message: format!("line {}, column {}: {}", at.line, at.column, e.message),
        }
    })?;
    let mut out = Vec::new();
    for (document, root) in file
        .documents
        .iter()
        .enumerate()
        .filter_map(|(i, d)| Some((i, d.root.as_ref()?)))
    {
        let Some(api_version) = root.get_str("apiVersion") else {
            continue;
        };
        if api_version.split('/').next() != Some(OPERATOR_GROUP) {
            continue;
        }
        let line = index.line_column(&text, root.range.start()).line;
        let bad = |message: String| Error::BadObject {
            path: path.to_owned(),
            line,
            message,
        };
        let id = object_id(root, api_version).map_err(bad)?;
        let object = json_from_node(root).map_err(|(range, message)| Error::BadObject {
            path: path.to_owned(),
            line: index.line_column(&text, range.start()).line,
            message,
        })?;
        out.push(Desired {
            id,
            object,
            sensitive: Vec::new(),
            migration: None,
            origin: Origin::File {
                path: path.to_owned(),
                text: text.clone(),
                document,
                line,
            },
        });
    }
    Ok(out)
}

fn object_id(root: &Node, api_version: &str) -> Result<ObjectId, String> {
    let kind_name = root.get_str("kind").unwrap_or_default();
    let kind = Kind::lookup(api_version, kind_name).ok_or_else(|| {
        let known: Vec<String> = Kind::OPERATOR
            .iter()
            .map(|k| format!("`{}`", k.kind))
            .collect();
        format!(
            "`{api_version}` `{kind_name}` is not a Dask Operator resource dusk knows (known: {} in `{OPERATOR_GROUP}/v1`)",
            known.join(", ")
        )
    })?;
    let name = root
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            format!(
                "{} has no `metadata.name` (server-side apply needs a fixed name)",
                kind.kind
            )
        })?;
    Ok(ObjectId {
        kind,
        namespace: root
            .path(&["metadata", "namespace"])
            .and_then(Node::as_str)
            .map(str::to_owned),
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_operator_documents_are_kept_with_their_lines() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata:\n  name: demo\n  namespace: dask\nspec:\n  worker: {replicas: 2}\n";
        let found = objects_in_text("c.yaml", text.into()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id.to_string(), "DaskCluster dask/demo");
        assert_eq!(found[0].origin.describe(), "c.yaml:5");
        assert_eq!(found[0].object["spec"]["worker"]["replicas"], 2);
    }

    #[test]
    fn unknown_kinds_and_missing_names_are_errors_with_a_line() {
        let text = "apiVersion: kubernetes.dask.org/v1\nkind: DaskThing\nmetadata: {name: x}\n";
        let err = objects_in_text("c.yaml", text.into()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("c.yaml:1: `kubernetes.dask.org/v1` `DaskThing`"),
            "{err}"
        );
        let text = "\napiVersion: kubernetes.dask.org/v1\nkind: DaskCluster\nmetadata: {generateName: x-}\n";
        let err = objects_in_text("c.yaml", text.into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.yaml:2: DaskCluster has no `metadata.name` (server-side apply needs a fixed name)"
        );
    }
}
