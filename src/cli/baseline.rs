//! Baselines: adopt `dusk check` on a repository without fixing everything first.
//!
//! `--write-baseline FILE` records today's findings; `--baseline FILE` then reports only the
//! findings that are not in it, and names the entries that no longer occur (fixed or moved
//! away), so the file can shrink as the migration goes on.
//!
//! An entry is a finding's rule, path and a content fingerprint: the finding's own text (the
//! GitLab report's fingerprint, `report::gitlab::fingerprint_key`) plus its occurrence number
//! among identical ones of that rule in that file. Line numbers are not part of it, so adding
//! or removing other lines keeps a finding baselined; a second identical construct is new.

use super::Error;
use crate::report::{FileReport, Finding};
use std::collections::BTreeMap;
use std::path::Path;

/// The file `--write-baseline` writes and `--baseline` reads.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    /// Format version; 1.
    pub version: u32,
    pub entries: Vec<Entry>,
}

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    /// For a reader of the file; not compared.
    #[serde(default)]
    pub message: String,
}

/// Each finding with its entry, in report order.
fn entries(reports: &[FileReport]) -> Vec<(usize, usize, Entry)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (r, report) in reports.iter().enumerate() {
        for (i, f) in report.findings.iter().enumerate() {
            let key = crate::report::gitlab::fingerprint_key(report, f);
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            out.push((
                r,
                i,
                entry(
                    f,
                    crate::report::gitlab::fingerprint(&format!("{key}\u{0}{n}")),
                ),
            ));
        }
    }
    out
}

fn entry(f: &Finding, fingerprint: String) -> Entry {
    Entry {
        rule: f.rule.clone(),
        path: f.path.clone(),
        fingerprint,
        message: f.message.clone(),
    }
}

/// Today's findings as a baseline.
pub fn of(reports: &[FileReport]) -> Baseline {
    let mut entries: Vec<Entry> = entries(reports).into_iter().map(|(_, _, e)| e).collect();
    entries.sort();
    Baseline {
        version: 1,
        entries,
    }
}

pub fn write(path: &Path, baseline: &Baseline) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(baseline).unwrap_or_default();
    text.push('\n');
    std::fs::write(path, text).map_err(|source| Error::Output {
        path: path.to_path_buf(),
        source,
    })
}

pub fn read(path: &Path) -> Result<Baseline, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Baseline {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Baseline {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Remove the findings `baseline` records from `reports`; give back the entries no finding
/// matched (stale: fixed, or changed beyond recognition).
pub fn apply(baseline: &Baseline, reports: &mut Vec<FileReport>) -> Vec<Entry> {
    let key = |e: &Entry| (e.rule.clone(), e.path.clone(), e.fingerprint.clone());
    let mut unmatched: BTreeMap<(String, String, String), Vec<&Entry>> = BTreeMap::new();
    for e in &baseline.entries {
        unmatched.entry(key(e)).or_default().push(e);
    }
    let mut drop: Vec<(usize, usize)> = Vec::new();
    for (r, i, e) in entries(reports) {
        if let Some(list) = unmatched.get_mut(&key(&e))
            && list.pop().is_some()
        {
            drop.push((r, i));
        }
    }
    for (r, i) in drop.into_iter().rev() {
        reports[r].findings.remove(i);
    }
    reports.retain(|r| !r.findings.is_empty());
    unmatched.into_values().flatten().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;
    use crate::source::TextRange;
    use std::sync::Arc;

    fn report(text: &str, needle: &str) -> FileReport {
        let start = text.find(needle).unwrap();
        let f = Finding::new(
            "r",
            Severity::Error,
            "a.py",
            TextRange::new(start, start + needle.len()),
            "m".into(),
        );
        FileReport {
            path: "a.py".into(),
            text: Some(Arc::from(text)),
            notebook: None,
            findings: vec![f],
        }
    }

    #[test]
    fn a_shifted_construct_stays_baselined_and_a_changed_one_does_not() {
        let baseline = of(&[report("x = 1\nbad()\n", "bad")]);
        let mut shifted = vec![report("# new\n\nx = 1\nbad()\n", "bad")];
        assert!(apply(&baseline, &mut shifted).is_empty());
        assert!(shifted.is_empty());
        // Other text on the line may change; the construct itself may not.
        let mut argument = vec![report("x = 1\nbad(2)\n", "bad")];
        assert!(apply(&baseline, &mut argument).is_empty());
        let mut changed = vec![report("x = 1\nworse()\n", "worse")];
        let stale = apply(&baseline, &mut changed);
        assert_eq!(changed.len(), 1);
        assert_eq!(stale.len(), 1);
    }
}
