//! Which classic pod template files a file's code loads, and what its fix makes of each.
//!
//! Takes one linted file (Python, a notebook's joined code, a YAML dask config) and the fix
//! settings; gives each path its code loads as a classic pod template
//! (`KubeCluster.from_yaml("worker.yaml")`, `KubeCluster("worker.yaml")`,
//! `pod_template="worker.yaml"`, `scheduler_pod_template="sched.yaml"`, the dask config's
//! `kubernetes.worker-template-path` and `scheduler-template-path`), where it is loaded (the
//! finding's line, and cell in a notebook), and the verdict of the loader's own fix in one
//! pass: the other files it changes with it, or why it is declined.
//!
//! `cli` gathers these over the run and serves them to rewriters as
//! [`super::Context::loaded_by`]: a template file that code of the run loads is migrated only
//! as part of that code's fix (`pod-template-to-daskcluster` asks), never on its own, so
//! classic code never ends up loading a DaskCluster. Never reads a file: the loader's fix
//! reaches the template through [`super::Context::others`].

use super::{Context, Declined, FileMeta, FixSettings, Memo, candidates, parse, rewritten_text};
use crate::report::FileReport;
use crate::source::edit::OtherFile;
use std::collections::BTreeSet;

/// How code uses the file it loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The classic worker pod template (the scheduler ran from it too unless it had its own).
    Worker,
    /// `scheduler_pod_template=`, `kubernetes.scheduler-template-path`.
    Scheduler,
}

/// One path a file's code loads: as the code writes it, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub written: String,
    pub role: Role,
    /// What loads it, for a reason (`KubeCluster.from_yaml`, `kubernetes.worker-template-path`).
    pub form: String,
}

/// A load of one file, with where it is and its fix's verdict.
#[derive(Debug, Clone)]
pub struct CodeLoad {
    pub load: Load,
    /// The rule of the loader's finding.
    pub rule: String,
    /// `path:line`, or `path` cell C, line N in a notebook, as findings locate it.
    pub at: String,
    /// The loader's fix in one pass: the other files it changes with it, or why not.
    pub fix: Result<Vec<OtherFile>, Declined>,
}

/// The code of the run that loads a file, as the loaded file's rewriter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loader {
    pub at: String,
    pub form: String,
    pub role: Role,
    pub verdict: Verdict,
}

/// What the loader's fix makes of the loaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It migrates the file with the code: the file's text as that fix read it and as it
    /// leaves it.
    Migrates { original: String, fixed: String },
    /// It carries the file into the code's DaskCluster (a scheduler template) and leaves
    /// the file as it is.
    Carried,
    /// The code stays classic, and so must the file: why.
    Declined(String),
}

/// Rewriters that ask [`super::Context::loaded_by`] about the file they fix.
const ASKING: &[&str] = &["pod-template-to-daskcluster"];

/// Whether fixing `report`'s findings asks who loads the file: such a file is fixed once the
/// run's loaders are known (`dusk check` settles every other file while it lints).
pub fn asks_loaders(report: &FileReport, rules: &crate::rules::RuleSet) -> bool {
    report.findings.iter().any(|f| {
        rules
            .get(&f.rule)
            .and_then(|r| r.fix.as_ref())
            .is_some_and(|fix| ASKING.contains(&fix.rewriter.as_str()))
    })
}

/// Rewriters whose findings may load a pod template file.
const LOADERS: &[&str] = &["python-classic-cluster", "dask-config"];

/// The pod template files the code of one linted file loads (see the module docs).
pub fn of_file(
    meta: FileMeta<'_>,
    text: &str,
    report: &FileReport,
    settings: &FixSettings<'_>,
) -> Vec<CodeLoad> {
    let loader = |f: &crate::report::Finding| {
        let rule = settings.lint.rules.get(&f.rule)?;
        let name = rule.fix.as_ref()?.rewriter.as_str();
        LOADERS.contains(&name).then_some(rule)
    };
    if !report.findings.iter().any(|f| loader(f).is_some()) {
        return Vec::new();
    }
    let text = rewritten_text(meta.kind, text, report);
    let Some(parsed) = parse(meta.kind, text, settings.lint.limits.yaml) else {
        return Vec::new();
    };
    let memo = Memo {
        cells: report.notebook.clone(),
        ..Memo::default()
    };
    let pending: Vec<_> = report
        .findings
        .iter()
        .filter_map(|f| Some((settings.lint.rules.get(&f.rule)?, f.range)))
        .collect();
    let mut verdicts = None;
    let mut out = Vec::new();
    for f in &report.findings {
        let Some(rule) = loader(f) else {
            continue;
        };
        let cx = Context {
            path: meta.path,
            text,
            parsed: &parsed,
            rule,
            range: f.range,
            rules: settings.lint.rules,
            targets: settings.lint.targets,
            pending: &pending,
            memo: &memo,
            others: settings.others,
            beside: settings.beside,
            loaded_by: None,
        };
        let loads = match rule.fix.as_ref().map(|x| x.rewriter.as_str()) {
            Some("python-classic-cluster") => super::rewriters::python_classic_cluster::loads(&cx),
            _ => super::rewriters::dask_config::loads(&cx),
        };
        if loads.is_empty() {
            continue;
        }
        // One pass of the file's fixes, as the fix loop's first pass makes them.
        let (fixes, declined, _) = verdicts
            .get_or_insert_with(|| candidates(meta, text, report, &BTreeSet::new(), settings));
        let fix = match declined
            .iter()
            .find(|(id, r, _)| *id == f.rule && *r == f.range)
        {
            Some((_, _, why)) => Err(why.clone()),
            None => match fixes
                .iter()
                .find(|c| c.rule == f.rule && c.range == f.range)
            {
                Some(c) => Ok(c.fix.elsewhere.clone()),
                None => Err(Declined::new(format!(
                    "no fix of this run rewrites it (`{}` is not applied here)",
                    f.rule
                ))),
            },
        };
        let at = match f.cell {
            Some(cell) => format!("`{}` cell {cell}, line {}", f.path, f.start.line),
            None => format!("`{}:{}`", f.path, f.start.line),
        };
        out.extend(loads.into_iter().map(|load| CodeLoad {
            load,
            rule: f.rule.clone(),
            at: at.clone(),
            fix: fix.clone(),
        }));
    }
    out
}
