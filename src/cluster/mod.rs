//! Cluster mode: scan a live cluster for classic Dask, plan the migration as a server-side
//! dry-run diff, and apply it.
//!
//! Takes a `kube::Client` (built once by [`connect`], like kubectl: `KUBECONFIG`,
//! `~/.kube/config`, `--context`, in-cluster service account) and desired operator resources
//! (from YAML files through [`input`], or from live classic objects through [`build`]).
//! Gives findings about live objects ([`scan`]), per-object plans with unified diffs
//! ([`plan`], pure) and apply results ([`workflow`]). Every API call goes through [`api`],
//! which turns the server's answers into one [`Error`] per failure the user can act on.
//!
//! Never builds a client outside [`connect`], never writes files, and never changes the
//! cluster except in [`workflow::apply`] and [`workflow::prune_classic`], which the CLI runs
//! only after a confirmation or `--yes`.

pub mod api;
pub mod build;
pub mod connect;
mod error;
pub mod helm;
pub mod input;
pub mod plan;
pub mod scan;
pub mod workflow;
pub mod yaml;

pub use error::{Error, Forbidden, Invalid, InvalidCause};

use std::fmt;

/// The field manager dusk applies with, so its fields can be told from kubectl's or Helm's.
pub const FIELD_MANAGER: &str = "dusk";

/// The API group of the Dask Operator's resources.
pub const OPERATOR_GROUP: &str = "kubernetes.dask.org";

/// The documented one-line install of the Dask Operator and its CRDs.
pub const INSTALL_COMMAND: &str = "helm install --repo https://helm.dask.org --create-namespace -n dask-operator --generate-name dask-kubernetes-operator";

/// A kind of object dusk reads or writes, and where the API server serves it. dusk only
/// touches the kinds listed here, so no discovery round trip is needed to find plurals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

impl Kind {
    pub const POD: Kind = Kind::core("Pod", "pods");
    pub const SERVICE: Kind = Kind::core("Service", "services");
    pub const SECRET: Kind = Kind::core("Secret", "secrets");
    pub const NAMESPACE: Kind = Kind {
        namespaced: false,
        ..Kind::core("Namespace", "namespaces")
    };
    pub const PDB: Kind = Kind::new(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
    );
    pub const DEPLOYMENT: Kind = Kind::new("apps", "v1", "Deployment", "deployments");
    pub const STATEFUL_SET: Kind = Kind::new("apps", "v1", "StatefulSet", "statefulsets");
    pub const CRD: Kind = Kind {
        namespaced: false,
        ..Kind::new(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
        )
    };
    pub const DASK_CLUSTER: Kind = Kind::new(OPERATOR_GROUP, "v1", "DaskCluster", "daskclusters");
    pub const DASK_WORKER_GROUP: Kind =
        Kind::new(OPERATOR_GROUP, "v1", "DaskWorkerGroup", "daskworkergroups");
    pub const DASK_AUTOSCALER: Kind =
        Kind::new(OPERATOR_GROUP, "v1", "DaskAutoscaler", "daskautoscalers");
    pub const DASK_JOB: Kind = Kind::new(OPERATOR_GROUP, "v1", "DaskJob", "daskjobs");

    /// The operator's kinds, in the order they are applied: a DaskCluster before the
    /// worker groups and autoscalers that name it.
    pub const OPERATOR: [Kind; 4] = [
        Kind::DASK_CLUSTER,
        Kind::DASK_JOB,
        Kind::DASK_WORKER_GROUP,
        Kind::DASK_AUTOSCALER,
    ];

    const fn new(
        group: &'static str,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
    ) -> Kind {
        Kind {
            group,
            version,
            kind,
            plural,
            namespaced: true,
        }
    }

    const fn core(kind: &'static str, plural: &'static str) -> Kind {
        Kind::new("", "v1", kind, plural)
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The resource as RBAC and `kubectl auth can-i` name it: `daskclusters.kubernetes.dask.org`.
    pub fn resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The name of the CRD that defines this kind.
    pub fn crd_name(&self) -> String {
        format!("{}.{}", self.plural, self.group)
    }

    /// The URL path of the collection, in one namespace or across all of them.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }

    /// The kind an object's `apiVersion` and `kind` name, if dusk knows it.
    pub fn lookup(api_version: &str, kind: &str) -> Option<Kind> {
        [
            Kind::POD,
            Kind::SERVICE,
            Kind::SECRET,
            Kind::NAMESPACE,
            Kind::PDB,
            Kind::DEPLOYMENT,
            Kind::STATEFUL_SET,
            Kind::CRD,
        ]
        .into_iter()
        .chain(Kind::OPERATOR)
        .find(|k| k.kind == kind && k.api_version() == api_version)
    }

    /// Where this kind comes in the apply order (see [`Kind::OPERATOR`]).
    pub fn apply_rank(&self) -> usize {
        Kind::OPERATOR
            .iter()
            .position(|k| k == self)
            .unwrap_or(Kind::OPERATOR.len())
    }
}

/// One object: its kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectId {
    /// `DaskCluster dask/demo`, as kubectl users read it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind.kind, self.name),
            None => write!(f, "{} {}", self.kind.kind, self.name),
        }
    }
}

/// Which namespaces a scan covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    All,
}

impl Scope {
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Scope::Namespace(ns) => Some(ns),
            Scope::All => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Namespace(ns) => write!(f, "namespace `{ns}`"),
            Scope::All => f.write_str("all namespaces"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_api_layout() {
        assert_eq!(
            Kind::DASK_CLUSTER.collection_path(Some("dask")),
            "/apis/kubernetes.dask.org/v1/namespaces/dask/daskclusters"
        );
        assert_eq!(Kind::POD.collection_path(None), "/api/v1/pods");
        assert_eq!(
            Kind::CRD.collection_path(Some("ignored")),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        );
        assert_eq!(Kind::SERVICE.resource(), "services");
        assert_eq!(
            Kind::DASK_AUTOSCALER.resource(),
            "daskautoscalers.kubernetes.dask.org"
        );
    }

    #[test]
    fn clusters_are_applied_before_what_names_them() {
        let mut kinds = [
            Kind::DASK_AUTOSCALER,
            Kind::DASK_WORKER_GROUP,
            Kind::DASK_CLUSTER,
        ];
        kinds.sort_by_key(Kind::apply_rank);
        assert_eq!(kinds[0], Kind::DASK_CLUSTER);
        assert_eq!(
            Kind::lookup("kubernetes.dask.org/v1", "DaskCluster"),
            Some(Kind::DASK_CLUSTER)
        );
        assert_eq!(Kind::lookup("v1", "DaskCluster"), None);
    }
}
