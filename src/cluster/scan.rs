//! Live objects → findings. The rules decide what fires; this module decides what the
//! cluster *is*: which pods belong to a classic KubeCluster, which Deployments run Dask by
//! hand, which Helm releases use the dask chart, whether the operator is installed.
//!
//! Two routes lead to findings, both through the rule packs:
//! - every live object worth checking (DaskClusters and friends, one pod per classic cluster
//!   component, Dask workloads, Helm values) becomes a YAML node tree and goes through the
//!   same front-end and rules as a file, so operator-resource rules apply to live objects;
//! - facts only a live cluster has become small synthetic objects of API group
//!   `live.dusk.dev` (see `rules/cluster.yaml`), matched by ordinary `manifest` rules. That
//!   group never appears in files, so these rules never fire on them.
//!
//! Findings carry no text: their path is `cluster:<context>` and `object` names the live
//! object. Pure: [`super::workflow::gather`] does the API calls.

use super::helm::Release;
use super::yaml::{LiveTree, node_from_json};
use super::{Kind, Scope};
use crate::extract::command::Piece;
use crate::extract::model::{Construct, Fact, WordKind};
use crate::extract::yaml::{Embedded, YamlContext};
use crate::lint::Settings;
use crate::report::{Finding, ObjectRef};
use crate::rules::Version;
use crate::rules::matcher::{Hit, find_hits};
use crate::source::TextRange;
use crate::source::yaml::{Document, YamlFile};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The API group of the synthetic facts `rules/cluster.yaml` matches.
pub const LIVE_GROUP: &str = "live.dusk.dev";

/// The label every classic KubeCluster pod, service and PDB carries.
pub const CLUSTER_NAME_LABEL: &str = "dask.org/cluster-name";
const COMPONENT_LABEL: &str = "dask.org/component";

/// What dusk read from the cluster.
#[derive(Debug, Default)]
pub struct Live {
    pub context: String,
    pub scope: Option<Scope>,
    /// Each operator kind and whether its CRD is installed.
    pub crds: Vec<(Kind, bool)>,
    pub operator: Option<Operator>,
    /// Pods, Services and PodDisruptionBudgets labelled `dask.org/cluster-name`.
    pub labelled: Vec<Labelled>,
    /// Deployments and StatefulSets (all of them in scope).
    pub workloads: Vec<Value>,
    /// Helm releases, newest revision each; `Err` for a record that could not be read.
    pub releases: Vec<Result<Release, Unreadable>>,
    /// DaskClusters, DaskWorkerGroups, DaskAutoscalers and DaskJobs.
    pub operator_objects: Vec<Value>,
    /// What could not be listed, and why.
    pub gaps: Vec<Gap>,
}

/// The installed Dask Operator, from its controller's image.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub image: String,
    /// The image tag as a version, when it is one (`latest` or a digest is not).
    pub version: Option<Version>,
    pub namespace: String,
    pub deployment: String,
}

/// A Helm release Secret that could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub namespace: String,
    pub secret: String,
    pub reason: String,
}

/// A list the scan could not make (RBAC), so the findings are incomplete.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub what: String,
    pub reason: String,
}

impl Live {
    /// Versions the cluster itself tells: the installed operator is the `dask-kubernetes`
    /// (and `dask-operator`) release that will run these resources.
    ///
    /// SEAM (for the lead): when reports learn a per-component *current* version ("breaks
    /// when you move from X to Y"), feed these in as the current versions of a cluster scan.
    pub fn current_versions(&self) -> BTreeMap<String, Version> {
        let mut out = BTreeMap::new();
        if let Some(v) = self.operator.as_ref().and_then(|o| o.version.clone()) {
            out.insert("dask-kubernetes".to_owned(), v.clone());
            out.insert("dask-operator".to_owned(), v);
        }
        out
    }

    /// How many objects the findings were drawn from.
    pub fn object_count(&self) -> usize {
        self.labelled.len()
            + self.workloads.len()
            + self.releases.len()
            + self.operator_objects.len()
    }
}

