//! The Dask Operator's resources (`kubernetes.dask.org/v1`) as Rust types.
//!
//! `DaskCluster`, `DaskWorkerGroup`, `DaskAutoscaler` and `DaskJob`, built on k8s-openapi's
//! `PodSpec`, `ServiceSpec` and `ObjectMeta`, with the field names of the CRDs (camelCase).
//! Serialized with `serde_saphyr` in Kubernetes' usual key order (`apiVersion`, `kind`,
//! `metadata`, `spec`; the operator's own fields in the CRD's order; PodSpec fields as
//! k8s-openapi orders them, alphabetically, as `kubectl get -o yaml` prints them).
//! Rewriters build these instead of YAML strings, and `validate` checks them. Pure types:
//! nothing here reads or writes files.

use k8s_openapi::api::core::v1::{PodSpec, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::validate::API_VERSION;

/// Labels and annotations: the only metadata the operator copies onto the pods it creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleObjectMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl SimpleObjectMeta {
    pub fn is_empty(&self) -> bool {
        self.labels.as_ref().is_none_or(BTreeMap::is_empty)
            && self.annotations.as_ref().is_none_or(BTreeMap::is_empty)
    }
}

/// A group of workers: how many, and the pod each runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskWorker {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SimpleObjectMeta>,
    pub spec: PodSpec,
}

/// The scheduler's pod and the Service in front of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskScheduler {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SimpleObjectMeta>,
    pub spec: PodSpec,
    pub service: ServiceSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskClusterSpec {
    /// Seconds the scheduler may be idle before the operator deletes the cluster; 0 never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<i64>,
    pub worker: DaskWorker,
    pub scheduler: DaskScheduler,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskCluster {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: DaskClusterSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskWorkerGroupSpec {
    /// The DaskCluster these workers join.
    pub cluster: String,
    pub worker: DaskWorker,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskWorkerGroup {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: DaskWorkerGroupSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskAutoscalerSpec {
    pub cluster: String,
    pub minimum: i64,
    pub maximum: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskAutoscaler {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: DaskAutoscalerSpec,
}

/// The job runner's pod.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskJobRunner {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SimpleObjectMeta>,
    pub spec: PodSpec,
}

/// The cluster a DaskJob creates (named after the job).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskJobCluster {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<SimpleObjectMeta>,
    pub spec: DaskClusterSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskJobSpec {
    pub job: DaskJobRunner,
    pub cluster: DaskJobCluster,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaskJob {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: DaskJobSpec,
}

fn named(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        ..ObjectMeta::default()
    }
}

impl DaskCluster {
    pub fn new(name: &str, spec: DaskClusterSpec) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "DaskCluster".into(),
            metadata: named(name),
            spec,
        }
    }
}

impl DaskWorkerGroup {
    pub fn new(name: &str, spec: DaskWorkerGroupSpec) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "DaskWorkerGroup".into(),
            metadata: named(name),
            spec,
        }
    }
}

impl DaskAutoscaler {
    pub fn new(name: &str, spec: DaskAutoscalerSpec) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "DaskAutoscaler".into(),
            metadata: named(name),
            spec,
        }
    }
}

impl DaskJob {
    pub fn new(name: &str, spec: DaskJobSpec) -> Self {
        Self {
            api_version: API_VERSION.into(),
            kind: "DaskJob".into(),
            metadata: named(name),
            spec,
        }
    }
}

/// Why a resource could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("cannot serialize the resource as YAML: {0}")]
pub struct SerializeError(String);

/// A resource as a YAML document (no `---`), ending in a newline.
pub fn to_yaml<T: Serialize>(resource: &T) -> Result<String, SerializeError> {
    let mut text = serde_saphyr::to_string(resource).map_err(|e| SerializeError(e.to_string()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// A resource as the JSON value the API server would receive.
pub fn to_json<T: Serialize>(resource: &T) -> serde_json::Value {
    serde_json::to_value(resource).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Container;

    fn cluster() -> DaskCluster {
        let pod = PodSpec {
            containers: vec![Container {
                name: "worker".into(),
                image: Some("ghcr.io/dask/dask:latest".into()),
                args: Some(vec!["dask".into(), "worker".into()]),
                ..Container::default()
            }],
            ..PodSpec::default()
        };
        DaskCluster::new(
            "demo",
            DaskClusterSpec {
                idle_timeout: None,
                worker: DaskWorker {
                    replicas: Some(2),
                    metadata: None,
                    spec: pod.clone(),
                },
                scheduler: DaskScheduler {
                    metadata: None,
                    spec: pod,
                    service: ServiceSpec {
                        type_: Some("ClusterIP".into()),
                        ..ServiceSpec::default()
                    },
                },
            },
        )
    }

    #[test]
    fn serializes_in_kubernetes_key_order() {
        let yaml = to_yaml(&cluster()).unwrap();
        let keys: Vec<&str> = yaml
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
        insta::assert_snapshot!(yaml);
    }

    #[test]
    fn yaml_reads_back_as_the_same_resource() {
        let c = cluster();
        let back: DaskCluster = serde_saphyr::from_str(&to_yaml(&c).unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
