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
    pub labelled: Vec<Value>,
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

/// The objects of one classic KubeCluster still in the cluster.
#[derive(Debug, Clone)]
pub struct ClassicCluster<'a> {
    pub namespace: String,
    pub name: String,
    pub objects: Vec<&'a Value>,
}

impl ClassicCluster<'_> {
    /// Pods of one component (`worker`, `scheduler`), sorted by name.
    pub fn pods(&self, component: &str) -> Vec<&Value> {
        let mut pods: Vec<&Value> = self
            .objects
            .iter()
            .copied()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Pod"))
            .filter(|o| label(o, COMPONENT_LABEL) == Some(component))
            .collect();
        pods.sort_by_key(|p| meta(p, "name"));
        pods
    }

    /// The classic scheduler Service, if any.
    pub fn service(&self) -> Option<&Value> {
        self.objects
            .iter()
            .copied()
            .find(|o| o.get("kind").and_then(Value::as_str) == Some("Service"))
    }
}

/// Group the unowned objects labelled `dask.org/cluster-name` by namespace and cluster.
pub fn classic_clusters(labelled: &[Value]) -> Vec<ClassicCluster<'_>> {
    let mut groups: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    for obj in labelled.iter().filter(|o| !is_owned(o)) {
        let Some(name) = label(obj, CLUSTER_NAME_LABEL) else {
            continue;
        };
        let ns = meta(obj, "namespace").unwrap_or("default").to_owned();
        groups.entry((ns, name.to_owned())).or_default().push(obj);
    }
    groups
        .into_iter()
        .map(|((namespace, name), objects)| ClassicCluster {
            namespace,
            name,
            objects,
        })
        .collect()
}

/// Keeps listed pods as the scan reads them, one page at a time: every pod's `apiVersion`,
/// `kind` and metadata (the grouping, the counts, one resource finding each), and the
/// whole object only of the pod [`ClassicCluster::pods`] puts first for its namespace,
/// cluster and component — the one the file rules and `--from-cluster` read. A scan of
/// 60,000 classic pods then holds a few hundred whole pods, not 60,000 with their status.
#[derive(Debug, Default)]
pub struct PodKeeper {
    /// (namespace, cluster, component) → index in the kept list of its whole pod.
    whole: std::collections::HashMap<(String, String, String), usize>,
}

impl PodKeeper {
    /// Add `pod` to `kept` (the list the scan reads, into which only this keeper pushes
    /// pods), trimmed unless it is the first of its component by name so far; a pod it
    /// displaces is trimmed in place.
    pub fn keep(&mut self, kept: &mut Vec<Value>, mut pod: Value) {
        let key = (!is_owned(&pod))
            .then(|| {
                Some((
                    meta(&pod, "namespace").unwrap_or("default").to_owned(),
                    label(&pod, CLUSTER_NAME_LABEL)?.to_owned(),
                    label(&pod, COMPONENT_LABEL)?.to_owned(),
                ))
            })
            .flatten();
        let Some(key) = key else {
            trim_pod(&mut pod);
            kept.push(pod);
            return;
        };
        match self.whole.get(&key) {
            // Ties keep the earlier pod, as the stable sort of `pods` does.
            Some(&i) if meta(&kept[i], "name") <= meta(&pod, "name") => trim_pod(&mut pod),
            Some(&i) => {
                trim_pod(&mut kept[i]);
                self.whole.insert(key, kept.len());
            }
            None => {
                self.whole.insert(key, kept.len());
            }
        }
        kept.push(pod);
    }
}

/// A pod reduced to what the scan reads of every pod: kind, and of its metadata the name,
/// namespace, labels and owners (not the server's `managedFields`, uid, timestamps or the
/// annotations, which only the whole pod of each component is read for).
fn trim_pod(pod: &mut Value) {
    if let Some(obj) = pod.as_object_mut() {
        obj.retain(|k, _| matches!(k.as_str(), "apiVersion" | "kind" | "metadata"));
        if let Some(Value::Object(m)) = obj.get_mut("metadata") {
            m.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "name" | "namespace" | "labels" | "ownerReferences"
                )
            });
        }
    }
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
                object_ref(obj),
                "ClassicKubeClusterResource",
                &cluster.name,
                json!({"cluster": cluster.name,
                       "component": label(obj, COMPONENT_LABEL).unwrap_or("unknown")}),
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
        with_status["metadata"]["managedFields"] = json!([{"manager": "kubelet"}]);
        with_status["metadata"]["uid"] = json!("5f1c0f0e-2d3b-4c1a-9e8f-7a6b5c4d3e2f");
        with_status["metadata"]["annotations"] =
            json!({"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"});
        let listed = vec![
            with_status,
            pod("a-worker-1", "a", "worker", false),
            pod("a-worker-3", "a", "worker", false),
            pod("a-scheduler", "a", "scheduler", false),
            pod("b-worker-0", "b", "worker", true),
        ];
        let mut keeper = PodKeeper::default();
        let mut kept = Vec::new();
        for p in listed.clone() {
            keeper.keep(&mut kept, p);
        }
        let whole: Vec<&str> = kept
            .iter()
            .filter(|p| p.get("spec").is_some())
            .map(|p| meta(p, "name").unwrap())
            .collect();
        assert_eq!(whole, ["a-worker-1", "a-scheduler"]);
        assert!(kept[0].get("status").is_none());
        assert!(kept[0].pointer("/metadata/managedFields").is_none());
        assert!(kept[0].pointer("/metadata/uid").is_none());
        assert!(kept[0].pointer("/metadata/annotations").is_none());
        // An owned pod is trimmed too, and still known to be owned.
        assert!(kept[4].get("spec").is_none());
        assert!(is_owned(&kept[4]));
        assert_eq!(
            kept[0]["metadata"]["labels"],
            listed[0]["metadata"]["labels"]
        );
        // What the scan reads is the same as from the whole list.
        let (all, trimmed) = (classic_clusters(&listed), classic_clusters(&kept));
        assert_eq!(all.len(), trimmed.len());
        for (a, t) in all.iter().zip(&trimmed) {
            assert_eq!(a.objects.len(), t.objects.len());
            for component in ["scheduler", "worker"] {
                assert_eq!(a.pods(component).len(), t.pods(component).len());
                assert_eq!(a.pods(component).first(), t.pods(component).first());
            }
        }
    }

    #[test]
    fn classic_clusters_exclude_operator_owned_pods() {
        let labelled = vec![
            pod("a-worker-1", "a", "worker", false),
            pod("a-worker-0", "a", "worker", false),
            pod("b-scheduler-x", "b", "scheduler", true),
        ];
        let clusters = classic_clusters(&labelled);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].name, "a");
        let workers = clusters[0].pods("worker");
        assert_eq!(meta(workers[0], "name"), Some("a-worker-0"));
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
