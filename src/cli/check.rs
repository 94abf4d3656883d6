//! `dusk check`: discover → lint every file in parallel → report → exit status.

use super::args::{CheckArgs, ColorChoice, FailOn, ScanArgs};
use super::{Error, ExitStatus, display_path, load_config, load_rules, parse_targets};
use crate::discover::discover;
use crate::lint::{Limits, Prefilter, Selection, Settings, lint_file};
use crate::report::{FileReport, Finding, Severity, Summary};
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
}

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
                return Err(Error::UnknownRule(id.clone()));
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
        let current = crate::project::current_versions(&paths, &rules);
        let mut fix_overrides = std::collections::BTreeMap::new();
        for (id, applicability) in &config.config.fix_applicability {
            if rules.get(id).is_none() {
                return Err(Error::UnknownRule(id.clone()));
            }
            fix_overrides.insert(rules.canonical_id(id).to_owned(), *applicability);
        }
        Ok(Scan {
            current,
            rules,
            targets,
            selection,
            limits,
            show_upcoming: args.show_upcoming,
            paths,
            fail_on: fail_on.or(config.config.fail_on).unwrap_or(FailOn::Warning),
            fix_overrides,
        })
    }

    pub fn settings(&self) -> Settings<'_> {
        Settings {
            rules: &self.rules,
            targets: &self.targets,
            selection: &self.selection,
            limits: self.limits,
            show_upcoming: self.show_upcoming,
            prefilter: Prefilter::new(&self.rules.triggers),
            current: self.current.clone(),
        }
    }

    /// Discover and lint every file; walk problems become findings too.
    pub fn run(&self) -> (usize, Vec<FileReport>) {
        let found = discover(&self.paths);
        let settings = self.settings();
        let mut reports: Vec<FileReport> = found
            .files
            .par_iter()
            .map(|file| {
                let mut report = lint_file(file, &display_path(&file.path), &settings);
                // A fix is shown only where its rewriter can build one (per occurrence).
                if report.findings.iter().any(|f| f.fix.is_some()) {
                    let mut fix = crate::migrate::FixSettings::new(&settings, &self.fix_overrides);
                    fix.unsafe_fixes = true;
                    crate::migrate::settle_fixes(file, &mut report, &fix);
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
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        (found.files.len(), reports)
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

pub fn run(args: CheckArgs) -> Result<ExitStatus, Error> {
    if args.live.cluster || super::cluster::conn_flags_given(&args.live.conn) {
        return super::cluster::check_with_std_io(&args);
    }
    let scan = Scan::build(&args.scan, args.fail_on)?;
    let (scanned, reports) = scan.run();
    let summary = Summary::of(scanned, &reports);
    let color = use_color(args.color, args.output.is_none());
    let write =
        |out: &mut dyn Write| crate::report::render(args.format, &reports, &summary, color, out);
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
            // A closed pipe (`dusk check | head`) is not an error of dusk's.
            if let Err(e) = write(&mut lock).and_then(|()| lock.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(Error::Output {
                    path: "<stdout>".into(),
                    source: e,
                });
            }
        }
    }
    Ok(scan.status(&summary))
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
