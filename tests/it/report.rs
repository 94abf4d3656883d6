//! Every output format over one shared set of findings, built by hand as values (not by running
//! the linter), so a change to a renderer shows up as a snapshot diff of exactly that format.
//!
//! The set covers each shape a report must handle: a plain YAML finding (error, removed), a
//! Python finding with a safe fix and a replacement on a line with non-ASCII text, an info from
//! a user's own rule pack, a syntax error at the very end of a file, a notebook finding in cell
//! 3, a live-object finding (no text) and a walk warning (no text). The JSON snapshot plus
//! `json_has_exactly_the_contract_keys` are the contract test for `--format json` (DESIGN.md).

use dusk::report::{self, FileReport, Finding, FixInfo, Format, ObjectRef, Severity, Summary};
use dusk::source::edit::Applicability;
use dusk::source::notebook::Notebook;
use dusk::source::{LineColumn, LineIndex, TextRange};
use serde_json::Value;
use std::sync::Arc;

const CONFIG_PATH: &str = "fixtures/reports/dask config.yaml";
const CONFIG: &str = include_str!("../../fixtures/reports/dask config.yaml");
const PYTHON_PATH: &str = "fixtures/reports/start_workers.py";
const PYTHON: &str = include_str!("../../fixtures/reports/start_workers.py");
const BROKEN_PATH: &str = "fixtures/reports/broken.yaml";
const BROKEN: &str = include_str!("../../fixtures/reports/broken.yaml");
const NOTEBOOK_PATH: &str = "fixtures/reports/explore.ipynb";
const NOTEBOOK: &str = include_str!("../../fixtures/reports/explore.ipynb");
const MIGRATION_DOCS: &str = "https://kubernetes.dask.org/en/latest/kubecluster_migrating.html";
/// Cells 2 and 3 of a notebook whose cell 1 is markdown (so cell numbers are not indexes).
const CELL_2: &str = "import dask\npod_template = \"worker-spec.yml\"";
const CELL_3: &str = "# as in the 2022 docs\nfrom dask_kubernetes import KubeCluster\ncluster = KubeCluster(pod_template)";

/// A finding with only the fields every finding has; callers fill in the rest.
fn bare(rule: &str, severity: Severity, path: &str, message: &str) -> Finding {
    let origin = LineColumn { line: 1, column: 1 };
    Finding {
        rule: rule.into(),
        severity,
        path: path.into(),
        range: TextRange::default(),
        start: origin,
        end: origin,
        cell: None,
        message: message.into(),
        component: None,
        deprecated_in: None,
        removed_in: None,
        replacement: None,
        docs: None,
        fix: None,
        not_fixable: None,
        object: None,
        graded_against: None,
        in_play: None,
    }
}

/// `bare` located at `range` of `text` the way `lint` locates findings.
fn at(mut f: Finding, text: &str, notebook: Option<&Notebook>, range: TextRange) -> Finding {
    let (start, end, cell) = report::locate(text, &LineIndex::new(text), notebook, range);
    f.range = range;
    f.start = start;
    f.end = end;
    f.cell = cell;
    f
}

/// The range of the first `needle` in `text`.
fn find(text: &str, needle: &str) -> TextRange {
    let start = text.find(needle).expect("fixture holds the needle");
    TextRange::new(start, start + needle.len())
}

fn window(
    mut f: Finding,
    component: &str,
    deprecated: Option<&str>,
    removed: Option<&str>,
) -> Finding {
    f.component = Some(component.into());
    f.deprecated_in = deprecated.map(Into::into);
    f.removed_in = removed.map(Into::into);
    f
}

fn file(path: &str, text: Option<&str>, findings: Vec<Finding>) -> FileReport {
    FileReport {
        path: path.into(),
        text: text.map(Arc::from),
        notebook: None,
        findings,
    }
}

/// `fixtures/reports/explore.ipynb`: cell 1 is markdown, cells 2 and 3 are `CELL_2` and
/// `CELL_3`, so cell numbers are not indexes and `.ipynb` lines are not cell lines.
fn notebook() -> Arc<Notebook> {
    let nb = dusk::source::notebook::parse(NOTEBOOK).expect("the fixture is a notebook");
    assert_eq!(nb.python, format!("{CELL_2}\n{CELL_3}"));
    nb
}

