//! Every built-in rule against its fixtures, at several target versions.
//!
//! `fixtures/rules/<rule-id>/` holds `bad*` inputs (every form the rule must catch, each
//! finding's line marked with a `# expect` comment), `good*` inputs (look-alikes that must stay
//! quiet) and `targets` (one version a line: before `deprecated-in`, inside the window, at
//! `removed-in`). An input is a file, or a directory linted as `dusk check` would walk it (for
//! Helm values beside a `Chart.yaml`).
//!
//! The harness checks invariants for every rule and target, then snapshots the rule's
//! findings as `file:line:col severity [rule] message`, one snapshot per rule and target.
//! It also pins the public patterns of dask-facts.md §6 (`fixtures/patterns/`), the committed
//! JSON Schemas, `dusk rules list`/`explain`, and the project-version note in messages.

use dusk::discover::discover;
use dusk::lint::{Limits, Prefilter, Selection, Settings, lint_file};
use dusk::report::{Finding, Severity};
use dusk::rules::builtin_ids::{INPUT_ERROR, SYNTAX_ERROR};
use dusk::rules::{Rule, RuleSet, Status, Targets, Version};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MARKER: &str = "# expect";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rules_dir() -> PathBuf {
    root().join("fixtures/rules")
}

fn builtin() -> RuleSet {
    RuleSet::builtin().expect("the built-in packs compile")
}

/// One rule's fixture folder.
struct Fixture {
    dir: PathBuf,
    bad: Vec<PathBuf>,
    good: Vec<PathBuf>,
    targets: Vec<Version>,
}

impl Fixture {
    fn load(dir: &Path) -> Result<Fixture, String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        let named = |prefix: &str| -> Vec<PathBuf> {
            entries
                .iter()
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(prefix))
                })
                .cloned()
                .collect()
        };
        let targets_text = std::fs::read_to_string(dir.join("targets"))
            .map_err(|e| format!("{}: no `targets` file ({e})", dir.display()))?;
        let mut targets = Vec::new();
        for line in targets_text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            targets.push(
                line.parse::<Version>()
                    .map_err(|e| format!("{}/targets: {e}", dir.display()))?,
            );
        }
        Ok(Fixture {
            dir: dir.to_path_buf(),
            bad: named("bad"),
            good: named("good"),
            targets,
        })
    }

    /// Lint one input (file or directory) and keep the findings of `rule` plus any
    /// syntax or input error (a fixture must parse).
    fn lint(&self, set: &RuleSet, rule: &Rule, input: &Path, settings: Knobs) -> Vec<Finding> {
        lint_input(set, rule, input, &self.dir, settings)
    }
}

/// What varies between runs of one rule.
#[derive(Clone)]
struct Knobs {
    target: Option<Version>,
    show_upcoming: bool,
    current: BTreeMap<String, Version>,
}

fn lint_input(set: &RuleSet, rule: &Rule, input: &Path, base: &Path, knobs: Knobs) -> Vec<Finding> {
    let mut targets = Targets::default();
    if let Some(t) = knobs.target {
        targets.explicit.insert(rule.component.clone(), t);
    }
    let selection = Selection {
        select: Some(vec![
            rule.id.clone(),
            SYNTAX_ERROR.to_owned(),
            INPUT_ERROR.to_owned(),
        ]),
        ..Default::default()
    };
    let settings = Settings {
        rules: set,
        targets: &targets,
        selection: &selection,
        limits: Limits::default(),
        show_upcoming: knobs.show_upcoming,
        prefilter: Prefilter::from_rules(set),
        current: knobs.current,
    };
    let found = discover(&[input.to_path_buf()]);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let mut out = Vec::new();
    for file in &found.files {
        let shown = file
            .path
            .strip_prefix(base)
            .unwrap_or(&file.path)
            .display()
            .to_string();
        out.extend(lint_file(file, &shown, &settings).findings);
    }
    out
}

fn line_of(f: &Finding) -> String {
    let (place, line) = place(f);
    format!(
        "{place}:{line}:{} {} [{}] {}",
        f.start.column,
        f.severity.as_str(),
        f.rule,
        f.message
    )
}

