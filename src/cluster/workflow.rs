//! The sequences of calls behind each cluster command: scan, plan, apply, prune.
//!
//! Takes an [`Api`] and desired objects; gives live objects, plans and apply results. Every
//! decision about what a difference means is made by the pure modules (`plan`, `scan`,
//! `build`); this module only orders the calls and stops at the first error, saying what
//! was already done.

use super::api::{Api, ApplyMode};
use super::helm::{self, RELEASE_SELECTOR};
use super::plan::{self, Action, Desired, ObjectPlan};
use super::scan::{self, CLUSTER_NAME_LABEL, Gap, Live, Unreadable};
use super::{Error, Kind, ObjectId, Scope};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Say which objects with no namespace go where, and refuse a file namespace that
/// contradicts `--namespace` (kubectl refuses it too).
pub fn resolve_namespaces(
    desired: &mut [Desired],
    default_namespace: &str,
    flag: Option<&str>,
) -> Result<(), Error> {
    for d in desired.iter_mut().filter(|d| d.id.kind.namespaced) {
        match (&d.id.namespace, flag) {
            (Some(in_file), Some(flag)) if in_file != flag => {
                return Err(Error::NamespaceMismatch {
                    object: format!("{} {}", d.id.kind.kind, d.id.name),
                    in_file: in_file.clone(),
                    flag: flag.to_owned(),
                });
            }
            (Some(_), _) => {}
            (None, _) => d.id.namespace = Some(default_namespace.to_owned()),
        }
    }
    Ok(())
}

/// Fail with the install command unless every kind's CRD is installed.
pub async fn require_crds(api: &Api, kinds: &[Kind]) -> Result<(), Error> {
    let mut missing = Vec::new();
    for kind in kinds.iter().filter(|k| k.group == super::OPERATOR_GROUP) {
        if !api.crd_installed(*kind).await? {
            missing.push(format!("`{}`", kind.crd_name()));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::CrdMissing {
            context: api.context().to_owned(),
            missing: missing.join(", "),
        })
    }
}

/// Plan each object: read it live, dry-run apply it, compare. Objects must be in apply
/// order with namespaces resolved.
pub async fn plan(
    api: &Api,
    desired: &[Desired],
    force: bool,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Vec<ObjectPlan>, Error> {
    let mut plans = Vec::with_capacity(desired.len());
    for (i, d) in desired.iter().enumerate() {
        progress(i, desired.len(), &d.id.to_string());
        let ns = d.id.namespace.as_deref();
        let live = api.get(d.id.kind, ns, &d.id.name).await?;
        let body = plan::ssa_body(d, ns.unwrap_or("default"));
        let mode = ApplyMode {
            dry_run: true,
            force,
        };
        let merged = api
            .apply(d.id.kind, ns, &d.id.name, &body, mode)
            .await
            .map_err(|e| plan::mask_error(plan::attach_origin(e, &d.origin), &d.sensitive))?;
        plans.push(plan::compare(d, live.as_ref(), &merged));
    }
    progress(desired.len(), desired.len(), "");
    Ok(plans)
}

/// Apply every changed object for real, in order, reporting each result as it comes.
/// At the first failure, stop and say what was and was not applied.
pub async fn apply(
    api: &Api,
    desired: &[Desired],
    plans: &[ObjectPlan],
    force: bool,
    on_result: &mut dyn FnMut(&ObjectId, Action),
) -> Result<Vec<ObjectId>, Error> {
    let mut applied: Vec<ObjectId> = Vec::new();
    let changed: Vec<(&Desired, &ObjectPlan)> = desired
        .iter()
        .zip(plans)
        .filter(|(_, p)| p.action != Action::Unchanged)
        .collect();
    for (i, (d, p)) in changed.iter().enumerate() {
        let ns = d.id.namespace.as_deref();
        let body = plan::ssa_body(d, ns.unwrap_or("default"));
        let mode = ApplyMode {
            dry_run: false,
            force,
        };
        match api.apply(d.id.kind, ns, &d.id.name, &body, mode).await {
            Ok(_) => {
                on_result(&d.id, p.action);
                applied.push(d.id.clone());
            }
            Err(e) => {
                let cause = plan::mask_error(plan::attach_origin(e, &d.origin), &d.sensitive);
                if applied.is_empty() {
                    return Err(cause);
                }
                let applied: Vec<String> = applied.iter().map(ToString::to_string).collect();
                let not_applied: Vec<String> =
                    changed[i..].iter().map(|(d, _)| d.id.to_string()).collect();
                return Err(Error::partial(cause, &applied, &not_applied));
            }
        }
    }
    Ok(applied)
}

/// What retiring the classic side of one new DaskCluster takes, as `--prune-classic` lists
/// it before asking and does it once the DaskCluster runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retirement {
    /// Objects deleted before the DaskCluster is applied: a Service with the name the
    /// operator gives the new scheduler Service (`<cluster>-scheduler`), which would keep
    /// the operator from creating its own, so the cluster could never run.
    pub before: Vec<ObjectId>,
    /// Objects deleted once the DaskCluster reports `Running`.
    pub after: Vec<ObjectId>,
    /// Helm releases to uninstall (`helm uninstall NAME -n NAMESPACE`): dusk does not delete
    /// what Helm manages, since Helm's record of the release would then lie.
    pub helm: Vec<(String, String)>,
}

