//! Facts of small Python sources, each checked with the exact source text at its range.

use super::constructs;
use crate::extract::model::{ConfigOrigin, Construct, Fact, Literal, WordKind};
use crate::source::python::parse;

fn facts(src: &str) -> Vec<Construct<'_>> {
    let doc = parse(src).expect("tree-sitter parses any text");
    constructs(src, &doc)
}

fn at<'s>(src: &'s str, c: &Construct<'_>) -> &'s str {
    &src[c.range.as_range()]
}

/// (qualified name, text at its range) of every `PyName`.
fn names(src: &str) -> Vec<(String, &str)> {
    facts(src)
        .iter()
        .filter_map(|c| match &c.fact {
            Fact::PyName { qualified } => Some((qualified.clone(), at(src, c))),
            _ => None,
        })
        .collect()
}

/// (callee, text of the whole call) of every `PyCall`.
fn calls(src: &str) -> Vec<(String, &str)> {
    facts(src)
        .iter()
        .filter_map(|c| match &c.fact {
            Fact::PyCall { callee, .. } => Some((callee.clone(), at(src, c))),
            _ => None,
        })
        .collect()
}

/// (key, value, origin, text at its range) of every `ConfigKey`.
fn config_keys(src: &str) -> Vec<(String, Literal, ConfigOrigin, &str)> {
    facts(src)
        .iter()
        .filter_map(|c| match &c.fact {
            Fact::ConfigKey { key, value, origin } => {
                Some((key.clone(), value.clone(), *origin, at(src, c)))
            }
            _ => None,
        })
        .collect()
}

/// (kind, word, text at its range) of every command `Word`.
fn words(src: &str) -> Vec<(WordKind, String, &str)> {
    facts(src)
        .iter()
        .filter_map(|c| match &c.fact {
            Fact::Word { kind, text } => Some((*kind, text.clone(), at(src, c))),
            _ => None,
        })
        .collect()
}