fn label<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/labels")?.get(key)?.as_str()
}

fn meta<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(key)?.as_str()
}

/// Objects the operator (or any controller) owns carry `ownerReferences`; the classic
/// KubeCluster created bare pods, services and PDBs, so it never set any.
pub fn is_owned(obj: &Value) -> bool {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| !refs.is_empty())
}

/// The kind/namespace/name a finding names.
pub fn object_ref(obj: &Value) -> ObjectRef {
    ObjectRef {
        kind: obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("Object")
            .to_owned(),
        namespace: meta(obj, "namespace").map(str::to_owned),
        name: meta(obj, "name").unwrap_or_default().to_owned(),
    }
}

/// An object labelled `dask.org/cluster-name` as the scan keeps it: what is read of every
/// one (kind, namespace, name, the cluster and component labels, whether it is owned), with
/// the repeated strings shared, and the whole object only where something reads it (every
/// Service and PodDisruptionBudget, and the pod [`ClassicCluster::pods`] puts first for its
/// namespace, cluster and component). A scan of 60,000 classic pods then holds 60,000 small
/// records and a few hundred whole pods.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    pub kind: Arc<str>,
    pub namespace: Option<Arc<str>>,
    pub name: Box<str>,
    pub cluster: Option<Arc<str>>,
    pub component: Option<Arc<str>>,
    pub owned: bool,
    pub whole: Option<Box<Value>>,
}

impl Labelled {
    /// The kind/namespace/name a finding names, as [`object_ref`] gives it for the object.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.to_string(),
            namespace: self.namespace.as_deref().map(str::to_owned),
            name: self.name.to_string(),
        }
    }
}

/// One copy of each repeated string (kinds, namespaces, cluster names, components).
#[derive(Debug, Default)]
struct Interner(foldhash::HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(a.clone());
        a
    }
}

/// The objects of one classic KubeCluster still in the cluster.
#[derive(Debug, Clone)]
pub struct ClassicCluster<'a> {
    pub namespace: String,
    pub name: String,
    pub objects: Vec<&'a Labelled>,
}

/// The pods of one component: how many, and the first by name, whole.
#[derive(Debug, Clone, Copy)]
pub struct Pods<'a> {
    first: Option<&'a Value>,
    len: usize,
}

impl<'a> Pods<'a> {
    pub fn first(&self) -> Option<&'a Value> {
        self.first
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<'a> ClassicCluster<'a> {
    /// Pods of one component (`worker`, `scheduler`): their number and the first by name
    /// (of equal names, the first listed).
    pub fn pods(&self, component: &str) -> Pods<'a> {
        let mut len = 0;
        let mut first: Option<&'a Labelled> = None;
        for o in self.objects.iter().copied() {
            if &*o.kind != "Pod" || o.component.as_deref() != Some(component) {
                continue;
            }
            len += 1;
            if first.is_none_or(|f| o.name < f.name) {
                first = Some(o);
            }
        }
        Pods {
            first: first.and_then(|f| f.whole.as_deref()),
            len,
        }
    }

    /// The classic scheduler Service, if any.
    pub fn service(&self) -> Option<&'a Value> {
        self.objects
            .iter()
            .copied()
            .find(|o| &*o.kind == "Service")
            .and_then(|o| o.whole.as_deref())
    }
}

/// Group the unowned objects labelled `dask.org/cluster-name` by namespace and cluster.
pub fn classic_clusters(labelled: &[Labelled]) -> Vec<ClassicCluster<'_>> {
    let mut groups: BTreeMap<(&str, &str), Vec<&Labelled>> = BTreeMap::new();
    for obj in labelled.iter().filter(|o| !o.owned) {
        let Some(name) = obj.cluster.as_deref() else {
            continue;
        };
        let ns = obj.namespace.as_deref().unwrap_or("default");
        groups.entry((ns, name)).or_default().push(obj);
    }
    groups
        .into_iter()
        .map(|((namespace, name), objects)| ClassicCluster {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            objects,
        })
        .collect()
}

