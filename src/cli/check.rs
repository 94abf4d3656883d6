//! `dusk check`: discover → lint every file in parallel → report → exit status.

use super::args::{CheckArgs, ColorChoice, FailOn, ScanArgs};
use super::{Error, ExitStatus, display_path, load_config, load_rules, parse_targets};
use crate::discover::discover;
use crate::lint::{Limits, Prefilter, Selection, Settings, lint_file_keeping};
use crate::report::{FileReport, Finding, GradedTarget, Pinned, Severity, Summary, TargetSource};
use crate::rules::builtin_ids::INPUT_ERROR;
use crate::rules::{RuleSet, Targets};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Everything a scan needs, built once from the arguments and configuration.
pub struct Scan {
    pub rules: RuleSet,
    pub targets: Targets,
    pub selection: Selection,
    pub limits: Limits,
    pub show_upcoming: bool,
    pub paths: Vec<PathBuf>,
    pub fail_on: FailOn,
    /// What the scanned project pins now, per component.
    pub current: std::collections::BTreeMap<String, crate::rules::Version>,
    /// `fix-applicability` from the configuration, ids checked and renamed ids resolved.
    pub fix_overrides: std::collections::BTreeMap<String, crate::source::edit::Applicability>,
    /// The versions graded at and where each came from, for reports.
    pub graded: Vec<GradedTarget>,
    /// The files the last `run` read, as displayed.
    pub files: std::sync::Mutex<Vec<String>>,
    /// Walked paths to skip (`exclude`, `extend-exclude`), relative to `exclude_base`.
    pub exclude: globset::GlobSet,
    pub exclude_base: PathBuf,
    /// The name standard input (`-` among the paths) is checked as.
    pub stdin_filename: Option<PathBuf>,
    /// Helm chart template files the last [`Scan::run`] skipped.
    pub skipped_templates: std::sync::atomic::AtomicUsize,
}

/// What the walk skips unless `exclude` says otherwise: other tools' and environments' trees.
pub const DEFAULT_EXCLUDE: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".venv",
    "venv",
    "node_modules",
    "__pypackages__",
    "site-packages",
];

/// The path that means standard input.
pub const STDIN: &str = "-";

