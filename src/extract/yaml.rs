//! YAML front-ends: classify each document of a file and extract its constructs.
//!
//! Takes a parsed [`YamlFile`], its text, its path (only the file name is used) and what
//! discovery saw around it ([`YamlContext`]). Each document is classified once by shape
//! ([`classify`]) and handed to one front-end: `argo`, `manifest`, `pod_template`,
//! `dask_config` or `helm_values`. YAML held in strings — a ConfigMap's `data` files, an Argo
//! template's `resource.manifest` — is parsed as documents of its own ([`Embedded`]), with
//! every inner range mapped back to the file: exactly when the string is a literal block or a
//! one-line scalar that the file spells out verbatim (checked line by line), otherwise to the
//! whole string. Never reads files, never edits, never recurses over a tree; embedded parsing
//! shares one node budget per file, so strings cannot multiply an alias bomb.

use super::model::Construct;
use super::{argo, dask_config, helm_values, manifest, pod_template};
use crate::source::TextRange;
use crate::source::yaml::{self as syaml, Limits, Node, Value, YamlFile};
use std::path::Path;

/// What the YAML front-ends may know about a file besides its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct YamlContext {
    /// A `Chart.yaml` sits in the same directory (so `values*.yaml` are Helm values).
    pub beside_chart: bool,
}

/// What a YAML document is, as far as dusk cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// An Argo Workflows object (`apiVersion: argoproj.io/…`).
    Argo,
    /// Any other Kubernetes object (`apiVersion` and `kind`).
    Manifest,
    /// A classic pod template (`kind: Pod` without `apiVersion`, a bare pod or pod spec).
    PodTemplate,
    /// A dask config file.
    DaskConfig,
    /// Values of the dask Helm chart.
    HelmValues,
    /// Anything else: no constructs.
    Other,
}

/// Classify one document. `file_name` is the file's (or the ConfigMap key's) name.
pub fn classify(root: &Node, file_name: Option<&str>, cx: YamlContext) -> DocumentKind {
    if argo::is_argo(root) && manifest::is_object(root) {
        DocumentKind::Argo
    } else if manifest::is_object(root) {
        DocumentKind::Manifest
    } else if pod_template::is_pod_template(root) {
        DocumentKind::PodTemplate
    } else if dask_config::is_dask_config(root) {
        DocumentKind::DaskConfig
    } else if helm_values::is_dask_values(root, file_name, cx.beside_chart) {
        DocumentKind::HelmValues
    } else {
        DocumentKind::Other
    }
}

/// Every construct of every document of a YAML file and of the YAML embedded in its strings
/// (`embedded`, built once by the caller with [`Embedded::find`], so constructs can borrow
/// both trees).
pub fn constructs<'a>(
    path: &Path,
    text: &'a str,
    file: &'a YamlFile,
    embedded: &'a Embedded,
    cx: YamlContext,
) -> Vec<Construct<'a>> {
    let name = path.file_name().and_then(|n| n.to_str());
    let mut out = Vec::new();
    for root in file.documents.iter().filter_map(|d| d.root.as_ref()) {
        document(root, text, name, cx, &mut out);
    }
    out.extend(embedded.constructs(text));
    out
}

/// Hand one document to its front-end. `src` is the text its ranges index (empty when they
/// all point at one enclosing string, so no word claims a narrower range).
fn document<'a>(
    root: &'a Node,
    src: &str,
    name: Option<&str>,
    cx: YamlContext,
    out: &mut Vec<Construct<'a>>,
) {
    match classify(root, name, cx) {
        DocumentKind::Argo => {
            manifest::resources(root, out);
            argo::constructs(root, src, out);
        }
        DocumentKind::Manifest => manifest::constructs(root, src, out),
        DocumentKind::PodTemplate => {
            pod_template::resource(root, out);
            pod_template::constructs(root, src, out);
        }
        DocumentKind::DaskConfig => dask_config::constructs(root, src, out),
        DocumentKind::HelmValues => helm_values::constructs(root, src, out),
        DocumentKind::Other => {}
    }
}