impl Retirement {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_empty() && self.helm.is_empty()
    }
}

/// The command that retires a Helm release.
pub fn helm_uninstall(release: &str, namespace: &str) -> String {
    format!("helm uninstall {release} -n {namespace}")
}

/// The classic side a DaskCluster of the same name and namespace replaces: the pods,
/// Services and PodDisruptionBudgets of a classic KubeCluster of that name, the dask Helm
/// release of that name, and the hand-run scheduler and worker workloads (with the Services
/// selecting the scheduler) whose DaskCluster has that name.
pub async fn classic_objects_replaced_by(
    api: &Api,
    cluster: &ObjectId,
) -> Result<Retirement, Error> {
    let mut out = Retirement::default();
    let Some(ns) = cluster.namespace.as_deref() else {
        return Ok(out);
    };
    let selector = format!("{CLUSTER_NAME_LABEL}={}", cluster.name);
    let scope = Scope::Namespace(ns.to_owned());
    for kind in [Kind::POD, Kind::SERVICE, Kind::PDB] {
        for obj in api.list(kind, &scope, Some(&selector)).await? {
            if scan::is_owned(&obj) {
                continue;
            }
            let r = scan::object_ref(&obj);
            out.after.push(ObjectId {
                kind,
                namespace: r.namespace,
                name: r.name,
            });
        }
    }
    let releases = match api.list(Kind::SECRET, &scope, Some(RELEASE_SELECTOR)).await {
        Ok(secrets) => decode_releases(&secrets),
        Err(Error::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    for r in releases.iter().flatten() {
        if r.is_dask_chart() && r.name == cluster.name && r.namespace == ns {
            out.helm.push((r.name.clone(), r.namespace.clone()));
        }
    }
    let mut workloads = Vec::new();
    for kind in [Kind::DEPLOYMENT, Kind::STATEFUL_SET] {
        workloads.extend(api.list(kind, &scope, None).await?);
    }
    let trees: Vec<super::yaml::LiveTree> = workloads
        .iter()
        .filter(|w| {
            !scan::is_owned(w)
                && !scan::from_dask_release(w, &releases)
                && scan::dask_role(w).is_some()
        })
        .map(super::yaml::node_from_json)
        .collect();
    let roots: Vec<&crate::source::yaml::Node> = trees.iter().map(|t| &t.root).collect();
    use crate::migrate::rewriters::hand_rolled_to_daskcluster::live_members;
    for stack in live_members(&roots)
        .into_iter()
        .filter(|m| m.cluster == cluster.name)
    {
        for (kind, name) in &stack.workloads {
            out.after.push(ObjectId {
                kind: if kind == "StatefulSet" {
                    Kind::STATEFUL_SET
                } else {
                    Kind::DEPLOYMENT
                },
                namespace: Some(ns.to_owned()),
                name: name.clone(),
            });
        }
        if stack.scheduler_labels.is_empty() {
            continue;
        }
        let operator_service = format!("{}-scheduler", cluster.name);
        for svc in api.list(Kind::SERVICE, &scope, None).await? {
            let selector = svc.pointer("/spec/selector").and_then(Value::as_object);
            let selects = selector.is_some_and(|sel| {
                !sel.is_empty()
                    && sel.iter().all(|(k, v)| {
                        v.as_str().is_some_and(|v| {
                            stack.scheduler_labels.get(k).map(String::as_str) == Some(v)
                        })
                    })
            });
            if !selects || scan::is_owned(&svc) {
                continue;
            }
            let r = scan::object_ref(&svc);
            let id = ObjectId {
                kind: Kind::SERVICE,
                namespace: r.namespace,
                name: r.name,
            };
            if id.name == operator_service {
                out.before.push(id);
            } else {
                out.after.push(id);
            }
        }
    }
    Ok(out)
}

/// Wait until a DaskCluster reports `status.phase: Running`.
pub async fn wait_running(
    api: &Api,
    cluster: &ObjectId,
    timeout: Duration,
    poll: Duration,
) -> Result<(), Error> {
    let started = Instant::now();
    loop {
        let live = api
            .get(cluster.kind, cluster.namespace.as_deref(), &cluster.name)
            .await?;
        let phase = live
            .as_ref()
            .and_then(|l| l.pointer("/status/phase"))
            .and_then(Value::as_str);
        if phase == Some("Running") {
            return Ok(());
        }
        if started.elapsed() + poll > timeout {
            return Err(Error::NotRunning {
                object: cluster.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(poll).await;
    }
}

/// Delete classic objects (already confirmed by the user), reporting each.
pub async fn prune_classic(
    api: &Api,
    objects: &[ObjectId],
    on_deleted: &mut dyn FnMut(&ObjectId),
) -> Result<(), Error> {
    for id in objects {
        api.delete(id.kind, id.namespace.as_deref(), &id.name)
            .await?;
        on_deleted(id);
    }
    Ok(())
}

/// The steps of a scan, for a progress bar.
const SCAN_STEPS: usize = 12;

/// Read everything `dusk check --cluster` looks at. Lists the scan needs fail the scan;
/// lists it can do without (Helm release Secrets, the cluster-wide operator lookup) become
/// gaps reported as findings.
pub async fn gather(
    api: &Api,
    scope: &Scope,
    progress: &dyn Fn(usize, usize, &str),
) -> Result<Live, Error> {
    let mut live = Live {
        context: api.context().to_owned(),
        scope: Some(scope.clone()),
        ..Live::default()
    };
    let mut step = 0;
    let mut tick = |label: &str| {
        progress(step, SCAN_STEPS, label);
        step += 1;
    };
    for kind in Kind::OPERATOR {
        tick(&format!("checking CRD {}", kind.crd_name()));
        live.crds.push((kind, api.crd_installed(kind).await?));
    }
    tick("looking for the Dask Operator");
    let operator_selector = "app.kubernetes.io/name=dask-kubernetes-operator";
    match api
        .list(Kind::DEPLOYMENT, &Scope::All, Some(operator_selector))
        .await
    {
        Ok(deployments) => live.operator = scan::find_operator(&deployments),
        Err(Error::Forbidden(_)) => {}
        Err(e) => return Err(e),
    }
    let mut keeper = scan::PodKeeper::default();
    for kind in [Kind::POD, Kind::SERVICE, Kind::PDB] {
        tick(&format!(
            "listing {} labelled {CLUSTER_NAME_LABEL}",
            kind.plural
        ));
        // Kept small as each page arrives: a big cluster has tens of thousands of pods.
        let kept = &mut live.labelled;
        api.list_each(kind, scope, Some(CLUSTER_NAME_LABEL), |obj| {
            keeper.keep(kept, obj)
        })
        .await?;
    }
    for kind in [Kind::DEPLOYMENT, Kind::STATEFUL_SET] {
        tick(&format!("listing {}", kind.plural));
        live.workloads.extend(api.list(kind, scope, None).await?);
    }
    if live.operator.is_none() {
        live.operator = scan::find_operator(&live.workloads);
    }
    tick("reading Helm releases");
    match api.list(Kind::SECRET, scope, Some(RELEASE_SELECTOR)).await {
        Ok(secrets) => live.releases = decode_releases(&secrets),
        Err(Error::Forbidden(f)) => live.gaps.push(Gap {
            what: "Helm releases".into(),
            reason: format!("`{}` on `{}` {} is forbidden", f.verb, f.resource, f.scope),
        }),
        Err(e) => return Err(e),
    }
    tick("listing Dask Operator resources");
    for (kind, installed) in live.crds.clone() {
        if installed {
            live.operator_objects
                .extend(api.list(kind, scope, None).await?);
        }
    }
    progress(SCAN_STEPS, SCAN_STEPS, "");
    Ok(live)
}

fn decode_releases(secrets: &[Value]) -> Vec<Result<helm::Release, Unreadable>> {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for s in secrets {
        match helm::decode_secret(s) {
            Ok(r) => good.push(r),
            Err(reason) => {
                let r = scan::object_ref(s);
                bad.push(Err(Unreadable {
                    namespace: r.namespace.unwrap_or_default(),
                    secret: r.name,
                    reason,
                }));
            }
        }
    }
    helm::latest(good).into_iter().map(Ok).chain(bad).collect()
}

/// The operator resources `--from-cluster` builds: one DaskCluster per classic KubeCluster
/// and per dask Helm release in scope, built from the model with their commands made to run
/// on the versions in play (each pod's image; `target_new_cli`, whether the targeted
/// `distributed` has `dask worker`, when the image does not say).
pub fn desired_from_live(live: &Live, target_new_cli: bool) -> Result<Vec<Desired>, Error> {
    let mut out = Vec::new();
    for cluster in scan::classic_clusters(&live.labelled) {
        out.push(super::build::from_classic(&cluster, target_new_cli)?);
    }
    for release in live.releases.iter().flatten().filter(|r| r.is_dask_chart()) {
        out.extend(super::build::from_release(release, target_new_cli)?);
    }
    out.extend(hand_run_stacks(live, target_new_cli));
    Ok(out)
}

/// DaskClusters (and DaskWorkerGroups) for hand-run scheduler and worker Deployments or
/// StatefulSets, per namespace: what the `hand-rolled-to-daskcluster` file fix builds from the same
/// objects. Workloads owned by something (the operator's own) or rendered by a dask Helm
/// release (its DaskCluster comes from the release) are not stacks. A namespace whose stack
/// cannot be built (several schedulers, no workers) is skipped: `dusk check --cluster` still
/// reports its workloads.
fn hand_run_stacks(live: &Live, target_new_cli: bool) -> Vec<Desired> {
    use crate::migrate::rewriters::hand_rolled_to_daskcluster::from_live;
    let mut by_namespace: std::collections::BTreeMap<String, Vec<super::yaml::LiveTree>> =
        std::collections::BTreeMap::new();
    for w in &live.workloads {
        if scan::is_owned(w)
            || scan::from_dask_release(w, &live.releases)
            || scan::dask_role(w).is_none()
        {
            continue;
        }
        let ns = w
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        by_namespace
            .entry(ns)
            .or_default()
            .push(super::yaml::node_from_json(w));
    }
    let mut out = Vec::new();
    for (ns, trees) in &by_namespace {
        let roots: Vec<&crate::source::yaml::Node> = trees.iter().map(|t| &t.root).collect();
        for (objects, from, migration) in from_live(&roots, target_new_cli).into_iter().flatten() {
            for object in objects {
                let kind = match object.get("kind").and_then(Value::as_str) {
                    Some("DaskWorkerGroup") => Kind::DASK_WORKER_GROUP,
                    _ => Kind::DASK_CLUSTER,
                };
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                out.push(Desired {
                    id: ObjectId {
                        kind,
                        namespace: Some(ns.clone()).filter(|n| !n.is_empty()),
                        name,
                    },
                    object,
                    origin: super::plan::Origin::Live { from: from.clone() },
                    // A Deployment's env is in its own spec, not in a Secret.
                    sensitive: Vec::new(),
                    // The report belongs to the DaskCluster, which comes first.
                    migration: (kind == Kind::DASK_CLUSTER).then(|| migration.clone()),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::plan::Origin;

    fn desired(ns: Option<&str>) -> Desired {
        Desired {
            id: ObjectId {
                kind: Kind::DASK_CLUSTER,
                namespace: ns.map(str::to_owned),
                name: "demo".into(),
            },
            object: Value::Null,
            sensitive: Vec::new(),
            migration: None,
            origin: Origin::Live { from: "t".into() },
        }
    }

    #[test]
    fn namespaces_resolve_like_kubectl() {
        let mut objs = vec![desired(None), desired(Some("ml"))];
        resolve_namespaces(&mut objs, "dask", None).unwrap();
        assert_eq!(objs[0].id.namespace.as_deref(), Some("dask"));
        let mut objs = vec![desired(Some("ml"))];
        let err = resolve_namespaces(&mut objs, "dask", Some("dask")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DaskCluster demo sets namespace `ml` but `--namespace dask` was given"
        );
    }
}