impl Scan {
    pub fn build(args: &ScanArgs, fail_on: Option<FailOn>) -> Result<Scan, Error> {
        let config = load_config(&args.packs)?;
        let rules = load_rules(&args.packs, &config)?;
        let targets = parse_targets(&args.targets, &config, &rules)?;
        let mut selection = Selection {
            select: if args.select.is_empty() {
                config.config.select.clone()
            } else {
                Some(args.select.clone())
            },
            ignore: config
                .config
                .ignore
                .iter()
                .chain(&args.ignore)
                .cloned()
                .collect(),
            per_path: Vec::new(),
            base: std::path::absolute(&config.dir).unwrap_or_else(|_| config.dir.clone()),
        };
        for (glob, ids) in &config.config.per_path_ignores {
            let matcher = globset::Glob::new(glob)
                .map_err(|source| Error::Glob {
                    glob: glob.clone(),
                    source,
                })?
                .compile_matcher();
            selection.per_path.push((matcher, ids.clone()));
        }
        for id in selection
            .select
            .iter()
            .flatten()
            .chain(&selection.ignore)
            .chain(selection.per_path.iter().flat_map(|p| &p.1))
        {
            let known = id == "ALL"
                || rules.get(id).is_some()
                || rules.components.contains_key(id)
                || crate::rules::builtin_ids::ALL.iter().any(|(b, _)| b == id);
            if !known {
                return Err(Error::unknown_rule(id, &rules));
            }
        }
        // Renamed ids keep working in --select/--ignore.
        let canon = |v: &mut Vec<String>| {
            v.iter_mut()
                .for_each(|id| *id = rules.canonical_id(id).to_owned())
        };
        selection.select.iter_mut().for_each(canon);
        canon(&mut selection.ignore);
        selection
            .per_path
            .iter_mut()
            .for_each(|(_, ids)| canon(ids));
        let mut limits = Limits::default();
        if let Some(max) = args.max_file_size {
            limits.max_file_bytes = max;
        }
        if let Some(depth) = args.max_yaml_depth {
            limits.yaml.max_depth = usize::from(depth);
        }
        if let Some(nodes) = args.max_alias_nodes {
            limits.yaml.max_alias_nodes = nodes;
        }
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else if args.force_exclude {
            crate::discover::force_exclude(&args.paths)
        } else {
            args.paths.clone()
        };
        // A mistyped path is a mistake in the command, not a finding about the repository.
        // One `lstat` per path, on every thread; the first missing one is named.
        if let Some(missing) = paths.par_iter().find_first(|p| {
            p.as_os_str() != STDIN
                && std::fs::symlink_metadata(p)
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        }) {
            return Err(Error::MissingPath(missing.clone()));
        }
        // The pins are found once: a pre-commit run names thousands of files.
        let files: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.as_os_str() != STDIN)
            .cloned()
            .collect();
        let pins = crate::project::find_pins(&files);
        let current = crate::project::versions_of(&pins, &rules);
        // The report's pins: standard input (`-`) is looked up from the working directory.
        let pins_shown = if files.len() == paths.len() {
            pins
        } else {
            crate::project::find_pins(&paths)
        };
        let graded = graded_targets(&rules, &targets, &selection, &config, args, &pins_shown);
        let mut fix_overrides = std::collections::BTreeMap::new();
        for (id, applicability) in &config.config.fix_applicability {
            if rules.get(id).is_none() {
                return Err(Error::unknown_rule(id, &rules));
            }
            fix_overrides.insert(rules.canonical_id(id).to_owned(), *applicability);
        }
        let exclude = exclude_set(args, &config)?;
        Ok(Scan {
            exclude,
            exclude_base: std::path::absolute(&config.dir).unwrap_or_else(|_| config.dir.clone()),
            files: Default::default(),
            graded,
            current,
            rules,
            targets,
            selection,
            limits,
            show_upcoming: args.show_upcoming,
            paths,
            fail_on: fail_on.or(config.config.fail_on).unwrap_or(FailOn::Warning),
            fix_overrides,
            stdin_filename: args.stdin_filename.clone(),
            skipped_templates: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn settings(&self) -> Settings<'_> {
        Settings {
            rules: &self.rules,
            targets: &self.targets,
            selection: &self.selection,
            limits: self.limits,
            show_upcoming: self.show_upcoming,
            prefilter: Prefilter::from_rules(&self.rules),
            current: self.current.clone(),
        }
    }

    /// The source file standard input stands for: `--stdin-filename`, else `-` read as YAML.
    pub fn stdin_file(&self) -> crate::discover::SourceFile {
        let path = self
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from(STDIN));
        crate::discover::SourceFile {
            kind: crate::discover::classify(&path).unwrap_or(crate::discover::SourceKind::Yaml),
            beside_chart: false,
            path,
        }
    }

    /// Standard input as one file's text, within the size limit; `Err` is the finding
    /// saying why it was not read.
    pub fn read_stdin(&self) -> Result<String, String> {
        use std::io::Read;
        let max = self.limits.max_file_bytes;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        if bytes.len() as u64 > max {
            return Err(format!(
                "standard input is larger than {max} bytes (`--max-file-size`)"
            ));
        }
        String::from_utf8(bytes).map_err(|_| "standard input is not UTF-8".to_owned())
    }

    /// Lint standard input as [`Self::stdin_file`].
    fn lint_stdin(&self, settings: &Settings<'_>) -> FileReport {
        let file = self.stdin_file();
        let shown = display_path(&file.path);
        match self.read_stdin() {
            Ok(text) => {
                let mut report = crate::lint::lint_text(
                    file.kind,
                    file.beside_chart,
                    &file.path,
                    &shown,
                    &text,
                    settings,
                );
                if report.findings.iter().any(|f| f.fix.is_some()) {
                    let mut fix = crate::migrate::FixSettings::new(settings, &self.fix_overrides);
                    fix.unsafe_fixes = true;
                    crate::migrate::settle_fixes(&file, &mut report, &fix);
                }
                report
            }
            Err(message) => FileReport {
                path: shown.clone(),
                text: None,
                notebook: None,
                findings: vec![Finding::new(
                    INPUT_ERROR,
                    Severity::Error,
                    &shown,
                    Default::default(),
                    message,
                )],
            },
        }
    }