/// The shared findings, one file report per path, sorted by path as `dusk check` sorts them.
fn reports() -> Vec<FileReport> {
    let live = {
        let mut f = bare(
            "operator-restart-policy-never",
            Severity::Error,
            "cluster:kind-dev",
            "`restartPolicy: Never` is invalid in a DaskCluster pod spec: the operator runs pods as Deployments",
        );
        f.object = Some(ObjectRef {
            kind: "DaskCluster".into(),
            namespace: Some("analytics".into()),
            name: "nightly".into(),
        });
        window(f, "dask-operator", None, Some("2023.6.0"))
    };
    let walk = bare(
        "input-error",
        Severity::Error,
        "deploy/R&D",
        "permission denied",
    );
    let syntax = at(
        bare(
            "syntax-error",
            Severity::Error,
            BROKEN_PATH,
            "invalid YAML: did not find expected ',' or ']'\nwhile parsing a flow sequence",
        ),
        BROKEN,
        None,
        TextRange::empty(BROKEN.len()),
    );
    let config = {
        let mut f = bare(
            "classic-config-worker-template",
            Severity::Error,
            CONFIG_PATH,
            "dask config `kubernetes.worker-template-path` is read only by the classic KubeCluster",
        );
        f.replacement = Some("kubernetes.custom-cluster-spec".into());
        let f = window(f, "dask-kubernetes", Some("2022.10.0"), Some("2024.5.0"));
        at(f, CONFIG, None, find(CONFIG, "worker-template-path"))
    };
    let command = {
        let mut f = bare(
            "dask-worker-command",
            Severity::Warning,
            PYTHON_PATH,
            "`dask-worker` is the legacy command; use `dask worker`",
        );
        f.replacement = Some("dask worker".into());
        f.fix = Some(FixInfo {
            applicability: Applicability::Safe,
            description: "replace `dask-worker` with `dask worker`".into(),
            migration: Vec::new(),
        });
        let f = window(f, "distributed", Some("2022.10.0"), Some("2026.6.0"));
        at(f, PYTHON, None, find(PYTHON, "dask-worker"))
    };
    let own_rule = {
        let f = bare(
            "acme-worker-nthreads",
            Severity::Info,
            PYTHON_PATH,
            "`--nthreads` is set by the platform (100% of the pod's CPUs) from 2027.1.0",
        );
        let f = window(f, "acme-platform", Some("2027.1.0"), None);
        at(f, PYTHON, None, find(PYTHON, "\"--nthreads\", \"2\""))
    };
    let nb = notebook();
    let in_cell = {
        let mut f = bare(
            "classic-kubecluster-import",
            Severity::Error,
            NOTEBOOK_PATH,
            "`dask_kubernetes.KubeCluster` is the classic KubeCluster, removed in dask-kubernetes 2024.5.0",
        );
        f.replacement = Some("dask_kubernetes.operator.KubeCluster".into());
        f.docs = Some(MIGRATION_DOCS.into());
        f.fix = Some(FixInfo {
            applicability: Applicability::Unsafe,
            description: "rewrite with `python-classic-cluster`".into(),
            migration: Vec::new(),
        });
        let f = window(f, "dask-kubernetes", Some("2022.10.0"), Some("2024.5.0"));
        let import = nb
            .python
            .find("import KubeCluster")
            .expect("cell 3 imports")
            + "import ".len();
        at(
            f,
            &nb.python,
            Some(&nb),
            TextRange::new(import, import + "KubeCluster".len()),
        )
    };
    let mut notebook_report = file(NOTEBOOK_PATH, Some(&nb.python), vec![in_cell]);
    notebook_report.notebook = Some(nb);
    vec![
        file("cluster:kind-dev", None, vec![live]),
        file("deploy/R&D", None, vec![walk]),
        file(BROKEN_PATH, Some(BROKEN), vec![syntax]),
        file(CONFIG_PATH, Some(CONFIG), vec![config]),
        file(PYTHON_PATH, Some(PYTHON), vec![command, own_rule]),
        notebook_report,
    ]
}

const FILES_SCANNED: usize = 5;