fn expected_severity(status: Status) -> Severity {
    match status {
        Status::Upcoming => Severity::Info,
        Status::Deprecated => Severity::Warning,
        Status::Removed => Severity::Error,
    }
}

/// Where a finding is, as markers name places: `file` or `file[cell N]`, and the line.
fn place(f: &Finding) -> (String, usize) {
    let cell = f.cell.map_or(String::new(), |c| format!("[cell {c}]"));
    (format!("{}{cell}", f.path), f.start.line)
}

/// The source lines of a file as findings count them: a notebook's per code cell.
fn sources(path: &Path, shown: &str) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    if path.extension().is_none_or(|e| e != "ipynb") {
        return vec![(shown.to_owned(), text)];
    }
    let nb: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let cells = nb["cells"].as_array().cloned().unwrap_or_default();
    cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c["cell_type"] == "code")
        .map(|(i, c)| {
            let source = match &c["source"] {
                serde_json::Value::Array(parts) => {
                    parts.iter().filter_map(|p| p.as_str()).collect::<String>()
                }
                other => other.as_str().unwrap_or("").to_owned(),
            };
            (format!("{shown}[cell {}]", i + 1), source)
        })
        .collect()
}

/// `(place, line)` of every `# expect` marker in the bad inputs.
fn marked_lines(fixture: &Fixture) -> BTreeSet<(String, usize)> {
    let mut out = BTreeSet::new();
    for input in &fixture.bad {
        for file in discover(std::slice::from_ref(input)).files {
            let shown = file
                .path
                .strip_prefix(&fixture.dir)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            for (place, text) in sources(&file.path, &shown) {
                for (i, line) in text.lines().enumerate() {
                    if line.contains(MARKER) {
                        out.insert((place.clone(), i + 1));
                    }
                }
            }
        }
    }
    out
}

/// Everything wrong with one rule's fixture, as sentences.
fn check_rule(set: &RuleSet, rule: &Rule, fixture: &Fixture) -> Vec<String> {
    let mut problems = Vec::new();
    let id = &rule.id;
    if fixture.bad.is_empty() {
        problems.push(format!("{id}: no `bad*` input"));
    }
    if fixture.good.is_empty() {
        problems.push(format!("{id}: no `good*` input"));
    }
    let w = &rule.window;
    let statuses: Vec<Status> = fixture.targets.iter().map(|t| w.status(t).status).collect();
    if let Some(d) = &w.deprecated_in
        && !fixture.targets.iter().any(|t| t < d)
    {
        problems.push(format!("{id}: no target before deprecated-in {d}"));
    }
    if (w.deprecated_in.is_some() || w.removed_in.is_some())
        && !statuses.contains(&Status::Deprecated)
    {
        problems.push(format!("{id}: no target inside the window"));
    }
    if let Some(r) = &w.removed_in
        && !fixture.targets.iter().any(|t| t == r)
    {
        problems.push(format!("{id}: no target at removed-in {r}"));
    }
    if fixture.targets.is_empty() {
        problems.push(format!("{id}: `targets` lists no version"));
    }
    let marked = marked_lines(fixture);
    if !fixture.bad.is_empty() && marked.is_empty() {
        problems.push(format!("{id}: bad inputs mark no line with `{MARKER}`"));
    }
    for (target, status) in fixture.targets.iter().zip(statuses) {
        let knobs = Knobs {
            target: Some(target.clone()),
            show_upcoming: true,
            current: BTreeMap::new(),
        };
        let mut fired = BTreeSet::new();
        for input in &fixture.bad {
            for f in fixture.lint(set, rule, input, knobs.clone()) {
                if f.rule != *id {
                    problems.push(format!("{id}@{target}: {}", line_of(&f)));
                    continue;
                }
                if f.severity != expected_severity(status) {
                    problems.push(format!(
                        "{id}@{target}: expected {} ({status:?}), got {}",
                        expected_severity(status).as_str(),
                        line_of(&f)
                    ));
                }
                fired.insert(place(&f));
            }
        }
        for missing in marked.difference(&fired) {
            problems.push(format!(
                "{id}@{target}: missed {}:{} (marked `{MARKER}`)",
                missing.0, missing.1
            ));
        }
        for extra in fired.difference(&marked) {
            problems.push(format!(
                "{id}@{target}: unmarked finding at {}:{} (mark it or fix the rule)",
                extra.0, extra.1
            ));
        }
        for input in &fixture.good {
            for f in fixture.lint(set, rule, input, knobs.clone()) {
                problems.push(format!("{id}@{target}: look-alike fired: {}", line_of(&f)));
            }
        }
        if status == Status::Upcoming {
            let hidden = Knobs {
                show_upcoming: false,
                ..knobs.clone()
            };
            for input in &fixture.bad {
                for f in fixture.lint(set, rule, input, hidden.clone()) {
                    problems.push(format!(
                        "{id}@{target}: upcoming finding shown without --show-upcoming: {}",
                        line_of(&f)
                    ));
                }
            }
        }
    }
    problems
}

