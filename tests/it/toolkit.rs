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
    // The policy block never stops a pack from loading; this fixture's repeated id (issue
    // #12) and its unfilled `{keyword}` placeholder (issue #8) do for every command but
    // `rules check`, which reports them with the rest, and nothing else does.
    let pack = [source("fixtures/toolkit/check/violations.yaml")];
    let err = compile(&pack).unwrap_err();
    let problems: Vec<&str> = err.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        problems,
        [
            "message placeholder `{keyword}` is never filled for this matcher (it fills: name, replacement)",
            "duplicate rule id: already defined at fixtures/toolkit/check/violations.yaml:55"
        ]
    );
    let set = dusk::rules::compile::compile_lenient(&pack).unwrap();
    assert_eq!(set.policies.len(), 1);
    assert_eq!(set.policies[0].def.support_months, 12);
}

// ── rules docs ───────────────────────────────────────────────────────────────────────────

#[test]
fn committed_rule_docs_are_current() {
    let set = dusk::rules::RuleSet::builtin().unwrap();
    let generated = dusk::rules::docs::markdown(&set);
    let committed = std::fs::read_to_string(root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: regenerate it with `dusk rules docs --isolated --output docs/rules.md`"
    );
}

#[test]
fn rule_docs_have_a_section_per_rule() {
    let set = dusk::rules::RuleSet::builtin().unwrap();
    let docs = dusk::rules::docs::markdown(&set);
    for rule in &set.rules {
        assert!(
            docs.contains(&format!("<a id=\"{}\"></a>\n### `{}`", rule.id, rule.id)),
            "{}",
            rule.id
        );
    }
}

// ── rules timeline ───────────────────────────────────────────────────────────────────────

#[test]
fn timeline_svg_has_one_bar_per_rule() {
    let set = dusk::rules::RuleSet::builtin().unwrap();
    let components = dusk::rules::timeline::components(&set, None).unwrap();
    let html = dusk::rules::timeline::html(&components);
    assert_eq!(html.matches("<g class=\"bar\"").count(), set.rules.len());
    for c in &components {
        let svg = dusk::rules::timeline::svg(c);
        assert_eq!(
            svg.matches("<g class=\"bar\"").count(),
            c.rules.len(),
            "{}",
            c.name
        );
        for rule in &c.rules {
            assert!(
                svg.contains(&format!("data-rule=\"{}\"", rule.id)),
                "{}",
                rule.id
            );
        }
    }
    // Self-contained: nothing to fetch.
    for outside in ["<script", "<link", "src=", "@import", "http://", "https://"] {
        let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!without_ns.contains(outside), "{outside}");
    }
}

/// Headless Chromium from Debian's `chromium` package, or `None` where it is missing (a
/// failure on CI, which installs it).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed; .ci/run installs it with apt-get"
        );
        eprintln!("skipping: chromium is not installed (apt-get install chromium)");
    }
    found
}

#[test]
fn timeline_page_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let set = dusk::rules::RuleSet::builtin().unwrap();
    let components = dusk::rules::timeline::components(&set, Some("dask-kubernetes")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("timeline.html");
    std::fs::write(&page, dusk::rules::timeline::html(&components)).unwrap();
    let shot = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    std::fs::create_dir(&profile).unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let near = |p: &[u8], rgb: [u8; 3]| (0..3).all(|i| p[i].abs_diff(rgb[i]) < 24);
    let white = pixels.iter().filter(|p| near(p, [255, 255, 255])).count();
    let amber = pixels
        .iter()
        .filter(|p| near(p, [0xe8, 0xa3, 0x17]))
        .count();
    let red = pixels
        .iter()
        .filter(|p| near(p, [0xc0, 0x39, 0x2b]))
        .count();
    assert!(white < pixels.len() * 97 / 100, "the screenshot is blank");
    // Bars of both kinds are drawn: the deprecated and the removed parts of the windows.
    assert!(amber > 5_000, "{amber} amber pixels");
    assert!(red > 5_000, "{red} red pixels");
}

// ── rules test ───────────────────────────────────────────────────────────────────────────

use dusk::rules::harness;

fn run_tests(dir: &str, update: bool) -> Vec<harness::FileResult> {
    harness::find_tests(&root().join(dir))
        .unwrap()
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root()).unwrap().to_path_buf();
            let mut r = harness::run_file(f, &PackSource::builtin(), update);
            r.path = rel;
            r
        })
        .collect()
}

#[test]
fn builtin_packs_pass_their_rule_tests() {
    let results = run_tests("rule-tests", false);
    assert!(results.len() >= 4, "{results:?}");
    let text = harness::render(&results);
    assert!(results.iter().all(|r| r.failed() == 0), "{text}");
}

