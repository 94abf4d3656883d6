//! Every rewriter on its fixtures: `fixtures/rewriters/<rewriter>/<file>` is fixed (unsafe
//! fixes included) with the test rules of `fixtures/rewriters/pack.yaml`, and the diff is
//! snapshotted, with the whole fixed file for rewriters that generate resources. Each fixed
//! file must re-parse, a second fix must change nothing, and no finding whose fix was applied
//! may be left — except in files named `not-handled.*`, which show what a rewriter leaves for
//! a person: there the finding must stay, the file must not change, and the reason the
//! rewriter gives is snapshotted.
//!
//! Then the built-in packs, rule by rule: each rule that declares a fix is run alone on its
//! own fixtures (`fixtures/rules/<id>/bad.*`), and its diff and declined reasons are
//! snapshotted (`rule_fix__<id>`); a declared fix that never happens fails. Last, the
//! regression tests of issue #8.

use crate::fix_support;
use fix_support as support;

use dusk::migrate::{End, Outcome};
use std::path::Path;

/// Rewriters whose snapshots also show the whole fixed file (they generate resources).
const SHOW_RESULT: &[&str] = &["pod-template-to-daskcluster", "dask-config"];

fn fix_file(path: &Path, text: &str) -> Outcome {
    let scan = support::scan(&["dusk-test"]);
    let name = Path::new(path.file_name().unwrap());
    support::fix(&scan, name, text, true, None)
}

#[test]
fn rewriter_fixtures() {
    insta::glob!(
        "../../fixtures/rewriters",
        "*/*.{yaml,yml,py,ipynb}",
        |path| {
            let rewriter = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str())
                .unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            let text = std::fs::read_to_string(path).unwrap();
            let outcome = fix_file(path, &text);
            assert_eq!(outcome.end, End::Converged, "{name}");
            assert!(outcome.failed.is_empty(), "{name}: {:?}", outcome.failed);
            if name.starts_with("not-handled") {
                assert!(!outcome.changed(), "{name} must stay as it is");
                // Its finding stays, for a person, and no longer claims a fix it cannot have.
                // It says why, in words a person can act on.
                let scan = support::scan(&["dusk-test"]);
                let reasons: Vec<String> = outcome
                    .remaining
                    .findings
                    .iter()
                    .filter(|f| {
                        f.fix.is_none()
                            && scan
                                .rules
                                .get(&f.rule)
                                .and_then(|r| r.fix.as_ref())
                                .is_some_and(|fix| fix.rewriter == rewriter)
                    })
                    .map(|f| {
                        let reason = f.not_fixable.as_deref().unwrap_or_default();
                        assert!(
                            !reason.is_empty(),
                            "{name}: {} declined without a reason",
                            f.rule
                        );
                        format!(
                            "{}:{} {}: not fixable: {reason}",
                            f.start.line, f.start.column, f.rule
                        )
                    })
                    .collect();
                assert!(
                    !reasons.is_empty(),
                    "{name} must keep its finding for a person, without a fix"
                );
                insta::assert_snapshot!(reasons.join("\n"));
                return;
            }
            assert!(outcome.changed(), "{rewriter}/{name}: nothing was fixed");
            // The fixed file is a fixpoint: a second run changes nothing.
            let again = fix_file(path, &outcome.fixed);
            assert_eq!(
                again.fixed, outcome.fixed,
                "{name}: a second fix changed it"
            );
            assert!(again.applied.is_empty(), "{name}: {:?}", again.applied);
            // Nothing with a fix is left.
            let fixable: Vec<String> = again
                .remaining
                .findings
                .iter()
                .filter(|f| f.fix.is_some())
                .map(|f| format!("{}:{} {}", f.start.line, f.start.column, f.rule))
                .collect();
            assert!(fixable.is_empty(), "{name}: still fixable: {fixable:?}");
            let mut snapshot = format!(
                "fixed: {:?}\n\n{}",
                outcome.applied,
                dusk::diff::unified(name, &outcome.original, &outcome.fixed)
            );
            // Files the fixes change with this one (the template a call loads).
            for other in &outcome.elsewhere {
                snapshot.push_str("\n=== with ===\n");
                snapshot.push_str(&dusk::diff::unified(
                    &other.display,
                    &other.original,
                    &other.fixed,
                ));
            }
            if SHOW_RESULT.contains(&rewriter) {
                snapshot.push_str("\n=== fixed file ===\n");
                snapshot.push_str(&outcome.fixed);
            }
            insta::assert_snapshot!(snapshot);
        }
    );
}