/// How many levels of YAML-in-a-string are followed (a ConfigMap in an Argo manifest is two).
const MAX_NESTING: usize = 3;
/// Most nodes all embedded documents of one file may hold together.
const NODE_BUDGET: usize = 100_000;

/// YAML documents held in string scalars of a file, parsed, with ranges in the file's
/// coordinates. Build it with [`Embedded::find`]; it owns the trees that embedded `Resource`
/// facts point into.
#[derive(Debug, Default)]
pub struct Embedded {
    docs: Vec<EmbeddedDoc>,
}

#[derive(Debug)]
struct EmbeddedDoc {
    root: Node,
    /// The ConfigMap key (`dask.yaml`) or `manifest`, classified like a file name.
    name: String,
    /// Every range maps to its exact place in the file (else all are the string's range).
    exact: bool,
}

/// A string that may hold YAML, copied out so the tree it came from can grow.
struct Candidate {
    name: String,
    text: String,
    range: TextRange,
    /// The string's own range is exact (it is not inside an inexactly mapped string).
    exact: bool,
}

impl Embedded {
    /// Parse the YAML held in ConfigMap `data` strings and Argo `resource.manifest`s of
    /// `file`, and in such strings of those documents, up to [`MAX_NESTING`] levels. A string
    /// that is not valid YAML is skipped: it need not be YAML at all.
    pub fn find(text: &str, file: &YamlFile) -> Embedded {
        let mut docs = Vec::new();
        let mut budget = NODE_BUDGET;
        let mut pending: Vec<Candidate> = file
            .documents
            .iter()
            .filter_map(|d| d.root.as_ref())
            .flat_map(|root| candidates(root, true))
            .collect();
        for _ in 0..MAX_NESTING {
            let mut next = Vec::new();
            for candidate in pending {
                if budget == 0 {
                    break;
                }
                let limits = Limits {
                    max_alias_nodes: budget.min(Limits::default().max_alias_nodes),
                    ..Limits::default()
                };
                let Ok(mut inner) = syaml::parse(&candidate.text, limits) else {
                    continue;
                };
                let lines = candidate
                    .exact
                    .then(|| LineMap::new(text, candidate.range, &candidate.text))
                    .flatten();
                let documents = std::mem::take(&mut inner.documents);
                for mut root in documents.into_iter().filter_map(|d| d.root) {
                    let nodes = match &lines {
                        Some(map) => remap(&mut root, |r| map.map(r)),
                        None => remap(&mut root, |_| candidate.range),
                    };
                    budget = budget.saturating_sub(nodes);
                    next.extend(candidates(&root, lines.is_some()));
                    docs.push(EmbeddedDoc {
                        root,
                        name: candidate.name.clone(),
                        exact: lines.is_some(),
                    });
                }
            }
            pending = next;
        }
        Embedded { docs }
    }

    /// The constructs of every embedded document; `text` is the file's text.
    fn constructs<'e>(&'e self, text: &str) -> Vec<Construct<'e>> {
        let mut out = Vec::new();
        for doc in &self.docs {
            let src = if doc.exact { text } else { "" };
            document(
                &doc.root,
                src,
                Some(&doc.name),
                YamlContext::default(),
                &mut out,
            );
        }
        out
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        syaml::drop_iteratively(self.docs.drain(..).map(|d| d.root).collect());
    }
}

/// The YAML documents held in the string scalar `string` of `text` (an Argo
/// `resource.manifest`), parsed, every range mapped to its exact place in `text`; `None`
/// when the string is not YAML or the file does not spell it out line by line (folded,
/// escaped or multi-line flow scalars), so no range could be trusted.
pub fn string_documents(text: &str, string: &Node) -> Option<Vec<Node>> {
    let value = string.as_string_scalar()?;
    let lines = LineMap::new(text, string.range, value)?;
    let mut inner = syaml::parse(value, Limits::default()).ok()?;
    Some(
        std::mem::take(&mut inner.documents)
            .into_iter()
            .filter_map(|d| d.root)
            .map(|mut root| {
                remap(&mut root, |r| lines.map(r));
                root
            })
            .collect(),
    )
}

