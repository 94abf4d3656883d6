//! The command line: turns arguments into built values (rule set, targets, selection) once,
//! runs a command, and maps its outcome to an exit status. Nothing below `cli` sees a flag.

pub mod add_ignore;
pub mod apply;
pub mod args;
pub mod baseline;
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
    #[error("`{}`: no such file or directory", .0.display())]
    #[diagnostic(
        code(dusk::cli::missing_path),
        help("check the spelling; with no PATH dusk reads the current directory")
    )]
    MissingPath(PathBuf),
    #[error("cannot read baseline `{}`: {reason}", path.display())]
    #[diagnostic(
        code(dusk::cli::baseline),
        help("write one with `dusk check --write-baseline FILE`")
    )]
    Baseline { path: PathBuf, reason: String },
    #[error("unknown rule `{id}`")]
    #[diagnostic(code(dusk::cli::unknown_rule))]
    UnknownRule {
        id: String,
        /// `did you mean …?` when a known id or component is close, and where to look.
        #[help]
        help: String,
    },
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
    #[error("invalid glob `{glob}`")]
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

/// Run a parsed command line. A closed standard output (`dusk check | head`) ends the run
/// quietly with exit 0: the reader has what it wanted, so that is not dusk failing.
pub fn run(cli: Cli) -> Result<ExitStatus, Error> {
    match dispatch(cli) {
        Err(e) if e.is_broken_pipe() => Ok(ExitStatus::Success),
        other => other,
    }
}

impl Error {
    /// Whether this is a write to a reader that went away.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Write `text` to standard output, all of it or an error.
pub fn print_stdout(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(text.as_bytes())
        .and_then(|()| lock.flush())
        .map_err(|source| Error::Output {
            path: "<stdout>".into(),
            source,
        })
}

fn dispatch(cli: Cli) -> Result<ExitStatus, Error> {
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
            let pages = generate::manpages(&dir)?;
            print_stdout(
                &pages
                    .iter()
                    .map(|p| format!("{}\n", p.display()))
                    .collect::<String>(),
            )?;
            Ok(ExitStatus::Success)
        }
        Command::Schema { of } => {
            print_stdout(&format!("{}\n", schema(of)))?;
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
            let close = did_you_mean(&component, known.iter().copied())
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            return Err(Error::Target {
                given,
                reason: format!(
                    "unknown component `{component}` (known: {}){close}",
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

impl Error {
    /// `id` is neither a rule nor a component of `rules`.
    pub fn unknown_rule(id: &str, rules: &RuleSet) -> Error {
        let known = rules
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .chain(rules.components.keys().map(String::as_str))
            .chain(crate::rules::builtin_ids::ALL.iter().map(|(id, _)| *id));
        let help = match did_you_mean(id, known) {
            Some(close) => format!("did you mean `{close}`? `dusk rules list` shows every rule id"),
            None => "`dusk rules list` shows every rule id and component".to_owned(),
        };
        Error::UnknownRule {
            id: id.to_owned(),
            help,
        }
    }
}

/// The candidate closest to `given` (edit distance, `_` and `-` alike; a candidate that
/// starts with `given-` counts as distance 1), if it is close enough to be a typo: at most a
/// third of its length, and at least 1.
pub fn did_you_mean<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('_', "-");
    let given = norm(given);
    // A word of the id (`dask-worker` for `dask-worker-command`) counts as close.
    candidates
        .map(|c| {
            let c_norm = norm(c);
            let distance = if c_norm.starts_with(&format!("{given}-")) {
                1
            } else {
                edit_distance(&given, &c_norm)
            };
            (distance, c)
        })
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A path as reports show it: as given, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn typos_get_a_suggestion_and_strangers_do_not() {
        let known = ["dask-kubernetes", "distributed", "dask-worker-command"];
        let guess = |s: &str| did_you_mean(s, known.iter().copied());
        assert_eq!(guess("dask_kubernetes"), Some("dask-kubernetes"));
        assert_eq!(guess("dask-kubernets"), Some("dask-kubernetes"));
        assert_eq!(guess("dask-worker"), Some("dask-worker-command"));
        assert_eq!(guess("distributd"), Some("distributed"));
        assert_eq!(guess("helm"), None);
    }
}