    /// Discover and lint every file; walk problems become findings too. A `-` path is
    /// standard input, read once.
    pub fn run(&self) -> (usize, Vec<FileReport>) {
        let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
            self.paths.iter().partition(|p| p.as_os_str() == STDIN);
        let paths: Vec<PathBuf> = paths.into_iter().cloned().collect();
        let found = if paths.is_empty() {
            crate::discover::Discovery::default()
        } else {
            self.discover(&paths)
        };
        self.skipped_templates
            .store(found.templates.len(), std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut files) = self.files.lock() {
            *files = found
                .files
                .par_iter()
                .map(|f| display_path(&f.path))
                .collect();
        }
        let settings = self.settings();
        let _pins = crate::migrate::in_play::PinScope::open();
        // The pod template a call loads is fixed with the call, as `dusk fix` does it.
        // `check` writes nothing: what a stack reads beside a file is kept for the run.
        let others =
            super::fix::Others::new(&paths, settings.limits.max_file_bytes).keeping_reads();
        others.know_files(&found.files);
        let settle_file =
            |file: &crate::discover::SourceFile, report: &mut FileReport, text: &str| {
                settle(file, text, report, &settings, &self.fix_overrides, &others);
            };
        // Lint every file, and settle its fixes unless they ask who loads the file: those
        // wait for the index of loaders, built below from what this lint found.
        let mut first: Vec<First> =
            others.with_load_fix(&settings, &self.fix_overrides, |load_fix| {
                found
                    .files
                    .par_iter()
                    .map(|file| {
                        let first =
                            self.lint_first(file, &settings, &others, load_fix, &settle_file);
                        crate::source::forget_kept();
                        first
                    })
                    .collect()
            });
        if first.iter().any(|f| f.waiting.is_some()) {
            let (found_loads, sources) = load_sources(&found.files, &mut first, &found.excluded);
            others.index_loads(found_loads, &sources, &settings, &self.fix_overrides);
        }
        let mut reports: Vec<FileReport> = found
            .files
            .par_iter()
            .zip(first)
            .map(|(file, first)| {
                let mut report = first.report;
                if let Some(text) = first.waiting {
                    settle_file(file, &mut report, &text);
                    crate::source::forget_kept();
                }
                report
            })
            .filter(|r| !r.findings.is_empty())
            .collect();
        for w in found.warnings {
            let path = display_path(&w.path);
            if !self.selection.enabled(INPUT_ERROR, None, &w.path) {
                continue;
            }
            reports.push(FileReport {
                path: path.clone(),
                text: None,
                notebook: None,
                findings: vec![Finding::new(
                    INPUT_ERROR,
                    Severity::Error,
                    &path,
                    Default::default(),
                    w.message,
                )],
            });
        }
        let mut scanned = found.files.len();
        if !stdin.is_empty() {
            scanned += 1;
            let report = self.lint_stdin(&settings);
            if !report.findings.is_empty() {
                reports.push(report);
            }
        }
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        (scanned, reports)
    }

    /// One file's lint, with its fixes settled (a finding is fixable when `dusk fix`, or
    /// `--unsafe-fixes`, removes it: the fix loops run in memory, so both commands count the
    /// same findings) unless they must wait for the run's loaders; for code that may load a
    /// template, the templates it loads (`load_fix`: see [`super::fix::Others::with_load_fix`]).
    fn lint_first(
        &self,
        file: &crate::discover::SourceFile,
        settings: &Settings<'_>,
        others: &super::fix::Others,
        load_fix: &crate::migrate::FixSettings<'_>,
        settle_file: &(dyn Fn(&crate::discover::SourceFile, &mut FileReport, &str) + Sync),
    ) -> First {
        let (mut report, text) = lint_file_keeping(file, &display_path(&file.path), settings);
        let Some(text) = text else {
            return First {
                report,
                waiting: None,
                loads: None,
            };
        };
        // The loads are found before the fixes are settled, while the parse of this lint is
        // still kept; with some rules deselected, the index lints the file again with all.
        let loads = super::fix::names_a_template(text.as_bytes()).then(|| {
            if settings.selection.is_everything() {
                Loads::Found(others.loads_of_linted(file, &report, &text, settings, load_fix))
            } else {
                Loads::Relint
            }
        });
        let mut waiting = None;
        if report.findings.iter().any(|f| f.fix.is_some()) {
            if crate::migrate::loads::asks_loaders(&report, settings.rules) {
                waiting = Some(text);
            } else {
                settle_file(file, &mut report, &text);
            }
        }
        First {
            report,
            waiting,
            loads,
        }
    }

    /// Walk the paths, drop what `exclude` names, and note the explicit files no front-end
    /// reads on standard error.
    pub fn discover(&self, paths: &[PathBuf]) -> crate::discover::Discovery {
        let found = self.walk(paths);
        for path in &found.skipped {
            eprintln!(
                "note: skipped `{}`: dusk reads Python, notebooks, YAML and Dockerfiles",
                display_path(path)
            );
        }
        found
    }