#[test]
fn rule_test_failures_show_diffs() {
    insta::assert_snapshot!(harness::render(&run_tests("fixtures/toolkit/test", false)));
}

#[test]
fn update_rewrites_expectations_to_what_dusk_finds() {
    // A copy of the example pack whose test file has lost every expectation.
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("examples/rule-pack");
    std::fs::copy(
        example.join("tidepool.yaml"),
        dir.path().join("tidepool.yaml"),
    )
    .unwrap();
    let tests = dir.path().join("tests");
    std::fs::create_dir_all(tests.join("inputs")).unwrap();
    for input in ["nightly.py", "workers.yaml"] {
        std::fs::copy(
            example.join("tests/inputs").join(input),
            tests.join("inputs").join(input),
        )
        .unwrap();
    }
    let committed = std::fs::read_to_string(example.join("tests/tidepool.test.yaml")).unwrap();
    let mut file: harness::TestFile = serde_saphyr::from_str(&committed).unwrap();
    for case in &mut file.cases {
        case.fixed = None;
        for findings in case.expect.values_mut() {
            findings.clear();
        }
    }
    let path = tests.join("tidepool.test.yaml");
    std::fs::write(&path, harness::emit(&file)).unwrap();
    let before = harness::run_file(&path, &PackSource::builtin(), false);
    assert_eq!(
        before.failed(),
        3,
        "{}",
        harness::render(std::slice::from_ref(&before))
    );
    let updated = harness::run_file(&path, &PackSource::builtin(), true);
    assert!(updated.updated);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), committed);
    let after = harness::run_file(&path, &PackSource::builtin(), false);
    assert_eq!(
        after.failed(),
        0,
        "{}",
        harness::render(std::slice::from_ref(&after))
    );
}

#[test]
fn test_exit_codes() {
    let code = |args: &[&str]| {
        dusk()
            .args(["rules", "test", "--isolated"])
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&["rule-tests"]), Some(0));
    assert_eq!(code(&["examples/rule-pack/tests"]), Some(0));
    assert_eq!(code(&["fixtures/toolkit/test/failing.test.yaml"]), Some(1));
    assert_eq!(code(&["fixtures/toolkit/check"]), Some(2));
}

// ── the example pack of another project ──────────────────────────────────────────────────

#[test]
fn example_pack_passes_check_and_its_tests() {
    let report = policy::check(
        &[source("examples/rule-pack/tidepool.yaml")],
        Options::default(),
    )
    .unwrap();
    assert!(report.is_clean(), "{}", policy::render(&report));
    assert_eq!(report.packs[0].policy, Some((6, "the pack's policy")));
    let results = run_tests("examples/rule-pack/tests", false);
    assert!(
        results.iter().all(|r| r.failed() == 0 && r.passed() > 0),
        "{}",
        harness::render(&results)
    );
}

#[test]
fn example_pack_docs() {
    let set = compile(&[source("examples/rule-pack/tidepool.yaml")]).unwrap();
    insta::assert_snapshot!(dusk::rules::docs::markdown(&set));
}

#[test]
fn example_pack_timeline() {
    let set = compile(&[source("examples/rule-pack/tidepool.yaml")]).unwrap();
    let components = dusk::rules::timeline::components(&set, Some("tidepool")).unwrap();
    insta::assert_snapshot!(dusk::rules::timeline::text(&components));
}

#[test]
fn a_pack_given_with_rules_works_with_all_four() {
    let run = |args: &[&str]| {
        let out = dusk()
            .args(["rules"])
            .args(args)
            .args(["--isolated", "--rules", "examples/rule-pack/tidepool.yaml"])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["check"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("checked examples/rule-pack/tidepool.yaml (tidepool, 3 rules): 6-month"),
        "{out}"
    );
    let (code, out) = run(&["docs"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("## Component `tidepool`") && out.contains("## Component `dask-kubernetes`")
    );
    let (code, out) = run(&["timeline", "--component", "tidepool"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("tidepool (3 rules)"), "{out}");
    // A test file naming no packs of its own finds the rules of `--rules`.
    let dir = tempfile::tempdir().unwrap();
    let test = dir.path().join("one.test.yaml");
    std::fs::write(
        &test,
        "component: tidepool\ncases:\n  - name: import\n    path: a.py\n    input: \"from tidepool.legacy import Runner\\n\"\n    expect:\n      2.2.0: []\n",
    )
    .unwrap();
    let (code, out) = run(&["test", test.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
}