/// The strings of one document that may hold YAML.
fn candidates(root: &Node, exact: bool) -> Vec<Candidate> {
    let mut found: Vec<(&str, &Node)> = manifest::config_map_yaml(root);
    if argo::is_argo(root) {
        found.extend(argo::manifests(root).into_iter().map(|m| ("manifest", m)));
    }
    found
        .into_iter()
        .filter_map(|(name, node)| {
            Some(Candidate {
                name: name.to_owned(),
                text: node.as_string_scalar()?.to_owned(),
                range: node.range,
                exact,
            })
        })
        .collect()
}

/// Map every range of a tree; returns how many nodes it holds.
fn remap(root: &mut Node, map: impl Fn(TextRange) -> TextRange) -> usize {
    let mut count = 0;
    let mut todo = vec![root];
    while let Some(node) = todo.pop() {
        count += 1;
        node.range = map(node.range);
        match &mut node.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => todo.extend(items.iter_mut()),
            Value::Map(entries) => {
                for entry in entries.iter_mut() {
                    todo.push(&mut entry.key);
                    todo.push(&mut entry.value);
                }
            }
        }
    }
    count
}

/// Where each line of a string's value starts in the file: line `i` of the value begins at
/// `inner[i]` in the value and at `outer[i]` in the file, and the file spells the line out
/// verbatim from there.
#[derive(Debug, PartialEq, Eq)]
struct LineMap {
    inner: Vec<usize>,
    outer: Vec<usize>,
}

impl LineMap {
    /// The map of a scalar at `range` in `text` whose value is `value`, or `None` when the file
    /// does not spell the value out line by line (folded, escaped or multi-line flow scalars).
    fn new(text: &str, range: TextRange, value: &str) -> Option<LineMap> {
        let written = text.get(range.as_range())?;
        if !value.contains('\n') {
            // A one-line plain or quoted scalar, written as is.
            let at = if written == value {
                range.start()
            } else if written.len() == value.len() + 2
                && written.get(1..written.len() - 1) == Some(value)
            {
                range.start() + 1
            } else {
                return LineMap::block(text, range, value);
            };
            return Some(LineMap {
                inner: vec![0],
                outer: vec![at],
            });
        }
        LineMap::block(text, range, value)
    }

    /// A block scalar: its range starts at the first content character, whose column is the
    /// block's indentation; each value line is a file line minus that indentation, and the
    /// value's leading empty lines are the file lines just before. Every line is checked.
    fn block(text: &str, range: TextRange, value: &str) -> Option<LineMap> {
        let start = range.start();
        let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
        if !text.get(line_start..start)?.bytes().all(|b| b == b' ') {
            return None;
        }
        let indent = start - line_start;
        let mut outer = line_start;
        for _ in 0..value.bytes().take_while(|&b| b == b'\n').count() {
            outer = text
                .get(..outer.checked_sub(1)?)?
                .rfind('\n')
                .map_or(0, |i| i + 1);
        }
        let mut map = LineMap {
            inner: Vec::new(),
            outer: Vec::new(),
        };
        let mut inner = 0;
        let lines: Vec<&str> = value.split('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            map.inner.push(inner);
            if i + 1 == lines.len() && line.is_empty() {
                // After the final line break: the next file line, whatever it holds.
                map.outer.push(outer.min(text.len()));
                break;
            }
            let rest = text.get(outer..)?;
            let end = rest.find('\n').map_or(text.len(), |e| outer + e);
            let file_line = text[outer..end]
                .strip_suffix('\r')
                .unwrap_or(&text[outer..end]);
            let spaces = file_line.bytes().take_while(|&b| b == b' ').count();
            let content = if line.is_empty() && spaces == file_line.len() {
                outer + spaces
            } else if spaces >= indent && file_line.get(indent..) == Some(*line) {
                outer + indent
            } else {
                return None;
            };
            map.outer.push(content);
            inner += line.len() + 1;
            outer = end + 1;
        }
        Some(map)
    }