/// Fix `text` as `file` with the built-in packs only, unsafe fixes included.
fn fix_with_builtin_packs(file: &str, text: &str) -> Outcome {
    let scan = support::builtin_scan();
    support::fix(&scan, Path::new(file), text, true, None)
}

/// The names fixes take out of one `from dask_kubernetes import …` go in the same pass: the
/// calls are migrated in the first pass, every import in the second (before, each name took
/// a pass of its own, so a file took three and a notebook of such cells four). The result is
/// what passes name by name gave: a name no fix takes stays, the moved ones join the
/// operator import, and a statement left with no name goes, or gives its place to the
/// operator import a cell without one gets.
#[test]
fn the_names_of_one_import_leave_it_in_one_pass() {
    let scan = support::builtin_scan();
    let in_two_passes = |file: &str, text: &str| {
        let outcome = support::fix_with(&scan, Path::new(file), text, |s| {
            s.unsafe_fixes = true;
            s.max_passes = 2;
        });
        assert_eq!(outcome.end, End::Converged, "{file}");
        assert!(outcome.failed.is_empty(), "{file}: {:?}", outcome.failed);
        outcome.fixed
    };
    let ingest = in_two_passes(
        "ingest.py",
        "from dask_kubernetes import HelmCluster, KubeCluster, make_pod_spec\n\n\
         pod = make_pod_spec(image=\"ghcr.io/dask/dask:2023.6.0\", memory_limit=\"4G\")\n\
         cluster = KubeCluster(pod, n_workers=4)\n\
         dashboards = HelmCluster(release_name=\"dashboards\")\n",
    );
    assert!(
        ingest.starts_with(
            "from dask_kubernetes.operator import make_cluster_spec, KubeCluster\n\
             from dask_kubernetes import HelmCluster\n\n\
             pod = make_cluster_spec("
        ),
        "{ingest}"
    );
    let train = in_two_passes(
        "train.py",
        "from dask_kubernetes import (\n    KubeCluster,\n    make_pod_spec,\n)\n\n\
         cluster = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2023.6.0\"), n_workers=2)\n",
    );
    assert!(
        train.starts_with(
            "from dask_kubernetes.operator import make_cluster_spec, KubeCluster\n\n\
             cluster = KubeCluster(custom_cluster_spec=make_cluster_spec("
        ),
        "{train}"
    );
    // Two cells, each importing both names: the second has no operator import to join.
    let cell = |i: usize| {
        serde_json::json!({
            "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
            "source": [
                "from dask_kubernetes import KubeCluster, make_pod_spec\n",
                format!("cluster_{i} = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\"), n_workers={i})\n"),
            ],
        })
    };
    let notebook = serde_json::json!({
        "cells": [cell(1), cell(2)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    });
    let fixed = in_two_passes(
        "clusters.ipynb",
        &serde_json::to_string_pretty(&notebook).unwrap(),
    );
    let fixed: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    let first_lines: Vec<&str> = fixed["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        first_lines,
        [
            "from dask_kubernetes.operator import make_cluster_spec, KubeCluster\n",
            "from dask_kubernetes.operator import KubeCluster\n",
        ]
    );
    // A cell of imports alone keeps its import: the line after it is the next cell's.
    let code = |source: &str| {
        serde_json::json!({
            "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
            "source": source,
        })
    };
    let import = "from dask_kubernetes import KubeCluster, make_pod_spec";
    let call = "cluster = KubeCluster(make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\"))";
    let notebook = serde_json::json!({
        "cells": [code(import), code(call), code(import), code(call)],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    });
    let outcome = support::fix(
        &scan,
        Path::new("imports.ipynb"),
        &serde_json::to_string_pretty(&notebook).unwrap(),
        true,
        None,
    );
    assert_eq!(outcome.end, End::Converged);
    let fixed: serde_json::Value = serde_json::from_str(&outcome.fixed).unwrap();
    let sources: Vec<String> = fixed["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| match &c["source"] {
            serde_json::Value::Array(lines) => lines.iter().map(|l| l.as_str().unwrap()).collect(),
            other => other.as_str().unwrap().to_owned(),
        })
        .collect();
    assert_eq!(
        sources[2], "from dask_kubernetes.operator import KubeCluster",
        "{sources:#?}"
    );
    assert!(
        sources[3].starts_with("cluster = KubeCluster("),
        "{sources:#?}"
    );
}

