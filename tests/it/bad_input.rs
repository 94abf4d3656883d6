//! Bad input of every kind yields a located finding, never a panic, and never stops the run
//! (DESIGN.md "Tests that count"). Runs `dusk check` in-process on a copy of
//! `fixtures/bad-input/` plus the cases that cannot be committed.

use clap::Parser;
use dusk::cli::{ExitStatus, args::Cli};
use serde_json::Value;
use std::path::Path;

fn check(args: &[&str]) -> (ExitStatus, Value) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut argv = vec![
        "dusk",
        "check",
        "--isolated",
        "--format",
        "json",
        "--output",
        out.path().to_str().unwrap(),
    ];
    argv.extend_from_slice(args);
    let status = dusk::cli::run(Cli::parse_from(argv)).expect("bad input is never a tool error");
    let json = serde_json::from_str(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    (status, json)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn every_bad_input_is_a_located_finding_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(Path::new("fixtures/bad-input"), root);
    // A good file among the bad ones must still be checked.
    std::fs::write(
        root.join("worker.yaml"),
        "kind: Pod\nspec:\n  containers:\n    - name: w\n      args: [dask-worker]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("huge.yaml"),
        format!("# dask\n{}", "a: 1\n".repeat(40_000)),
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("gone.yaml"), root.join("broken-link.yaml")).unwrap();
    }

    let (status, json) = check(&["--max-file-size", "100000", root.to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Failure, "bad input is exit 1, not 2");
    let findings = json["findings"].as_array().unwrap();
    let rule_for = |name: &str| -> Vec<(String, u64)> {
        findings
            .iter()
            .filter(|f| f["path"].as_str().unwrap().ends_with(name))
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let expect = [
        ("invalid.yaml", "syntax-error"),
        ("alias-bomb.yaml", "syntax-error"),
        ("deep-nesting.yaml", "syntax-error"),
        ("deep-nesting.py", "syntax-error"),
        ("invalid-utf8.py", "input-error"),
        ("binary.yaml", "input-error"),
        ("broken-notebook.ipynb", "syntax-error"),
        ("syntax-error.py", "syntax-error"),
        ("huge.yaml", "input-error"),
        #[cfg(unix)]
        ("broken-link.yaml", "input-error"),
    ];
    for (file, rule) in expect {
        let got = rule_for(file);
        assert!(
            got.iter().any(|(r, line)| r == rule && *line >= 1),
            "{file}: expected a located `{rule}`, got {got:?}"
        );
    }
    // Located, not just flagged: the YAML error points into the broken line, the UTF-8 error at
    // the bad byte's line.
    assert!(
        rule_for("invalid.yaml").iter().any(|(_, line)| *line >= 5),
        "{:?}",
        rule_for("invalid.yaml")
    );
    assert_eq!(
        rule_for("invalid-utf8.py")
            .iter()
            .find(|(r, _)| r == "input-error")
            .unwrap()
            .1,
        2
    );
    assert!(
        rule_for("worker.yaml")
            .iter()
            .any(|(r, _)| r == "dask-worker-command"),
        "the good file was still checked: {findings:#?}"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_a_finding() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.yaml");
    std::fs::write(&path, "args: [dask-worker]\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        eprintln!("skipped: running as root, permissions do not stop reads");
        return;
    }
    let (status, json) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Failure);
    let f = &json["findings"][0];
    assert_eq!(f["rule"], "input-error");
    assert!(f["message"].as_str().unwrap().contains("permission denied"));
}

#[test]
fn a_missing_command_line_path_is_a_tool_error() {
    // Issue #11: a mistyped path is a mistake in the command (exit 2), not a finding that
    // `select` could drop. Paths the walk cannot read stay findings (above).
    let argv = ["dusk", "check", "--isolated", "does/not/exist.yaml"];
    let err = dusk::cli::run(Cli::parse_from(argv)).unwrap_err();
    assert!(matches!(err, dusk::cli::Error::MissingPath(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "`does/not/exist.yaml`: no such file or directory"
    );
}

#[test]
fn an_unrendered_template_is_not_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/worker.yaml"),
        "spec:\n  replicas: {{ .Values.worker.replicas }}\n  {{- with .Values.worker.env }}\n  env: {{ toYaml . }}\n  {{- end }}\n  args: [dask-worker]\n",
    )
    .unwrap();
    let (status, json) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json:#}");
    assert_eq!(status, ExitStatus::Success);
}

#[test]
fn yaml_limits_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nested.yaml"),
        "# dask\na: {b: {c: {d: [dask-worker]}}}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("aliases.yaml"),
        "# dask\nx: &x [dask, dask, dask]\ny: [*x, *x, *x]\n",
    )
    .unwrap();
    let (_, json) = check(&[
        "--max-yaml-depth",
        "3",
        "--max-alias-nodes",
        "5",
        dir.path().to_str().unwrap(),
    ]);
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("nesting")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("alias expansion exceeds 5 nodes")),
        "{messages:?}"
    );
    let (status, _) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Success, "the defaults read both files");
}