    /// A range of the value → the same text in the file.
    fn map(&self, range: TextRange) -> TextRange {
        let one = |offset: usize| {
            let line = self
                .inner
                .partition_point(|&s| s <= offset)
                .saturating_sub(1);
            self.outer[line] + (offset - self.inner[line])
        };
        TextRange::new(one(range.start()), one(range.end()))
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::extract::model::Fact;
    use crate::extract::model::{ConfigOrigin, WordKind};

    pub fn load(src: &str) -> YamlFile {
        syaml::parse(src, Limits::default()).unwrap()
    }

    /// One construct as a line: what it says and the source text at its range.
    pub fn describe(src: &str, c: &Construct<'_>) -> String {
        let at = src
            .get(c.range.as_range())
            .unwrap_or("<bad range>")
            .replace('\n', "\\n");
        let what = match &c.fact {
            Fact::Word {
                kind: WordKind::Program,
                text,
            } => format!("program {text}"),
            Fact::Word {
                kind: WordKind::Flag,
                text,
            } => format!("flag {text}"),
            Fact::ConfigKey { key, value, origin } => {
                let origin = match origin {
                    ConfigOrigin::File => "config",
                    ConfigOrigin::EnvVar => "env",
                    ConfigOrigin::Python => "python-config",
                };
                format!("{origin} {key} = {value:?}")
            }
            Fact::Resource {
                api_version,
                kind,
                name,
                ..
            } => format!("resource {api_version} {kind} {name:?}"),
            Fact::HelmValue { key, .. } => format!("helm {key}"),
            Fact::PyString { value } => format!("pystring {value}"),
            other => format!("{other:?}"),
        };
        format!("{what} @ {at}")
    }

    /// What a front-end function finds in one document, described.
    pub fn facts<'a>(
        src: &str,
        root: &'a Node,
        front_end: impl FnOnce(&'a Node, &str, &mut Vec<Construct<'a>>),
    ) -> Vec<String> {
        let mut out = Vec::new();
        front_end(root, src, &mut out);
        out.iter().map(|c| describe(src, c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{describe, load};
    use super::*;
    use crate::extract::model::Fact;

    /// Every construct of a fixture, as a snapshot shows it: line, fact, source text.
    #[test]
    fn fixtures() {
        insta::glob!("../../fixtures/frontends/yaml", "**/*.y*ml", |path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            let cx = YamlContext {
                beside_chart: crate::discover::beside_dask_chart(path),
            };
            let index = crate::source::LineIndex::new(&text);
            let lines: Vec<String> = all(&text, name, cx)
                .into_iter()
                .zip(all_ranges(&text, name, cx))
                .map(|(fact, at)| format!("{:>3}: {fact}", index.line_column(&text, at).line))
                .collect();
            insta::assert_snapshot!(lines.join("\n"));
        });
    }

    #[test]
    fn look_alikes_give_nothing() {
        insta::glob!(
            "../../fixtures/frontends/yaml/lookalike",
            "**/*.y*ml",
            |path| {
                let text = std::fs::read_to_string(path).unwrap();
                let name = path.file_name().unwrap().to_str().unwrap();
                let cx = YamlContext {
                    beside_chart: crate::discover::beside_dask_chart(path),
                };
                let facts: Vec<String> = all(&text, name, cx)
                    .into_iter()
                    .filter(|f| !f.starts_with("resource "))
                    .collect();
                assert!(facts.is_empty(), "{}: {facts:?}", path.display());
            }
        );
    }

    fn all_ranges(src: &str, name: &str, cx: YamlContext) -> Vec<usize> {
        let file = load(src);
        let embedded = Embedded::find(src, &file);
        let out = constructs(Path::new(name), src, &file, &embedded, cx);
        out.iter().map(|c| c.range.start()).collect()
    }

    fn all(src: &str, name: &str, cx: YamlContext) -> Vec<String> {
        let file = load(src);
        let embedded = Embedded::find(src, &file);
        let out = constructs(Path::new(name), src, &file, &embedded, cx);
        out.iter().map(|c| describe(src, c)).collect()
    }

    #[test]
    fn each_document_goes_to_its_front_end() {
        let src = "apiVersion: v1\nkind: Service\nmetadata: {name: dask-scheduler}\n---\nkind: Pod\nspec:\n  containers: [{args: [dask-worker]}]\n---\nkubernetes: {worker-template-path: w.yaml}\n---\njust: data\n";
        let file = load(src);
        let kinds: Vec<_> = file
            .documents
            .iter()
            .map(|d| classify(d.root.as_ref().unwrap(), None, YamlContext::default()))
            .collect();
        assert_eq!(
            kinds,
            [
                DocumentKind::Manifest,
                DocumentKind::PodTemplate,
                DocumentKind::DaskConfig,
                DocumentKind::Other
            ]
        );
        assert_eq!(
            all(src, "x.yaml", YamlContext::default()),
            [
                "resource v1 Service Some(\"dask-scheduler\") @ Service",
                "resource v1 Pod None @ Pod",
                "program dask-worker @ dask-worker",
                "config kubernetes = Other @ kubernetes",
                "config kubernetes.worker-template-path = String(\"w.yaml\") @ worker-template-path",
            ]
        );
    }

    #[test]
    fn values_file_beside_a_chart() {
        let src = "worker:\n  replicas: 2\n";
        assert_eq!(
            all(src, "values.yaml", YamlContext { beside_chart: true }),
            [
                "helm . @ worker",
                "helm worker @ worker",
                "helm worker.replicas @ replicas"
            ]
        );
        assert!(all(src, "values.yaml", YamlContext::default()).is_empty());
    }

    #[test]
    fn config_map_holding_a_dask_config_maps_ranges_back() {
        let src = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dask-config}\ndata:\n  kubernetes.yaml: |\n    kubernetes:\n\n      worker-template:\n        spec:\n          containers:\n          - args: [dask-worker, --no-bokeh]\n";
        assert_eq!(
            all(src, "cm.yaml", YamlContext::default()),
            [
                "resource v1 ConfigMap Some(\"dask-config\") @ ConfigMap",
                "config kubernetes = Other @ kubernetes",
                "config kubernetes.worker-template = Other @ worker-template",
                "program dask-worker @ dask-worker",
                "flag --no-bokeh @ --no-bokeh",
            ]
        );
    }

    #[test]
    fn argo_resource_manifest_is_a_manifest_with_exact_ranges() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: dask}\nspec:\n  templates:\n  - name: workers\n    resource:\n      action: create\n      manifest: |\n        apiVersion: apps/v1\n        kind: Deployment\n        metadata:\n          name: dask-worker-{{workflow.name}}\n        spec:\n          template:\n            spec:\n              containers:\n              - args: [\"dask\", \"worker\", \"--nthreads=2\"]\n";
        assert_eq!(
            all(src, "wf.yaml", YamlContext::default()),
            [
                "resource argoproj.io/v1alpha1 WorkflowTemplate Some(\"dask\") @ WorkflowTemplate",
                "resource apps/v1 Deployment Some(\"dask-worker-{{workflow.name}}\") @ Deployment",
                "program dask worker @ dask\", \"worker",
                "flag --nthreads @ --nthreads",
            ]
        );
    }