fn fixture_dirs() -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(rules_dir())
        .expect("fixtures/rules exists")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect()
}

#[test]
fn every_rule_has_a_fixture_folder_and_every_folder_a_rule() {
    let set = builtin();
    let dirs = fixture_dirs();
    let ids: BTreeSet<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    let missing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !dirs.contains_key(*id))
        .collect();
    let orphans: Vec<&String> = dirs.keys().filter(|d| !ids.contains(d.as_str())).collect();
    assert!(
        missing.is_empty(),
        "rules without fixtures/rules/<id>/: {missing:?}"
    );
    assert!(
        orphans.is_empty(),
        "fixture folders naming no rule: {orphans:?}"
    );
}

#[test]
fn every_rule_fires_on_bad_and_never_on_good_at_every_target() {
    let set = builtin();
    let dirs = fixture_dirs();
    let mut problems = Vec::new();
    for rule in &set.rules {
        let Some(dir) = dirs.get(&rule.id) else {
            continue;
        };
        match Fixture::load(dir) {
            Ok(fixture) => problems.extend(check_rule(&set, rule, &fixture)),
            Err(e) => problems.push(e),
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn rule_snapshots() {
    let set = builtin();
    let dirs = fixture_dirs();
    for rule in &set.rules {
        let Some(fixture) = dirs.get(&rule.id).and_then(|d| Fixture::load(d).ok()) else {
            continue;
        };
        for target in &fixture.targets {
            let knobs = Knobs {
                target: Some(target.clone()),
                show_upcoming: true,
                current: BTreeMap::new(),
            };
            let mut lines = vec![format!(
                "# {} at {} {target}: {:?}",
                rule.id,
                rule.component,
                rule.window.status(target).status
            )];
            for input in fixture.bad.iter().chain(&fixture.good) {
                lines.extend(
                    fixture
                        .lint(&set, rule, input, knobs.clone())
                        .iter()
                        .map(line_of),
                );
            }
            insta::with_settings!({snapshot_suffix => target.to_string(), omit_expression => true}, {
                insta::assert_snapshot!(rule.id.as_str(), lines.join("\n"));
            });
        }
    }
}

/// Every file under `dir` that dusk reads, hidden ones included: the patterns keep dask
/// config at its real places (`.dask/config.yaml`, `.config/dask/kubernetes.yaml`), which a
/// directory walk skips as hidden, so the files are given explicitly.
fn readable_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if dusk::discover::classify(&path).is_some() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The expected findings of a public-pattern fixture: `path:line rule-id` lines.
fn expected_pattern_findings(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn public_patterns_are_detected_at_the_right_lines() {
    let set = builtin();
    let patterns = root().join("fixtures/patterns");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&patterns)
        .expect("fixtures/patterns exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "expected a fixture per pattern of §6");
    let targets = Targets::default();
    let selection = Selection::default();
    let settings = Settings {
        rules: &set,
        targets: &targets,
        selection: &selection,
        limits: Limits::default(),
        show_upcoming: false,
        prefilter: Prefilter::from_rules(&set),
        current: BTreeMap::new(),
    };
    let mut problems = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        let found = discover(&readable_files(dir));
        let mut got = BTreeSet::new();
        for file in &found.files {
            let shown = file
                .path
                .strip_prefix(dir)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            for f in lint_file(file, &shown, &settings).findings {
                let (place, line) = place(&f);
                got.insert(format!("{place}:{line} {}", f.rule));
            }
        }
        let want = expected_pattern_findings(dir);
        for missing in want.difference(&got) {
            problems.push(format!("{name}: missing {missing}"));
        }
        for extra in got.difference(&want) {
            problems.push(format!("{name}: unexpected {extra}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn committed_schemas_match_the_generated_ones() {
    use dusk::cli::args::SchemaOf;
    for (of, path) in [
        (SchemaOf::Rules, "rules/schema.json"),
        (SchemaOf::Config, "dusk.schema.json"),
    ] {
        let committed = std::fs::read_to_string(root().join(path)).unwrap_or_default();
        assert_eq!(
            committed.trim_end(),
            dusk::cli::schema(of).trim_end(),
            "{path} is stale: regenerate it with `dusk schema {}` > {path}",
            if path.starts_with("rules") {
                "rules"
            } else {
                "config"
            }
        );
    }
}

#[test]
fn rules_list_shows_every_rule_with_its_window() {
    let set = builtin();
    let text = dusk::cli::rules::list_text(&set);
    for rule in &set.rules {
        assert!(text.contains(&rule.id), "{} not listed", rule.id);
    }
    insta::assert_snapshot!("rules-list", text);
}

#[test]
fn rules_explain_prints_text_window_replacement_and_example() {
    let set = builtin();
    for id in ["classic-kubecluster-import", "operator-pod-restart-policy"] {
        let rule = set.get(id).expect("rule exists");
        let text = dusk::cli::rules::explain(rule);
        assert!(
            text.contains("window:") && text.contains("example:"),
            "{text}"
        );
        insta::assert_snapshot!(format!("rules-explain-{id}"), text);
    }
}

#[test]
fn transition_note_names_current_and_target() {
    let set = builtin();
    let rule = set.get("classic-kubecluster-import").expect("rule exists");
    let v = |s: &str| s.parse::<Version>().expect("version");
    let note =
        |current: &str, target: &str| dusk::lint::transition_note(rule, &v(current), &v(target));
    assert_eq!(
        note("2023.8.1", "2024.5.0"),
        " (breaks when moving from dask-kubernetes 2023.8.1 to 2024.5.0)"
    );
    assert_eq!(
        note("2024.5.0", "2026.3.0"),
        " (already removed in dask-kubernetes 2024.5.0)"
    );
    assert_eq!(note("2022.5.0", "2024.4.2"), "");
}

#[test]
fn findings_say_what_breaks_between_the_pinned_and_the_target_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path();
    std::fs::create_dir(repo.join(".git")).expect("mkdir");
    std::fs::write(repo.join("requirements.txt"), "dask-kubernetes==2023.8.1\n").expect("write");
    std::fs::write(
        repo.join("cluster.py"),
        "from dask_kubernetes import KubeCluster\n",
    )
    .expect("write");
    let set = builtin();
    let rule = set.get("classic-kubecluster-import").expect("rule exists");
    let current = dusk::project::current_versions(&[repo.to_path_buf()], &set);
    assert_eq!(current["dask-kubernetes"].to_string(), "2023.8.1");
    let knobs = Knobs {
        target: Some("2024.5.0".parse().expect("version")),
        show_upcoming: false,
        current,
    };
    let findings = lint_input(&set, rule, &repo.join("cluster.py"), repo, knobs);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0]
            .message
            .ends_with(" (breaks when moving from dask-kubernetes 2023.8.1 to 2024.5.0)"),
        "{}",
        findings[0].message
    );
}

#[test]
fn skeleton_rule_ids_still_resolve() {
    let set = builtin();
    for (old, new) in [
        (
            "classic-kubecluster-deploy-mode",
            "classic-kubecluster-keyword",
        ),
        (
            "classic-config-worker-template",
            "classic-config-template-key",
        ),
        (
            "operator-restart-policy-never",
            "operator-pod-restart-policy",
        ),
        ("helm-chart-worker-command", "dask-worker-command"),
    ] {
        assert_eq!(set.get(old).map(|r| r.id.as_str()), Some(new), "{old}");
    }
}
