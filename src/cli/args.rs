//! Command-line arguments (clap types only; `cli::*` turns them into built values).

use crate::report::Format;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dusk",
    version,
    about = "Find, grade and migrate classic Dask-on-Kubernetes setups to the Dask Operator"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report deprecated and removed classic Dask-on-Kubernetes constructs.
    Check(CheckArgs),
    /// Rewrite what can be rewritten into Dask Operator resources and operator-API code.
    Fix(FixArgs),
    /// Preview what applying Dask Operator resources would change in a cluster (server-side
    /// dry run, one diff per object). Plans the files as `dusk fix --unsafe-fixes` would
    /// leave them, in memory: nothing is written. Exit 0: no changes; 1: changes; 2: error.
    Plan(PlanArgs),
    /// Apply Dask Operator resources to a cluster (server-side apply, field manager `dusk`)
    /// after showing the plan.
    Apply(ApplyArgs),
    /// Inspect the rule packs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (completes rule ids and component names too).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (`dusk.1`, `dusk-check.1`, …) into DIR.
    Manpages {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print the JSON Schema of rule packs or of the configuration file.
    Schema {
        #[arg(value_enum)]
        of: SchemaOf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaOf {
    Rules,
    Config,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule with its component and window.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Explain one rule: text, window, replacement and an example.
    Explain {
        id: String,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Check packs: schema, consistency, and every removal against the support policy.
    /// Exit 0: clean; 1: a pack breaks a rule or the policy; 2: a pack cannot be read.
    Check {
        /// Packs to check (default: the built-in packs and those of `--rules` and the
        /// configuration).
        #[arg(value_name = "PACK")]
        paths: Vec<PathBuf>,
        /// Months each release is supported (default: each pack's `policy.support-months`).
        #[arg(long, value_name = "N")]
        support_months: Option<u32>,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Run rule tests: each case's findings at several target versions, its fixed output,
    /// and that fixing again changes nothing. Exit 1 on a failing case.
    Test {
        /// A test file or a directory of `*.test.yaml` files (default: `rule-tests`).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Rewrite the expectations with what dusk finds now.
        #[arg(long)]
        update: bool,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Write the Markdown reference of every rule.
    Docs {
        /// Write to a file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Which rules are deprecated and removed at each release of a component.
    Timeline {
        /// Only this component.
        #[arg(long, value_name = "C")]
        component: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: TimelineFormat,
        #[command(flatten)]
        packs: PackArgs,
    },
    /// Print the literals the prefilter looks for, one per line.
    #[command(hide = true)]
    Triggers {
        #[command(flatten)]
        packs: PackArgs,
    },
}

/// `dusk rules timeline` output: a table, or an HTML page with an SVG timeline.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TimelineFormat {
    Text,
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Default, Clone)]
pub struct PackArgs {
    /// Extra rule pack (repeatable); a rule with a built-in rule's id overrides it.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: the nearest `dusk.toml` or `pyproject.toml` with
    /// `[tool.dusk]`, searched upward from the working directory).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    pub isolated: bool,
}

/// Severity at which findings fail the run.
#[derive(
    Debug, Clone, Copy, ValueEnum, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Warning,
    Error,
}

/// Options shared by every command that reads a repository.
#[derive(Debug, Args, Default, Clone)]
pub struct ScanArgs {
    /// Files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Grade a component at a version, such as `dask-kubernetes=2024.5.0` (repeatable).
    #[arg(long = "target", value_name = "COMPONENT=VERSION")]
    pub targets: Vec<String>,
    /// Only these rules (ids or component names; repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Skip these rules (ids or component names; repeatable or comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Skip files and directories matching these globs when walking directories (repeatable or
    /// comma-separated; replaces the default list: `.git`, `.hg`, `.svn`, `.tox`, `.venv`,
    /// `venv`, `node_modules`, `__pypackages__`, `site-packages`). A glob without `/` matches a
    /// name at any depth. Files given explicitly are always read.
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Like `--exclude`, but added to the default list and the configuration's (repeatable or
    /// comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub extend_exclude: Vec<String>,
    /// Also show rules whose deprecation is still ahead of the target (as `info`).
    #[arg(long)]
    pub show_upcoming: bool,
    /// Skip given files that a walk of their directory would skip (names dusk does not read,
    /// Helm chart templates, hidden or `.gitignore`d paths), as pre-commit hooks need.
    #[arg(long)]
    pub force_exclude: bool,
    /// Largest file read, in bytes [default: 16777216].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Deepest YAML nesting read before a file is reported instead (default 200, at most 1000).
    #[arg(long, value_name = "LEVELS", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub max_yaml_depth: Option<u16>,
    /// Most nodes YAML aliases may expand to in one file before it is reported (default 100000).
    #[arg(long, value_name = "NODES")]
    pub max_alias_nodes: Option<usize>,
    /// With `-` as a PATH: the file name standard input is checked as — its kind, the
    /// locations in the report and per-path rules (`helm template CHART | dusk check -
    /// --stdin-filename rendered.yaml`). Default: `-`, read as YAML.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    #[command(flatten)]
    pub packs: PackArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format [default: text on a terminal, concise otherwise (a CI log, a pipe, a
    /// file)].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to a file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Instead of the findings, print how many each rule has and how many are fixable.
    #[arg(long)]
    pub statistics: bool,
    /// After the findings, print the changes `dusk fix` would make, as a unified diff (with
    /// `--unsafe-fixes`, also those that need review).
    #[arg(long)]
    pub show_fixes: bool,
    /// Write a `# dusk: ignore[rule]` comment for every finding where the syntax allows one
    /// (at the end of the line in Python and YAML, on the line above in a Dockerfile) and exit
    /// 0; a file where a comment would not silence its findings is left unchanged and named.
    #[arg(long, conflicts_with_all = ["write_baseline", "baseline"])]
    pub add_ignore: bool,
    /// Record today's findings in FILE (rule, path and a fingerprint of the finding's text,
    /// not its line number) and exit 0, to adopt the check without fixing everything first.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Report only findings not recorded in FILE (written by `--write-baseline`); entries that
    /// no longer occur are listed on standard error.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With `--show-fixes`: include the fixes that need review.
    #[arg(long, requires = "show_fixes")]
    pub unsafe_fixes: bool,
    /// Lowest severity that makes the exit code 1 [default: warning, or `fail-on` in the
    /// configuration].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 0 even when there are findings (2 still means dusk could not run).
    #[arg(long)]
    pub exit_zero: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    #[command(flatten, next_help_heading = "Cluster")]
    pub live: CheckClusterArgs,
}

/// `dusk check --cluster`: check a live cluster.
#[derive(Debug, Args, Default, Clone)]
pub struct CheckClusterArgs {
    /// Check the live cluster: classic KubeCluster pods, hand-run Dask workloads, dask Helm
    /// releases, and Dask Operator resources (files too, when PATHs are given).
    #[arg(long)]
    pub cluster: bool,
    #[command(flatten)]
    pub conn: ClusterConnArgs,
}

/// How to reach a cluster, as kubectl does.
#[derive(Debug, Args, Clone)]
pub struct ClusterConnArgs {
    /// Kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`, then the pod's service
    /// account).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace (default: the context's namespace, else `default`).
    #[arg(long, short = 'n', value_name = "NAME")]
    pub namespace: Option<String>,
    /// All namespaces (for scans and `--from-cluster`).
    #[arg(long, short = 'A', conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Seconds to wait for any one API request.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,
}

impl Default for ClusterConnArgs {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            namespace: None,
            all_namespaces: false,
            request_timeout: 30,
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Files or directories with Dask Operator resources (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Build DaskClusters from the classic KubeCluster pods and dask Helm releases running
    /// in the cluster, instead of reading files.
    #[arg(long, conflicts_with = "paths")]
    pub from_cluster: bool,
    /// Take over fields that other field managers own (server-side apply `force`).
    #[arg(long)]
    pub force_conflicts: bool,
    /// Also write each planned object as a YAML file in DIR (`<namespace>-<name>-<kind>.yaml`),
    /// for GitOps; with `dusk apply`, instead of applying. An existing file with other
    /// contents is never overwritten.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Output format: a diff per object, or the per-object plan as JSON.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Colour: auto (on a terminal, unless NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    #[command(flatten, next_help_heading = "Cluster")]
    pub conn: ClusterConnArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply without asking (required when standard input is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Once each new DaskCluster reports `Running`, delete the classic pods, services and
    /// PodDisruptionBudgets it replaces.
    #[arg(long)]
    pub prune_classic: bool,
    /// Seconds to wait for a DaskCluster to report `Running` before pruning.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub wait_timeout: u64,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Print the changes as a unified diff and write nothing; exit 1 when changes are pending.
    #[arg(long)]
    pub diff: bool,
    /// Also apply fixes that change behaviour or drop something and need review.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Exit 0 even when findings remain or, with `--diff`, changes are pending (2 still means
    /// dusk could not run or a file could not be written).
    #[arg(long)]
    pub exit_zero: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Output format: `text` (a line per file, diffs with `--diff`), or `json`: one object
    /// with, per file, the fixes applied and declined, the findings left and the migration
    /// report of each classic cluster migrated (diffs and standard input's fixed text inside).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FixFormat,
    /// Write what would go to standard output (the report, the diffs, or standard input's
    /// fixed text) to a file instead.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `dusk fix --format`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum FixFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}