/// Namespace, cluster and component of a classic pod.
type ComponentKey = (Arc<str>, Arc<str>, Arc<str>);

/// Keeps listed objects as the scan reads them, one at a time as each page arrives, as
/// [`Labelled`] records: whole only the Services and PDBs and, of the pods, the one
/// [`ClassicCluster::pods`] puts first for its namespace, cluster and component — the one
/// the file rules and `--from-cluster` read.
#[derive(Debug, Default)]
pub struct PodKeeper {
    /// (namespace, cluster, component) → index in the kept list of its whole pod.
    whole: foldhash::HashMap<ComponentKey, usize>,
    strings: Interner,
}

impl PodKeeper {
    /// Add `obj` to `kept` (the list the scan reads, into which only this keeper pushes),
    /// whole if it is not a pod or is the first pod of its component by name so far; a pod
    /// it displaces loses its whole object.
    pub fn keep(&mut self, kept: &mut Vec<Labelled>, obj: Value) {
        let mut record = Labelled {
            kind: self
                .strings
                .get(obj.get("kind").and_then(Value::as_str).unwrap_or("Object")),
            namespace: meta(&obj, "namespace").map(|n| self.strings.get(n)),
            name: meta(&obj, "name").unwrap_or_default().into(),
            cluster: label(&obj, CLUSTER_NAME_LABEL).map(|c| self.strings.get(c)),
            component: label(&obj, COMPONENT_LABEL).map(|c| self.strings.get(c)),
            owned: is_owned(&obj),
            whole: None,
        };
        if &*record.kind != "Pod" {
            record.whole = Some(Box::new(obj));
            kept.push(record);
            return;
        }
        let key = match (&record.cluster, &record.component, record.owned) {
            (Some(cluster), Some(component), false) => (
                record
                    .namespace
                    .clone()
                    .unwrap_or_else(|| self.strings.get("default")),
                cluster.clone(),
                component.clone(),
            ),
            _ => {
                kept.push(record);
                return;
            }
        };
        match self.whole.get(&key) {
            // Ties keep the earlier pod, as `pods` does.
            Some(&i) if kept[i].name <= record.name => {}
            Some(&i) => {
                kept[i].whole = None;
                self.whole.insert(key, kept.len());
                record.whole = Some(Box::new(obj));
            }
            None => {
                self.whole.insert(key, kept.len());
                record.whole = Some(Box::new(obj));
            }
        }
        kept.push(record);
    }
}

/// Every object of `objects` kept as the scan keeps what it lists.
pub fn keep_all(objects: impl IntoIterator<Item = Value>) -> Vec<Labelled> {
    let mut keeper = PodKeeper::default();
    let mut kept = Vec::new();
    for obj in objects {
        keeper.keep(&mut kept, obj);
    }
    kept
}

/// Scheduler or worker programs, in the spelling `dask-worker` or `dask worker`.
fn role_of_program(program: &str) -> Option<&'static str> {
    match program {
        "dask-scheduler" | "dask scheduler" => Some("scheduler"),
        "dask-worker" | "dask worker" | "dask-cuda-worker" | "dask cuda" => Some("worker"),
        _ => None,
    }
}

/// Whether a Deployment or StatefulSet runs the Dask scheduler or workers: the role and the
/// program a container runs.
pub fn dask_role(workload: &Value) -> Option<(&'static str, String)> {
    let containers = workload
        .pointer("/spec/template/spec/containers")?
        .as_array()?;
    for c in containers {
        let words: Vec<&str> = ["command", "args"]
            .iter()
            .filter_map(|k| c.get(*k)?.as_array())
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let pieces: Vec<Piece<'_>> = words
            .iter()
            .map(|w| Piece {
                value: w,
                range: TextRange::empty(0),
                source: "",
            })
            .collect();
        for construct in crate::extract::command::constructs(&pieces) {
            if let Fact::Word {
                kind: WordKind::Program,
                text,
            } = construct.fact
                && let Some(role) = role_of_program(&text)
            {
                return Some((role, text));
            }
        }
    }
    None
}

