//! Edits of a notebook's joined code cells → the notebook's JSON with only those cells'
//! `source` changed.
//!
//! Rewriters see a notebook as the Python of its code cells joined with `\n`
//! (`source::notebook`). Their edits are applied here cell by cell to each cell's own source
//! (magic lines, which the joined text blanks to spaces of the same length, keep their
//! offsets), and each changed source is written back into the JSON text in its own shape: a
//! list of lines stays a list (lines that did not change keep their exact JSON text, so
//! escapes and indentation stay), a string stays a string. Outputs, metadata, execution
//! counts and every other cell stay byte for byte. Where each cell's `source` is written was
//! found when the notebook was read ([`Notebook::sources`]), so no re-serialization of the
//! notebook happens, and the JSON is not read again for each fix pass (#13).

use crate::source::TextRange;
use crate::source::edit::{Edit, apply_edits};
use crate::source::notebook::{Notebook, SourceSpan};

/// The notebook `json` after applying `edits` (ranges in `nb.python`, the joined cells);
/// `nb` is the notebook `json` was read as. `Err` says why not: an edit crossing cells, or
/// a cell whose `source` is not JSON strings.
pub fn apply(json: &str, nb: &Notebook, edits: &[Edit]) -> Result<String, String> {
    let mut per_cell: Vec<Vec<Edit>> = vec![Vec::new(); nb.cells.len()];
    for edit in edits {
        // A deletion of a cell's last line may take the line break after it, which is the
        // separator the joined text put between cells: the cell then keeps a final newline.
        // The one cell that can hold it is the last starting at or before it (cells are in
        // order and apart): found by bisection, as a notebook of N cells has N edits.
        let i = nb
            .cells
            .partition_point(|(_, r)| r.start() <= edit.range.start())
            .checked_sub(1)
            .filter(|&i| {
                let r = nb.cells[i].1;
                let end = if edit.range.is_empty() {
                    r.end()
                } else {
                    r.end() + 1
                };
                edit.range.end() <= end
            })
            .ok_or("an edit crosses notebook cells")?;
        let cell = nb.cells[i].1;
        let end = edit.range.end().min(cell.end());
        per_cell[i].push(Edit::replace(
            TextRange::new(edit.range.start() - cell.start(), end - cell.start()),
            edit.content.clone(),
        ));
    }
    let mut json_edits = Vec::new();
    for (i, local) in per_cell.iter().enumerate() {
        if local.is_empty() {
            continue;
        }
        let source = nb.sources.get(i).unwrap_or(&SourceSpan::Missing);
        let old = source_text(json, source)?;
        let new = apply_edits(&old, local).map_err(|e| e.to_string())?;
        json_edits.push(write_source(json, source, &new)?);
    }
    apply_edits(json, &json_edits).map_err(|e| e.to_string())
}

/// The JSON string at `range` of `json`, decoded.
fn string_at(json: &str, range: TextRange) -> Result<String, String> {
    json.get(range.as_range())
        .and_then(|s| serde_json::from_str::<String>(s).ok())
        .ok_or_else(|| "a cell `source` that is not JSON strings".to_owned())
}