/// The keywords of one call that fixes remove go in one pass, each with its comment, in
/// source order (before, the last two waited a pass for each other's comma).
#[test]
fn the_keywords_of_one_call_leave_it_in_one_pass() {
    let scan = support::builtin_scan();
    let text = "from dask_kubernetes.operator import KubeCluster\n\n\
                cluster = KubeCluster(name=\"etl\", image=\"ghcr.io/dask/dask:2024.1.0\")\n\
                cluster.adapt(minimum=1, wait_count=3, maximum=10, interval=\"2s\", target_duration=\"9s\")\n";
    let outcome = support::fix_with(&scan, Path::new("etl.py"), text, |s| {
        s.unsafe_fixes = true;
        s.max_passes = 1;
    });
    assert_eq!(outcome.end, End::Converged);
    assert_eq!(outcome.fixed_count(), 3, "{:?}", outcome.applied);
    let why = "the operator's adapt() takes only minimum and maximum";
    assert!(
        outcome.fixed.ends_with(&format!(
            "# dusk: removed `wait_count=3`: {why}\n\
             # dusk: removed `interval=\"2s\"`: {why}\n\
             # dusk: removed `target_duration=\"9s\"`: {why}\n\
             cluster.adapt(minimum=1, maximum=10)\n"
        )),
        "{}",
        outcome.fixed
    );
}

/// An import statement a fix removes that shares its line with another statement goes
/// alone: before, its whole line went, and `x = 1` with it.
#[test]
fn an_import_removed_from_a_shared_line_takes_only_itself() {
    for (text, fixed) in [
        (
            "import os\nx = 1; from dask_kubernetes import make_pod_spec\nprint(os.name)\n",
            "import os\nx = 1\nprint(os.name)\n",
        ),
        (
            "import os\nfrom dask_kubernetes import make_pod_spec; x = 1\nprint(x)\n",
            "import os\nx = 1\nprint(x)\n",
        ),
    ] {
        let outcome = fix_with_builtin_packs("job.py", text);
        assert_eq!(outcome.end, End::Converged);
        assert_eq!(outcome.fixed, fixed);
    }
    // An import used only by a removed keyword goes with it, and not what shares its line
    // (before, `import os` went too, and the fix was rolled back for leaving `os` unbound).
    let text = "from dask_kubernetes.operator import KubeCluster\n\
                from datetime import timedelta; import os\n\
                cluster = KubeCluster(name=\"etl\", image=\"ghcr.io/dask/dask:2024.1.0\")\n\
                cluster.adapt(minimum=1, maximum=2, interval=timedelta(seconds=2))\n\
                print(os.name)\n";
    let outcome = fix_with_builtin_packs("job.py", text);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert!(
        outcome
            .fixed
            .starts_with("from dask_kubernetes.operator import KubeCluster\nimport os\ncluster = "),
        "{}",
        outcome.fixed
    );
}

/// Issue #8: a bare-statement constructor was declined (its range is the statement's too)
/// while the import moved, leaving an operator `KubeCluster("worker.yaml")`.
#[test]
fn issue_8_bare_statement_constructor_is_migrated_with_its_import() {
    let text = "from dask_kubernetes import KubeCluster\n\n\
                KubeCluster(\"worker.yaml\", deploy_mode=\"local\")\n";
    let outcome = fix_with_builtin_packs("launch.py", text);
    assert_eq!(outcome.end, End::Converged);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        outcome.fixed,
        "from dask_kubernetes.operator import KubeCluster\n\n\
         # dusk: removed `deploy_mode=\"local\"`: no Dask Operator equivalent\n\
         KubeCluster(custom_cluster_spec=\"worker.yaml\")\n"
    );
}