    /// [`Scan::discover`] without the notes: the files `exclude` names are set apart.
    fn walk(&self, paths: &[PathBuf]) -> crate::discover::Discovery {
        let mut found = discover(paths);
        if !self.exclude.is_empty() {
            // Hashed: a pre-commit run names thousands of files, and paths compare component
            // by component.
            let explicit: foldhash::HashSet<&PathBuf> = paths.iter().collect();
            // Decided in parallel (each directory made absolute and matched once for the files
            // after it: `excluded_in`), split in order.
            let keep: Vec<bool> = found
                .files
                .par_iter()
                .map_init(
                    || None,
                    |dir, f| explicit.contains(&f.path) || !self.excluded_in(&f.path, dir),
                )
                .collect();
            let mut keep = keep.into_iter();
            let (kept, excluded) = std::mem::take(&mut found.files)
                .into_iter()
                .partition(|_| keep.next().unwrap_or(true));
            found.files = kept;
            found.excluded = excluded;
        }
        found
    }

    /// Whether a walked path, or a directory above it, matches `exclude`.
    fn excluded(&self, path: &std::path::Path) -> bool {
        self.matches_some_level(&self.exclude_relative(path, path))
    }

    /// Whether `relative` (as `exclude` matches it) or a directory above it matches.
    fn matches_some_level(&self, relative: &std::path::Path) -> bool {
        relative
            .ancestors()
            .filter(|p| !p.as_os_str().is_empty())
            .any(|p| self.exclude.is_match(p))
    }

    /// `path` as `exclude` matches it: made absolute, then relative to the configuration's
    /// directory; `as_given` when it is not below that directory.
    fn exclude_relative(&self, path: &std::path::Path, as_given: &std::path::Path) -> PathBuf {
        let absolute: PathBuf = std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        absolute
            .strip_prefix(&self.exclude_base)
            .unwrap_or(as_given)
            .to_path_buf()
    }

    /// [`Scan::excluded`], with the answer for the file's directory kept in `dir` for the
    /// files after it: the walk's files come sorted, so most follow a sibling, and making
    /// every path absolute and matching each of its levels was 1% of a check (#13).
    fn excluded_in(&self, path: &std::path::Path, dir: &mut Option<ExcludedDir>) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return self.excluded(path);
        };
        let known = dir.take().filter(|d| d.path == parent);
        let d = dir.insert(known.unwrap_or_else(|| {
            // `b.py` is in the working directory, which `""` does not name.
            let named = if parent.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                parent
            };
            let relative = self.exclude_relative(named, parent);
            let excluded = self.matches_some_level(&relative);
            ExcludedDir {
                path: parent.to_path_buf(),
                relative,
                excluded,
            }
        }));
        d.excluded || self.exclude.is_match(d.relative.join(name))
    }

    /// The exit status findings give under `fail_on`.
    pub fn status(&self, summary: &Summary) -> ExitStatus {
        let failing = match self.fail_on {
            FailOn::Warning => summary.errors + summary.warnings,
            FailOn::Error => summary.errors,
        };
        if failing > 0 {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }
}

/// A directory's part of [`Scan::excluded`]: its path as walked, as `exclude` matches it,
/// and whether it or a directory above it matches.
struct ExcludedDir {
    path: PathBuf,
    relative: PathBuf,
    excluded: bool,
}

/// What the loader index is built from: the loads this run's lint found (in the order of
/// the files), and the files to read and lint again (when the run does not select every
/// rule), then the files `exclude` left out of the run.
fn load_sources<'a>(
    files: &'a [crate::discover::SourceFile],
    first: &mut [First],
    left_out: &'a [crate::discover::SourceFile],
) -> (super::fix::Loads, Vec<super::fix::LoadSource<'a>>) {
    use super::fix::LoadSource;
    let mut found = Vec::new();
    let mut sources = Vec::new();
    for (file, f) in files.iter().zip(first) {
        match f.loads.take() {
            Some(Loads::Found(loads)) => found.extend(loads),
            Some(Loads::Relint) => sources.push(LoadSource::Unread(file)),
            None => {}
        }
    }
    sources.extend(left_out.iter().map(LoadSource::Excluded));
    (found, sources)
}

/// A file after the run's first lint.
struct First {
    report: FileReport,
    /// The text, when the fixes wait for the loader index to be settled.
    waiting: Option<String>,
    /// For code that may load a template, what the loader index takes from it.
    loads: Option<Loads>,
}