// ---- Inputs that once ended the whole run (issue #12), and the mutation fuzz over them. ----

/// A Python string literal `levels` blocks deep: at 511 levels it hit an assertion inside
/// tree-sitter's indentation scanner and aborted the process (SIGABRT, no output at all).
fn deep_python(levels: usize) -> String {
    let mut s = String::from("import dask_kubernetes\n");
    for i in 0..levels {
        s.push_str(&"    ".repeat(i));
        s.push_str("if ready:\n");
    }
    s.push_str(&"    ".repeat(levels));
    s.push_str("'dask-worker'\n");
    s
}

/// A one-line JSON manifest whose finding sits past column 65,535: the text renderer
/// panicked formatting its label (exit 101).
fn wide_manifest() -> String {
    format!(
        "{{\"metadata\": {{\"name\": \"c\", \"annotations\": {{\"note\": \"{}\"}}}}, \
         \"kind\": \"Pod\", \"spec\": {{\"containers\": [{{\"name\": \"w\", \
         \"args\": [\"dask-worker\", \"--no-bokeh\"]}}]}}}}\n",
        "x".repeat(70_000)
    )
}

#[test]
fn a_python_file_nested_past_the_parser_s_limit_is_a_finding_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deep.py"), deep_python(520)).unwrap();
    std::fs::write(
        dir.path().join("ok.py"),
        "CMD = [\"dask-worker\", \"--nprocs\", \"2\"]\n",
    )
    .unwrap();
    let (status, json) = check(&[dir.path().to_str().unwrap()]);
    assert_eq!(status, ExitStatus::Failure);
    let findings = json["findings"].as_array().unwrap();
    let deep = findings
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("deep.py"))
        .expect("a finding for deep.py");
    assert_eq!(deep["rule"], "syntax-error");
    assert!(
        deep["message"]
            .as_str()
            .unwrap()
            .contains("520 different indentation widths, over the 380"),
        "{deep}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["path"].as_str().unwrap().ends_with("ok.py")),
        "the other file was still checked: {findings:#?}"
    );
}

#[test]
fn a_finding_past_column_65535_renders_as_a_located_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.json.yaml");
    std::fs::write(&path, wide_manifest()).unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let argv = [
        "dusk",
        "check",
        "--isolated",
        "--output",
        out.path().to_str().unwrap(),
        path.to_str().unwrap(),
    ];
    let status = dusk::cli::run(Cli::parse_from(argv)).unwrap();
    assert_eq!(status, ExitStatus::Failure);
    let text = std::fs::read_to_string(out.path()).unwrap();
    assert!(
        text.contains(":1:70") && text.contains("error[dask-worker-command]"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn special_files_by_name_are_refused_before_any_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (status, json) = check(&[fifo.to_str().unwrap(), "/dev/zero"]);
    assert_eq!(status, ExitStatus::Failure);
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "not a regular file (a character device); not read",
            "not a regular file (a FIFO); not read"
        ]
    );
    // `--config` and `--rules` are read by type and size too: an error, not a hang.
    for flag in ["--config", "--rules"] {
        let argv = [
            "dusk",
            "check",
            flag,
            "/dev/zero",
            dir.path().to_str().unwrap(),
        ];
        let err = dusk::cli::run(Cli::parse_from(argv)).unwrap_err();
        let chain = format!("{:?}", miette::Report::new(err));
        assert!(chain.contains("character device"), "{flag}: {chain}");
    }
}