/// Workloads a dask Helm release made: the chart labels them `release=<name>`.
pub(crate) fn from_dask_release(
    workload: &Value,
    releases: &[Result<Release, Unreadable>],
) -> bool {
    let Some(release) = label(workload, "release") else {
        return false;
    };
    releases.iter().flatten().any(|r| {
        r.is_dask_chart()
            && r.name == release
            && Some(r.namespace.as_str()) == meta(workload, "namespace")
    })
}

/// The installed operator, from the Deployment running its controller image.
pub fn find_operator(deployments: &[Value]) -> Option<Operator> {
    deployments.iter().find_map(|d| {
        let image = d
            .pointer("/spec/template/spec/containers")?
            .as_array()?
            .iter()
            .filter_map(|c| c.get("image")?.as_str())
            .find(|i| i.contains("dask-kubernetes-operator"))?;
        let tag = image
            .rsplit_once('@')
            .map_or(image, |(i, _)| i)
            .rsplit_once(':')
            .map(|(_, t)| t)
            .filter(|t| !t.contains('/'));
        Some(Operator {
            image: image.to_owned(),
            version: tag.and_then(|t| t.parse().ok()),
            namespace: meta(d, "namespace").unwrap_or_default().to_owned(),
            deployment: meta(d, "name").unwrap_or_default().to_owned(),
        })
    })
}

/// One subject for the rules: a tree, the object findings name, and whether its field
/// paths mean anything to the user (they do not for synthetic facts).
struct Subject {
    object: ObjectRef,
    tree: LiveTree,
    as_helm_values: bool,
    synthetic: bool,
    /// Values no finding may print (a Helm release's, see `helm::sensitive_values`).
    sensitive: Vec<String>,
}

/// All findings about the live objects, graded as `dusk check` grades file findings.
pub fn findings(live: &Live, settings: &Settings<'_>) -> Vec<Finding> {
    let path = format!("cluster:{}", live.context);
    let mut out = Vec::new();
    // Each subject is graded and dropped as it is made: a tree per classic pod, all held at
    // once, was most of a big cluster's scan.
    subjects(live, |subject| {
        let hits = hits_of(&subject, settings);
        for hit in hits {
            let field = (!subject.synthetic)
                .then(|| subject.tree.path_at(hit.range))
                .flatten()
                .filter(|p| !p.is_empty());
            if let Some(mut f) = grade(&hit, field, &subject, settings, &path) {
                f.message = super::plan::mask_text(&f.message, &subject.sensitive);
                out.push(f);
            }
        }
    });
    out.sort_by(|a, b| {
        // Borrowed, not cloned: a sort of 60,000 findings compares about a million pairs.
        fn key(f: &Finding) -> Option<(Option<&str>, &str, &str)> {
            f.object
                .as_ref()
                .map(|o| (o.namespace.as_deref(), o.kind.as_str(), o.name.as_str()))
        }
        key(a).cmp(&key(b)).then_with(|| a.rule.cmp(&b.rule))
    });
    out
}