/// What the loader index takes from a file that may load a template.
enum Loads {
    /// The templates it loads (real paths), found from the run's lint (every rule selected).
    Found(super::fix::Loads),
    /// To be linted again with every rule, by the index.
    Relint,
}

/// Give each finding of `report` the fix that removes it, or none (see `fix::fixability`).
fn settle(
    file: &crate::discover::SourceFile,
    original: &str,
    report: &mut FileReport,
    settings: &Settings<'_>,
    overrides: &std::collections::BTreeMap<String, crate::source::edit::Applicability>,
    others: &super::fix::Others,
) {
    // `original` is the file as read (a notebook's JSON, not its joined cells); the loops
    // below start by linting it, as `report` did.
    let cache = crate::migrate::FixCache::knowing(original, report);
    let mut fix = crate::migrate::FixSettings::new(settings, overrides);
    // Findings whose rewriter declines say why (`not_fixable`), as `dusk fix` shows them.
    fix.unsafe_fixes = true;
    fix.created_exists = super::fix::already_created;
    let read_other = |from: &std::path::Path, written: &str| others.read(from, written);
    fix.others = Some(&read_other);
    let beside = |from: &std::path::Path| others.beside(from);
    fix.beside = Some(&beside);
    let loaded_by = |template: &std::path::Path| others.loaders(template, settings, overrides);
    fix.loaded_by = Some(&loaded_by);
    crate::migrate::settle_fixes_with(file, report, &fix, Some((original, &cache)));
    let meta = crate::migrate::FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &report.path,
    };
    let classes = super::fix::fixability(meta, original, &report.findings, &fix, &cache);
    for (f, class) in report.findings.iter_mut().zip(classes) {
        if class.is_some() {
            f.not_fixable = None;
        }
        f.fix = super::fix::with_class(f.fix.take(), class);
    }
}

/// `exclude` (flag, else configuration, else the defaults) plus every `extend-exclude`. A glob
/// without `/` matches a name at any depth, as in `.gitignore`.
fn exclude_set(args: &ScanArgs, config: &super::config::Loaded) -> Result<globset::GlobSet, Error> {
    let base: Vec<String> = if !args.exclude.is_empty() {
        args.exclude.clone()
    } else if let Some(list) = &config.config.exclude {
        list.clone()
    } else {
        DEFAULT_EXCLUDE.iter().map(|s| (*s).to_owned()).collect()
    };
    let mut builder = globset::GlobSetBuilder::new();
    for glob in base
        .iter()
        .chain(&config.config.extend_exclude)
        .chain(&args.extend_exclude)
    {
        let trimmed = glob.trim_end_matches('/');
        let pattern = if trimmed.contains('/') {
            trimmed.trim_start_matches("./").to_owned()
        } else {
            format!("**/{trimmed}")
        };
        let compiled = globset::GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|source| Error::Glob {
                glob: glob.clone(),
                source,
            })?;
        builder.add(compiled);
    }
    builder.build().map_err(|source| Error::Glob {
        glob: base.join(", "),
        source,
    })
}

/// The version each selected component is graded at, where it came from, and what the project
/// pins now.
fn graded_targets(
    rules: &RuleSet,
    targets: &Targets,
    selection: &Selection,
    config: &super::config::Loaded,
    args: &ScanArgs,
    pins: &std::collections::BTreeMap<String, crate::project::Pin>,
) -> Vec<GradedTarget> {
    let from_flag = |component: &str| {
        args.targets.iter().any(|t| {
            t.split_once('=')
                .is_some_and(|(c, _)| c.trim() == component)
        })
    };
    let mut out = Vec::new();
    for (component, info) in &rules.components {
        let selected = rules
            .rules
            .iter()
            .any(|r| &r.component == component && selection.selects(&r.id, Some(component)));
        if !selected {
            continue;
        }
        let (version, source) = match targets.explicit.get(component) {
            Some(v) if from_flag(component) => (v.to_string(), TargetSource::Flag),
            Some(v) => (v.to_string(), TargetSource::Config),
            None => match rules.default_target(component) {
                Some(v) => (v.to_string(), TargetSource::NewestKnown),
                None => ("-".to_owned(), TargetSource::RuleWindow),
            },
        };
        let current = info.distributions.iter().find_map(|d| {
            pins.get(&crate::project::normalise_name(d))
                .map(|pin| Pinned {
                    version: pin.version.to_string(),
                    file: from_cwd(&pin.file),
                })
        });
        out.push(GradedTarget {
            component: component.clone(),
            version,
            config: (source == TargetSource::Config)
                .then(|| config.path.as_deref().map(from_cwd))
                .flatten(),
            source,
            current,
        });
    }
    out
}

