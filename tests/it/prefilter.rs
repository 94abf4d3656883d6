//! The per-front-end prefilter skips only files that cannot match: every file of the
//! repository's fixtures and examples gets the same findings with it as with no prefilter
//! at all (issue #13). Not timed: speed is the benchmark's business (`bench/`).

use dusk::discover::{SourceKind, discover};
use dusk::lint::{Limits, Prefilter, Selection, Settings, lint_file};
use dusk::rules::{RuleSet, Targets};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn findings(settings: &Settings<'_>, files: &[dusk::discover::SourceFile]) -> Vec<String> {
    let mut out = Vec::new();
    for file in files {
        let shown = file.path.display().to_string();
        // A file with no trigger word is never parsed, so whether it parses is not reported:
        // the prefilter promises to keep every rule's findings, not parse errors of files no
        // rule could match (`fixtures/toolkit/check/not-yaml.yaml` is a broken rule pack).
        for f in lint_file(file, &shown, settings)
            .findings
            .into_iter()
            .filter(|f| f.rule != "syntax-error")
        {
            out.push(format!(
                "{}:{}:{}: {} {}",
                f.path, f.start.line, f.start.column, f.rule, f.message
            ));
        }
    }
    out
}

#[test]
fn the_prefilter_keeps_every_finding_of_the_fixtures_and_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = RuleSet::builtin().unwrap();
    let targets = Targets::default();
    let selection = Selection::default();
    let settings = |prefilter| Settings {
        rules: &set,
        targets: &targets,
        selection: &selection,
        limits: Limits::default(),
        show_upcoming: true,
        prefilter,
        current: BTreeMap::new(),
    };
    let paths: Vec<PathBuf> = ["fixtures", "examples"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    let files = discover(&paths).files;
    assert!(files.len() > 100, "only {} fixture files", files.len());
    let all = findings(&settings(Prefilter::new(&[])), &files);
    let filtered = findings(&settings(Prefilter::from_rules(&set)), &files);
    assert!(all.len() > 100, "only {} findings", all.len());
    let lost: Vec<&String> = all.iter().filter(|f| !filtered.contains(f)).collect();
    assert!(lost.is_empty(), "lost to the prefilter: {lost:#?}");
    assert_eq!(all.len(), filtered.len());
}

#[test]
fn bare_dask_or_kubernetes_does_not_get_a_python_file_parsed() {
    let set = RuleSet::builtin().unwrap();
    let p = Prefilter::from_rules(&set);
    let plain = b"import dask\nimport dask.dataframe as dd\nfrom kubernetes import client\n\
                  dask.config.set({\"distributed.worker.memory.target\": 0.6})\n";
    assert!(!p.may_match(SourceKind::Python, plain));
    assert!(!p.may_match(SourceKind::Notebook, plain));
    for classic in [
        &b"from dask_kubernetes import KubeCluster\n"[..],
        b"cmd = ['dask-worker', 'tcp://s:8786']\n",
        b"dask.config.set({'kubernetes.count.max': 4})\n",
        b"dask.config.set(kubernetes__worker_template=spec)\n",
        b"os.environ['DASK_KUBERNETES__NAME'] = 'x'\n",
    ] {
        let text = String::from_utf8_lossy(classic);
        assert!(p.may_match(SourceKind::Python, classic), "{text}");
    }
}

#[test]
fn manifests_need_a_config_key_not_an_app_kubernetes_io_label() {
    let set = RuleSet::builtin().unwrap();
    let p = Prefilter::from_rules(&set);
    let label = b"metadata:\n  labels:\n    app.kubernetes.io/name: web\nkind: Service\n";
    assert!(!p.may_match(SourceKind::Yaml, label));
    assert!(p.may_match(SourceKind::Yaml, b"kubernetes:\n  count:\n    max: 3\n"));
    assert!(p.may_match(
        SourceKind::Yaml,
        b"{\"kubernetes\": {\"count\": {\"max\": 3}}}"
    ));
    // A Dask command in a manifest still needs the parse (`dask scheduler` is hand-rolled).
    assert!(p.may_match(SourceKind::Yaml, b"args: [dask, scheduler]\n"));
    // What only Python can hold does not get a manifest parsed.
    assert!(!p.may_match(SourceKind::Dockerfile, b"FROM python\n# dask_kubernetes\n"));
}