/// Issue #8: a pod template with an integer env value gave `fix: null` and no reason.
#[test]
fn issue_8_integer_env_value_is_quoted_and_a_boolean_is_declined_with_a_reason() {
    let template = |value: &str| {
        format!(
            "kind: Pod\nspec:\n  containers:\n    - name: worker\n      \
             image: ghcr.io/dask/dask:2024.1.0\n      args: [dask, worker, --nthreads, \"2\"]\n      \
             env:\n        - name: OMP_NUM_THREADS\n          value: {value}\n"
        )
    };
    let outcome = fix_with_builtin_packs("worker-spec.yaml", &template("4"));
    assert_eq!(outcome.applied.get("classic-worker-pod-template"), Some(&1));
    assert!(
        outcome.fixed.contains("kind: DaskCluster")
            && outcome.fixed.contains("value: \"4\"")
            && !outcome.fixed.contains("value: 4"),
        "{}",
        outcome.fixed
    );

    let outcome = fix_with_builtin_packs("worker-spec.yaml", &template("true"));
    assert!(!outcome.changed(), "{}", outcome.fixed);
    let finding = outcome
        .remaining
        .findings
        .iter()
        .find(|f| f.rule == "classic-worker-pod-template")
        .expect("the finding stays for a person");
    assert!(finding.fix.is_none());
    assert_eq!(
        finding.not_fixable.as_deref(),
        Some(
            "env value `true` of `OMP_NUM_THREADS` at line 9 is not a string, and Kubernetes \
             takes only strings: quote it (`\"true\"`, or `\"True\"` as Python wrote it) and rerun"
        )
    );
}

/// The built-in packs with only `rule` selected.
fn only_rule(rule: &str) -> dusk::cli::check::Scan {
    let args = dusk::cli::args::ScanArgs {
        select: vec![rule.to_owned()],
        packs: dusk::cli::args::PackArgs {
            isolated: true,
            ..Default::default()
        },
        ..Default::default()
    };
    dusk::cli::check::Scan::build(&args, None).unwrap()
}

/// Every built-in rule that declares a fix, on its own fixtures (`fixtures/rules/<id>/bad.*`),
/// fixed with that rule alone (unsafe fixes included): the diff and what was declined, with
/// its reason, are snapshotted. A rule whose rewriter never produces a fix on its own
/// fixtures fails the test: a declared fix must exist somewhere.
#[test]
fn every_declared_fix_fixes_its_own_rule_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let builtin = support::builtin_scan();
    let mut never = Vec::new();
    for rule in builtin.rules.rules.iter().filter(|r| r.fix.is_some()) {
        let dir = root.join(&rule.id);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.starts_with("bad"))
                    && p.extension().is_some()
            })
            .collect();
        files.sort();
        let scan = only_rule(&rule.id);
        let mut fixed_any = false;
        let mut snapshot = String::new();
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let name = path.file_name().unwrap().to_str().unwrap();
            let outcome = support::fix(&scan, Path::new(name), &text, true, None);
            assert!(
                outcome.failed.is_empty(),
                "{}/{name}: {:?}",
                rule.id,
                outcome.failed
            );
            assert_eq!(outcome.end, End::Converged, "{}/{name}", rule.id);
            // Only this rule may have touched the file.
            assert!(
                outcome.applied.keys().all(|r| *r == rule.id),
                "{}/{name}: fixed by {:?}",
                rule.id,
                outcome.applied
            );
            fixed_any |= outcome.applied.get(&rule.id).is_some_and(|n| *n > 0);
            snapshot.push_str(&format!(
                "=== {name}: fixed {}\n",
                outcome.applied.get(&rule.id).copied().unwrap_or(0)
            ));
            snapshot.push_str(&dusk::diff::unified(
                name,
                &outcome.original,
                &outcome.fixed,
            ));
            // Files the fix creates beside this one, as new-file diffs.
            for created in &outcome.created {
                snapshot.push_str(&dusk::diff::unified(&created.name, "", &created.text));
            }
            for f in outcome
                .remaining
                .findings
                .iter()
                .filter(|f| f.rule == rule.id)
            {
                snapshot.push_str(&format!(
                    "left at {}:{}: {}\n",
                    f.start.line,
                    f.start.column,
                    f.not_fixable.as_deref().map_or_else(
                        || "(fixable, not applied)".to_owned(),
                        |r| format!("not fixable: {r}")
                    )
                ));
            }
        }
        if !fixed_any {
            never.push(rule.id.clone());
        }
        insta::assert_snapshot!(format!("rule_fix__{}", rule.id), snapshot);
    }
    assert!(
        never.is_empty(),
        "rules that declare a fix their rewriter never makes on their own fixtures: {never:?}"
    );
}