/// A cell's source as one string (a list of lines joined).
///
/// Only JSON strings count, exactly as `source::notebook` read the cell: an item of another
/// type would shift every edit, so such a cell is refused rather than mis-edited.
fn source_text(json: &str, source: &SourceSpan) -> Result<String, String> {
    match source {
        SourceSpan::String(range) => string_at(json, *range),
        SourceSpan::List(_, items) => items.iter().map(|r| string_at(json, *r)).collect(),
        SourceSpan::Other => Err("a cell `source` that is not JSON strings".to_owned()),
        SourceSpan::Missing => Err("a code cell without `source`".to_owned()),
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The edit writing `new` into the JSON `source` value, in the value's own shape.
fn write_source(json: &str, source: &SourceSpan, new: &str) -> Result<Edit, String> {
    let (range, items) = match source {
        SourceSpan::String(range) => return Ok(Edit::replace(*range, json_string(new))),
        SourceSpan::List(range, items) => (*range, items),
        _ => return Err("a cell `source` that is not JSON strings".into()),
    };
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        let body: Vec<String> = new_lines.iter().map(|l| json_string(l)).collect();
        return Ok(Edit::replace(range, format!("[{}]", body.join(", "))));
    };
    let old_lines: Vec<String> = items
        .iter()
        .map(|r| string_at(json, *r))
        .collect::<Result<_, _>>()?;
    let old_lines: Vec<&str> = old_lines.iter().map(String::as_str).collect();
    // The separator between items as the notebook writes it (`,\n   ` or `, `).
    let separator = match items.get(1) {
        Some(second) => json[first.end()..second.start()].to_owned(),
        None => {
            let line = json[..first.start()].rfind('\n').map_or(0, |i| i + 1);
            let indent = &json[line..first.start()];
            if indent.trim().is_empty() {
                format!(",\n{indent}")
            } else {
                ", ".to_owned()
            }
        }
    };
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
    let mut out: Vec<String> = Vec::new();
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            similar::DiffTag::Equal => {
                out.extend(items[old].iter().map(|r| json[r.as_range()].to_owned()))
            }
            _ => out.extend(new_lines[new].iter().map(|l| json_string(l))),
        }
    }
    Ok(Edit::replace(
        TextRange::new(first.start(), last.end()),
        out.join(&separator),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = r##"{
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": ["# Title\n", "caf\u00e9"]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {"tags": ["setup"]},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}],
   "source": [
    "%pip install dask-kubernetes\n",
    "from dask_kubernetes import KubeCluster  # caf\u00e9\n",
    "cluster = KubeCluster(\"w.yaml\")"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "metadata": {},
   "outputs": [],
   "source": "cluster.adapt(minimum=1, maximum=2)"
  }
 ],
 "metadata": {"kernelspec": {"name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

    fn edit_at(nb: &Notebook, needle: &str, content: &str) -> Edit {
        let at = nb.python.find(needle).unwrap();
        Edit::replace(TextRange::new(at, at + needle.len()), content)
    }

    #[test]
    fn only_the_edited_lines_change() {
        let nb = crate::source::notebook::parse(NB).unwrap();
        let edits = [
            edit_at(
                &nb,
                "dask_kubernetes import",
                "dask_kubernetes.operator import",
            ),
            edit_at(&nb, "\"w.yaml\"", "custom_cluster_spec=\"w.yaml\""),
            edit_at(&nb, "minimum=1", "minimum=0"),
        ];
        let out = apply(NB, &nb, &edits).unwrap();
        let expected = NB
            .replace(
                r#""from dask_kubernetes import KubeCluster  # caf\u00e9\n""#,
                r#""from dask_kubernetes.operator import KubeCluster  # café\n""#,
            )
            .replace(
                r#""cluster = KubeCluster(\"w.yaml\")""#,
                r#""cluster = KubeCluster(custom_cluster_spec=\"w.yaml\")""#,
            )
            .replace("minimum=1", "minimum=0");
        assert_eq!(out, expected);
        // The magic line and the markdown cell's escapes are untouched.
        assert!(out.contains(r#""%pip install dask-kubernetes\n""#));
        assert!(out.contains(r#""caf\u00e9""#));
    }

    #[test]
    fn added_lines_follow_the_list_layout() {
        let nb = crate::source::notebook::parse(NB).unwrap();
        let at = nb.python.find("cluster = ").unwrap();
        let edits = [Edit::insert(at, "# dusk: note\n")];
        let out = apply(NB, &nb, &edits).unwrap();
        assert!(
            out.contains("  # caf\\u00e9\\n\",\n    \"# dusk: note\\n\",\n    \"cluster = "),
            "{out}"
        );
    }

    #[test]
    fn an_edit_across_cells_is_refused() {
        let nb = crate::source::notebook::parse(NB).unwrap();
        let start = nb.python.find("(\"w.yaml\")").unwrap();
        let end = nb.python.find("adapt").unwrap();
        let edits = [Edit::delete(TextRange::new(start, end))];
        assert!(apply(NB, &nb, &edits).is_err());
    }

    #[test]
    fn a_cell_source_with_a_non_string_item_is_refused_not_mis_edited() {
        let json = r#"{"cells": [{"cell_type": "code", "source": [1, "x = 1\n"]}]}"#;
        let nb = crate::source::notebook::parse(json).unwrap();
        let edits = [Edit::replace(TextRange::new(0, 1), "y")];
        let err = apply(json, &nb, &edits).unwrap_err();
        assert!(err.contains("not JSON strings"), "{err}");
    }
}