    #[test]
    fn a_config_map_inside_an_argo_manifest_maps_two_levels_exactly() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n  - resource:\n      manifest: |\n        apiVersion: v1\n        kind: ConfigMap\n        data:\n          dask.yaml: |\n            kubernetes:\n              worker-template-path: /w.yaml\n";
        assert_eq!(
            all(src, "wf.yaml", YamlContext::default()),
            [
                "resource argoproj.io/v1alpha1 Workflow None @ Workflow",
                "resource v1 ConfigMap None @ ConfigMap",
                "config kubernetes = Other @ kubernetes",
                "config kubernetes.worker-template-path = String(\"/w.yaml\") @ worker-template-path",
            ]
        );
    }

    #[test]
    fn folded_manifest_falls_back_to_the_whole_string() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n  - resource:\n      manifest: >\n        {apiVersion: v1, kind: Pod,\n        spec: {containers: [{args: [dask-worker]}]}}\n";
        let file = load(src);
        let embedded = Embedded::find(src, &file);
        let got = constructs(
            Path::new("wf.yaml"),
            src,
            &file,
            &embedded,
            YamlContext::default(),
        );
        let word = got
            .iter()
            .find(|c| matches!(&c.fact, Fact::Word { text, .. } if text == "dask-worker"))
            .unwrap();
        assert_eq!(
            &src[word.range.as_range()],
            "{apiVersion: v1, kind: Pod,\n        spec: {containers: [{args: [dask-worker]}]}}\n"
        );
    }

    /// Every value line must be found verbatim where the map says.
    fn check_map(text: &str, key: &str) -> Option<LineMap> {
        let file = load(text);
        let node = file.documents[0].root.as_ref().unwrap().get(key).unwrap();
        let value = node.as_str().unwrap();
        let map = LineMap::new(text, node.range, value)?;
        for (i, line) in value.split('\n').enumerate() {
            let at = map.map(TextRange::empty(map.inner[i])).start();
            assert!(text[at..].starts_with(line), "line {i} {line:?} at {at}");
            let end = map.map(TextRange::empty(map.inner[i] + line.len())).start();
            assert_eq!(&text[at..end], line);
        }
        Some(map)
    }

    #[test]
    fn line_maps_of_literal_blocks() {
        for text in [
            "a: |\n  x: 1\n    deeper: 2\n\n  z: 3\nb: 1\n",
            "a: |-\n    x: 1\n    y: 2\nb: 1\n",
            "a: |+\n  x\n\n\nb: 1\n",
            "a: |\n\n\n  x\n",
            "a: |2\n     x\n    y\n",
            "a: |\r\n  x\r\n  y\r\nb: 1\r\n",
        ] {
            assert!(check_map(text, "a").is_some(), "{text:?}");
        }
        let map = check_map("a: |\n\n  x: 1\n", "a").unwrap();
        assert_eq!(map.outer, [5, 8, 13]);
    }

    #[test]
    fn line_maps_of_one_line_scalars_and_refusals() {
        assert_eq!(check_map("a: 'k: v'\n", "a").unwrap().outer, [4]);
        assert_eq!(check_map("a: k\n", "a").unwrap().outer, [3]);
        // Escapes, folding and multi-line flow scalars are not spelled out verbatim.
        assert!(check_map("a: \"k:\\tv\"\n", "a").is_none());
        assert!(check_map("a: >\n  x\n  y\n", "a").is_none());
        assert!(check_map("a: \"x\n\n  y\"\n", "a").is_none());
        assert!(check_map("a: 'it''s'\n", "a").is_none());
    }

    #[test]
    fn alias_bombs_in_strings_share_one_budget() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..4 {
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let mut src = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n");
        for i in 0..50 {
            src.push_str(&format!("  f{i}.yaml: |\n"));
            for line in bomb.lines() {
                src.push_str(&format!("    {line}\n"));
            }
        }
        let file = load(&src);
        let embedded = Embedded::find(&src, &file);
        let nodes: usize = embedded.docs.iter().map(|d| count(&d.root)).sum();
        // Each string alone is fine (about 12,000 nodes); together they stop at the budget.
        assert!(embedded.docs.len() > 1 && embedded.docs.len() < 50);
        assert!(nodes <= NODE_BUDGET + 100, "{nodes}");
    }

    fn count(root: &Node) -> usize {
        let mut n = 0;
        let mut todo = vec![root];
        while let Some(node) = todo.pop() {
            n += 1;
            match &node.value {
                Value::Scalar(_) => {}
                Value::Seq(items) => todo.extend(items),
                Value::Map(entries) => todo.extend(entries.iter().flat_map(|e| [&e.key, &e.value])),
            }
        }
        n
    }
}