/// What `dusk check` adds to the counts: the targets, the files read (one of them clean) and
/// what the rules of the findings are.
fn summary(reports: &[FileReport]) -> Summary {
    let mut summary = Summary::of(FILES_SCANNED, reports);
    summary.targets = vec![
        report::GradedTarget {
            component: "dask-kubernetes".into(),
            version: "2026.3.0".into(),
            source: report::TargetSource::NewestKnown,
            config: None,
            current: Some(report::Pinned {
                version: "2023.8.0".into(),
                file: "requirements.txt".into(),
            }),
        },
        report::GradedTarget {
            component: "distributed".into(),
            version: "2026.6.0".into(),
            source: report::TargetSource::Config,
            config: Some("dusk.toml".into()),
            current: None,
        },
    ];
    summary.files = [
        BROKEN_PATH,
        CONFIG_PATH,
        PYTHON_PATH,
        NOTEBOOK_PATH,
        "deploy/clean.yaml",
    ]
    .map(String::from)
    .to_vec();
    summary.fixes.insert(
        PYTHON_PATH.into(),
        report::FileFixes {
            safe: report::Replacement::between(
                PYTHON,
                &PYTHON.replace("\"dask-worker\"", "\"dask\", \"worker\""),
            ),
            unsafe_: Vec::new(),
        },
    );
    summary.rules.insert(
        "classic-kubecluster-import".into(),
        report::RuleInfo {
            title: "Classic `KubeCluster` imported".into(),
            explanation: Some(
                "The classic `KubeCluster` was removed in dask-kubernetes 2024.5.0; import the \
                 operator's `KubeCluster` from `dask_kubernetes.operator`."
                    .into(),
            ),
            docs: Some(MIGRATION_DOCS.into()),
        },
    );
    summary
}

fn render_with(reports: &[FileReport], format: Format, color: bool) -> String {
    let summary = summary(reports);
    let mut out = Vec::new();
    report::render(format, reports, &summary, color, &mut out).expect("writing to a Vec");
    String::from_utf8(out).expect("reports are UTF-8")
}

fn render(format: Format) -> String {
    render_with(&reports(), format, false)
}

fn findings_count() -> usize {
    reports().iter().map(|r| r.findings.len()).sum()
}

#[test]
fn text() {
    insta::assert_snapshot!(render(Format::Text));
}

#[test]
fn json() {
    insta::assert_snapshot!(render(Format::Json));
}

#[test]
fn sarif() {
    // The crate version changes with every release; it is checked in `sarif_is_2_1_0` instead.
    let version = concat!("\"version\": \"", env!("CARGO_PKG_VERSION"), "\"");
    insta::assert_snapshot!(
        render(Format::Sarif).replace(version, "\"version\": \"[crate version]\"")
    );
}

#[test]
fn concise() {
    insta::assert_snapshot!(render(Format::Concise));
}

#[test]
fn gitlab() {
    insta::assert_snapshot!(render(Format::Gitlab));
}

#[test]
fn statistics() {
    let reports = reports();
    let mut out = Vec::new();
    report::statistics::render(&reports, &summary(&reports), &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/tests/data/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let v: Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
    let validator = schema("sarif-schema-2.1.0.json");
    assert_eq!(errors(&validator, &v), Vec::<String>::new());
    // The validator is not vacuous: a result without a message is rejected.
    let mut broken = v.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!errors(&validator, &broken).is_empty());
}

#[test]
fn sarif_rules_have_names_descriptions_help_and_notebook_lines() {
    let v: Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        for key in ["name", "shortDescription", "fullDescription", "help"] {
            assert!(!rule[key].is_null(), "{key} in {rule}");
        }
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("**"));
    }
    let import = rules
        .iter()
        .find(|r| r["id"] == "classic-kubecluster-import")
        .unwrap();
    assert_eq!(import["name"], "ClassicKubeclusterImport");
    assert_eq!(
        import["shortDescription"]["text"],
        "Classic `KubeCluster` imported"
    );
    assert_eq!(import["helpUri"], MIGRATION_DOCS);
    let in_cell = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "classic-kubecluster-import")
        .unwrap();
    let region = &in_cell["locations"][0]["physicalLocation"]["region"];
    // Line 2 of cell 3 is line 30 of the `.ipynb`; the cell's own line stays in properties.
    assert_eq!(region["startLine"], 30);
    assert!(region["startColumn"].is_null());
    assert_eq!(in_cell["properties"]["cell"], 3);
    assert_eq!(in_cell["properties"]["cell_line"], 2);
    assert_eq!(run["properties"]["targets"][1]["source"], "config");
    // A fixable result carries its fix as an artifact change.
    let fixable = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "dask-worker-command")
        .unwrap();
    let change = &fixable["fixes"][0]["artifactChanges"][0];
    assert_eq!(
        change["artifactLocation"]["uri"],
        "fixtures/reports/start_workers.py"
    );
    let inserted = change["replacements"][0]["insertedContent"]["text"]
        .as_str()
        .unwrap();
    assert!(inserted.contains("\"dask\", \"worker\""), "{inserted}");
    let offset = change["replacements"][0]["deletedRegion"]["charOffset"]
        .as_u64()
        .unwrap() as usize;
    let deleted: String = PYTHON.chars().skip(offset).take(10).collect();
    assert!(
        PYTHON
            .lines()
            .nth(3)
            .unwrap()
            .starts_with(deleted.trim_end()),
        "{deleted:?}"
    );
}

