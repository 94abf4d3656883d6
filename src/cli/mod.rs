//! The command line: turns arguments into built values (rule set, targets, selection) once,
//! runs a command, and maps its outcome to an exit status. Nothing below `cli` sees a flag.

pub mod apply;
pub mod args;
pub mod check;
pub mod cluster;
pub mod config;
pub mod fix;
pub mod generate;
pub mod plan;
pub mod rules;

use crate::rules::{LoadError, RuleSet, Targets, Version};
use args::{Cli, Command, PackArgs};
use std::path::{Path, PathBuf};

/// The outcome of a command: 0, 1 or 2 (DESIGN.md contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the failing severity.
    Success,
    /// Findings (or pending changes).
    Failure,
    /// dusk itself could not run.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// dusk could not run. Every variant says what to do about it.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Rules(#[from] LoadError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cluster(#[from] crate::cluster::Error),
    #[error("invalid target `{given}`: {reason}")]
    #[diagnostic(
        code(dusk::cli::target),
        help("write targets as COMPONENT=VERSION, such as `--target dask-kubernetes=2024.5.0`")
    )]
    Target { given: String, reason: String },
    #[error("unknown rule `{0}`")]
    #[diagnostic(
        code(dusk::cli::unknown_rule),
        help("`dusk rules list` shows every rule id")
    )]
    UnknownRule(String),
    #[error("no rule belongs to component `{given}`")]
    #[diagnostic(
        code(dusk::cli::unknown_component),
        help("components with rules: {known}")
    )]
    UnknownComponent { given: String, known: String },
    #[error("no rule tests in `{}`: {reason}", dir.display())]
    #[diagnostic(
        code(dusk::cli::no_rule_tests),
        help(
            "`dusk rules test DIR` runs the `*.test.yaml` files under DIR (default `rule-tests`)"
        )
    )]
    NoRuleTests { dir: PathBuf, reason: String },
    #[error("invalid glob `{glob}` in `per-path-ignores`")]
    #[diagnostic(code(dusk::config::glob))]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
    },
    #[error("cannot write `{path}`")]
    #[diagnostic(code(dusk::cli::output))]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus, Error> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Completions { shell } => {
            generate::completions(shell, &mut std::io::stdout())?;
            Ok(ExitStatus::Success)
        }
        Command::Manpages { dir } => {
            for page in generate::manpages(&dir)? {
                println!("{}", page.display());
            }
            Ok(ExitStatus::Success)
        }
        Command::Schema { of } => {
            println!("{}", schema(of));
            Ok(ExitStatus::Success)
        }
    }
}

/// The JSON Schema of rule packs or of the configuration file, as committed in the repo.
pub fn schema(of: args::SchemaOf) -> String {
    let schema = match of {
        args::SchemaOf::Rules => schemars::schema_for!(crate::rules::pack::Pack),
        args::SchemaOf::Config => schemars::schema_for!(config::Config),
    };
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The configuration, unless `--isolated`.
pub fn load_config(packs: &PackArgs) -> Result<config::Loaded, Error> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if packs.isolated {
        return Ok(config::Loaded {
            dir: cwd,
            ..Default::default()
        });
    }
    Ok(config::load(packs.config.as_deref(), &cwd)?)
}

/// Built-in packs plus the configuration's and the command line's.
pub fn load_rules(packs: &PackArgs, config: &config::Loaded) -> Result<RuleSet, Error> {
    let mut extra: Vec<PathBuf> = config
        .config
        .rules
        .iter()
        .map(|p| config.dir.join(p))
        .collect();
    extra.extend(packs.rules.iter().cloned());
    Ok(crate::rules::compile::load(&extra)?)
}

/// Targets from the configuration, overridden by `--target` flags.
pub fn parse_targets(
    flags: &[String],
    config: &config::Loaded,
    rules: &RuleSet,
) -> Result<Targets, Error> {
    let mut targets = Targets::default();
    let from_config = config.config.target.iter().map(|(c, v)| {
        // Name the file, so a bad version in configuration is not mistaken for a flag.
        let file = config.path.as_ref().map_or_else(
            || "configuration".to_owned(),
            |p| format!("`{}`", p.display()),
        );
        (format!("{c} = \"{v}\" in {file}"), c.clone(), v.clone())
    });
    let from_flags = flags.iter().map(|f| {
        let (c, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
        (f.clone(), c.trim().to_owned(), v.trim().to_owned())
    });
    for (given, component, version) in from_config.chain(from_flags) {
        if component.is_empty() || version.is_empty() {
            return Err(Error::Target {
                given,
                reason: "expected COMPONENT=VERSION".into(),
            });
        }
        if !rules.components.contains_key(&component) {
            let known: Vec<&str> = rules.components.keys().map(String::as_str).collect();
            return Err(Error::Target {
                given,
                reason: format!(
                    "unknown component `{component}` (known: {})",
                    known.join(", ")
                ),
            });
        }
        let version: Version =
            version
                .parse()
                .map_err(|e: crate::rules::version::VersionError| Error::Target {
                    given: given.clone(),
                    reason: e.to_string(),
                })?;
        targets.explicit.insert(component, version);
    }
    Ok(targets)
}

/// A path as reports show it: as given, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}
