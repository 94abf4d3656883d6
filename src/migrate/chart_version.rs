//! The version of the `dask` Helm chart a values file is for: part of the versions in play.
//!
//! The chart's worker Deployment passes `worker.image.dask_worker` to the container as one
//! argument (`args: [<dask_worker>, …]`), so `dask worker` there is one argument that no
//! program is called. dask/helm-chart#535 ("Use new dask CLI for dask worker and dask
//! scheduler", merged 2026-07-10) made the templates split the value into words, "backward
//! compatible with a single string". Whether rewriting the value is safe therefore depends
//! on the chart the values are installed with.
//!
//! Which chart version has #535: the chart's versions are CalVer release dates set by
//! chartpress from the git tag. The newest published chart, in the `gh-pages` index, is
//! 2024.1.1 (2024-01-16), and the templates of `main` as of 2026-06-12 still pass the value as
//! one argument (`dask/templates/dask-worker-deployment.yaml`: `- {{
//! .Values.worker.image.dask_worker }}`, dask/helm-chart@e25bf51). A release with #535 is
//! therefore dated 2026-07-10 or later: [`SPLITS_SINCE`] is `2026.7.0`. A chart between the
//! two is not known to exist; one that does would be treated as not splitting, which only
//! declines a fix. Sources: the PR (https://github.com/dask/helm-chart/pull/535), the
//! repository's tags (last: 2024.1.1) and `dask/Chart.yaml` (`version:
//! 0.0.1-set.by.chartpress` on `main`).
//!
//! The version is read, nearest first, from the directory of the values file up to the
//! repository root (a directory with `.git`):
//! - a `Chart.yaml` with `name: dask` and its `version` (the values file of the chart itself,
//!   or a vendored copy);
//! - a `Chart.yaml` whose `dependencies` list the `dask` chart with a version (an umbrella
//!   chart), or a Helm 2 `requirements.yaml` doing the same.
//!
//! Only an exact version counts: a range (`~2024.1.0`, `>=2024.1.0`) or chartpress's
//! placeholder is unknown, and an unknown chart version declines the fix. Reads small files
//! from the disk, as the pin reader (`project`) does; never writes.

use pep440_rs::Version as Pep440;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The first chart release whose templates split `worker.image.dask_worker` into words.
pub const SPLITS_SINCE: &str = "2026.7.0";

/// Chart metadata is small; a larger file is not read.
const MAX_CHART_FILE: u64 = 256 * 1024;

/// The dask chart version found for a values file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartVersion {
    /// The version as written (`2024.1.1`, `~2024.1.0`).
    pub written: String,
    /// The file it is written in, and its 1-based line.
    pub file: PathBuf,
    pub line: usize,
}

impl ChartVersion {
    /// The version, if it is one exact version.
    pub fn exact(&self) -> Option<Pep440> {
        let v = self.written.trim().trim_start_matches('v');
        if v.is_empty() || v.contains(['~', '^', '>', '<', '=', '*', ' ', ',', '|', 'x', 'X']) {
            return None;
        }
        Pep440::from_str(v).ok()
    }

    /// Whether this chart splits `worker.image.dask_worker` into words (dask/helm-chart#535).
    pub fn splits_program(&self) -> Option<bool> {
        let since = Pep440::from_str(SPLITS_SINCE).ok()?;
        self.exact().map(|v| v >= since)
    }
}

/// The version of the dask chart the values file at `path` is for, if one is written
/// beside it or above it (see the module docs). `None`: no chart names it.
pub fn for_values(path: &Path) -> Option<ChartVersion> {
    let path = std::path::absolute(path).ok()?;
    let start = path.parent()?;
    for dir in start.ancestors() {
        for name in ["Chart.yaml", "requirements.yaml"] {
            let file = dir.join(name);
            if let Some(found) = read_small(&file).and_then(|text| in_chart_file(&file, &text)) {
                return Some(found);
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_CHART_FILE {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The dask chart's version in one `Chart.yaml` or `requirements.yaml`: its own when it is
/// the dask chart, else that of a `dask` entry of its `dependencies`.
fn in_chart_file(file: &Path, text: &str) -> Option<ChartVersion> {
    let parsed = crate::source::yaml::parse(text, crate::source::yaml::Limits::default()).ok()?;
    let root = parsed.documents.first()?.root.as_ref()?;
    let at = |node: &crate::source::yaml::Node| ChartVersion {
        written: node.as_str().unwrap_or_default().to_owned(),
        file: file.to_path_buf(),
        line: text[..node.range.start().min(text.len())]
            .matches('\n')
            .count()
            + 1,
    };
    let is_requirements = file.file_name().is_some_and(|n| n == "requirements.yaml");
    if !is_requirements
        && root.get_str("name") == Some("dask")
        && let Some(version) = root.get("version")
    {
        return Some(at(version));
    }
    root.get("dependencies")?
        .as_seq()?
        .iter()
        .find(|d| d.get_str("name") == Some("dask") && d.get("version").is_some())
        .and_then(|d| d.get("version"))
        .map(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(written: &str) -> ChartVersion {
        ChartVersion {
            written: written.into(),
            file: PathBuf::from("Chart.yaml"),
            line: 1,
        }
    }

    #[test]
    fn charts_split_the_program_from_2026_7_0() {
        for (written, splits) in [
            ("2024.1.1", Some(false)),
            ("2022.11.0", Some(false)),
            ("4.5.6", Some(false)),
            ("2026.7.0", Some(true)),
            ("2026.8.1", Some(true)),
            ("v2026.9.0", Some(true)),
            ("~2024.1.0", None),
            (">=2026.7.0", None),
            ("2026.x", None),
            ("0.0.1-set.by.chartpress", None),
            ("", None),
        ] {
            assert_eq!(version(written).splits_program(), splits, "{written}");
        }
    }

    #[test]
    fn the_chart_itself_or_a_dependency_gives_the_version() {
        let own = "apiVersion: v2\nname: dask\nversion: 2024.1.1\nappVersion: 2024.1.0\n";
        let found = in_chart_file(Path::new("Chart.yaml"), own).unwrap();
        assert_eq!((found.written.as_str(), found.line), ("2024.1.1", 3));
        let umbrella = "apiVersion: v2\nname: analytics\nversion: 1.4.0\ndependencies:\n  - name: redis\n    version: 17.0.0\n  - name: dask\n    version: 2026.7.0\n    repository: https://helm.dask.org\n";
        let found = in_chart_file(Path::new("Chart.yaml"), umbrella).unwrap();
        assert_eq!((found.written.as_str(), found.line), ("2026.7.0", 8));
        let other = "apiVersion: v2\nname: analytics\nversion: 1.4.0\n";
        assert_eq!(in_chart_file(Path::new("Chart.yaml"), other), None);
        let helm2 =
            "dependencies:\n- name: dask\n  version: 4.5.6\n  repository: https://helm.dask.org/\n";
        let found = in_chart_file(Path::new("requirements.yaml"), helm2).unwrap();
        assert_eq!(found.written, "4.5.6");
    }
}