/// `dusk check` on the examples, in the formats CI reads, validated as a whole: SARIF with its
/// rule help and fixes, GitLab with fingerprints, notebook lines in the `.ipynb`.
#[test]
fn reports_of_the_examples_validate() {
    let run = |format: &str| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dusk"))
            .args(["check", "--isolated", "--format", format, "examples"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let sarif = run("sarif");
    assert_eq!(
        errors(&schema("sarif-schema-2.1.0.json"), &sarif),
        Vec::<String>::new()
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| !r["fixes"].is_null()),
        "some results carry fixes"
    );
    let notebook = std::fs::read_to_string("examples/notebook/explore.ipynb").unwrap();
    for r in results
        .iter()
        .filter(|r| !r["properties"]["cell"].is_null())
    {
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap();
        let text = notebook.lines().nth(line as usize - 1).unwrap();
        assert!(
            text.contains("KubeCluster"),
            "line {line} of the notebook: {text}"
        );
    }
    let gitlab = run("gitlab");
    let validator = schema("gitlab-codequality.json");
    for issue in gitlab.as_array().unwrap() {
        assert_eq!(errors(&validator, issue), Vec::<String>::new());
    }
}

#[test]
fn gitlab_validates_against_gitlabs_schema_and_documentation() {
    let v: Value = serde_json::from_str(&render(Format::Gitlab)).unwrap();
    let validator = schema("gitlab-codequality.json");
    let issues = v.as_array().expect("a Code Quality report is an array");
    assert_eq!(issues.len(), findings_count());
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in issues {
        assert_eq!(errors(&validator, issue), Vec::<String>::new(), "{issue}");
        assert!(issue["check_name"].is_string());
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(fingerprints.insert(issue["fingerprint"].as_str().unwrap().to_owned()));
    }
    assert!(!errors(&validator, &serde_json::json!({"description": "x"})).is_empty());
}

#[test]
fn junit_has_a_case_per_finding_and_a_passing_case_per_clean_file() {
    let out = render(Format::Junit);
    let clean = 1;
    let tests = format!(r#"tests="{}""#, findings_count() + clean);
    assert!(out.contains(&tests), "{out}");
    assert!(out.contains(
        r#"<testcase name="deploy/clean.yaml" classname="deploy/clean.yaml" file="deploy/clean.yaml"/>"#
    ));
    assert!(out.contains(
        r#"<testcase name="classic-kubecluster-import at cell 3, 2:29" classname="fixtures/reports/explore.ipynb" file="fixtures/reports/explore.ipynb" line="30">"#
    ), "{out}");
}

#[test]
fn github() {
    insta::assert_snapshot!(render(Format::Github));
}

#[test]
fn junit() {
    insta::assert_snapshot!(render(Format::Junit));
}

fn json_findings() -> Vec<Value> {
    let v: Value = serde_json::from_str(&render(Format::Json)).expect("JSON output parses");
    assert_eq!(v["version"], 1);
    v["findings"]
        .as_array()
        .expect("findings is an array")
        .clone()
}

/// The keys DESIGN.md promises on every finding, plus the two extras json.rs adds
/// (`replacement`, `docs`; the contract says "at least").
const KEYS: &[&str] = &[
    "rule",
    "severity",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "component",
    "deprecated_in",
    "removed_in",
    "fix",
    "replacement",
    "docs",
];

fn positive(v: &Value, key: &str) -> u64 {
    let n = v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is an integer in {v}"));
    assert!(n >= 1, "`{key}` is 1-based in {v}");
    n
}

fn string_or_null(v: &Value, key: &str) {
    assert!(
        v[key].is_string() || v[key].is_null(),
        "`{key}` is a string or null in {v}"
    );
}

#[test]
fn json_has_exactly_the_contract_keys() {
    let findings = json_findings();
    assert_eq!(findings.len(), findings_count());
    for f in &findings {
        let object = f.as_object().expect("a finding is an object");
        let mut expected: Vec<&str> = KEYS.to_vec();
        if object.contains_key("cell") {
            expected.push("cell");
            positive(f, "cell");
        }
        if object.contains_key("object") {
            expected.push("object");
            let o = &f["object"];
            assert_eq!(o.as_object().map(|o| o.len()), Some(3), "{o}");
            assert!(o["kind"].is_string() && o["name"].is_string(), "{o}");
            string_or_null(o, "namespace");
        }
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);

        for key in ["rule", "path", "message"] {
            assert!(f[key].is_string(), "`{key}` is a string in {f}");
        }
        assert!(
            matches!(f["severity"].as_str(), Some("error" | "warning" | "info")),
            "{f}"
        );
        let (line, column) = (positive(f, "line"), positive(f, "column"));
        let (end_line, end_column) = (positive(f, "end_line"), positive(f, "end_column"));
        assert!(
            (line, column) <= (end_line, end_column),
            "start after end in {f}"
        );
        for key in [
            "component",
            "deprecated_in",
            "removed_in",
            "replacement",
            "docs",
        ] {
            string_or_null(f, key);
        }
        match &f["fix"] {
            Value::Null => {}
            fix => {
                assert_eq!(fix.as_object().map(|o| o.len()), Some(2), "{fix}");
                assert!(
                    matches!(fix["applicability"].as_str(), Some("safe" | "unsafe")),
                    "{fix}"
                );
                assert!(fix["description"].is_string(), "{fix}");
            }
        }
    }
}

fn by_rule<'a>(findings: &'a [Value], rule: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("a `{rule}` finding"))
}