#[cfg(test)]
mod robustness {
    //! Any text, however odd or deep, gives constructs with valid ranges and never a panic
    //! or a stack overflow.

    use super::*;
    use proptest::prelude::*;

    /// Run every front-end entry point on `text`; every range must index `text`. Whether
    /// the text parsed. (A parsed tree is freed iteratively: its own drop would recurse.)
    fn exercise(text: &str, limits: Limits, name: &str, beside_chart: bool) -> bool {
        let Ok(file) = syaml::parse(text, limits) else {
            return false;
        };
        {
            let cx = YamlContext { beside_chart };
            let embedded = Embedded::find(text, &file);
            let all = constructs(Path::new(name), text, &file, &embedded, cx);
            for c in &all {
                assert!(
                    text.get(c.range.as_range()).is_some(),
                    "{:?} in {text:?}",
                    c
                );
            }
            for doc in file.documents.iter().filter_map(|d| d.root.as_ref()) {
                let _ = pod_template::pod_spec_nodes(doc);
            }
        }
        true
    }

    const FRAGMENTS: &[&str] = &[
        "apiVersion: v1",
        "apiVersion: argoproj.io/v1alpha1",
        "apiVersion: kubernetes.dask.org/v1",
        "kind: Pod",
        "kind: DaskCluster",
        "kind: DaskJob",
        "kind: List",
        "kind: ConfigMap",
        "kind: CronWorkflow",
        "items:",
        "spec:",
        "template:",
        "cluster:",
        "worker:",
        "scheduler:",
        "templates:",
        "workflowSpec:",
        "containers:",
        "- args: [dask-worker, --no-bokeh]",
        "- command: \"dask-scheduler --bokeh-port 1\"",
        "args: ['sh', '-c', 'x && dask-worker --nprocs=2']",
        "env:",
        "- name: DASK_KUBERNETES__COUNT__MAX",
        "value: 3",
        "valueFrom: {}",
        "kubernetes:",
        "worker-template:",
        "worker-command: [dask-worker]",
        "count: {max: 2}",
        "labextension:",
        "factory: {module: dask_kubernetes, class: KubeCluster}",
        "data:",
        "kubernetes.yaml: |",
        "manifest: |",
        "manifest: >",
        "resource:",
        "container:",
        "script:",
        "containerSet:",
        "image: {repository: ghcr.io/dask/dask, dask_worker: dask-worker}",
        "extraArgs: [--no-bokeh]",
        "jupyter: {}",
        "---",
        "- &a [x]",
        "- *a",
        "'quoted: x'",
        "\"esc\\t: y\"",
        "- ",
        "|",
        "# comment",
        "{a: [b, {c: d}]}",
        "",
    ];

