//! The maintainers' toolkit: `dusk rules check | test | docs | timeline` on the built-in
//! packs, on packs breaking each rule (`fixtures/toolkit/`), and on the example pack of
//! another project (`examples/rule-pack/`).

use dusk::rules::compile::{PackSource, compile};
use dusk::rules::policy::{self, Options};
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dusk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dusk"));
    cmd.current_dir(root());
    cmd
}

fn source(rel: &str) -> PackSource {
    PackSource {
        origin: rel.to_owned(),
        text: std::fs::read_to_string(root().join(rel)).unwrap(),
    }
}

fn check(rel: &str) -> String {
    policy::render(&policy::check(&[source(rel)], Options::default()).unwrap())
}

// ── rules check ──────────────────────────────────────────────────────────────────────────

#[test]
fn check_reports_each_kind_of_violation() {
    insta::assert_snapshot!(check("fixtures/toolkit/check/violations.yaml"));
}

#[test]
fn check_reports_every_load_problem_of_a_broken_pack() {
    insta::assert_snapshot!(check("fixtures/toolkit/check/broken.yaml"));
}

#[test]
fn builtin_packs_meet_their_policy_with_stated_exceptions() {
    let report = policy::check(&PackSource::builtin(), Options::default()).unwrap();
    assert!(report.is_clean(), "{}", policy::render(&report));
    // The real dask-kubernetes windows: the classic constructor warned from 2023.9.0 and
    // was removed in 2024.5.0, 8 months later; a 12-month policy allows 2024.9.0.
    let constructor = report
        .acknowledged
        .iter()
        .find(|a| a.violation.rule.as_deref() == Some("classic-kubecluster-constructor"))
        .expect("the constructor's window is an acknowledged exception");
    assert!(
        constructor.violation.message.contains("8 months after"),
        "{constructor:?}"
    );
    assert_eq!(
        constructor.violation.help.as_deref(),
        Some("the first compliant removal is 2024.9.0 (allowed from 2024-09)")
    );
    // The classic class itself (any import) warned from 2022.10.0: 19 months, compliant.
    assert!(
        !report
            .acknowledged
            .iter()
            .any(|a| a.violation.rule.as_deref() == Some("classic-kubecluster-import"))
    );
}

#[test]
fn support_months_flag_overrides_the_packs() {
    let report = policy::check(
        &PackSource::builtin(),
        Options {
            support_months: Some(24),
        },
    )
    .unwrap();
    // 2022.10.0 → 2024.5.0 is 19 months: too short for 24, and not an acknowledged exception.
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.rule.as_deref() == Some("classic-kubecluster-import")),
        "{}",
        policy::render(&report)
    );
}

#[test]
fn check_exit_codes() {
    let code = |args: &[&str]| {
        dusk()
            .args(["rules", "check", "--isolated"])
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["fixtures/toolkit/check/violations.yaml"]), Some(1));
    assert_eq!(code(&["fixtures/toolkit/check/broken.yaml"]), Some(1));
    assert_eq!(code(&["fixtures/toolkit/check/not-yaml.yaml"]), Some(2));
    assert_eq!(code(&["fixtures/toolkit/check/missing.yaml"]), Some(2));
}

#[test]
fn packs_with_a_policy_still_compile_for_every_command() {
    let set = compile(&[source("fixtures/toolkit/check/violations.yaml")]).unwrap();
    assert_eq!(set.policies.len(), 1);
    assert_eq!(set.policies[0].def.support_months, 12);
}