/// A path dusk found itself, relative to the working directory when it is under it, as the
/// paths a user gives are shown.
fn from_cwd(path: &std::path::Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|cwd| {
        path.strip_prefix(cwd)
            .ok()
            .map(std::path::Path::to_path_buf)
    });
    display_path(relative.as_deref().unwrap_or(path))
}

pub fn run(args: CheckArgs) -> Result<ExitStatus, Error> {
    if args.live.cluster || super::cluster::conn_flags_given(&args.live.conn) {
        return super::cluster::check_with_std_io(&args);
    }
    let scan = Scan::build(&args.scan, args.fail_on)?;
    let (scanned, mut reports) = scan.run();
    // On standard error, so `--format json` stays one object.
    let templates = scan
        .skipped_templates
        .load(std::sync::atomic::Ordering::Relaxed);
    if templates > 0 {
        eprintln!(
            "dusk: {templates} Helm chart template file{} skipped (Go templates are not YAML); check the rendered chart: `helm template CHART | dusk check - --stdin-filename rendered.yaml`",
            if templates == 1 { "" } else { "s" }
        );
    }
    if args.add_ignore {
        let settings = scan.settings();
        let (mut added, mut err) = (0, std::io::stderr().lock());
        for (path, outcome) in super::add_ignore::run(&reports, &settings) {
            match outcome {
                super::add_ignore::Outcome::Added(n) => added += n,
                super::add_ignore::Outcome::Skipped(why) => {
                    let _ = writeln!(err, "{path}: no suppression added: {why}");
                }
            }
        }
        let _ = writeln!(err, "dusk: added suppressions for {added} findings");
        return Ok(ExitStatus::Success);
    }
    if let Some(path) = &args.write_baseline {
        let baseline = super::baseline::of(&reports);
        super::baseline::write(path, &baseline)?;
        eprintln!(
            "dusk: recorded {} findings in `{}`; `dusk check --baseline {}` reports only new ones",
            baseline.entries.len(),
            path.display(),
            path.display()
        );
        return Ok(ExitStatus::Success);
    }
    let stale = match &args.baseline {
        Some(path) => super::baseline::apply(&super::baseline::read(path)?, &mut reports),
        None => Vec::new(),
    };
    let mut summary = Summary::of(scanned, &reports);
    summary.targets = scan.graded.clone();
    let format = format(args.format, args.output.is_none());
    summary.files = scan.files.lock().map(|f| f.clone()).unwrap_or_default();
    summary.rules = rule_infos(&scan.rules, &reports);
    if format == crate::report::Format::Sarif {
        summary.fixes = file_fixes(&scan, &reports);
    }
    let color = use_color(args.color, args.output.is_none());
    let write = |out: &mut dyn Write| {
        if args.statistics {
            return crate::report::statistics::render(&reports, &summary, out);
        }
        crate::report::render(format, &reports, &summary, color, out)?;
        if args.show_fixes {
            show_fixes(&scan, &reports, args.unsafe_fixes, color, out)?;
        }
        Ok(())
    };
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            write(&mut buf)
                .and_then(|()| std::fs::write(path, buf))
                .map_err(|source| Error::Output {
                    path: path.clone(),
                    source,
                })?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            // A closed pipe (`dusk check | head`) becomes a quiet exit 0 in `cli::run`.
            write(&mut lock)
                .and_then(|()| lock.flush())
                .map_err(|source| Error::Output {
                    path: "<stdout>".into(),
                    source,
                })?;
        }
    }
    if let Some(path) = &args.baseline {
        report_stale(path, &stale);
    }
    Ok(exit_zero(args.exit_zero, scan.status(&summary)))
}

/// Baseline entries no finding matched: fixed, or changed. They never fail the run.
fn report_stale(path: &std::path::Path, stale: &[super::baseline::Entry]) {
    let mut err = std::io::stderr().lock();
    for e in stale {
        let _ = writeln!(
            err,
            "baseline `{}`: no longer found: {}[{}] {}",
            path.display(),
            e.path,
            e.rule,
            e.message
        );
    }
    if !stale.is_empty() {
        let _ = writeln!(
            err,
            "{} stale baseline entr{}: rerun with `--write-baseline {}` to drop them",
            stale.len(),
            if stale.len() == 1 { "y" } else { "ies" },
            path.display()
        );
    }
}