#[test]
fn json_columns_count_characters_and_cells_rebase_lines() {
    let findings = json_findings();
    // Line 4 is `WORKERS = {"données": ["dask-worker", …`: 24 characters but 25 bytes precede
    // `dask-worker`, so the column is 25, not 26.
    let command = by_rule(&findings, "dask-worker-command");
    assert_eq!(
        (&command["line"], &command["column"]),
        (&4.into(), &25.into())
    );
    assert_eq!(
        (&command["end_line"], &command["end_column"]),
        (&4.into(), &36.into())
    );
    // In the notebook, line 2 of cell 3 (line 4 of the joined cells).
    let cell = by_rule(&findings, "classic-kubecluster-import");
    assert_eq!(cell["cell"], 3);
    assert_eq!((&cell["line"], &cell["column"]), (&2.into(), &29.into()));
    // End of a file that ends in a line break: the empty last line.
    let eof = by_rule(&findings, "syntax-error");
    assert_eq!((&eof["line"], &eof["column"]), (&4.into(), &1.into()));
    assert_eq!(eof["fix"], Value::Null);
    let live = by_rule(&findings, "operator-restart-policy-never");
    assert_eq!(live["object"]["namespace"], "analytics");
}

#[test]
fn text_colours_only_when_asked() {
    let plain = render_with(&reports(), Format::Text, false);
    let coloured = render_with(&reports(), Format::Text, true);
    assert!(
        !plain.contains('\u{1b}'),
        "no escapes (ANSI or OSC-8) without colour"
    );
    assert!(coloured.contains("\u{1b}["), "ANSI escapes with colour");
    assert!(!coloured.contains("\u{1b}]8;"), "never OSC-8 hyperlinks");
}

#[test]
fn text_without_findings_is_only_the_summary() {
    assert_eq!(
        render_with(&[], Format::Text, false),
        "0 errors, 0 warnings in 5 files\nGraded against dask-kubernetes 2026.3.0 (newest \
         known; pinned 2023.8.0 in requirements.txt), distributed 2026.6.0 (config dusk.toml)\n"
    );
}