fn py_strings(src: &str) -> Vec<(String, &str)> {
    facts(src)
        .iter()
        .filter_map(|c| match &c.fact {
            Fact::PyString { value } => Some((value.clone(), at(src, c))),
            _ => None,
        })
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn owned_of(got: Vec<(String, &str)>) -> Vec<(String, String)> {
    got.into_iter().map(|(a, b)| (a, b.to_owned())).collect()
}

#[test]
fn plain_import_names_the_dotted_module() {
    let src = "import dask_kubernetes.classic.kubecluster, os\n";
    assert_eq!(
        owned_of(names(src)),
        owned(&[
            (
                "dask_kubernetes.classic.kubecluster",
                "dask_kubernetes.classic.kubecluster"
            ),
            ("os", "os"),
        ])
    );
}

#[test]
fn plain_import_binds_its_root() {
    let src = "import dask_kubernetes.classic\ndask_kubernetes.classic.KubeCluster()\n";
    assert_eq!(
        owned_of(calls(src)),
        owned(&[(
            "dask_kubernetes.classic.KubeCluster",
            "dask_kubernetes.classic.KubeCluster()"
        )])
    );
}

#[test]
fn import_as_binds_the_alias() {
    let src = "import dask_kubernetes.classic as dkc\ncluster = dkc.KubeCluster()\n";
    assert_eq!(
        owned_of(names(src)),
        owned(&[
            ("dask_kubernetes.classic", "dask_kubernetes.classic"),
            ("dask_kubernetes.classic.KubeCluster", "dkc.KubeCluster"),
        ])
    );
    assert_eq!(calls(src)[0].0, "dask_kubernetes.classic.KubeCluster");
}

#[test]
fn from_imports_name_each_imported_name_at_the_name() {
    let src = "from dask_kubernetes import KubeCluster as KC, make_pod_spec\n\
               from dask_kubernetes.common.objects import (\n    clean_pod_template,  # c\n)\n";
    assert_eq!(
        owned_of(names(src)),
        owned(&[
            ("dask_kubernetes.KubeCluster", "KubeCluster"),
            ("dask_kubernetes.make_pod_spec", "make_pod_spec"),
            (
                "dask_kubernetes.common.objects.clean_pod_template",
                "clean_pod_template"
            ),
        ])
    );
}

#[test]
fn relative_star_and_future_imports_give_nothing() {
    let src = "from . import KubeCluster\nfrom .classic import KubeCluster\n\
               from dask_kubernetes import *\nfrom __future__ import annotations\n\
               KubeCluster(deploy_mode='local')\n";
    let got = facts(src);
    assert!(
        got.iter()
            .all(|c| !matches!(c.fact, Fact::PyName { .. } | Fact::PyCall { .. })),
        "{got:?}"
    );
}

#[test]
fn a_from_imported_name_is_not_reported_again_at_each_use() {
    let src = "from dask_kubernetes import KubeCluster\nx = KubeCluster\ny = [KubeCluster]\n";
    assert_eq!(
        owned_of(names(src)),
        owned(&[("dask_kubernetes.KubeCluster", "KubeCluster")])
    );
    assert_eq!(names(src).len(), 1);
}

#[test]
fn attribute_chains_report_the_outermost_chain_only() {
    let src = "import dask_kubernetes\nspec = dask_kubernetes.classic.make_pod_spec\n\
               other.dask_kubernetes.x = 1\n";
    assert_eq!(
        owned_of(names(src)),
        owned(&[
            ("dask_kubernetes", "dask_kubernetes"),
            (
                "dask_kubernetes.classic.make_pod_spec",
                "dask_kubernetes.classic.make_pod_spec"
            ),
        ])
    );
}

#[test]
fn chains_rooted_at_a_from_imported_module_resolve() {
    let src = "from dask_kubernetes import classic\nc = classic.KubeCluster(n_workers=1)\n";
    let got = names(src);
    assert_eq!(
        got[1],
        (
            "dask_kubernetes.classic.KubeCluster".into(),
            "classic.KubeCluster"
        )
    );
    assert_eq!(calls(src)[0].0, "dask_kubernetes.classic.KubeCluster");
}

#[test]
fn calls_carry_keywords_and_positionals() {
    let src = "from dask_kubernetes import KubeCluster\n\
               KubeCluster(\n    \"worker.yml\",\n    name=\"dask-\" 'x',\n    n_workers=3,\n    \
               port=-1,\n    deploy_mode=None,\n    asynchronous=True,\n    env={\"A\": \"1\"},\n    \
               idle_timeout=f\"{t}s\",\n    # a comment\n    *extra,\n    **kwargs,\n)\n";
    let got = facts(src);
    let call = got
        .iter()
        .find(|c| matches!(c.fact, Fact::PyCall { .. }))
        .expect("a call");
    let Fact::PyCall {
        callee,
        keywords,
        positional,
    } = &call.fact
    else {
        unreachable!()
    };
    assert_eq!(callee, "dask_kubernetes.KubeCluster");
    assert!(at(src, call).starts_with("KubeCluster(") && at(src, call).ends_with(')'));
    let positional: Vec<&str> = positional.iter().map(|r| &src[r.as_range()]).collect();
    assert_eq!(positional, ["\"worker.yml\"", "*extra"]);
    let keywords: Vec<(&str, &str, Literal)> = keywords
        .iter()
        .map(|k| (k.name.as_str(), &src[k.range.as_range()], k.value.clone()))
        .collect();
    assert_eq!(
        keywords,
        [
            (
                "name",
                "name=\"dask-\" 'x'",
                Literal::String("dask-x".into())
            ),
            ("n_workers", "n_workers=3", Literal::Number("3".into())),
            ("port", "port=-1", Literal::Number("-1".into())),
            ("deploy_mode", "deploy_mode=None", Literal::Null),
            ("asynchronous", "asynchronous=True", Literal::Bool(true)),
            ("env", "env={\"A\": \"1\"}", Literal::Other),
            ("idle_timeout", "idle_timeout=f\"{t}s\"", Literal::Other),
        ]
    );
}

#[test]
fn unresolved_calls_give_nothing() {
    assert!(calls("KubeCluster(deploy_mode='local')\nfoo.bar()\n").is_empty());
}

#[test]
fn methods_on_instances_resolve_to_the_class() {
    let src = "from dask_kubernetes import KubeCluster\n\
               cluster = KubeCluster()\ncluster.adapt(minimum=1)\ncluster.scale_up(2)\n\
               cluster.pods()\ncluster()\n";
    let got: Vec<String> = calls(src).into_iter().map(|c| c.0).collect();
    assert_eq!(
        got,
        [
            "dask_kubernetes.KubeCluster",
            "dask_kubernetes.KubeCluster.adapt",
            "dask_kubernetes.KubeCluster.scale_up",
            "dask_kubernetes.KubeCluster.pods",
        ]
    );
    assert_eq!(calls(src)[1].1, "cluster.adapt(minimum=1)");
}

#[test]
fn from_constructors_build_their_class() {
    let src = "from dask_kubernetes import KubeCluster\n\
               class Runner:\n    def start(self):\n        \
               self.cluster = KubeCluster.from_yaml('worker-spec.yml', port=8786)\n        \
               self.cluster.scale_up(2)\n";
    let got: Vec<String> = calls(src).into_iter().map(|c| c.0).collect();
    assert_eq!(
        got,
        [
            "dask_kubernetes.KubeCluster.from_yaml",
            "dask_kubernetes.KubeCluster.scale_up",
        ]
    );
}

#[test]
fn with_as_walrus_await_and_chained_calls_build_instances() {
    let src = "from dask_kubernetes import KubeCluster\n\
               async def main():\n    \
               async with KubeCluster(asynchronous=True) as c1:\n        c1.adapt()\n    \
               c2 = await KubeCluster(asynchronous=True)\n    c2.close()\n    \
               if (c3 := KubeCluster()):\n        c3.scale(2)\n    \
               KubeCluster().adapt(maximum=3)\n";
    let got: Vec<String> = calls(src).into_iter().map(|c| c.0).collect();
    assert_eq!(
        got,
        [
            "dask_kubernetes.KubeCluster",
            "dask_kubernetes.KubeCluster.adapt",
            "dask_kubernetes.KubeCluster",
            "dask_kubernetes.KubeCluster.close",
            "dask_kubernetes.KubeCluster",
            "dask_kubernetes.KubeCluster.scale",
            "dask_kubernetes.KubeCluster",
            "dask_kubernetes.KubeCluster.adapt",
        ]
    );
}

#[test]
fn functions_build_no_instances() {
    let src = "from dask_kubernetes import make_pod_spec\npod = make_pod_spec(image='x')\n\
               pod.to_dict()\n";
    let got: Vec<String> = calls(src).into_iter().map(|c| c.0).collect();
    assert_eq!(got, ["dask_kubernetes.make_pod_spec"]);
}

#[test]
fn operator_kubecluster_is_its_own_name() {
    let src = "from dask_kubernetes.operator import KubeCluster\n\
               cluster = KubeCluster(name='x', n_workers=2)\ncluster.adapt(minimum=1)\n";
    assert_eq!(
        owned_of(names(src)),
        owned(&[("dask_kubernetes.operator.KubeCluster", "KubeCluster")])
    );
    let got: Vec<String> = calls(src).into_iter().map(|c| c.0).collect();
    assert_eq!(
        got,
        [
            "dask_kubernetes.operator.KubeCluster",
            "dask_kubernetes.operator.KubeCluster.adapt"
        ]
    );
    // The built-in pack's classic rules stay quiet on the operator class.
    let rules = crate::rules::RuleSet::builtin().expect("built-in packs load");
    let hits = crate::rules::matcher::find_hits(&rules, &facts(src));
    assert!(hits.is_empty(), "{hits:?}");
}

#[test]
fn dask_config_set_with_a_dict() {
    let src = "import dask\n\
               dask.config.set({\n    \"kubernetes\": {\"worker-template\": {\"kind\": \"Pod\"}},\n    \
               \"Kubernetes.Deploy_Mode\": \"local\",\n    'distributed.worker.daemon': False,\n})\n";
    let got = config_keys(src);
    let keys: Vec<(&str, &str)> = got.iter().map(|k| (k.0.as_str(), k.3)).collect();
    assert_eq!(
        keys,
        [
            ("kubernetes", "\"kubernetes\""),
            ("kubernetes.worker-template", "\"worker-template\""),
            ("kubernetes.worker-template.kind", "\"kind\""),
            ("kubernetes.deploy-mode", "\"Kubernetes.Deploy_Mode\""),
            ("distributed", "'distributed.worker.daemon'"),
            ("distributed.worker", "'distributed.worker.daemon'"),
            ("distributed.worker.daemon", "'distributed.worker.daemon'"),
        ]
    );
    assert!(got.iter().all(|k| k.2 == ConfigOrigin::Python));
    assert_eq!(got[3].1, Literal::String("local".into()));
    assert_eq!(got[6].1, Literal::Bool(false));
    assert_eq!(got[1].1, Literal::Other);
}

#[test]
fn dask_config_set_with_keywords_and_import_forms() {
    let src = "from dask import config\nconfig.set(kubernetes__worker_template_path='w.yml')\n";
    let got = config_keys(src);
    let keys: Vec<(&str, &str)> = got.iter().map(|k| (k.0.as_str(), k.3)).collect();
    assert_eq!(
        keys,
        [
            ("kubernetes", "kubernetes__worker_template_path"),
            (
                "kubernetes.worker-template-path",
                "kubernetes__worker_template_path"
            ),
        ]
    );
    assert_eq!(got[1].1, Literal::String("w.yml".into()));
    let src = "import dask.config\nwith dask.config.set({'kubernetes.name': 'x'}):\n    pass\n";
    assert_eq!(config_keys(src)[1].0, "kubernetes.name");
    // Reads, and `set` of anything else, set nothing.
    let src = "import dask\ndask.config.get('kubernetes.name')\nother.config.set({'a': 1})\n";
    assert!(config_keys(src).is_empty());
}

#[test]
fn dask_environment_variables_are_config_keys() {
    let src = "import os\n\
               os.environ[\"DASK_KUBERNETES__NAME\"] = \"dask-x\"\n\
               os.environ.setdefault('DASK_KUBERNETES__COUNT__MAX', '10')\n\
               os.putenv('DASK_DISTRIBUTED__WORKER__DAEMON', 'False')\n\
               env = {\"DASK_KUBERNETES__WORKER_TEMPLATE_PATH\": path, \"PATH\": \"/bin\"}\n\
               os.environ['HOME'] = '/root'\n";
    let got = config_keys(src);
    let leaves: Vec<(&str, &Literal, &str)> = got
        .iter()
        .filter(|k| {
            ![
                "kubernetes",
                "kubernetes.count",
                "distributed",
                "distributed.worker",
            ]
            .contains(&k.0.as_str())
        })
        .map(|k| (k.0.as_str(), &k.1, k.3))
        .collect();
    assert_eq!(
        leaves,
        [
            (
                "kubernetes.name",
                &Literal::String("dask-x".into()),
                "\"DASK_KUBERNETES__NAME\""
            ),
            (
                "kubernetes.count.max",
                &Literal::Number("10".into()),
                "'DASK_KUBERNETES__COUNT__MAX'"
            ),
            (
                "distributed.worker.daemon",
                &Literal::Bool(false),
                "'DASK_DISTRIBUTED__WORKER__DAEMON'"
            ),
            (
                "kubernetes.worker-template-path",
                &Literal::Other,
                "\"DASK_KUBERNETES__WORKER_TEMPLATE_PATH\""
            ),
        ]
    );
    assert!(got.iter().all(|k| k.2 == ConfigOrigin::EnvVar));
}

#[test]
fn dotted_name_strings_but_not_docstrings() {
    let src = "\"\"\"Uses dask_kubernetes.KubeCluster and dask-worker --no-bokeh.\"\"\"\n\
               def f():\n    'dask_kubernetes.KubeCluster'\n    \
               return DaskExecutor(cluster_class=\"dask_kubernetes.KubeCluster\")\n\
               a = \"dask_kubernetes.\" \"classic.KubeCluster\"\nb = f\"dask_kubernetes.{x}\"\n\
               c = 'not a name'\n";
    assert_eq!(
        owned_of(py_strings(src)),
        owned(&[
            (
                "dask_kubernetes.KubeCluster",
                "\"dask_kubernetes.KubeCluster\""
            ),
            (
                "dask_kubernetes.classic.KubeCluster",
                "\"dask_kubernetes.\" \"classic.KubeCluster\""
            ),
        ])
    );
    assert!(words(src).iter().all(|w| w.1 != "dask-worker"));
}

#[test]
fn comments_give_no_facts() {
    let src = "# from dask_kubernetes import KubeCluster\n\
               # dask.config.set({'kubernetes.worker-template': {}})\n\
               x = 1  # dask-worker --no-bokeh 'dask_kubernetes.KubeCluster'\n";
    assert!(facts(src).is_empty(), "{:?}", facts(src));
}

#[test]
fn command_strings_and_lists() {
    let src = "a = \"dask-worker tcp://s:8786 --no-bokeh\"\n\
               b = [\"dask-worker\", address, \"--nthreads\", \"2\", f\"--name={n}\", '--no-bokeh']\n";
    let got = words(src);
    let words: Vec<(WordKind, &str, &str)> = got.iter().map(|w| (w.0, w.1.as_str(), w.2)).collect();
    assert_eq!(
        words,
        [
            (WordKind::Program, "dask-worker", "dask-worker"),
            (WordKind::Flag, "--no-bokeh", "--no-bokeh"),
            (WordKind::Program, "dask-worker", "dask-worker"),
            (WordKind::Flag, "--nthreads", "--nthreads"),
            (WordKind::Flag, "--no-bokeh", "--no-bokeh"),
        ]
    );
}

#[test]
fn names_labels_and_port_names_are_not_commands() {
    let src = "from kubernetes import client\n\
               labels = {\"app\": \"dask-worker\", \"component\": \"dask-scheduler\"}\n\
               port = client.V1ServicePort(name=\"dask-scheduler\", port=8786)\n\
               c = client.V1Container(name=\"dask-worker\", args=[\"dask-worker\", \"--nthreads\", \"2\"])\n\
               pod = {\"containers\": [{\"name\": \"dask-worker\", \"command\": [\"dask-scheduler\"]}]}\n\
               for role in [\"dask-scheduler\", \"dask-worker\"]:\n    pass\n\
               worker_cmd = \"dask-worker\"\n\
               os.system(\"dask-ssh\")\n\
               spec[\"args\"] = [\"dask-worker\"]\n";
    let programs: Vec<(String, usize)> = facts(src)
        .iter()
        .filter_map(|c| match &c.fact {
            Fact::Word {
                kind: WordKind::Program,
                text,
            } => Some((
                text.clone(),
                src[..c.range.start()].matches('\n').count() + 1,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        programs,
        [
            ("dask-worker".to_owned(), 4),
            ("dask-scheduler".to_owned(), 5),
            ("dask-worker".to_owned(), 8),
            ("dask-ssh".to_owned(), 9),
            ("dask-worker".to_owned(), 10),
        ]
    );
}

#[test]
fn a_syntax_error_keeps_the_valid_parts() {
    let src = "from dask_kubernetes import KubeCluster\n\
               def broken(:\n    pass\n\
               cluster = KubeCluster(deploy_mode=\"local\")\n";
    assert_eq!(names(src)[0].0, "dask_kubernetes.KubeCluster");
    let got = facts(src);
    let keyword = got.iter().find_map(|c| match &c.fact {
        Fact::PyCall { keywords, .. } => keywords.first().cloned(),
        _ => None,
    });
    let keyword = keyword.expect("the call after the broken line is found");
    assert_eq!(&src[keyword.range.as_range()], "deploy_mode=\"local\"");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    const DEPTH: usize = 10_000;
    let parens = format!(
        "from dask_kubernetes import KubeCluster\nx = {}KubeCluster(){}\n",
        "(".repeat(DEPTH),
        ")".repeat(DEPTH)
    );
    assert_eq!(calls(&parens).len(), 1);
    let lists = format!(
        "x = {}'dask-worker', '--no-bokeh'{}\n",
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    assert_eq!(words(&lists).len(), 2);
    let chain = format!("import dask\nx = dask{}\n", ".a".repeat(DEPTH));
    assert_eq!(names(&chain).len(), 2);
    let method_chain = format!(
        "from dask_kubernetes import KubeCluster\nKubeCluster(){}\n",
        ".adapt()".repeat(DEPTH)
    );
    assert_eq!(calls(&method_chain).len(), 2);
    let unknown_chain = format!(
        "from dask_kubernetes import KubeCluster\nc = KubeCluster()\nx{}()\n",
        ".a".repeat(DEPTH)
    );
    assert_eq!(calls(&unknown_chain).len(), 1);
    let calls_of_calls = format!("import dask\ndask.f{}\n", "()".repeat(DEPTH));
    assert_eq!(calls(&calls_of_calls).len(), 1);
    let unary = format!("x = {}1\n", "-".repeat(DEPTH));
    facts(&unary);
    // Nested dicts give one key per level, each as long as its depth: keep this one smaller.
    let dicts = format!(
        "import dask\ndask.config.set({}{}\n",
        "{'a': ".repeat(1_000),
        "1}".repeat(1_000) + ")"
    );
    assert_eq!(config_keys(&dicts).len(), 1_000);
}

mod fuzz {
    use super::facts;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "import ",
        "from ",
        " as ",
        "dask",
        "dask_kubernetes",
        ".",
        "KubeCluster",
        "config",
        "set",
        "os",
        "environ",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ":",
        ",",
        " = ",
        "=",
        "\"",
        "'",
        "\"\"\"",
        "f\"{",
        "\\",
        "\n",
        "    ",
        "with ",
        "await ",
        "**",
        "*",
        "#",
        "-",
        "1",
        "'DASK_KUBERNETES__NAME'",
        "\"dask-worker --no-bokeh\"",
        "cluster",
        "é",
        "\r\n",
        ":=",
        "lambda ",
        "\0",
    ];

    fn python_ish() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|t| t.concat())
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(src in ".*") {
            for c in facts(&src) {
                prop_assert!(src.get(c.range.as_range()).is_some());
            }
        }

        #[test]
        fn python_ish_text_never_panics(src in python_ish()) {
            for c in facts(&src) {
                prop_assert!(src.get(c.range.as_range()).is_some());
            }
        }
    }
}

/// A seed proptest found: a command word inside a string next to a multi-byte character
/// must still be located on character boundaries.
#[test]
fn command_words_next_to_multibyte_text_stay_on_char_boundaries() {
    let src = "\"dask-worker --no-bokeh\"éf\"{(set((**lambda \"dask-worker --no-bokeh\"";
    for c in facts(src) {
        assert!(
            src.get(c.range.as_range()).is_some(),
            "{:?} {:?}",
            c.range,
            c.fact
        );
    }
}

#[test]
fn code_inside_an_f_string_is_found_and_a_plain_string_holds_no_code() {
    // The walk steps over strings without `{`; an f-string's interpolations are code.
    let src = "from dask_kubernetes import KubeCluster, make_pod_spec\n\
               print(f\"at {KubeCluster(make_pod_spec('daskdev/dask')).dashboard_link:>{40}}\")\n\
               print(\"KubeCluster(make_pod_spec('x'))\", 'dask-worker')\n";
    assert_eq!(
        owned_of(calls(src)),
        owned(&[
            (
                "dask_kubernetes.KubeCluster",
                "KubeCluster(make_pod_spec('daskdev/dask'))"
            ),
            (
                "dask_kubernetes.make_pod_spec",
                "make_pod_spec('daskdev/dask')"
            ),
        ])
    );
}