fn hits_of(subject: &Subject, settings: &Settings<'_>) -> Vec<Hit> {
    // Ranges are empty and within this text, so a front-end slicing by range gets `""`.
    let text = " ".repeat(subject.tree.paths.len() + 1);
    if subject.synthetic {
        let construct = Construct {
            range: subject.tree.root.range,
            fact: Fact::Resource {
                api_version: format!("{LIVE_GROUP}/v1"),
                kind: subject
                    .tree
                    .root
                    .get_str("kind")
                    .unwrap_or_default()
                    .to_owned(),
                name: Some(subject.object.name.clone()),
                node: &subject.tree.root,
            },
        };
        return find_hits(settings.rules, &[construct]);
    }
    let file = YamlFile {
        documents: vec![Document {
            index: 0,
            range: TextRange::empty(0),
            root: Some(subject.tree.root.clone()),
        }],
        comments: Vec::new(),
    };
    let name = if subject.as_helm_values {
        "values.yaml"
    } else {
        "live.yaml"
    };
    // Live objects carry no YAML in strings worth parsing (ConfigMaps are not scanned).
    let embedded = Embedded::default();
    let mut constructs = crate::extract::yaml::constructs(
        Path::new(name),
        &text,
        &file,
        &embedded,
        YamlContext {
            beside_chart: subject.as_helm_values,
        },
    );
    // A release's values as a whole are `live-dask-helm-release`'s finding, not a file's.
    constructs.retain(|c| {
        !matches!(&c.fact, crate::extract::model::Fact::HelmValue { key, .. }
            if key == crate::extract::helm_values::WHOLE_VALUES)
    });
    find_hits(settings.rules, &constructs)
}

/// A hit graded at the target version exactly as `lint` grades file findings, then pointed at
/// the live object and the field it came from.
fn grade(
    hit: &Hit,
    field: Option<&str>,
    subject: &Subject,
    settings: &Settings<'_>,
    path: &str,
) -> Option<Finding> {
    let mut f = crate::lint::grade(hit, settings, path)?;
    if !settings
        .selection
        .enabled(&f.rule, f.component.as_deref(), Path::new(path))
    {
        return None;
    }
    if let Some(field) = field {
        let what = if subject.as_helm_values {
            "values key"
        } else {
            "field"
        };
        f.message.push_str(&format!(" ({what} `{field}`)"));
    }
    // The ranges index a tree built from JSON, not a text anyone can open.
    f.range = TextRange::empty(0);
    // `dusk fix` rewrites files; a live object changes through `dusk plan`/`apply`.
    f.fix = None;
    f.object = Some(subject.object.clone());
    Some(f)
}

fn real(object: ObjectRef, value: &Value) -> Subject {
    Subject {
        object,
        tree: node_from_json(value),
        as_helm_values: false,
        synthetic: false,
        sensitive: Vec::new(),
    }
}

fn synthetic(object: ObjectRef, kind: &str, name: &str, fields: Value) -> Subject {
    let mut fact = json!({
        "apiVersion": format!("{LIVE_GROUP}/v1"),
        "kind": kind,
        "metadata": {"name": name},
    });
    if let (Some(f), Value::Object(extra)) = (fact.as_object_mut(), fields) {
        f.extend(extra);
    }
    Subject {
        object,
        tree: node_from_json(&fact),
        as_helm_values: false,
        synthetic: true,
        sensitive: Vec::new(),
    }
}