/// The format asked for, else `text` for a person at a terminal and `concise` for everything
/// else: a CI log, a pipe or a file is read by grep, log viewers and editors' quickfix lists,
/// which want one whole line per finding, not a snippet spread over ten.
pub fn format(asked: Option<crate::report::Format>, to_stdout: bool) -> crate::report::Format {
    asked.unwrap_or(if to_stdout && std::io::stdout().is_terminal() {
        crate::report::Format::Text
    } else {
        crate::report::Format::Concise
    })
}

/// What reports say about the rules of `reports`' findings.
fn rule_infos(
    rules: &RuleSet,
    reports: &[FileReport],
) -> std::collections::BTreeMap<String, crate::report::RuleInfo> {
    let mut out = std::collections::BTreeMap::new();
    for f in reports.iter().flat_map(|r| &r.findings) {
        if out.contains_key(&f.rule) {
            continue;
        }
        let info = match rules.get(&f.rule) {
            Some(rule) => crate::report::RuleInfo {
                title: rule.title.clone(),
                explanation: rule.explanation.clone(),
                docs: rule.docs.clone(),
            },
            None => match crate::rules::builtin_ids::ALL
                .iter()
                .find(|(id, _)| *id == f.rule)
            {
                Some((_, what)) => crate::report::RuleInfo {
                    title: (*what).to_owned(),
                    ..Default::default()
                },
                None => continue,
            },
        };
        out.insert(f.rule.clone(), info);
    }
    out
}

/// The other files for the fixes `--show-fixes` and SARIF show, as `dusk fix` sees them: the
/// run's files, with the files `exclude` leaves out marked as such when the loaders of a
/// template are first asked for (excluded code stays classic, and so does what it loads;
/// a walk of the paths alone knew no `exclude`).
fn others_as_fix_sees_them(scan: &Scan, settings: &Settings<'_>) -> super::fix::Others {
    let others =
        super::fix::Others::new(&scan.paths, settings.limits.max_file_bytes).keeping_reads();
    let found = scan.walk(&scan.paths);
    others.know_walk(found.files, found.excluded);
    others
}

/// Whether any finding of `reports` has a fix: else there is nothing to show, and no walk.
fn any_fix(reports: &[FileReport]) -> bool {
    reports
        .iter()
        .any(|r| r.findings.iter().any(|f| f.fix.is_some()))
}

/// What each fix mode would change in the files with fixable findings (for SARIF `fixes`),
/// the files in parallel.
fn file_fixes(
    scan: &Scan,
    reports: &[FileReport],
) -> std::collections::BTreeMap<String, crate::report::FileFixes> {
    use crate::source::edit::Applicability;
    use rayon::prelude::*;
    let settings = scan.settings();
    if !any_fix(reports) {
        return Default::default();
    }
    // A call and the template it loads are one fix, as `dusk fix` makes it. One view of the
    // other files for the whole run: one per file and mode walked and linted the tree again
    // for each file whose fix asks who loads a template (#13).
    let others = others_as_fix_sees_them(scan, &settings);
    let read_other = |from: &std::path::Path, written: &str| others.read(from, written);
    let beside = |from: &std::path::Path| others.beside(from);
    let loaded_by =
        |template: &std::path::Path| others.loaders(template, &settings, &scan.fix_overrides);
    let one_file = |report: &FileReport| -> Option<crate::report::FileFixes> {
        let has = |a: Applicability| {
            report
                .findings
                .iter()
                .any(|f| f.fix.as_ref().is_some_and(|x| x.applicability == a))
        };
        if !has(Applicability::Safe) && !has(Applicability::Unsafe) {
            return None;
        }
        let original = std::fs::read_to_string(&report.path).ok()?;
        let mut fixes = crate::report::FileFixes::default();
        for (mode, unsafe_fixes) in [(Applicability::Safe, false), (Applicability::Unsafe, true)] {
            if !has(mode) {
                continue;
            }
            let mut fix = crate::migrate::FixSettings::new(&settings, &scan.fix_overrides);
            fix.unsafe_fixes = unsafe_fixes;
            fix.others = Some(&read_other);
            fix.beside = Some(&beside);
            fix.loaded_by = Some(&loaded_by);
            let outcome = refix(report, &original, &fix)?;
            let changes = crate::report::Replacement::between(&outcome.original, &outcome.fixed);
            match mode {
                Applicability::Safe => fixes.safe = changes,
                _ => fixes.unsafe_ = changes,
            }
        }
        crate::source::forget_kept();
        Some(fixes)
    };
    reports
        .par_iter()
        .filter_map(|report| Some((report.path.clone(), one_file(report)?)))
        .collect()
}

