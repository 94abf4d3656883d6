//! Project configuration: `dusk.toml`, or `[tool.dusk]` in `pyproject.toml`, the nearest
//! found upward from the working directory.

use super::args::FailOn;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `dusk.toml` file (or `[tool.dusk]` table).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Target version per component, such as `dask-kubernetes = "2024.5.0"`.
    #[serde(default)]
    pub target: BTreeMap<String, String>,
    /// Only these rules (ids or component names).
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Skip these rules (ids or component names).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Rules to skip under paths matching a glob: `"legacy/**" = ["dask-worker-command"]`.
    #[serde(default)]
    pub per_path_ignores: BTreeMap<String, Vec<String>>,
    /// Globs of files and directories the walk skips, replacing the default list (see
    /// `dusk check --help`); relative to this file's directory, or a name at any depth.
    #[serde(default)]
    pub exclude: Option<Vec<String>>,
    /// Globs skipped in addition to the default list (or `exclude`).
    #[serde(default)]
    pub extend_exclude: Vec<String>,
    /// Extra rule packs, relative to this file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Lowest severity that fails `dusk check`.
    #[serde(default)]
    pub fail_on: Option<FailOn>,
    /// Per-rule fix applicability overrides: `{"dask-worker-command" = "unsafe"}`.
    #[serde(default)]
    pub fix_applicability: BTreeMap<String, crate::source::edit::Applicability>,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    #[error("cannot read configuration `{path}`")]
    #[diagnostic(code(dusk::config::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<Invalid>),
}

/// A configuration file that does not parse or has a wrong key or value, drawn under its
/// source line like every other diagnostic.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("invalid configuration `{}`: {message}", path.display())]
#[diagnostic(
    code(dusk::config::invalid),
    help("see `dusk schema config` for every key")
)]
pub struct Invalid {
    pub path: PathBuf,
    pub message: String,
    #[source_code]
    pub source_code: miette::NamedSource<String>,
    #[label("here")]
    pub span: Option<miette::SourceSpan>,
}

/// A loaded configuration and the directory its relative paths are relative to.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    pub dir: PathBuf,
    pub path: Option<PathBuf>,
}

/// Load `explicit`, or find the nearest configuration upward from `start`.
pub fn load(explicit: Option<&Path>, start: &Path) -> Result<Loaded, ConfigError> {
    if let Some(path) = explicit {
        return read(
            path,
            path.file_name().is_some_and(|n| n == "pyproject.toml"),
        )
        .map(|c| c.unwrap_or_default());
    }
    for dir in start.ancestors() {
        let dusk = dir.join("dusk.toml");
        if dusk.is_file() {
            return read(&dusk, false).map(|c| c.unwrap_or_default());
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file()
            && let Some(found) = read(&pyproject, true)?
        {
            return Ok(found);
        }
    }
    Ok(Loaded {
        dir: start.to_path_buf(),
        ..Loaded::default()
    })
}

fn read(path: &Path, pyproject: bool) -> Result<Option<Loaded>, ConfigError> {
    // Bounded and by type: `--config /dev/zero` must not read forever.
    let text = crate::discover::read_regular(path, 16 << 20)
        .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
        .map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
    let invalid = |e: toml::de::Error| {
        ConfigError::Invalid(Box::new(Invalid {
            path: path.into(),
            // toml's Display draws its own snippet; the message alone goes in the title.
            message: e.message().trim().replace('\n', " "),
            source_code: miette::NamedSource::new(path.display().to_string(), text.clone()),
            span: e
                .span()
                .map(|r| (r.start, r.end.saturating_sub(r.start)).into()),
        }))
    };
    let config = if pyproject {
        // Deserialised in place (not through a `toml::Value`), so errors keep their spans.
        #[derive(Deserialize)]
        struct Pyproject {
            tool: Option<Tool>,
        }
        #[derive(Deserialize)]
        struct Tool {
            dusk: Option<Config>,
        }
        let doc: Pyproject = toml::from_str(&text).map_err(invalid)?;
        let Some(config) = doc.tool.and_then(|t| t.dusk) else {
            return Ok(None);
        };
        config
    } else {
        toml::from_str(&text).map_err(invalid)?
    };
    // `--config dusk.toml` has the empty parent; its directory is the working directory.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok(Some(Loaded {
        config,
        dir,
        path: Some(path.to_path_buf()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_pyproject_with_tool_dusk_wins() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.dusk]\nignore = [\"x\"]\n[tool.dusk.target]\ndistributed = \"2026.6.0\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a/pyproject.toml"),
            "[project]\nname = \"no-dusk-here\"\n",
        )
        .unwrap();
        let loaded = load(None, &sub).unwrap();
        assert_eq!(loaded.config.ignore, ["x"]);
        assert_eq!(loaded.config.target["distributed"], "2026.6.0");
        assert_eq!(loaded.dir, dir.path());
    }

    #[test]
    fn unknown_key_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dusk.toml"), "selct = []\n").unwrap();
        let err = load(None, dir.path()).unwrap_err();
        assert!(err.to_string().contains("dusk.toml"), "{err}");
    }

    #[test]
    fn config_errors_point_at_their_source_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n\n[tool.dusk]\nfail-on = \"warnings\"\n",
        )
        .unwrap();
        let err = load(None, dir.path()).unwrap_err();
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, &err)
            .unwrap();
        assert!(out.contains("5 │ fail-on = \"warnings\""), "{out}");
        assert!(out.contains("here"), "{out}");
    }
}
