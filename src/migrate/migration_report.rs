//! The migration report of one migrated classic cluster, as data: where it came from, the
//! new scheduler address, each field's fate (the builder's [`Record`]s) and the steps left
//! for a person — what a careful engineer writes in the migration ticket.
//!
//! The file fixes write it as comments above the resources they generate and carry it on
//! their `Fix` (`Fix::migration`, as JSON) for `dusk fix --format json` and `dusk check
//! --format json`; `dusk plan --from-cluster --format json` carries [`MigrationReport::to_json`]
//! as each built DaskCluster's `migration` (schema below). Pure.
//!
//! ```json
//! {"from": "Helm release `dask/analytics` (chart dask-2024.1.1)",
//!  "kind": "DaskCluster", "cluster": "analytics", "namespace": "dask",
//!  "scheduler_address": {"old": "analytics-scheduler:8786",
//!                        "new": "tcp://analytics-scheduler.dask:8786"},
//!  "fields": [{"field": "worker.containers[0].env", "fate": "carried",
//!              "why": null, "source": "Helm release dask/analytics values worker.env"}, …],
//!  "steps": ["…"]}
//! ```
//! `kind` is the resource the migration made (`DaskCluster`, or `DaskJob` for an Argo
//! workflow whose pipeline step becomes the job runner). `fate` is `carried`, `transformed`
//! (`why` says how), `not-supported` (`why` says why and what to do) or `dependency` (`why`
//! names the object that must exist). A report of a file fix gives each `source` as
//! `path:line` and adds `"comment_in"`: the file whose comment block holds the report (the
//! fixed file, or the file the fix writes beside it), or `null` when there is no comment
//! block (a migration of Python code, with the template files it loads: only data).

use super::build::{Fidelity, Record};
use crate::extract::classic::Source;
use crate::source::TextRange;
use serde_json::{Value, json};

/// The line of a comment block after which each field's fate is listed.
pub const FIELDS_HEADING: &str = "What each field became:";

/// The kind of resource most migrations make.
pub const DASK_CLUSTER: &str = "DaskCluster";

/// The report of one migrated cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationReport {
    /// What was migrated, in words (`classic KubeCluster \`dask/etl\``).
    pub from: String,
    /// The kind of the resource made: [`DASK_CLUSTER`], or `DaskJob`.
    pub kind: &'static str,
    pub cluster: String,
    pub namespace: Option<String>,
    /// The address clients used, when it is known.
    pub old_address: Option<String>,
    pub fields: Vec<Record>,
    pub steps: Vec<String>,
}

/// The file whose comment block holds a file fix's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentIn {
    /// The file being fixed.
    FixedFile,
    /// A file the fix creates beside it, by name.
    Beside(String),
    /// No comment block: the report is only data (a migration of Python code).
    Nowhere,
}

impl MigrationReport {
    /// The report a file fix writes as the comment block `lines` (without `# `): its first
    /// line says what was migrated, the lines after it up to `What each field became:` are
    /// the steps left for a person (new address, clients to change, objects to delete), and
    /// the fields are `record` (the lines after that render it).
    pub fn from_comment(
        from: String,
        cluster: String,
        namespace: Option<String>,
        old_address: Option<String>,
        lines: &[&str],
        record: &[Record],
    ) -> MigrationReport {
        let steps = lines
            .iter()
            .skip(1)
            .take_while(|l| !l.starts_with(FIELDS_HEADING))
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        MigrationReport {
            from,
            kind: DASK_CLUSTER,
            cluster,
            namespace,
            old_address,
            fields: record.to_vec(),
            steps,
        }
    }

    /// Where clients reach the new scheduler.
    pub fn new_address(&self) -> String {
        format!(
            "tcp://{}-scheduler.{}:8786",
            self.cluster,
            self.namespace.as_deref().unwrap_or("<namespace>")
        )
    }

    /// The report as JSON; byte ranges of a file are shown as `bytes A..B` (the file fixes
    /// show lines in their comments: see [`MigrationReport::to_json_at`]).
    pub fn to_json(&self) -> Value {
        self.json(&|_| None)
    }

    /// The report of a file fix as JSON: each byte range shown as `at` names it
    /// (`path:line`; else `bytes A..B`), and `comment_in`, where its comment block is:
    /// `null` for the fixed file itself (its caller knows the path), or the name of the file
    /// the fix creates beside it.
    pub fn to_file_json(
        &self,
        comment: &CommentIn,
        at: &dyn Fn(TextRange) -> Option<String>,
    ) -> Value {
        let mut v = self.json(at);
        // As `with_comment_path` reads them back.
        v["comment_in"] = match comment {
            CommentIn::FixedFile => Value::Null,
            CommentIn::Beside(name) => json!(name),
            CommentIn::Nowhere => Value::Bool(false),
        };
        v
    }

