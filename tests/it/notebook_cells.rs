//! A notebook whose cells each repeat the classic imports (cells are run, re-run and copied
//! one by one), fixed with the built-in packs: every cell keeps an import of its own, no
//! name is imported twice, the fix converges, and a second run changes nothing. Many such
//! cells once drew every cell's import into the first cell, one name per pass, until the
//! fix loop gave up (issue #13's notebook case).

use crate::run::{fix_in, read};
use serde_json::{Value, json};
use std::fs;

/// A notebook of `n` code cells, each importing the classic names and building a cluster.
fn notebook(n: usize) -> String {
    let mut cells =
        vec![json!({"cell_type": "markdown", "metadata": {}, "source": ["# Nightly clusters\n"]})];
    for i in 0..n {
        cells.push(json!({
            "cell_type": "code",
            "execution_count": i + 1,
            "metadata": {},
            "outputs": [],
            "source": [
                "from dask_kubernetes import KubeCluster, make_pod_spec\n",
                format!("pod_{i} = make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\", memory_limit=\"{}G\")\n", 2 + i % 4),
                format!("cluster_{i} = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\"), n_workers={})\n", 1 + i % 3),
            ],
        }));
    }
    let nb = json!({
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    });
    serde_json::to_string_pretty(&nb).unwrap() + "\n"
}

fn cell_sources(json: &str) -> Vec<String> {
    let nb: Value = serde_json::from_str(json).unwrap();
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .map(|c| {
            c["source"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn every_cell_keeps_its_own_import_and_the_fix_converges() {
    let dir = tempfile::tempdir().unwrap();
    let cells = 40;
    fs::write(dir.path().join("clusters.ipynb"), notebook(cells)).unwrap();
    let (_, out) = fix_in(dir.path(), &["--unsafe-fixes"], &["clusters.ipynb"]);
    assert!(!out.contains("not fixed"), "{out}");
    let fixed = read(dir.path(), "clusters.ipynb");
    let sources = cell_sources(&fixed);
    assert_eq!(sources.len(), cells);
    for (i, source) in sources.iter().enumerate() {
        assert!(
            !source.contains("dask_kubernetes import KubeCluster"),
            "cell {i}: {source}"
        );
        assert!(!source.contains("make_pod_spec"), "cell {i}: {source}");
        // Each cell imports what it uses itself, each name once, from the operator.
        let names: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("from dask_kubernetes.operator import "))
            .flat_map(|names| names.split(", "))
            .collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            names.len(),
            "cell {i} imports a name twice: {source}"
        );
        assert!(names.contains(&"KubeCluster"), "cell {i}: {source}");
    }
    // A second run has nothing left to do.
    let (_, again) = fix_in(dir.path(), &["--unsafe-fixes"], &["clusters.ipynb"]);
    assert_eq!(read(dir.path(), "clusters.ipynb"), fixed, "{again}");
}
