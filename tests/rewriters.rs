//! Every rewriter on its fixtures: `fixtures/rewriters/<rewriter>/<file>` is fixed (unsafe
//! fixes included) with the test rules of `fixtures/rewriters/pack.yaml`, and the diff is
//! snapshotted, with the whole fixed file for rewriters that generate resources. Each fixed
//! file must re-parse, a second fix must change nothing, and no finding whose fix was applied
//! may be left — except in files named `not-handled.*`, which show what a rewriter leaves for
//! a person: there the finding must stay and the file must not change.

mod fix_support;
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
    insta::glob!("../fixtures/rewriters", "*/*.{yaml,yml,py,ipynb}", |path| {
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
            let scan = support::scan(&["dusk-test"]);
            let declined = outcome.remaining.findings.iter().any(|f| {
                f.fix.is_none()
                    && scan
                        .rules
                        .get(&f.rule)
                        .and_then(|r| r.fix.as_ref())
                        .is_some_and(|fix| fix.rewriter == rewriter)
            });
            assert!(
                declined,
                "{name} must keep its finding for a person, without a fix"
            );
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
        if SHOW_RESULT.contains(&rewriter) {
            snapshot.push_str("\n=== fixed file ===\n");
            snapshot.push_str(&outcome.fixed);
        }
        insta::assert_snapshot!(snapshot);
    });
}