/// The fix loop over a reported file's text as read again (`None` for a kind dusk does not
/// fix), for the formats and options that show fixes.
fn refix(
    report: &FileReport,
    original: &str,
    fix: &crate::migrate::FixSettings<'_>,
) -> Option<crate::migrate::Outcome> {
    let path = std::path::Path::new(&report.path);
    let meta = crate::migrate::FileMeta {
        kind: report_kind(path)?,
        beside_chart: crate::discover::beside_dask_chart(path),
        path,
        display_path: &report.path,
    };
    Some(crate::migrate::fix_text(meta, original.to_owned(), fix))
}

/// `--show-fixes`: the diff `dusk fix --diff` would print for the files with fixable
/// findings, after the report.
fn show_fixes(
    scan: &Scan,
    reports: &[FileReport],
    unsafe_fixes: bool,
    color: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let settings = scan.settings();
    let mut fix = crate::migrate::FixSettings::new(&settings, &scan.fix_overrides);
    fix.unsafe_fixes = unsafe_fixes;
    if !any_fix(reports) {
        return Ok(());
    }
    // A call and the template it loads are one fix, shown together as `dusk fix --diff` does.
    let others = others_as_fix_sees_them(scan, &settings);
    let read_other = |from: &std::path::Path, written: &str| others.read(from, written);
    fix.others = Some(&read_other);
    let beside = |from: &std::path::Path| others.beside(from);
    fix.beside = Some(&beside);
    let loaded_by =
        |template: &std::path::Path| others.loaders(template, &settings, &scan.fix_overrides);
    fix.loaded_by = Some(&loaded_by);
    let wanted = |a: crate::source::edit::Applicability| {
        a == crate::source::edit::Applicability::Safe || unsafe_fixes
    };
    let mut outcomes = Vec::new();
    for report in reports {
        if !report
            .findings
            .iter()
            .any(|f| f.fix.as_ref().is_some_and(|x| wanted(x.applicability)))
        {
            continue;
        }
        let Ok(original) = std::fs::read_to_string(&report.path) else {
            continue;
        };
        let Some(mut outcome) = refix(report, &original, &fix) else {
            continue;
        };
        // The other file as its own fixes then leave it (`cli::fix` does the same).
        for other in &mut outcome.elsewhere {
            let meta = crate::migrate::FileMeta {
                kind: report_kind(&other.path).unwrap_or(crate::discover::SourceKind::Yaml),
                beside_chart: crate::discover::beside_dask_chart(&other.path),
                path: &other.path,
                display_path: &other.display,
            };
            other.fixed = crate::migrate::fix_text(meta, other.fixed.clone(), &fix).fixed;
        }
        outcomes.push((report.path.clone(), outcome));
    }
    // A file another file's fix changes is shown with that file, not alone.
    let real = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let shown_with: Vec<std::path::PathBuf> = outcomes
        .iter()
        .flat_map(|(_, o)| o.elsewhere.iter().filter_map(|e| real(&e.path)))
        .collect();
    let mut any = false;
    for (path, outcome) in &outcomes {
        let with_another =
            real(std::path::Path::new(path)).is_some_and(|r| shown_with.contains(&r));
        if outcome.changed() && !with_another {
            if !any {
                writeln!(
                    out,
                    "\nFixes (`dusk fix{}`):",
                    if unsafe_fixes { " --unsafe-fixes" } else { "" }
                )?;
                any = true;
            }
            out.write_all(super::fix::outcome_diff(path, outcome, color).as_bytes())?;
        }
    }
    Ok(())
}

/// The kind of a reported file, as the walk classified it (explicit files with another name
/// are read as YAML).
fn report_kind(path: &std::path::Path) -> Option<crate::discover::SourceKind> {
    Some(crate::discover::classify(path).unwrap_or(crate::discover::SourceKind::Yaml))
}

/// `--exit-zero`: findings do not fail the run; dusk failing still does.
pub fn exit_zero(asked: bool, status: ExitStatus) -> ExitStatus {
    if asked && status == ExitStatus::Failure {
        ExitStatus::Success
    } else {
        status
    }
}

/// Colour only on a terminal, never with `NO_COLOR`, unless forced.
pub fn use_color(choice: ColorChoice, to_stdout: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_stdout
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}