/// Issue #8: a declined fix says why in every place a user looks — text, JSON and
/// `dusk fix`'s list of what is left (the binary, end to end).
#[test]
fn issue_8_a_declined_fix_says_why_in_text_json_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("worker-spec.yaml");
    std::fs::write(
        &path,
        "kind: Pod\nspec:\n  containers:\n    - name: worker\n      image: ghcr.io/dask/dask:2024.1.0\n      \
         args: [dask, worker]\n      env:\n        - name: FLAG\n          value: true\n",
    )
    .unwrap();
    let reason = "env value `true` of `FLAG` at line 9 is not a string";
    let dusk = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dusk"))
            .args(args)
            .arg("--isolated")
            .arg(&path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let json: serde_json::Value =
        serde_json::from_str(&dusk(&["check", "--format", "json"])).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "classic-worker-pod-template")
        .unwrap();
    assert_eq!(finding["fix"]["available"], false, "{finding:#}");
    assert!(
        finding["fix"]["reason"]
            .as_str()
            .unwrap()
            .starts_with(reason),
        "{finding:#}"
    );
    let text = dusk(&["check", "--format", "text"]);
    assert!(text.contains(&format!("not fixable: {reason}")), "{text}");
    let fixed = dusk(&["fix", "--unsafe-fixes"]);
    assert!(
        fixed.contains(&format!("[not fixable: {reason}")),
        "{fixed}"
    );
}

/// Issue #8: `make_cluster_spec(...)` is written through the one builder, so a
/// `KubeCluster(name=…)` that is no valid DaskCluster name is declined with the builder's
/// reason (it used to be written as it was), and a positional image older than the `dask`
/// command keeps `dask-worker`.
#[test]
fn issue_8_make_cluster_spec_goes_through_the_builder() {
    let scan = only_rule("make-pod-spec-call");
    let text = "from dask_kubernetes import KubeCluster, make_pod_spec\n\n\
                spec = make_pod_spec(image=\"ghcr.io/dask/dask:2024.1.0\", memory_limit=\"2G\")\n\
                cluster = KubeCluster(spec, name=\"Nightly_ETL\")\n";
    let outcome = support::fix(&scan, Path::new("flow.py"), text, true, None);
    assert!(!outcome.changed(), "{}", outcome.fixed);
    let finding = outcome
        .remaining
        .findings
        .iter()
        .find(|f| f.rule == "make-pod-spec-call")
        .expect("the call stays for a person");
    assert_eq!(
        finding.not_fixable.as_deref(),
        Some(
            "`Nightly_ETL` is not a valid DaskCluster name (lower-case letters, digits and `-`, \
             at most 53 characters): choose one that is"
        )
    );

    let text = "from dask_kubernetes import make_pod_spec\n\n\
                spec = make_pod_spec(\"daskdev/dask:2022.1.0\", threads_per_worker=2, cpu_limit=2)\n";
    let outcome = support::fix(&scan, Path::new("flow.py"), text, true, None);
    assert!(
        outcome.fixed.contains(
            "make_cluster_spec(name=\"dask\", image=\"daskdev/dask:2022.1.0\", \
             resources={\"limits\": {\"cpu\": \"2\"}, \"requests\": {}}, \
             worker_command=[\"dask-worker\", \"--nthreads\", \"2\"])"
        ),
        "{}",
        outcome.fixed
    );
}

/// Each builder function of a module names its own cluster: the name of a `make_pod_spec(...)`
/// assigned in a function comes from the `KubeCluster` call of that function, not from the
/// first call in the file passing a variable of the same name.
#[test]
fn each_builder_function_keeps_its_own_cluster_name() {
    assert_eq!(
        cluster_names("jobs.py"),
        [r#"name="alignment""#, r#"name="variant-calling""#]
    );
}

/// The same at module level, where the variable is bound again (cells of an exported
/// notebook): each binding takes the name of the call after it.
#[test]
fn each_rebinding_keeps_its_own_cluster_name() {
    assert_eq!(
        cluster_names("exported_notebook.py"),
        [r#"name="bench-small""#, r#"name="bench-large""#]
    );
}

/// The `name="…"` of each `make_cluster_spec(...)` of
/// `fixtures/safe-fixes/builder-functions/FILE` once fixed.
fn cluster_names(file: &str) -> Vec<String> {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/safe-fixes/builder-functions"
    ))
    .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let outcome = fix_file(&path, &text);
    outcome
        .fixed
        .split("make_cluster_spec(")
        .skip(1)
        .filter_map(|rest| rest.split(',').next())
        .filter(|first| first.starts_with("name="))
        .map(str::to_owned)
        .collect()
}