    fn yamlish() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (0usize..12, prop::sample::select(FRAGMENTS), "[ -~]{0,3}"),
            0..40,
        )
        .prop_map(|lines| {
            lines
                .into_iter()
                .map(|(indent, fragment, noise)| format!("{}{fragment}{noise}", " ".repeat(indent)))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn yamlish_text_never_panics(text in yamlish(), beside_chart: bool, values: bool) {
            let name = if values { "values.yaml" } else { "x.yaml" };
            exercise(&text, Limits::default(), name, beside_chart);
        }

        #[test]
        fn any_text_never_panics(text in "\\PC{0,300}") {
            exercise(&text, Limits::default(), "values.yaml", true);
        }
    }

    /// Nesting far deeper than the default limit (which the parser enforces) goes through
    /// every front-end without recursion: a recursive walk would overflow the test's stack.
    #[test]
    fn deep_documents_do_not_overflow() {
        const N: usize = 10_000;
        let deep = |open: &str, middle: &str, close: &str| {
            format!("{}{middle}{}", open.repeat(N), close.repeat(N))
        };
        let texts = [
            format!("distributed: {}", deep("{a: ", "1", "}")),
            format!("kubernetes:\n  count: {}", deep("{max: ", "1", "}")),
            format!(
                "containers: [{{args: [dask-worker], env: {}}}]",
                deep("[", "", "]")
            ),
            format!(
                "apiVersion: x/v1\nkind: Thing\nspec: {}",
                deep("{a: [", "", "]}")
            ),
            format!(
                "apiVersion: v1\nkind: List\nitems: {}",
                deep("[{apiVersion: v1, kind: List, items: ", "[]", "}]")
            ),
            format!(
                "scheduler: {{image: {{repository: dask}}}}\nworker: {{image: {{dask_worker: dask-worker}}, x: {}}}",
                deep("{a: [", "", "]}")
            ),
            format!(
                "apiVersion: kubernetes.dask.org/v1\nkind: DaskJob\nspec: {{cluster: {}}}",
                deep("{spec: ", "{}", "}")
            ),
        ];
        let limits = Limits {
            max_depth: 4 * N,
            ..Limits::default()
        };
        for text in &texts {
            assert!(
                exercise(text, limits, "values.yaml", true),
                "{}",
                &text[..60]
            );
        }
    }
}
