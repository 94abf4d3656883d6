//! The migration report of one migrated classic cluster, as data: where it came from, the
//! new scheduler address, each field's fate (the builder's [`Record`]s) and the steps left
//! for a person — what a careful engineer writes in the migration ticket.
//!
//! The file fixes write it as comments above the resources they generate; `dusk plan
//! --from-cluster --format json` carries [`MigrationReport::to_json`] as each built
//! DaskCluster's `migration` (schema below). Pure.
//!
//! ```json
//! {"from": "Helm release `dask/analytics` (chart dask-2024.1.1)",
//!  "cluster": "analytics", "namespace": "dask",
//!  "scheduler_address": {"old": "analytics-scheduler:8786",
//!                        "new": "tcp://analytics-scheduler.dask:8786"},
//!  "fields": [{"field": "worker.containers[0].env", "fate": "carried",
//!              "why": null, "source": "Helm release dask/analytics values worker.env"}, …],
//!  "steps": ["…"]}
//! ```
//! `fate` is `carried`, `transformed` (`why` says how), `not-supported` (`why` says why and
//! what to do) or `dependency` (`why` names the object that must exist).

use super::build::{Fidelity, Record};
use crate::extract::classic::Source;
use serde_json::{Value, json};

/// The report of one migrated cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationReport {
    /// What was migrated, in words (`classic KubeCluster \`dask/etl\``).
    pub from: String,
    pub cluster: String,
    pub namespace: Option<String>,
    /// The address clients used, when it is known.
    pub old_address: Option<String>,
    pub fields: Vec<Record>,
    pub steps: Vec<String>,
}

impl MigrationReport {
    /// Where clients reach the new scheduler.
    pub fn new_address(&self) -> String {
        format!(
            "tcp://{}-scheduler.{}:8786",
            self.cluster,
            self.namespace.as_deref().unwrap_or("<namespace>")
        )
    }

    /// The report as JSON; byte ranges of a file are shown as `bytes A..B` (the file fixes
    /// show lines in their comments).
    pub fn to_json(&self) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|r| {
                let (fate, why) = fate(&r.fidelity);
                json!({
                    "field": r.field,
                    "fate": fate,
                    "why": why,
                    "source": r.source.as_ref().map(source),
                })
            })
            .collect();
        json!({
            "from": self.from,
            "cluster": self.cluster,
            "namespace": self.namespace,
            "scheduler_address": {"old": self.old_address, "new": self.new_address()},
            "fields": fields,
            "steps": self.steps,
        })
    }
}

/// A fate's name and its reason.
pub fn fate(f: &Fidelity) -> (&'static str, Option<&str>) {
    match f {
        Fidelity::Carried => ("carried", None),
        Fidelity::Transformed(how) => ("transformed", Some(how)),
        Fidelity::Dropped(why) => ("not-supported", Some(why)),
        Fidelity::Dependency(what) => ("dependency", Some(what)),
    }
}

fn source(s: &Source) -> String {
    match s {
        Source::Span(r) => format!("bytes {}..{}", r.start(), r.end()),
        Source::Live(what) => what.clone(),
        Source::Default(why) => format!("default: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fates_and_addresses() {
        let report = MigrationReport {
            from: "classic KubeCluster `ml/etl`".into(),
            cluster: "etl".into(),
            namespace: Some("ml".into()),
            old_address: None,
            fields: vec![
                Record {
                    field: "worker.restartPolicy".into(),
                    source: Some(Source::Live("Pod ml/etl-w spec.restartPolicy".into())),
                    fidelity: Fidelity::Dropped("Deployments accept only `Always`".into()),
                },
                Record {
                    field: "replicas".into(),
                    source: None,
                    fidelity: Fidelity::Carried,
                },
            ],
            steps: vec!["delete the classic pods".into()],
        };
        let v = report.to_json();
        assert_eq!(v["scheduler_address"]["new"], "tcp://etl-scheduler.ml:8786");
        assert_eq!(v["fields"][0]["fate"], "not-supported");
        assert_eq!(v["fields"][0]["why"], "Deployments accept only `Always`");
        assert_eq!(v["fields"][0]["source"], "Pod ml/etl-w spec.restartPolicy");
        assert_eq!(v["fields"][1]["fate"], "carried");
        assert!(v["fields"][1]["why"].is_null());
    }
}