/// Every subject the rules see, in a stable order.
fn subjects(live: &Live, mut each: impl FnMut(Subject)) {
    for obj in &live.operator_objects {
        each(real(object_ref(obj), obj));
    }
    let classic = classic_clusters(&live.labelled);
    for cluster in &classic {
        for obj in &cluster.objects {
            each(synthetic(
                obj.object_ref(),
                "ClassicKubeClusterResource",
                &cluster.name,
                json!({"cluster": cluster.name,
                       "component": obj.component.as_deref().unwrap_or("unknown")}),
            ));
        }
        // Pods of one component are copies of one template: the file rules run on one of
        // each, so fifty workers do not give fifty copies of every finding.
        for component in ["scheduler", "worker"] {
            if let Some(pod) = cluster.pods(component).first() {
                each(real(object_ref(pod), pod));
            }
        }
    }
    let mut dask_workloads = 0;
    for w in &live.workloads {
        if is_owned(w) || from_dask_release(w, &live.releases) {
            continue;
        }
        if dask_role(w).is_none() {
            continue;
        }
        dask_workloads += 1;
        // The file rules grade it (`hand-rolled-dask-workload`, the commands and flags).
        each(real(object_ref(w), w));
    }
    let mut dask_releases = 0;
    for release in &live.releases {
        match release {
            Ok(r) if r.is_dask_chart() => {
                dask_releases += 1;
                // Named as `helm list` names it, not by Helm's storage Secret
                // (`sh.helm.release.v1.<release>.v<revision>`).
                let object = ObjectRef {
                    kind: "HelmRelease".into(),
                    namespace: Some(r.namespace.clone()),
                    name: r.name.clone(),
                };
                each(synthetic(
                    object.clone(),
                    "DaskHelmRelease",
                    &r.name,
                    json!({"release": r.name, "chart": r.chart,
                           "chartVersion": r.chart_version, "status": r.status}),
                ));
                each(Subject {
                    object,
                    tree: node_from_json(&r.values),
                    as_helm_values: true,
                    synthetic: false,
                    sensitive: super::helm::sensitive_values(&r.values),
                });
            }
            Ok(_) => {}
            Err(u) => each(synthetic(
                ObjectRef {
                    kind: "Secret".into(),
                    namespace: Some(u.namespace.clone()),
                    name: u.secret.clone(),
                },
                "LiveScanGap",
                &u.secret,
                json!({"reason": format!("Helm release record `{}` could not be read: {}", u.secret, u.reason)}),
            )),
        }
    }
    let missing: Vec<String> = live
        .crds
        .iter()
        .filter(|(_, installed)| !installed)
        .map(|(k, _)| k.crd_name())
        .collect();
    let something_to_migrate = !classic.is_empty() || dask_workloads + dask_releases > 0;
    if !missing.is_empty() && something_to_migrate {
        each(synthetic(
            ObjectRef {
                kind: "CustomResourceDefinition".into(),
                namespace: None,
                name: missing.join(", "),
            },
            "DaskOperatorInstallation",
            "dask-operator",
            json!({"crds": "missing", "missing": missing}),
        ));
    }
    for gap in &live.gaps {
        each(synthetic(
            ObjectRef {
                kind: "Cluster".into(),
                namespace: live
                    .scope
                    .as_ref()
                    .and_then(|s| s.namespace())
                    .map(str::to_owned),
                name: live.context.clone(),
            },
            "LiveScanGap",
            &gap.what,
            json!({"reason": format!("{} were not checked: {}", gap.what, gap.reason)}),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, cluster: &str, component: &str, owned: bool) -> Value {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "dask",
                "labels": {CLUSTER_NAME_LABEL: cluster, COMPONENT_LABEL: component, "app": "dask"}},
            "spec": {"containers": [{"name": "dask", "image": "ghcr.io/dask/dask:2023.5.0",
                "args": ["dask-worker", "--nthreads", "2"]}]}});
        if owned {
            p["metadata"]["ownerReferences"] = json!([{"kind": "ReplicaSet", "name": "x"}]);
        }
        p
    }

    #[test]
    fn pod_keeper_keeps_whole_only_the_pod_the_scan_reads() {
        let mut with_status = pod("a-worker-2", "a", "worker", false);
        with_status["status"] = json!({"phase": "Running"});
        let service = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "a", "namespace": "dask",
                "labels": {CLUSTER_NAME_LABEL: "a"}},
            "spec": {"type": "LoadBalancer"}});
        let listed = vec![
            with_status,
            pod("a-worker-1", "a", "worker", false),
            pod("a-worker-3", "a", "worker", false),
            pod("a-scheduler", "a", "scheduler", false),
            pod("b-worker-0", "b", "worker", true),
            service.clone(),
        ];
        let kept = keep_all(listed.clone());
        let whole: Vec<&str> = kept
            .iter()
            .filter(|p| p.whole.is_some())
            .map(|p| &*p.name)
            .collect();
        assert_eq!(whole, ["a-worker-1", "a-scheduler", "a"]);
        // The whole object is the listed one, untouched.
        assert_eq!(kept[1].whole.as_deref(), Some(&listed[1]));
        assert_eq!(kept[5].whole.as_deref(), Some(&service));
        // An owned pod is kept small, and still known to be owned.
        assert!(kept[4].owned && kept[4].whole.is_none());
        assert_eq!(
            kept[0].object_ref(),
            ObjectRef {
                kind: "Pod".into(),
                namespace: Some("dask".into()),
                name: "a-worker-2".into()
            }
        );
        assert_eq!(kept[0].object_ref(), object_ref(&listed[0]));
        // Repeated strings are shared.
        assert!(Arc::ptr_eq(
            kept[0].namespace.as_ref().unwrap(),
            kept[3].namespace.as_ref().unwrap()
        ));
        let clusters = classic_clusters(&kept);
        assert_eq!(clusters.len(), 1);
        let workers = clusters[0].pods("worker");
        assert_eq!(workers.len(), 3);
        assert_eq!(workers.first(), Some(&listed[1]));
        assert_eq!(clusters[0].pods("scheduler").first(), Some(&listed[3]));
        assert_eq!(clusters[0].service(), Some(&service));
    }

    #[test]
    fn pod_keeper_keeps_the_first_of_equal_names_and_any_order() {
        // Listed in reverse: each new pod displaces the kept one.
        let kept = keep_all(
            (0..5)
                .rev()
                .map(|i| pod(&format!("a-worker-{i}"), "a", "worker", false)),
        );
        assert_eq!(kept.iter().filter(|p| p.whole.is_some()).count(), 1);
        let clusters = classic_clusters(&kept);
        let first = clusters[0].pods("worker").first().unwrap();
        assert_eq!(meta(first, "name"), Some("a-worker-0"));
        // Equal names: the first listed stays whole.
        let mut twin = pod("a-worker-0", "a", "worker", false);
        twin["metadata"]["labels"]["app"] = json!("twin");
        let kept = keep_all([pod("a-worker-0", "a", "worker", false), twin]);
        let clusters = classic_clusters(&kept);
        let first = clusters[0].pods("worker").first().unwrap();
        assert_eq!(label(first, "app"), Some("dask"));
    }

    #[test]
    fn classic_clusters_exclude_operator_owned_pods() {
        let labelled = keep_all([
            pod("a-worker-1", "a", "worker", false),
            pod("a-worker-0", "a", "worker", false),
            pod("b-scheduler-x", "b", "scheduler", true),
        ]);
        let clusters = classic_clusters(&labelled);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].name, "a");
        let workers = clusters[0].pods("worker");
        assert_eq!(meta(workers.first().unwrap(), "name"), Some("a-worker-0"));
    }

    #[test]
    fn workloads_running_dask_are_recognised() {
        let d = |args: Value| {
            json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
                {"name": "c", "command": ["sh", "-c"], "args": args}]}}}})
        };
        assert_eq!(
            dask_role(&d(json!(["dask scheduler --port 8786"]))),
            Some(("scheduler", "dask scheduler".to_owned()))
        );
        assert_eq!(
            dask_role(&d(json!(["/opt/conda/bin/dask-worker tcp://s:8786"]))),
            Some(("worker", "dask-worker".to_owned()))
        );
        assert_eq!(dask_role(&d(json!(["nginx -g 'daemon off;'"]))), None);
    }

    #[test]
    fn operator_version_comes_from_the_controller_image() {
        let d = |image: &str| {
            json!({"kind": "Deployment", "metadata": {"name": "op", "namespace": "dask-operator"},
                "spec": {"template": {"spec": {"containers": [{"image": image}]}}}})
        };
        let op = find_operator(&[
            d("nginx:1"),
            d("ghcr.io/dask/dask-kubernetes-operator:2024.4.2"),
        ])
        .unwrap();
        assert_eq!(op.version.unwrap().to_string(), "2024.4.2");
        assert_eq!(op.namespace, "dask-operator");
        let op = find_operator(&[d("ghcr.io/dask/dask-kubernetes-operator:latest")]).unwrap();
        assert!(op.version.is_none());
        let op = find_operator(&[d("localhost:5000/dask-kubernetes-operator")]).unwrap();
        assert!(op.version.is_none());
    }
}