mod fuzz {
    //! A mutation fuzz over the real front-ends, bounded for CI (cargo-fuzz needs a nightly
    //! toolchain). Each case takes a seed (`fixtures/fuzz/` plus the generated crash inputs
    //! above), applies a few byte-level and token-level mutations, and runs the text through
    //! every front-end, the fix loop with unsafe fixes, and the text and JSON renderers. A
    //! crash is a failed case, and an abort ends the test binary, so either fails CI.
    //! `DUSK_FUZZ_CASES` raises the case count for a longer local run.
    use super::*;
    use dusk::discover::SourceKind;
    use dusk::migrate::{FileMeta, FixSettings};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn seeds() -> &'static Vec<String> {
        static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
        SEEDS.get_or_init(|| {
            let mut seeds = vec![
                deep_python(520),
                deep_python(380),
                wide_manifest(),
                "FROM python:3.11\nRUN <<EOT\npip install dask-kubernetes\nEOT\n".to_owned(),
            ];
            for dir in ["fixtures/fuzz", "fixtures/bad-input"] {
                let mut paths: Vec<_> = std::fs::read_dir(dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                paths.sort();
                for p in paths {
                    let bytes = std::fs::read(&p).unwrap();
                    seeds.push(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
            seeds
        })
    }

    /// Fragments that steer mutations towards what the front-ends care about.
    const TOKENS: &[&str] = &[
        "\n",
        "\r\n",
        "    ",
        "\t",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "\"",
        "'",
        "\"\"\"",
        ":",
        "- ",
        "&a ",
        "*a",
        "<<EOT\n",
        "\\\n",
        "#",
        "# dusk: ignore\n",
        "dask-worker",
        "KubeCluster(",
        "make_pod_spec(",
        "kind: Pod\n",
        "---\n",
        "é",
        "\u{200b}",
        "\u{fffd}",
        "\0",
    ];

    #[derive(Debug, Clone)]
    enum Mutation {
        Insert(usize, usize),
        Delete(usize, usize),
        Duplicate(usize, usize),
        Byte(usize, u8),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, t)| Mutation::Insert(a, t)),
            (any::<usize>(), 0usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
            (any::<usize>(), 0usize..256).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
            (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
        ]
    }

    fn apply(seed: &str, mutations: &[Mutation]) -> String {
        let mut bytes = seed.as_bytes().to_vec();
        for m in mutations {
            let at = |a: usize, len: usize| if len == 0 { 0 } else { a % (len + 1) };
            match *m {
                Mutation::Insert(a, t) => {
                    let at = at(a, bytes.len());
                    bytes.splice(at..at, TOKENS[t].bytes());
                }
                Mutation::Delete(a, n) => {
                    let from = at(a, bytes.len());
                    let to = (from + n).min(bytes.len());
                    bytes.drain(from..to);
                }
                Mutation::Duplicate(a, n) => {
                    let from = at(a, bytes.len());
                    let to = (from + n).min(bytes.len());
                    let copy = bytes[from..to].to_vec();
                    bytes.splice(to..to, copy);
                }
                Mutation::Byte(a, b) if !bytes.is_empty() => {
                    let i = a % bytes.len();
                    bytes[i] = b;
                }
                Mutation::Byte(..) => {}
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn scan() -> &'static dusk::cli::check::Scan {
        static SCAN: OnceLock<dusk::cli::check::Scan> = OnceLock::new();
        SCAN.get_or_init(|| {
            let argv = ["dusk", "check", "--isolated", "--show-upcoming", "."];
            let dusk::cli::args::Command::Check(args) = Cli::parse_from(argv).command else {
                unreachable!("parsed a check command")
            };
            dusk::cli::check::Scan::build(&args.scan, None).unwrap()
        })
    }

    /// Everything one text goes through in `check` and `fix`.
    fn exercise(text: &str) {
        let scan = scan();
        let lint = scan.settings();
        let mut fix = FixSettings::new(&lint, &scan.fix_overrides);
        fix.unsafe_fixes = true;
        for (kind, name) in [
            (SourceKind::Python, "fuzz.py"),
            (SourceKind::Yaml, "fuzz.yaml"),
            (SourceKind::Dockerfile, "Dockerfile"),
            (SourceKind::Notebook, "fuzz.ipynb"),
        ] {
            let path = Path::new(name);
            let report = dusk::lint::lint_text(kind, false, path, name, text, &lint);
            let meta = FileMeta {
                kind,
                beside_chart: false,
                path,
                display_path: name,
            };
            let outcome = dusk::migrate::fix_text(meta, text.to_owned(), &fix);
            let reports = [report, outcome.remaining];
            let summary = dusk::report::Summary::of(2, &reports);
            for format in [dusk::report::Format::Text, dusk::report::Format::Json] {
                dusk::report::render(format, &reports, &summary, false, &mut std::io::sink())
                    .unwrap();
            }
        }
    }

    #[test]
    fn every_seed_goes_through_unchanged() {
        for seed in seeds() {
            exercise(seed);
        }
    }

    fn cases() -> u32 {
        std::env::var("DUSK_FUZZ_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(48)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: cases(),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn mutated_inputs_never_crash_a_front_end(
            seed in 0usize..1000,
            mutations in prop::collection::vec(mutation(), 1..8),
        ) {
            let seeds = seeds();
            let text = apply(&seeds[seed % seeds.len()], &mutations);
            exercise(&text);
        }
    }
}