    /// The report as the comment block above the resource it made (each line `# `, ending
    /// in a newline): `headline` (what was migrated, by whom), the steps left for a person,
    /// then `What each field became:` and one line per field, as the values, stack and Argo
    /// rewriters write theirs. [`MigrationReport::from_comment`] reads the steps back.
    pub fn comment_block(&self, headline: &str) -> String {
        let mut lines = vec![headline.to_owned()];
        lines.extend(self.steps.iter().cloned());
        lines.push(FIELDS_HEADING.into());
        lines.extend(
            crate::migrate::rewriters::hand_rolled_to_daskcluster::record_lines(&self.fields),
        );
        lines.iter().map(|l| format!("# {l}\n")).collect()
    }

    fn json(&self, at: &dyn Fn(TextRange) -> Option<String>) -> Value {
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|r| {
                let (fate, why) = fate(&r.fidelity);
                json!({
                    "field": r.field,
                    "fate": fate,
                    "why": why,
                    "source": r.source.as_ref().map(|s| source(s, at)),
                })
            })
            .collect();
        json!({
            "from": self.from,
            "kind": self.kind,
            "cluster": self.cluster,
            "namespace": self.namespace,
            "scheduler_address": {"old": self.old_address, "new": self.new_address()},
            "fields": fields,
            "steps": self.steps,
        })
    }
}

/// A file fix's report (JSON) with `comment_in` made a path as reports show paths: the
/// fixed file's (`fixed`, as shown) for `null`, the created file's beside it for a name,
/// `null` for `false` (no comment block).
pub fn with_comment_path(report: &Value, fixed: &str) -> Value {
    let mut report = report.clone();
    let path = match report.get("comment_in").unwrap_or(&Value::Null) {
        Value::String(name) => json!(
            std::path::Path::new(fixed)
                .parent()
                .map_or_else(|| name.to_owned(), |dir| shown(&dir.join(name)))
        ),
        Value::Bool(false) => Value::Null,
        _ => json!(fixed),
    };
    report["comment_in"] = path;
    report
}

/// A path as reports show it: as given, without a leading `./`.
pub fn shown(path: &std::path::Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_owned()
}

/// `path:line` of a byte range of `text`, for [`MigrationReport::to_file_json`].
pub fn lines_in<'a>(path: &'a str, text: &'a str) -> impl Fn(TextRange) -> Option<String> + 'a {
    let index = crate::source::LineIndex::new(text);
    move |r| {
        let line = index.line_column(text, r.start().min(text.len())).line;
        Some(format!("{path}:{line}"))
    }
}

/// `record` with each byte range of a file made `at`'s words for it (`path:line`), so
/// records of several files can go in one report.
pub fn located(record: Vec<Record>, at: &dyn Fn(TextRange) -> Option<String>) -> Vec<Record> {
    record
        .into_iter()
        .map(|mut r| {
            if let Some(Source::Span(range)) = r.source {
                r.source = Some(Source::Live(source(&Source::Span(range), at)));
            }
            r
        })
        .collect()
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

fn source(s: &Source, at: &dyn Fn(TextRange) -> Option<String>) -> String {
    match s {
        Source::Span(r) => at(*r).unwrap_or_else(|| format!("bytes {}..{}", r.start(), r.end())),
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
            kind: DASK_CLUSTER,
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
        assert!(v.get("comment_in").is_none());
    }

    #[test]
    fn a_comment_block_gives_the_steps_and_a_file_report_its_lines() {
        let record = vec![Record {
            field: "worker.replicas".into(),
            source: Some(Source::Span(TextRange::new(40, 45))),
            fidelity: Fidelity::Carried,
        }];
        let lines = [
            "Migrated by `dusk fix` from the hand-written Deployment `dask-scheduler`.",
            "The scheduler moves from `dask-scheduler:8786` to `dask-scheduler.ml:8786`.",
            "",
            "Delete the old objects once the DaskCluster runs.",
            "What each field became:",
            "  `worker.replicas`: carried",
        ];
        let report = MigrationReport::from_comment(
            "hand-written Deployment `dask-scheduler`".into(),
            "dask".into(),
            Some("ml".into()),
            Some("dask-scheduler:8786".into()),
            &lines,
            &record,
        );
        assert_eq!(report.steps, [lines[1], lines[3]]);
        let v = report.to_file_json(&CommentIn::FixedFile, &|r| {
            (r.start() == 40).then(|| "k8s/dask.yaml:7".to_owned())
        });
        assert_eq!(v["fields"][0]["source"], "k8s/dask.yaml:7");
        assert!(v["comment_in"].is_null() && v.get("comment_in").is_some());
        let beside = report.to_file_json(&CommentIn::Beside("x.yaml".into()), &|_| None);
        assert_eq!(beside["comment_in"], "x.yaml");
        assert_eq!(beside["fields"][0]["source"], "bytes 40..45");
    }
}