#[test]
fn github_is_one_escaped_command_per_finding() {
    let out = render(Format::Github);
    assert_eq!(
        out.lines().count(),
        findings_count(),
        "a message cannot add a line"
    );
    let syntax = out
        .lines()
        .find(|l| l.contains("(syntax-error)"))
        .expect("the syntax error");
    assert!(syntax.ends_with(
        "::invalid YAML: did not find expected ',' or ']'%0Awhile parsing a flow sequence"
    ));
    assert!(out.contains("(100%25 of the pod's CPUs)"));
    // A notebook finding is annotated on the `.ipynb` line that holds the cell's line 2.
    assert!(out.contains(
        "file=fixtures/reports/explore.ipynb,line=30,endLine=30,title=dusk (classic-kubecluster-import) [cell 3%2C line 2]::"
    ));
    assert!(out.contains("file=fixtures/reports/dask config.yaml,line=4,col=3,"));
}

#[test]
fn github_escapes_property_separators() {
    let f = bare("input-error", Severity::Error, "a,b:c%.yaml", "x");
    let out = render_with(&[file("a,b:c%.yaml", None, vec![f])], Format::Github, false);
    assert_eq!(
        out,
        "::error file=a%2Cb%3Ac%25.yaml,title=dusk (input-error)::x\n"
    );
}

#[test]
fn junit_escapes_xml() {
    let out = render(Format::Junit);
    assert!(out.contains(
        r#"<testcase name="input-error" classname="deploy/R&amp;D" file="deploy/R&amp;D">"#
    ));
    assert!(out.contains(">deploy/R&amp;D: error: permission denied</failure>"));
    // In an attribute a line break must be a reference, or a parser folds it into a space.
    assert!(out.contains(
        r#"message="invalid YAML: did not find expected &apos;,&apos; or &apos;]&apos;&#10;while"#
    ));
    assert_eq!(out.matches("<failure ").count(), findings_count());
    // Every `&` starts a reference: nothing is left unescaped.
    for (i, _) in out.match_indices('&') {
        let rest = &out[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "bare `&` at {}",
            &rest[..rest.len().min(20)]
        );
    }
}

#[test]
fn junit_drops_characters_xml_cannot_hold() {
    let f = bare(
        "input-error",
        Severity::Error,
        "x<1>.yaml",
        "bad\u{0}byte \u{1b}[0m & \"more\"",
    );
    let out = render_with(&[file("x<1>.yaml", None, vec![f])], Format::Junit, false);
    assert!(out.contains(r#"classname="x&lt;1&gt;.yaml""#), "{out}");
    assert!(
        out.contains(r#"message="badbyte [0m &amp; &quot;more&quot;""#),
        "{out}"
    );
    assert!(!out.contains('\u{0}') && !out.contains('\u{1b}'));
}

#[test]
fn sarif_is_2_1_0() {
    let v: Value = serde_json::from_str(&render(Format::Sarif)).expect("SARIF parses");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), findings_count());
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
    }
}

/// Ranges `lint` should never produce, but a renderer must survive: past the end, inside a
/// character, empty text, a cell the notebook does not have.
#[test]
fn odd_ranges_render_in_every_format() {
    let text = "é";
    let mut past_end = bare("syntax-error", Severity::Error, "a.yaml", "past the end");
    past_end.range = TextRange::new(5, 9);
    let mut mid_char = bare(
        "syntax-error",
        Severity::Error,
        "a.yaml",
        "inside a character",
    );
    mid_char.range = TextRange::new(1, 1);
    let empty = bare("syntax-error", Severity::Error, "b.yaml", "empty file");
    let mut no_cell = bare("syntax-error", Severity::Error, "c.ipynb", "cell 9");
    no_cell.cell = Some(9);
    no_cell.range = TextRange::new(100, 100);
    let mut nb_report = file("c.ipynb", Some("x = 1"), vec![no_cell]);
    nb_report.notebook = Some(Arc::new(Notebook {
        python: "x = 1".into(),
        cells: vec![(1, TextRange::new(0, 5))],
        broken: Vec::new(),
        file_lines: vec![Vec::new()],
        shell: Vec::new(),
        sources: Vec::new(),
    }));
    let reports = vec![
        file("a.yaml", Some(text), vec![past_end, mid_char]),
        file("b.yaml", Some(""), vec![empty]),
        nb_report,
    ];
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Junit,
    ] {
        let out = render_with(&reports, format, false);
        if format == Format::Text {
            // Without a final line break the end of a file is drawn at the last character.
            assert!(out.contains("╰── end of file"), "{out}");
        }
        for message in ["past the end", "inside a character", "empty file", "cell 9"] {
            assert!(
                out.contains(message),
                "{format:?} shows `{message}`:\n{out}"
            );
        }
    }
}
