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

/// Whether each of `texts`, as a file of `kind`, passes the prefilter is `expected`.
fn passes(p: &Prefilter, kind: SourceKind, texts: &[&[u8]], expected: bool) {
    for text in texts {
        let shown = String::from_utf8_lossy(text);
        assert_eq!(p.may_match(kind, text), expected, "{kind:?}: {shown}");
    }
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
    let classic: &[&[u8]] = &[
        b"from dask_kubernetes import KubeCluster\n",
        b"cmd = ['dask-worker', 'tcp://s:8786']\n",
        b"dask.config.set({'kubernetes.count.max': 4})\n",
        b"dask.config.set(kubernetes__worker_template=spec)\n",
        b"os.environ['DASK_KUBERNETES__NAME'] = 'x'\n",
    ];
    passes(&p, SourceKind::Python, classic, true);
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
    // The new CLI's two words may be one shell string or two list items.
    let commands: &[&[u8]] = &[
        b"args: [\"dask worker\", \"tcp://sched:8786\"]\n",
        b"command:\n  - dask\n  - scheduler\n",
        b"command: ['dask', 'worker']\n",
        b"args: [\"sh\", \"-c\", \"exec /opt/conda/bin/dask\tworker\"]\n",
    ];
    passes(&p, SourceKind::Yaml, commands, true);
    // What only Python can hold does not get a manifest parsed.
    assert!(!p.may_match(SourceKind::Dockerfile, b"FROM python\n# dask_kubernetes\n"));
}

/// A Dask shop's manifests carry `dask` in `DASK_…` variables and image names: that alone
/// gets none parsed, while a dask chart values file (`dask` and a component key) still is.
#[test]
fn dask_in_variables_and_images_does_not_get_a_manifest_parsed() {
    let set = RuleSet::builtin().unwrap();
    let p = Prefilter::from_rules(&set);
    let etl = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: etl\n\
        spec:\n  template:\n    spec:\n      containers:\n        - name: etl\n\
                  image: registry.acme.io/ads/dask-etl:41\n\
                  command: [python, -m, etl.main]\n          env:\n\
                    - name: DASK_DISTRIBUTED__WORKER__MEMORY__TARGET\n\
                      value: \"0.6\"\n";
    let notebook = b"image: ghcr.io/dask/dask-notebook:2024.1.0\n";
    passes(&p, SourceKind::Yaml, &[etl, notebook], false);
    let values: &[&[u8]] = &[
        b"worker:\n  image:\n    repository: ghcr.io/dask/dask\n  replicas: 4\n",
        b"scheduler :\n  image: {repository: daskdev/dask, tag: 2.9.0}\n",
        b"{\"jupyter\": {\"image\": {\"repository\": \"daskdev/dask-notebook\"}}}",
        b"additional_worker_groups: []\n# dask\n",
    ];
    passes(&p, SourceKind::Yaml, values, true);
    // A component key without dask, or dask without one, is not enough.
    let half: &[&[u8]] = &[
        b"worker:\n  image: celery:5\n",
        b"env:\n  - name: DASK_DISTRIBUTED__WORKER__MEMORY__SPILL\n    value: '0.7'\n",
    ];
    passes(&p, SourceKind::Yaml, half, false);
}

/// Every trigger of every front-end lets a file through in any ASCII case, after
/// occurrences of its literal whose condition does not hold (the scan goes on past them).
#[test]
fn every_trigger_passes_in_any_ascii_case_after_failed_occurrences() {
    use dusk::rules::trigger::{Literal, Then};
    let set = RuleSet::builtin().unwrap();
    let p = Prefilter::from_rules(&set);
    // An occurrence where `then` holds, and one where it does not (none for `Anything`).
    let held = |l: &Literal| match l.then {
        Then::Anything | Then::WordEnd => format!("{} \n", l.text),
        Then::KeyColon => format!("\"{}\" :\n", l.text),
    };
    let failed = |l: &Literal| match l.then {
        Then::Anything => String::new(),
        Then::WordEnd => format!("{}_x {}-x\n", l.text, l.text),
        Then::KeyColon => format!("{}s: {} x:\n", l.text, l.text),
    };
    type Change = fn(&str) -> String;
    let cases: [(&str, Change); 3] = [
        ("upper", str::to_ascii_uppercase),
        ("lower", str::to_ascii_lowercase),
        ("alternating", |s| {
            s.chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        }),
    ];
    let mut tried = 0;
    for kind in [
        SourceKind::Yaml,
        SourceKind::Python,
        SourceKind::Notebook,
        SourceKind::Dockerfile,
    ] {
        for t in set.triggers_for(kind) {
            let literals = || std::iter::once(&t.literal).chain(&t.also);
            let before: String = literals().map(failed).collect();
            let after: String = literals().map(held).collect();
            for (case, change) in &cases {
                let text = format!("{}{}", change(&before), change(&after));
                assert!(
                    p.may_match(kind, text.as_bytes()),
                    "{kind:?}, {case}: {text:?} ({t:?})"
                );
                tried += 1;
            }
        }
    }
    assert!(
        tried > 100,
        "only {tried} cases: the packs lost their triggers?"
    );
}
