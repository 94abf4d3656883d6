//! `dusk fix`: discover → fix every file in parallel (`migrate`) → write atomically (`write`)
//! or print diffs (`diff`) → one line per file → exit status.
//!
//! Output: with `--diff`, the diffs on standard output and everything else on standard error
//! (so the diff can be piped to `patch` or `git apply`); without, one `fixed` line per
//! changed file, then one line per finding left for a person, on standard output. Errors
//! writing a file (changed since read, not writable) go to standard error and make the exit
//! status 2 once every other file is done.
//!
//! Paths are resolved once, before any file is read: a file reached twice (`t` and `./t`, a
//! link next to its target) is fixed once, under its first path; a symbolic link found while
//! walking a directory is read and checked but never written through (its target is fixed
//! where it is given or walked), and no file whose real path is outside the given paths is
//! written. A link given by name is the user's choice and is followed.

use super::args::{FixArgs, FixFormat};
use super::check::{Scan, use_color};
use super::{Error, ExitStatus, display_path};
use crate::discover::SourceFile;
use crate::lint::{Decoded, lint_file};
use crate::migrate::{End, FileMeta, FixCache, FixSettings, Outcome, fix_text, fix_text_with};
use crate::report::{FileReport, Finding, FixInfo, Summary};
use crate::source::edit::Applicability;
use crate::source::edit::NewFile;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened to one file.
struct FileResult {
    path: String,
    /// `None` when the file was not read as text (unreadable, binary, not UTF-8, too large);
    /// `remaining` then holds the finding saying so.
    outcome: Option<Outcome>,
    remaining: FileReport,
    write_error: Option<crate::write::Error>,
    /// Findings the fix removed, per rule: what `dusk check` counted as fixable.
    removed: BTreeMap<String, usize>,
    /// Per finding of `remaining`: whether the fixes introduced it (it has no original).
    introduced: Vec<bool>,
    /// Files the fixes create beside this one that are not already there as they would be.
    created: Vec<Created>,
    /// Why the file is checked but not written (a link found in a walk, a real path
    /// outside the given paths); set only when a fix would have changed it.
    not_written: Option<String>,
    /// What the file was when read, for writing it once every file is fixed.
    snapshot: Option<crate::write::Snapshot>,
    /// The file's real path, to find it when another file's fix changes it too.
    real: Option<PathBuf>,
    /// Another file whose fix changes this one (the code loading this pod template): this
    /// file is shown and written with that one, not alone.
    with: Option<String>,
    /// The fixes applied, each where its finding was in the file as read (for `--format
    /// json`).
    applied: Vec<Located>,
}

/// An applied fix and where its finding was: line and column (within the cell in a
/// notebook) and the cell; `None` when not known.
struct Located {
    fix: crate::migrate::AppliedFix,
    start: Option<crate::source::LineColumn>,
    cell: Option<usize>,
}

/// Where each fix of `outcome` found its finding, in the text the fix loop started from
/// (`before`: its findings' report, which holds a notebook's joined cells; else `original`).
fn locate_fixes(outcome: &Outcome, before: Option<&FileReport>) -> Vec<Located> {
    let text = before
        .and_then(|b| b.text.as_deref())
        .unwrap_or(&outcome.original);
    let notebook = before.and_then(|b| b.notebook.as_deref());
    let index = crate::source::LineIndex::new(text);
    outcome
        .fixes
        .iter()
        .map(|fix| {
            let (start, cell) = match fix.at {
                Some(at) if at.end() <= text.len() => {
                    let (start, _, cell) = crate::report::locate(text, &index, notebook, at);
                    (Some(start), cell)
                }
                _ => (None, None),
            };
            Located {
                fix: fix.clone(),
                start,
                cell,
            }
        })
        .collect()
}

/// A file a fix creates (a DaskCluster beside the Helm values it replaces).
struct Created {
    path: String,
    text: String,
    /// Why it was not written: it exists with other contents, or the write failed.
    error: Option<crate::write::Error>,
}

/// What `fix` may do with a discovered file, decided once per run from its real path.
enum Access {
    Write,
    /// Checked, reported, never written; the reason.
    ReadOnly(String),
    /// Another path to a file already in this run: skipped, with that path.
    Same(String),
}

/// Resolve every discovered path once: see the module docs for the policy.
fn access(files: &[SourceFile], given: &[PathBuf]) -> Vec<Access> {
    let roots = Roots::new(given);
    struct Resolved {
        real: Option<PathBuf>,
        /// A link found by the walk, not named by the user.
        found_link: bool,
    }
    let mut real_paths = RealPaths::default();
    let resolved: Vec<Resolved> = files
        .iter()
        .map(|file| {
            let Real {
                path: real, link, ..
            } = real_paths.resolve(&file.path);
            Resolved {
                real,
                found_link: link && !given.iter().any(|g| same_path(g, &file.path)),
            }
        })
        .collect();
    // The first path to each real file owns it; paths that may be written come first, so a
    // link sorted before its target does not take the target's place.
    let mut owner: HashMap<&Path, usize> = HashMap::new();
    for pass_links in [false, true] {
        for (i, r) in resolved.iter().enumerate() {
            if r.found_link == pass_links
                && let Some(real) = &r.real
            {
                owner.entry(real).or_insert(i);
            }
        }
    }
    resolved
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // Unreadable: `fix_file` reports it; nothing will be written.
            let Some(real) = &r.real else {
                return Access::Write;
            };
            let first = owner[real.as_path()];
            if first != i {
                return Access::Same(display_path(&files[first].path));
            }
            if r.found_link {
                Access::ReadOnly(format!(
                    "it is a symbolic link to `{}`; dusk fix does not write through links \
                     it finds (give the target's path to fix it)",
                    real.display()
                ))
            } else if !roots.hold(real) {
                Access::ReadOnly(format!(
                    "its real path `{}` is outside the paths given",
                    real.display()
                ))
            } else {
                Access::Write
            }
        })
        .collect()
}

/// The real paths of the paths given, and which of them are directories: looked up by
/// each path's ancestors, so a run given thousands of files (a pre-commit run) does not
/// compare every file with every other.
#[derive(Default)]
struct Roots {
    paths: foldhash::HashSet<PathBuf>,
    dirs: foldhash::HashSet<PathBuf>,
}

impl Roots {
    fn new(given: &[PathBuf]) -> Self {
        use rayon::prelude::*;
        // The directories holding the paths given, each resolved once for every thread: a
        // cache per thread's share of the work resolved the same few hundred directories
        // of a pre-commit run again in each share.
        let dirs: foldhash::HashSet<&Path> = given.iter().map(|p| dir_of(p)).collect();
        let real_dirs: HashMap<&Path, Option<PathBuf>> = dirs
            .into_par_iter()
            .map(|dir| (dir, std::fs::canonicalize(dir).ok()))
            .collect();
        let resolved: Vec<(PathBuf, bool)> = given
            .par_iter()
            .filter_map(|p| {
                let real = real_path_by_dir(p, |dir| match real_dirs.get(dir) {
                    Some(real) => real.clone(),
                    None => std::fs::canonicalize(dir).ok(),
                });
                Some((real.path?, real.dir))
            })
            .collect();
        let mut roots = Roots::default();
        for (real, is_dir) in resolved {
            if is_dir {
                roots.dirs.insert(real.clone());
            }
            roots.paths.insert(real);
        }
        roots
    }

    /// Whether `real` (a real path) is a path given.
    fn contains(&self, real: &Path) -> bool {
        self.paths.contains(real)
    }

    /// Whether `real` (a real path) is inside a path given, or is one.
    fn hold(&self, real: &Path) -> bool {
        real.ancestors().any(|a| self.paths.contains(a))
    }

    /// The deepest directory given that holds `real` (a real path).
    fn dir_holding(&self, real: &Path) -> Option<&PathBuf> {
        real.ancestors().find_map(|a| self.dirs.get(a))
    }
}

/// What [`real_path_by_dir`] finds of a path.
#[derive(Debug, Default, PartialEq, Eq)]
struct Real {
    /// `std::fs::canonicalize(path)`; `None` when there is nothing there.
    path: Option<PathBuf>,
    /// The path itself is a symbolic link.
    link: bool,
    /// The path names a directory (a link, by its target).
    dir: bool,
}

/// `std::fs::canonicalize(path)`, whether `path` itself is a symbolic link and whether it
/// names a directory, with a directory's real path asked of `real_dir` (which may keep it).
/// A `realpath` reads every component of the path, and a run asks about thousands of files
/// in a few hundred directories: a file that is not a link is its directory's real path and
/// its name (one `lstat`, which also says it is no directory).
fn real_path_by_dir(path: &Path, real_dir: impl FnOnce(&Path) -> Option<PathBuf>) -> Real {
    let name = path.file_name().filter(|_| {
        matches!(
            path.components().next_back(),
            Some(std::path::Component::Normal(_))
        )
    });
    let Some(name) = name else {
        // `.` or `..` last: a directory, never the link itself.
        let path = real_dir(path);
        let dir = path.is_some();
        return Real {
            path,
            link: false,
            dir,
        };
    };
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Real::default();
    };
    let link = meta.file_type().is_symlink();
    if link || meta.is_dir() {
        let path = std::fs::canonicalize(path).ok();
        // A link's target is asked about (rare); anything else's `lstat` said.
        let dir = !link || path.as_ref().is_some_and(|p| p.is_dir());
        return Real { path, link, dir };
    }
    Real {
        path: real_dir(dir_of(path)).map(|d| d.join(name)),
        link: false,
        dir: false,
    }
}

/// The directory a file path names its file in (`.` for a bare name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// [`real_path_by_dir`] for many paths on one thread, each directory resolved once.
#[derive(Default)]
struct RealPaths(HashMap<PathBuf, Option<PathBuf>>);

impl RealPaths {
    /// `path`'s real path, whether `path` itself is a symbolic link and whether it names a
    /// directory.
    fn resolve(&mut self, path: &Path) -> Real {
        real_path_by_dir(path, |dir| {
            self.0
                .entry(dir.to_path_buf())
                .or_insert_with(|| std::fs::canonicalize(dir).ok())
                .clone()
        })
    }
}

/// `a` and `b` name the same path, `.` components aside (`t` and `./t`).
fn same_path(a: &Path, b: &Path) -> bool {
    let clean = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    clean(a) == clean(b)
}

pub fn run(args: FixArgs) -> Result<ExitStatus, Error> {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color = use_color(args.color, args.output.is_none());
    run_with(args, color, &mut stdout.lock(), &mut stderr.lock())
}

/// `dusk fix` writing its report to `out` (or to `--output`) and `err`; `color` colours
/// diffs.
pub fn run_with(
    args: FixArgs,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let Some(path) = args.output.clone() else {
        return run_to(args, color, out, err);
    };
    let mut buf = Vec::new();
    let status = run_to(args, color, &mut buf, err)?;
    std::fs::write(&path, buf).map_err(|source| Error::Output { path, source })?;
    Ok(status)
}

fn run_to(
    args: FixArgs,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let scan = Scan::build(&args.scan, None)?;
    let lint = scan.settings();
    let mut settings = FixSettings::new(&lint, &scan.fix_overrides);
    settings.unsafe_fixes = args.unsafe_fixes;
    settings.created_exists = already_created;
    if scan
        .paths
        .iter()
        .any(|p| p.as_os_str() == super::check::STDIN)
    {
        return fix_stdin(&scan, &settings, &args, out, err);
    }
    let others = Others::new(&scan.paths, lint.limits.max_file_bytes);
    let read_other = |from: &Path, written: &str| others.read(from, written);
    settings.others = Some(&read_other);
    let beside = |from: &Path| others.beside(from);
    settings.beside = Some(&beside);
    let loaded_by = |template: &Path| others.loaders(template, &lint, &scan.fix_overrides);
    settings.loaded_by = Some(&loaded_by);
    let found = scan.discover(&scan.paths);
    others.know_files(&found.files);
    let _pins = crate::migrate::in_play::PinScope::open();
    // The loaders are found before any fix asks, in parallel: asked first inside a fix, the
    // index would be built by one thread while the others wait.
    let sources: Vec<LoadSource<'_>> = found
        .files
        .iter()
        .map(LoadSource::Unread)
        .chain(found.excluded.iter().map(LoadSource::Excluded))
        .collect();
    others.index_loads(Vec::new(), &sources, &lint, &scan.fix_overrides);
    let access = access(&found.files, &scan.paths);
    let mut results: Vec<FileResult> = found
        .files
        .par_iter()
        .zip(access.par_iter())
        .filter_map(|(file, access)| {
            let result = match access {
                Access::Write => Some(fix_file(file, &settings, &others, args.diff, None)),
                Access::ReadOnly(why) => {
                    Some(fix_file(file, &settings, &others, true, Some(why.clone())))
                }
                Access::Same(_) => None,
            };
            crate::source::forget_kept();
            result
        })
        .collect();
    results.sort_by(|a, b| a.path.cmp(&b.path));
    together(&mut results, &found.files, &settings, args.diff);
    if !args.diff {
        write_all(&mut results);
    }
    let printed = match args.format {
        FixFormat::Text => print(&results, &args, color, out, err),
        FixFormat::Json => print_json(&results, &args, found.files.len(), out),
    };
    for w in &found.warnings {
        let _ = writeln!(err, "warning: {}: {}", display_path(&w.path), w.message);
    }
    for (file, access) in found.files.iter().zip(&access) {
        if let Access::Same(earlier) = access {
            let _ = writeln!(
                err,
                "note: {}: the same file as `{earlier}`; fixed once, under that path",
                display_path(&file.path)
            );
        }
    }
    printed.map_err(|source| Error::Output {
        path: "<stdout>".into(),
        source,
    })?;
    Ok(super::check::exit_zero(
        args.exit_zero,
        status(&scan, &results, found.files.len(), args.diff),
    ))
}

/// Reads the other files of a run for fixes that change two files together (see
/// [`crate::migrate::ReadOther`]): a path as code writes it is looked for beside the file
/// being fixed, in each directory above it up to the path given that holds it, then in the
/// working directory (where a relative path in a script is usually resolved). The file must
/// be a regular file whose real path is inside the paths given.
pub(crate) struct Others {
    roots: Roots,
    given: Vec<PathBuf>,
    max: u64,
    /// The YAML files under each directory given (real paths), walked once: a stack's
    /// files may sit in directories beside the scheduler's (`deploy/dask/workers/`).
    trees: std::sync::Mutex<BTreeMap<PathBuf, std::sync::Arc<Tree>>>,
    /// [`Others::beside`]'s list per directory of the files asking.
    listed: std::sync::Mutex<BTreeMap<PathBuf, std::sync::Arc<Vec<crate::migrate::Nearby>>>>,
    /// The YAML files of the run, when known ([`Others::know_files`]).
    run_yaml: std::sync::OnceLock<Vec<PathBuf>>,
    /// The pod template files code of the run loads, by real path: found the first time a
    /// fix asks ([`Others::loaders`]).
    loads: std::sync::OnceLock<BTreeMap<PathBuf, Vec<crate::migrate::loads::Loader>>>,
    /// The run's files and those `exclude` left out, when known ([`Others::know_walk`]): what
    /// [`Others::loaders`] reads when no index was made.
    walked: std::sync::OnceLock<(Vec<SourceFile>, Vec<SourceFile>)>,
    /// The lints the index made of the run's files, when the run selects every rule: each
    /// file's own fix takes its lint from here instead of linting the same text again.
    linted: std::sync::Mutex<foldhash::HashMap<PathBuf, (String, FileReport)>>,
    /// Real paths of the directories asked about, as written ([`Others::real_path`]).
    real_dirs: std::sync::Mutex<foldhash::HashMap<PathBuf, Option<PathBuf>>>,
    /// The files [`Others::read`] found, by the asking file's directory and the path as
    /// written, for a run that writes nothing ([`Others::keeping_reads`]): a stack's
    /// scheduler reads every file beside it, in each fix pass of each mode. (A refusal
    /// names the file asking, so it is not kept.)
    reads: Option<std::sync::Mutex<KeptReads>>,
}

/// The files [`Others::read`] found, up to [`KeptReads::MAX_BYTES`] of text.
#[derive(Default)]
struct KeptReads {
    found: foldhash::HashMap<(PathBuf, String), crate::migrate::OtherText>,
    bytes: usize,
}

impl KeptReads {
    /// Past this, files are read again when asked: a run's memory stays bounded.
    const MAX_BYTES: usize = 32 << 20;
}

/// A file the loader index reads and lints itself ([`Others::index_loads`]).
pub(crate) enum LoadSource<'a> {
    /// A file of the run, to be read, and linted when it can name a template file.
    Unread(&'a SourceFile),
    /// The same, for a file `exclude` leaves out of the run: its code is never fixed, so
    /// what it loads stays classic.
    Excluded(&'a SourceFile),
}

/// The templates code loads (real paths), each with its loader, in the order of the files.
pub(crate) type Loads = Vec<(PathBuf, crate::migrate::loads::Loader)>;

/// Whether a file's text holds one of the words code names a template file with: only such
/// files can load one, so only they are linted for the index.
pub(crate) fn names_a_template(text: &[u8]) -> bool {
    static NAMING: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    NAMING
        .get_or_init(|| {
            aho_corasick::AhoCorasick::new(["KubeCluster", "template-path", "template_path"]).ok()
        })
        .as_ref()
        .is_none_or(|ac| ac.is_match(text))
}

/// Add loads to the index of templates and their loaders, in order.
fn add_loads(index: &mut BTreeMap<PathBuf, Vec<crate::migrate::loads::Loader>>, loads: Loads) {
    for (real, loader) in loads {
        index.entry(real).or_default().push(loader);
    }
}

impl Others {
    pub(crate) fn new(given: &[PathBuf], max: u64) -> Self {
        Self {
            roots: Roots::new(given),
            given: given.to_vec(),
            max,
            trees: Default::default(),
            listed: Default::default(),
            run_yaml: std::sync::OnceLock::new(),
            loads: std::sync::OnceLock::new(),
            walked: std::sync::OnceLock::new(),
            linted: Default::default(),
            real_dirs: Default::default(),
            reads: None,
        }
    }

    /// The same, keeping what [`Others::read`] read, for a run that writes no file
    /// (`dusk check`): the files are then what they were when first read.
    pub(crate) fn keeping_reads(mut self) -> Self {
        self.reads = Some(Default::default());
        self
    }

    /// `std::fs::canonicalize`, with each directory resolved once per run
    /// ([`real_path_by_dir`]).
    pub(crate) fn real_path(&self, path: &Path) -> Option<PathBuf> {
        real_path_by_dir(path, |dir| self.real_dir(dir)).path
    }

    /// The real path of a directory, resolved once per run.
    fn real_dir(&self, dir: &Path) -> Option<PathBuf> {
        let known = self
            .real_dirs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(dir)
            .cloned();
        if let Some(real) = known {
            return real;
        }
        let real = std::fs::canonicalize(dir).ok();
        self.real_dirs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir.to_path_buf(), real.clone());
        real
    }

    /// The files of the run: a stack's parts are looked for among its YAML files only (not
    /// walked again), so what `exclude` leaves out is neither read nor changed with a stack.
    pub(crate) fn know_files(&self, files: &[SourceFile]) {
        let yaml = files
            .iter()
            .filter(|f| f.kind == crate::discover::SourceKind::Yaml)
            .map(|f| f.path.clone())
            .collect();
        let _ = self.run_yaml.set(yaml);
    }

    /// The run's walk (`files`, and the files `exclude` left out): its files known as
    /// [`Others::know_files`] knows them, and kept for [`Others::loaders`] to find the
    /// loaders in when it is first asked (excluded code stays classic, and so does what it
    /// loads).
    pub(crate) fn know_walk(&self, files: Vec<SourceFile>, excluded: Vec<SourceFile>) {
        self.know_files(&files);
        let _ = self.walked.set((files, excluded));
    }

    /// The code of the run (the files under the paths given) that loads `template` as a
    /// classic pod template, with what each loader's own fix makes of it (see
    /// [`crate::migrate::loads`]). Found once per run, for every template at once.
    pub(crate) fn loaders(
        &self,
        template: &Path,
        lint: &crate::lint::Settings<'_>,
        overrides: &BTreeMap<String, crate::source::edit::Applicability>,
    ) -> Vec<crate::migrate::loads::Loader> {
        let Some(real) = self.real_path(template) else {
            return Vec::new();
        };
        self.loads
            .get_or_init(|| {
                // No index was built for this run: the run's files when known, else every
                // file under the paths given.
                let unknown;
                let (files, excluded) = match self.walked.get() {
                    Some((files, excluded)) => (files, excluded.as_slice()),
                    None => {
                        unknown = crate::discover::discover(&self.given).files;
                        (&unknown, &[][..])
                    }
                };
                let sources: Vec<LoadSource<'_>> = files
                    .iter()
                    .map(LoadSource::Unread)
                    .chain(excluded.iter().map(LoadSource::Excluded))
                    .collect();
                let mut index = BTreeMap::new();
                add_loads(&mut index, self.find_loads(&sources, lint, overrides));
                index
            })
            .get(&real)
            .cloned()
            .unwrap_or_default()
    }

    /// Find the run's loaders now: `found` (what the run's own lint already found, see
    /// [`Others::loads_of_linted`]), then those of `sources`, read and linted in parallel.
    /// [`Others::loaders`] then answers from this index instead of walking and linting the
    /// tree again.
    pub(crate) fn index_loads(
        &self,
        found: Loads,
        sources: &[LoadSource<'_>],
        lint: &crate::lint::Settings<'_>,
        overrides: &BTreeMap<String, crate::source::edit::Applicability>,
    ) {
        let mut index = BTreeMap::new();
        add_loads(&mut index, found);
        if !sources.is_empty() {
            add_loads(&mut index, self.find_loads(sources, lint, overrides));
        }
        let _ = self.loads.set(index);
    }

    /// Run `with` on the fix settings a loader's fix is found with: every rule, as
    /// `--unsafe-fixes` would make it (the template's fix is unsafe too), with the run's
    /// other files.
    pub(crate) fn with_load_fix<T>(
        &self,
        wide: &crate::lint::Settings<'_>,
        overrides: &BTreeMap<String, crate::source::edit::Applicability>,
        with: impl FnOnce(&FixSettings<'_>) -> T,
    ) -> T {
        let mut fix = FixSettings::new(wide, overrides);
        fix.unsafe_fixes = true;
        let read = |from: &Path, written: &str| self.read(from, written);
        fix.others = Some(&read);
        let beside = |from: &Path| self.beside(from);
        fix.beside = Some(&beside);
        with(&fix)
    }

    fn find_loads(
        &self,
        sources: &[LoadSource<'_>],
        lint: &crate::lint::Settings<'_>,
        overrides: &BTreeMap<String, crate::source::edit::Applicability>,
    ) -> Loads {
        // Every loader is found, whatever the run selects: a deselected call stays classic,
        // and so must the template it loads.
        let everything = crate::lint::Selection::default();
        let wide = crate::lint::Settings {
            rules: lint.rules,
            targets: lint.targets,
            selection: &everything,
            limits: lint.limits,
            show_upcoming: lint.show_upcoming,
            prefilter: crate::lint::Prefilter::from_rules(lint.rules),
            current: lint.current.clone(),
        };
        self.with_load_fix(&wide, overrides, |fix| {
            let found: Vec<Loads> = sources
                .par_iter()
                .map(|source| {
                    let found = self.loads_of(source, lint, &wide, fix);
                    crate::source::forget_kept();
                    found
                })
                .collect();
            found.into_iter().flatten().collect()
        })
    }

    /// The templates one file of `sources` loads: read, and linted with every rule when it
    /// can name a template file.
    fn loads_of(
        &self,
        source: &LoadSource<'_>,
        lint: &crate::lint::Settings<'_>,
        wide: &crate::lint::Settings<'_>,
        fix: &FixSettings<'_>,
    ) -> Loads {
        let (LoadSource::Unread(file) | LoadSource::Excluded(file)) = *source;
        let shown = display_path(&file.path);
        let Ok(bytes) = crate::discover::read_regular(&file.path, self.max) else {
            return Vec::new();
        };
        if !names_a_template(&bytes) {
            return Vec::new();
        }
        // The bytes read for the scan are the ones linted: the file is read once.
        let (report, Some(text)) = crate::lint::lint_bytes_keeping(file, bytes, &shown, wide)
        else {
            return Vec::new();
        };
        let excluded = matches!(source, LoadSource::Excluded(_));
        let loads = self.loads_in(file, &report, &text, excluded, lint, fix);
        if !excluded && lint.selection.is_everything() {
            self.lock_linted().insert(file.path.clone(), (text, report));
        }
        loads
    }

    fn lock_linted(
        &self,
    ) -> std::sync::MutexGuard<'_, foldhash::HashMap<PathBuf, (String, FileReport)>> {
        self.linted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fix cache that knows the index's lint of `path` when that lint was of `text` (the
    /// file as its fix read it) with the run's rules; the lint is handed over, not kept.
    pub(crate) fn cache_for(&self, path: &Path, text: &str) -> FixCache {
        match self.lock_linted().remove(path) {
            Some((linted, report)) if linted == text => FixCache::knowing(text, &report),
            _ => FixCache::default(),
        }
    }

    /// The templates a file of the run loads, from the run's own lint of it (`report`, with
    /// every rule selected, of `text`): found while its parse is still at hand, so the
    /// index costs no second parse (#13).
    pub(crate) fn loads_of_linted(
        &self,
        file: &SourceFile,
        report: &FileReport,
        text: &str,
        lint: &crate::lint::Settings<'_>,
        fix: &FixSettings<'_>,
    ) -> Loads {
        self.loads_in(file, report, text, false, lint, fix)
    }

    /// The templates the code of `file`, linted as `report`, loads (real paths), each with
    /// its loader and whether its fix migrates the template.
    fn loads_in(
        &self,
        file: &SourceFile,
        report: &FileReport,
        text: &str,
        excluded: bool,
        lint: &crate::lint::Settings<'_>,
        fix: &FixSettings<'_>,
    ) -> Loads {
        use crate::migrate::loads::{Loader, Role, Verdict};
        let shown = &report.path;
        let meta = FileMeta {
            kind: file.kind,
            beside_chart: file.beside_chart,
            path: &file.path,
            display_path: shown,
        };
        let mut out = Vec::new();
        for load in crate::migrate::loads::of_file(meta, text, report, fix) {
            let Ok(target) = self.read(&file.path, &load.load.written) else {
                continue;
            };
            let Some(real) = self.real_path(&target.path) else {
                continue;
            };
            let component = lint.rules.get(&load.rule).map(|r| r.component.as_str());
            let verdict = match load.fix {
                _ if excluded => Verdict::Declined(format!(
                    "`{shown}` is excluded from this run, so its code stays classic"
                )),
                _ if !lint.selection.enabled(&load.rule, component, &file.path) => {
                    Verdict::Declined(format!(
                        "its finding `{}` is not selected in this run, so that code stays \
                         classic: select it too",
                        load.rule
                    ))
                }
                Ok(_) if load.load.role == Role::Scheduler => Verdict::Carried,
                Err(why) => Verdict::Declined(why.reason),
                Ok(elsewhere) => match elsewhere
                    .into_iter()
                    .find(|o| self.real_path(&o.path).as_ref() == Some(&real))
                {
                    Some(o) => Verdict::Migrates {
                        original: o.original,
                        fixed: o.fixed,
                    },
                    None => {
                        Verdict::Declined("its fix does not migrate this file with it".to_owned())
                    }
                },
            };
            out.push((
                real,
                Loader {
                    at: load.at,
                    form: load.load.form,
                    role: load.load.role,
                    verdict,
                },
            ));
        }
        out
    }

    /// The names of the YAML files in the directory of `from` (`from`'s own among them),
    /// sorted; then the other YAML files under the directory given that holds `from` (as the
    /// walk finds them: `.gitignore` and the default excludes honoured), as paths relative
    /// to `from`'s directory (`../workers/deployment.yaml`), sorted: paths [`Others::read`]
    /// finds beside `from` and says which are outside the paths given. Listed once per
    /// directory: every scheduler of a directory asks, and the tree's part is the whole tree.
    pub(crate) fn beside(&self, from: &Path) -> std::sync::Arc<Vec<crate::migrate::Nearby>> {
        let dir = from
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Some(listed) = self.lock_listed().get(dir) {
            return listed.clone();
        }
        // Listed outside the lock: other threads go on with their own directories.
        let listed = std::sync::Arc::new(self.listed_beside(dir));
        self.lock_listed()
            .entry(dir.to_path_buf())
            .or_insert(listed)
            .clone()
    }

    fn lock_listed(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, std::sync::Arc<Vec<crate::migrate::Nearby>>>>
    {
        self.listed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// [`Others::beside`] for every file of `dir`.
    fn listed_beside(&self, dir: &Path) -> Vec<crate::migrate::Nearby> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml") && p.is_file())
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect();
        out.sort();
        let Some(here) = self.real_dir(dir) else {
            return out.into_iter().map(crate::migrate::Nearby::new).collect();
        };
        // The tree's paths are real already: made relative without asking the file system
        // again (two `realpath`s per file per call made a 20,000-file run spend its time in
        // the kernel).
        let tree = self.tree_of(dir);
        // Only the levels the stack search can reach are listed (and kustomizations at any
        // level): a tree of thousands of files is not made relative for every directory.
        let listed = reach(&tree.files, &here, out.len()).listed();
        let is_listed = |i: &usize| listed.iter().any(|r| r.contains(i));
        let mut further: Vec<crate::migrate::Nearby> = listed
            .iter()
            .flat_map(Clone::clone)
            .chain(
                tree.kustomizations
                    .iter()
                    .copied()
                    .filter(|i| !is_listed(i)),
            )
            .map(|i| &tree.files[i])
            .filter(|p| !directly_in(p, &here))
            .filter_map(|p| nearby(p, &here))
            .collect();
        further.sort_by(|a, b| a.written.cmp(&b.written));
        let mut listed: Vec<crate::migrate::Nearby> =
            out.into_iter().map(crate::migrate::Nearby::new).collect();
        listed.extend(further);
        listed
    }

    /// The YAML files (real paths) under the directory given that holds `dir`; none when
    /// `dir` is inside no directory given.
    fn tree_of(&self, dir: &Path) -> std::sync::Arc<Tree> {
        let Some(real) = self.real_dir(dir) else {
            return Default::default();
        };
        let Some(root) = self.roots.dir_holding(&real) else {
            return Default::default();
        };
        let mut trees = self.trees.lock().unwrap_or_else(|e| e.into_inner());
        trees
            .entry(root.clone())
            .or_insert_with(|| {
                let walked;
                let files = match self.run_yaml.get() {
                    Some(files) => files,
                    None => {
                        walked = crate::discover::discover(std::slice::from_ref(root))
                            .files
                            .into_iter()
                            .filter(|f| f.kind == crate::discover::SourceKind::Yaml)
                            .map(|f| f.path)
                            .collect();
                        &walked
                    }
                };
                std::sync::Arc::new(Tree::new(
                    files
                        .iter()
                        .filter_map(|f| self.real_path(f))
                        .filter(|f| f.starts_with(root))
                        .collect(),
                ))
            })
            .clone()
    }

    pub(crate) fn read(
        &self,
        from: &Path,
        written: &str,
    ) -> Result<crate::migrate::OtherText, String> {
        let Some(reads) = &self.reads else {
            return self.read_now(from, written);
        };
        let dir = from.parent().unwrap_or(Path::new("")).to_path_buf();
        let key = (dir, written.to_owned());
        let lock = || reads.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = lock().found.get(&key) {
            return Ok(known.clone());
        }
        let other = self.read_now(from, written)?;
        let mut kept = lock();
        if kept.bytes + other.text.len() <= KeptReads::MAX_BYTES {
            kept.bytes += other.text.len();
            kept.found.insert(key, other.clone());
        }
        Ok(other)
    }

    /// [`Others::read`], from the file system.
    fn read_now(&self, from: &Path, written: &str) -> Result<crate::migrate::OtherText, String> {
        let written_path = Path::new(written);
        let mut places: Vec<PathBuf> = Vec::new();
        if written_path.is_absolute() {
            places.push(written_path.to_path_buf());
        } else {
            let dir = from
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            for d in dir.ancestors().filter(|d| !d.as_os_str().is_empty()) {
                places.push(d.join(written_path));
                let real = self.real_dir(d);
                if real.is_some_and(|r| self.roots.contains(&r)) {
                    break;
                }
            }
            places.push(written_path.to_path_buf());
        }
        let Some(found) = places.into_iter().find(|p| p.is_file()) else {
            return Err(format!(
                "it is not found beside `{}`, in the directories above it or in the working \
                 directory",
                display_path(from)
            ));
        };
        if std::fs::symlink_metadata(&found).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(format!(
                "`{}` is a symbolic link, and dusk fix does not write through links it finds",
                display_path(&found)
            ));
        }
        let real = self
            .real_path(&found)
            .map_or_else(|| std::fs::canonicalize(&found), Ok)
            .map_err(|e| format!("it cannot be read: {e}"))?;
        if !self.roots.hold(&real) {
            return Err(format!(
                "`{}` is outside the paths given",
                display_path(&found)
            ));
        }
        // The real path is known: read it directly, and ask `write::read` (which resolves the
        // path again and fingerprints the bytes) only to word an error as it does.
        let bytes = match crate::discover::read_regular(&real, self.max) {
            Ok(bytes) => bytes,
            Err(_) => crate::write::read(&found, self.max)
                .map(|(_, bytes)| bytes)
                .map_err(|e| format!("it cannot be read: {e}"))?,
        };
        let text = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())?;
        // `../workers/deployment.yaml` from `scheduler/`: shown as `workers/deployment.yaml`.
        let found = match lexical(&found) {
            Some(plain) if self.real_path(&plain).is_some_and(|p| p == real) => plain,
            _ => found,
        };
        Ok(crate::migrate::OtherText {
            display: display_path(&found),
            path: found,
            text,
        })
    }
}

/// The files of `tree` (real paths, sorted) under a directory: a sorted slice holds them
/// in one run, as a path sorts right after its directory's and before any other's.
fn under(tree: &[PathBuf], dir: &Path) -> std::ops::Range<usize> {
    let start = tree.partition_point(|p| p.as_path() < dir);
    let end = start + tree[start..].partition_point(|p| p.starts_with(dir));
    start..end
}

/// The files of `tree` the stack search of a file in `here` (with `in_dir` YAML files) can
/// reach: it widens the scope one directory level up at a time (see
/// [`crate::migrate::Nearby::level`]), and only while the files up to the next level, less
/// the asking file, are at most `stack_scope::MAX_FILES`; so the first level past that is
/// the last it counts, and the files under that level's directory are all it can see
/// (kustomizations aside). Found by binary search: every directory of a stack asks.
fn reach(tree: &[PathBuf], here: &Path, in_dir: usize) -> Reach {
    let own = under(tree, here);
    // Files directly in `here` are listed from the directory itself.
    let direct = tree[own.clone()]
        .iter()
        .filter(|p| directly_in(p, here))
        .count();
    if here.parent().is_none() {
        return Reach {
            all: own.clone(),
            inner: own,
        };
    }
    let mut reached = own;
    let mut inner = reached.clone();
    for (level, dir) in here.ancestors().enumerate() {
        // Level 1 is the tree of the parent and the subdirectories of `here`.
        if level == 0 {
            continue;
        }
        inner = std::mem::replace(&mut reached, under(tree, dir));
        let up_to = in_dir + reached.len() - direct;
        if up_to.saturating_sub(1) > crate::migrate::rewriters::stack_scope::MAX_FILES {
            break;
        }
    }
    Reach {
        all: reached,
        inner,
    }
}

/// What [`reach`] finds, as ranges of the tree's sorted files.
struct Reach {
    /// The files under the widest directory the stack search reaches.
    all: std::ops::Range<usize>,
    /// Those under the directory of the level before (`here`'s own for level 1): the files of
    /// `all` outside it are of its last level, which the search counts but never reads.
    inner: std::ops::Range<usize>,
}

impl Reach {
    /// The files worth listing: `inner`'s, and of the last level's only as many as show
    /// that it is over `stack_scope::MAX_FILES` (the search reads no file of a level it
    /// cannot widen to, and that level is often the whole tree: thousands of files made
    /// relative for every directory that asks, #13). Both ranges of `all` beside `inner`.
    fn listed(&self) -> [std::ops::Range<usize>; 3] {
        let enough = crate::migrate::rewriters::stack_scope::MAX_FILES + 1;
        let before = self.all.start..self.inner.start.min(self.all.start + enough);
        let left = enough - before.len();
        let after = self.inner.end..self.all.end.min(self.inner.end + left);
        [before, self.inner.clone(), after]
    }
}

/// The YAML files under a directory given (real paths, sorted), and which of them are
/// named as kustomizations.
#[derive(Default)]
struct Tree {
    files: Vec<PathBuf>,
    kustomizations: Vec<usize>,
}

impl Tree {
    fn new(mut files: Vec<PathBuf>) -> Tree {
        // Sorted, for [`under`]'s binary search.
        files.sort();
        let kustomizations = files
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(crate::migrate::rewriters::stack_scope::is_kustomization_name)
            })
            .map(|(i, _)| i)
            .collect();
        Tree {
            files,
            kustomizations,
        }
    }
}

/// `path` as [`crate::migrate::Nearby`] lists it from the directory `dir`: its relative
/// path and level. Both are real paths (no `.`, `..` or doubled separator), so their
/// components are the text between separators, compared without parsing either path into
/// components: every directory holding a scheduler lists the hundreds of paths its stack
/// search can reach (#13).
fn nearby(path: &Path, dir: &Path) -> Option<crate::migrate::Nearby> {
    let path = path.as_os_str().as_encoded_bytes();
    let dir = trim_separators(dir.as_os_str().as_encoded_bytes());
    let common = parts(dir)
        .zip(parts(path))
        .take_while(|(a, b)| a == b)
        .count();
    let ups = parts(dir).count() - common;
    // The bytes after the first `common` parts and their separators.
    let skipped: usize = parts(path).take(common).map(|p| p.len() + 1).sum();
    let rest = path.get(skipped..).unwrap_or_default();
    let mut written = String::with_capacity(3 * ups + rest.len());
    for _ in 0..ups {
        written.push_str("../");
    }
    let mut rest_parts = 0;
    for (i, part) in parts(rest).filter(|p| !p.is_empty()).enumerate() {
        if i > 0 {
            written.push('/');
        }
        written.push_str(std::str::from_utf8(part).ok()?);
        rest_parts += 1;
    }
    if rest_parts == 0 {
        written.pop();
    }
    let level = if ups == 0 && rest_parts > 1 { 1 } else { ups };
    let kustomization = crate::migrate::rewriters::stack_scope::is_kustomization_name(&written);
    Some(crate::migrate::Nearby {
        written,
        level,
        kustomization,
    })
}

/// A path's bytes split at its separators (`/`, and `\` where that is one too).
fn parts(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|b| b.is_ascii() && std::path::is_separator(char::from(*b)))
}

/// A directory's bytes without the separators that end it (the root's `/` becomes empty,
/// as its files' paths begin with an empty part).
fn trim_separators(dir: &[u8]) -> &[u8] {
    let end = dir
        .iter()
        .rposition(|b| !(b.is_ascii() && std::path::is_separator(char::from(*b))))
        .map_or(0, |i| i + 1);
    &dir[..end]
}

/// Whether real path `path` is a file directly in real directory `dir`.
fn directly_in(path: &Path, dir: &Path) -> bool {
    let path = path.as_os_str().as_encoded_bytes();
    let dir = trim_separators(dir.as_os_str().as_encoded_bytes());
    let Some(rest) = path.strip_prefix(dir) else {
        return false;
    };
    let mut rest = parts(rest);
    rest.next() == Some(&[][..])
        && rest.next().is_some_and(|p| !p.is_empty())
        && rest.next().is_none()
}

/// `path` with its `..` components taken out against the ones before them (`a/b/../c` →
/// `a/c`), or `None` when a `..` would climb above its start.
fn lexical(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    if !path.components().any(|c| c == Component::ParentDir) {
        return None;
    }
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => return None,
            },
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    Some(out.iter().collect())
}

/// Files a fix of another file changes too: each becomes what that fix leaves (its own
/// fixes give way: the DaskCluster is named from the code that loads it), and is shown and
/// written with that file. Two files changing one file differently are neither written.
fn together(
    results: &mut [FileResult],
    files: &[SourceFile],
    settings: &FixSettings<'_>,
    preview: bool,
) {
    let mut by_target: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if r.not_written.is_some() {
            continue;
        }
        for other in r.outcome.iter().flat_map(|o| &o.elsewhere) {
            if let Ok(real) = std::fs::canonicalize(&other.path) {
                by_target.entry(real).or_default().push(i);
            }
        }
    }
    for (target, sources) in by_target {
        let texts = |i: usize| -> Vec<&str> {
            results[i]
                .outcome
                .iter()
                .flat_map(|o| &o.elsewhere)
                .filter(|o| std::fs::canonicalize(&o.path).ok().as_ref() == Some(&target))
                .map(|o| o.fixed.as_str())
                .collect()
        };
        let first = texts(sources[0]).first().map(|t| t.to_string());
        let agree = sources
            .iter()
            .all(|&i| texts(i).iter().all(|t| Some(*t) == first.as_deref()));
        let names: Vec<String> = sources.iter().map(|&i| results[i].path.clone()).collect();
        if !agree {
            for &i in &sources {
                results[i].not_written = Some(format!(
                    "`{}`, `{}` load `{}` under different cluster names, so no one of them \
                     can migrate it: give them one name, or migrate by hand",
                    names[0],
                    names[1..].join("`, `"),
                    target.display()
                ));
                if let Some(file) = files
                    .iter()
                    .find(|f| display_path(&f.path) == results[i].path)
                {
                    results[i].remaining =
                        crate::lint::lint_file(file, &results[i].path, settings.lint);
                }
            }
            continue;
        }
        let (Some(fixed), Some(j)) = (
            first,
            results
                .iter()
                .position(|r| r.real.as_ref() == Some(&target)),
        ) else {
            continue;
        };
        let Some(file) = files
            .iter()
            .find(|f| display_path(&f.path) == results[j].path)
        else {
            continue;
        };
        let Some(own) = results[j].outcome.clone() else {
            continue;
        };
        // The file's own fixes go on from there (a legacy command in the DaskCluster).
        let shown = results[j].path.clone();
        let meta = FileMeta {
            kind: file.kind,
            beside_chart: file.beside_chart,
            path: &file.path,
            display_path: &shown,
        };
        let mut outcome = fix_text(meta, fixed, settings);
        keep_crlf(&mut outcome);
        outcome.original = own.original;
        // Its fixes found their findings in the other fix's result, not in the file as read.
        for f in &mut outcome.fixes {
            f.at = None;
        }
        let mut replaced = finish(file, settings, outcome, preview, None, &FixCache::default());
        replaced.real = results[j].real.take();
        replaced.snapshot = results[j].snapshot.take();
        replaced.with = Some(names.join("`, `"));
        // The sources show and write the file as its own fixes leave it.
        if let Some(final_text) = replaced.outcome.as_ref().map(|o| o.fixed.clone()) {
            for &i in &sources {
                for other in results[i].outcome.iter_mut().flat_map(|o| &mut o.elsewhere) {
                    if std::fs::canonicalize(&other.path).ok().as_ref() == Some(&target) {
                        other.fixed = final_text.clone();
                    }
                }
            }
        }
        results[j] = replaced;
    }
}

/// Write every changed file, and the files the fixes create. A file changed together with
/// another (`with`) is written in one [`crate::write::replace_all`] with it: both or neither.
fn write_all(results: &mut [FileResult]) {
    let mut failed_with: Vec<(PathBuf, String)> = Vec::new();
    for r in results.iter_mut() {
        let (Some(o), Some(snapshot)) = (&r.outcome, &r.snapshot) else {
            continue;
        };
        if !o.changed() || r.not_written.is_some() || r.with.is_some() {
            continue;
        }
        let mut group: Vec<(crate::write::Snapshot, &[u8], &[u8])> = Vec::new();
        let mut error = None;
        for other in &o.elsewhere {
            match crate::write::read(&other.path, u64::MAX) {
                Ok((s, bytes)) if bytes == other.original.as_bytes() => {
                    group.push((s, other.fixed.as_bytes(), other.original.as_bytes()))
                }
                // Written already, with another file loading it the same way.
                Ok((_, bytes)) if bytes == other.fixed.as_bytes() => {}
                Ok(_) => {
                    error = Some(crate::write::Error::Changed {
                        path: other.path.clone(),
                    })
                }
                Err(e) => error = Some(e),
            }
        }
        let result = match error {
            Some(e) => Err(e),
            None if group.is_empty() => crate::write::replace(snapshot, o.fixed.as_bytes()),
            None => {
                let mut items = vec![(snapshot, o.fixed.as_bytes(), o.original.as_bytes())];
                items.extend(group.iter().map(|(s, new, old)| (s, *new, *old)));
                crate::write::replace_all(&items)
            }
        };
        if let Err(e) = result {
            for other in &o.elsewhere {
                if let Ok(real) = std::fs::canonicalize(&other.path) {
                    failed_with.push((real, r.path.clone()));
                }
            }
            r.write_error = Some(e);
        }
    }
    for r in results.iter_mut() {
        if let Some((_, source)) = failed_with.iter().find(|(t, _)| r.real.as_ref() == Some(t)) {
            r.not_written = Some(format!(
                "it is written only together with `{source}`, which was not"
            ));
        }
        if r.write_error.is_some() || r.not_written.is_some() {
            r.created.clear();
            continue;
        }
        for c in r.created.iter_mut().filter(|c| c.error.is_none()) {
            c.error = crate::write::create(Path::new(&c.path), c.text.as_bytes()).err();
        }
    }
}

/// Fix one file; with `not_written`, only see what would be fixed and say why it is not.
fn fix_file(
    file: &SourceFile,
    settings: &FixSettings<'_>,
    others: &Others,
    preview: bool,
    not_written: Option<String>,
) -> FileResult {
    let path = display_path(&file.path);
    // Too large or unreadable: `lint_file` words the finding, so both commands say the same.
    let unread = |path: String| {
        let remaining = lint_file(file, &path, settings.lint);
        FileResult {
            path,
            outcome: None,
            remaining,
            write_error: None,
            removed: BTreeMap::new(),
            introduced: Vec::new(),
            created: Vec::new(),
            not_written: None,
            snapshot: None,
            real: None,
            with: None,
            applied: Vec::new(),
        }
    };
    let Ok((snapshot, bytes)) = crate::write::read(&file.path, settings.lint.limits.max_file_bytes)
    else {
        return unread(path);
    };
    let empty = |path: &str| FileReport {
        path: path.to_owned(),
        text: None,
        notebook: None,
        findings: Vec::new(),
    };
    let text = match crate::lint::decode(file, bytes, &path, settings.lint) {
        Decoded::Text(text) => text,
        Decoded::Skipped => {
            return FileResult {
                remaining: empty(&path),
                path,
                outcome: None,
                write_error: None,
                removed: BTreeMap::new(),
                introduced: Vec::new(),
                created: Vec::new(),
                not_written: None,
                snapshot: None,
                real: None,
                with: None,
                applied: Vec::new(),
            };
        }
        Decoded::Rejected(remaining) => {
            return FileResult {
                remaining,
                path,
                outcome: None,
                write_error: None,
                removed: BTreeMap::new(),
                introduced: Vec::new(),
                created: Vec::new(),
                not_written: None,
                snapshot: None,
                real: None,
                with: None,
                applied: Vec::new(),
            };
        }
    };
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &path,
    };
    // The loops `fixability` runs below meet the texts this one lints again; the index of
    // template loaders may have linted this text already.
    let cache = others.cache_for(&file.path, &text);
    let mut outcome = fix_text_with(meta, text, settings, &cache);
    keep_crlf(&mut outcome);
    let mut result = finish(file, settings, outcome, preview, not_written, &cache);
    result.real = std::fs::canonicalize(&file.path).ok();
    result.snapshot = Some(snapshot);
    result
}

/// The result of fixing `file` to `outcome`: what is left for a person, paired with the
/// findings of the file as it was; nothing is written yet. `cache` holds what the loops
/// that made `outcome` computed (empty when its `original` is not the text they started
/// from).
fn finish(
    file: &SourceFile,
    settings: &FixSettings<'_>,
    outcome: Outcome,
    preview: bool,
    not_written: Option<String>,
    cache: &FixCache,
) -> FileResult {
    let path = display_path(&file.path);
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &path,
    };
    let mut remaining = outcome.remaining.clone();
    let mut removed = BTreeMap::new();
    let mut introduced = Vec::new();
    let mut applied = Vec::new();
    if outcome.changed() || !remaining.findings.is_empty() {
        let before = cache.report(&outcome.original).unwrap_or_else(|| {
            crate::lint::lint_text(
                file.kind,
                file.beside_chart,
                &file.path,
                &path,
                &outcome.original,
                settings.lint,
            )
        });
        let pairs = pair(
            &before.findings,
            &remaining.findings,
            &outcome.original,
            &outcome.fixed,
        );
        removed = removed_per_rule(&before.findings, &pairs);
        applied = locate_fixes(&outcome, Some(&before));
        // What is left: is it fixable with `--unsafe-fixes`? Decided as `dusk check` decides.
        let classes = if settings.unsafe_fixes {
            vec![None; before.findings.len()]
        } else {
            fixability(meta, &outcome.original, &before.findings, settings, cache)
        };
        // A reason was decided on the fixed text: the lines it names move with the finding.
        let lines = (preview && outcome.changed() && remaining.notebook.is_none())
            .then(|| LineMap::new(&outcome.original, &outcome.fixed));
        for (f, paired) in remaining.findings.iter_mut().zip(&pairs) {
            let Some(i) = *paired else {
                introduced.push(true);
                f.fix = None;
                continue;
            };
            introduced.push(false);
            let fix = with_class(before.findings[i].fix.clone(), classes[i]);
            // Nothing was written: say where the finding is in the file as it is.
            if preview {
                let not_fixable = f.not_fixable.take();
                *f = before.findings[i].clone();
                f.not_fixable = match (not_fixable, &lines) {
                    (Some(why), Some(map)) => Some(map.lines_in_original(&why)),
                    (why, _) => why,
                };
            }
            if fix.is_some() {
                f.not_fixable = None;
            }
            f.fix = fix;
        }
        if preview && introduced.contains(&true) {
            // One line diff for all of them: a diff per finding made N introduced findings
            // cost N diffs of the file.
            let built;
            let map = match &lines {
                Some(map) => map,
                None => {
                    built = LineMap::new(&outcome.original, &outcome.fixed);
                    &built
                }
            };
            for (f, new) in remaining.findings.iter_mut().zip(&introduced) {
                if *new {
                    relocate(f, map);
                }
            }
        }
    }
    // Not written: what the fixes would have fixed is still left for a person.
    let (remaining, not_written) = match not_written {
        Some(why) if outcome.changed() => (lint_file(file, &path, settings.lint), Some(why)),
        _ => (remaining, None),
    };
    // Only checked here: files are created once every file is fixed (`write_all`).
    let created = create_files(file, &outcome, true);
    // A fix that writes a file beside this one fixes its finding even when the finding
    // stays (the values file stays until the release is retired): count it.
    if created.iter().any(|c| c.error.is_none()) {
        for (rule, n) in &outcome.created_by {
            let count = removed.entry(rule.clone()).or_insert(0);
            *count = (*count).max(*n);
        }
    }
    if applied.is_empty() && !outcome.fixes.is_empty() {
        applied = locate_fixes(&outcome, None);
    }
    FileResult {
        remaining,
        outcome: Some(outcome),
        path,
        write_error: None,
        removed,
        introduced,
        created,
        not_written,
        snapshot: None,
        real: None,
        with: None,
        applied,
    }
}

/// A file whose every line break is CRLF keeps CRLF: rewriters insert `\n`, and a mixed file
/// is what the user never had.
fn keep_crlf(outcome: &mut Outcome) {
    let original = &outcome.original;
    let breaks = original.matches('\n').count();
    if breaks == 0 || original.matches("\r\n").count() != breaks || !outcome.changed() {
        return;
    }
    let mut fixed = String::with_capacity(outcome.fixed.len() + outcome.fixed.len() / 16);
    let mut prev = '\0';
    for c in outcome.fixed.chars() {
        if c == '\n' && prev != '\r' {
            fixed.push('\r');
        }
        fixed.push(c);
        prev = c;
    }
    outcome.fixed = fixed;
}

/// `dusk fix -`: standard input fixed as the file `--stdin-filename` names; the fixed text
/// (or, with `--diff`, the diff) on standard output, everything else on standard error.
/// Files a fix would create beside it are not written (there is no directory to put them
/// in): they are named on standard error. Only `-` may be given.
fn fix_stdin(
    scan: &Scan,
    settings: &FixSettings<'_>,
    args: &FixArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let output = |source| Error::Output {
        path: "<stdout>".into(),
        source,
    };
    if scan.paths.len() > 1 {
        return Err(Error::Output {
            path: "-".into(),
            source: std::io::Error::other(
                "`-` (standard input) cannot be fixed together with other paths",
            ),
        });
    }
    let file = scan.stdin_file();
    let shown = display_path(&file.path);
    let text = match scan.read_stdin() {
        Ok(text) => text,
        Err(message) => {
            writeln!(err, "{shown}: not fixed: {message}").map_err(output)?;
            return Ok(ExitStatus::Error);
        }
    };
    let meta = FileMeta {
        kind: file.kind,
        beside_chart: file.beside_chart,
        path: &file.path,
        display_path: &shown,
    };
    let outcome = fix_text(meta, text, settings);
    if args.format == FixFormat::Json {
        return stdin_json(scan, args, &shown, outcome, out).map_err(output);
    }
    if args.diff {
        out.write_all(crate::diff::unified(&shown, &outcome.original, &outcome.fixed).as_bytes())
            .map_err(output)?;
    } else {
        out.write_all(outcome.fixed.as_bytes()).map_err(output)?;
    }
    if outcome.changed() {
        writeln!(
            err,
            "{shown}: fixed {} ({})",
            outcome.fixed_count(),
            rules_list(&outcome.applied)
        )
        .map_err(output)?;
    }
    for c in &outcome.created {
        writeln!(err, "{shown}: not written: `{}` (a fix creates it beside the file; run `dusk fix` on the file itself)", c.name)
            .map_err(output)?;
    }
    for f in &outcome.remaining.findings {
        writeln!(err, "{}", left_line(f, args.unsafe_fixes)).map_err(output)?;
    }
    Ok(if args.diff && outcome.changed() {
        ExitStatus::Failure
    } else if args.diff {
        ExitStatus::Success
    } else {
        scan.status(&Summary::of(1, std::slice::from_ref(&outcome.remaining)))
    })
}

/// `dusk fix - --format json`: the one file's entry of [`print_json`], with the fixed text
/// (`fixed_text`) or, with `--diff`, the diff (`diff`); files a fix would create beside it
/// are not written (`creates[].error` says so).
fn stdin_json(
    scan: &Scan,
    args: &FixArgs,
    shown: &str,
    outcome: Outcome,
    out: &mut dyn Write,
) -> std::io::Result<ExitStatus> {
    let status = if args.diff {
        if outcome.changed() {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    } else {
        scan.status(&Summary::of(1, std::slice::from_ref(&outcome.remaining)))
    };
    let r = FileResult {
        path: shown.to_owned(),
        remaining: outcome.remaining.clone(),
        write_error: None,
        removed: outcome.applied.clone(),
        introduced: Vec::new(),
        created: Vec::new(),
        not_written: None,
        snapshot: None,
        real: None,
        with: None,
        applied: locate_fixes(&outcome, None),
        outcome: Some(outcome),
    };
    let mut v = file_json(&r, args);
    let Some(o) = &r.outcome else {
        return Ok(status);
    };
    // Fixes that only create files (not written here) are shown too, with their reports.
    v["fixes"] = serde_json::json!(fixes_json(&r.applied));
    v["migration"] = o
        .migration
        .iter()
        .map(|m| crate::migrate::migration_report::with_comment_path(m, shown))
        .collect();
    v["creates"] = o
        .created
        .iter()
        .map(|c| {
            serde_json::json!({
                "path": c.name,
                "error": "not written: a fix creates it beside the file; run `dusk fix` on the file itself",
            })
        })
        .collect();
    if args.diff {
        v["diff"] = serde_json::json!(crate::diff::unified(shown, &o.original, &o.fixed));
    } else {
        v["fixed_text"] = serde_json::json!(o.fixed);
    }
    let doc = serde_json::json!({
        "version": 1,
        "files": [v],
        "summary": {
            "files_scanned": 1,
            "files_fixed": usize::from(o.changed()),
            "findings_fixed": o.fixed_count(),
            "findings_left": o.remaining.findings.len(),
            "findings_needing_review": o.hidden_unsafe,
            "clusters_migrated": o.migration.len(),
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    out.flush()?;
    Ok(status)
}

/// Whether the file `new` is already beside `path` with exactly its text.
/// The diff of a file's fixes, followed by those of the other files its fixes changed (a
/// cross-file fix is read as one change).
pub(crate) fn outcome_diff(path: &str, outcome: &Outcome, color: bool) -> String {
    let mut diff = crate::diff::unified(path, &outcome.original, &outcome.fixed);
    for other in &outcome.elsewhere {
        diff.push_str(&crate::diff::unified(
            &other.display,
            &other.original,
            &other.fixed,
        ));
    }
    if color {
        crate::diff::colorize(&diff)
    } else {
        diff
    }
}

pub(crate) fn already_created(path: &Path, new: &NewFile) -> bool {
    let full = path
        .parent()
        .map_or_else(|| new.name.clone().into(), |d| d.join(&new.name));
    std::fs::read(full).is_ok_and(|bytes| bytes == new.text.as_bytes())
}

/// Write (or, previewing, only check) the files the fixes create beside `file`. A file that
/// is already there with the same contents is done (a second `dusk fix` changes nothing);
/// one with other contents is never overwritten.
fn create_files(file: &SourceFile, outcome: &Outcome, preview: bool) -> Vec<Created> {
    let mut out = Vec::new();
    for new in &outcome.created {
        let full = file
            .path
            .parent()
            .map_or_else(|| new.name.clone().into(), |d| d.join(&new.name));
        let existing = std::fs::read(&full).ok();
        if existing.as_deref() == Some(new.text.as_bytes()) {
            continue;
        }
        let error = if existing.is_some() || full.symlink_metadata().is_ok() {
            Some(crate::write::Error::Exists { path: full.clone() })
        } else if preview {
            None
        } else {
            crate::write::create(&full, new.text.as_bytes()).err()
        };
        out.push(Created {
            path: display_path(&full),
            text: new.text.clone(),
            error,
        });
    }
    out
}

/// For each finding of `after` (the fixed text), the finding of `before` (the original) it
/// is: same rule and cell, nearest to the line it came from. `None` for a finding the fixes
/// introduced. A finding of `before` no one pairs with is one the fixes removed.
pub(crate) fn pair(
    before: &[Finding],
    after: &[Finding],
    original: &str,
    fixed: &str,
) -> Vec<Option<usize>> {
    // A line diff of the whole texts, made only when a finding outside a notebook's cells
    // asks (a notebook's JSON, outputs and all, is most of its fix loops' text, #13).
    let map = std::cell::OnceCell::new();
    // The findings before not paired yet, by rule and cell, each as (line, index): a finding
    // after is paired only within its own (#13: a scan of every finding per finding made a
    // notebook of N cells N² string comparisons), and with the nearest by line found in the
    // ordered set, not by a scan of its group (10,000 findings of one rule in one file).
    let mut by_rule_cell: HashMap<(&str, Option<usize>), Free> = HashMap::new();
    for (i, b) in before.iter().enumerate() {
        by_rule_cell
            .entry((b.rule.as_str(), b.cell))
            .or_default()
            .insert((b.start.line, i));
    }
    after
        .iter()
        .map(|f| {
            // Notebook lines count within a cell, not in the JSON the diff compares.
            let line = if f.cell.is_some() {
                f.start.line
            } else {
                map.get_or_init(|| LineMap::new(original, fixed))
                    .old_line(f.start.line)
            };
            let free = by_rule_cell.get_mut(&(f.rule.as_str(), f.cell))?;
            let nearest = nearest_first(free, line)?;
            free.remove(&nearest);
            Some(nearest.1)
        })
        .collect()
}

/// Findings not paired yet, as (line, index) pairs.
type Free = BTreeSet<(usize, usize)>;

/// Of `free` ((line, index) pairs), the one nearest to `line`, the lowest index among those
/// as near: what a scan in index order for the least distance finds.
fn nearest_first(free: &Free, line: usize) -> Option<(usize, usize)> {
    // The lowest index on the nearest line at or before `line`, and after it.
    let below = free
        .range(..=(line, usize::MAX))
        .next_back()
        .and_then(|&(l, _)| free.range((l, 0)..).next().copied());
    let above = free.range((line + 1, 0)..).next().copied();
    match (below, above) {
        (Some(b), Some(a)) => {
            let (db, da) = (line - b.0, a.0 - line);
            Some(if db < da || (db == da && b.1 < a.1) {
                b
            } else {
                a
            })
        }
        (b, a) => b.or(a),
    }
}

/// Lines of a fixed text mapped back to the original's, through a line diff.
struct LineMap(Vec<similar::DiffOp>);

impl LineMap {
    fn new(original: &str, fixed: &str) -> LineMap {
        LineMap(
            similar::TextDiff::from_lines(original, fixed)
                .ops()
                .to_vec(),
        )
    }

    /// 1-based line of the fixed text → 1-based line of the original it came from (the
    /// first line of the changed lines for a line the fixes wrote).
    fn old_line(&self, new: usize) -> usize {
        let n = new.saturating_sub(1);
        // The ops cover the fixed text's lines in order, each after the one before: the one
        // holding `n` is the first that ends after it, found by bisection (a scan per
        // finding made 10,000 fixed findings of one file cost 10,000 scans of its ops).
        let at = self.0.partition_point(|op| op.new_range().end <= n);
        self.0
            .get(at)
            .filter(|op| op.new_range().contains(&n))
            .map_or(new, |op| match op.tag() {
                similar::DiffTag::Equal => op.old_range().start + (n - op.new_range().start) + 1,
                _ => op.old_range().start + 1,
            })
    }
}

impl LineMap {
    /// `reason` with each `line N` it names (a line of the fixed text) given as the line of
    /// the original it came from.
    fn lines_in_original(&self, reason: &str) -> String {
        let mut out = String::with_capacity(reason.len());
        let mut rest = reason;
        while let Some(at) = rest.find("line ") {
            let (head, tail) = rest.split_at(at + "line ".len());
            out.push_str(head);
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            match tail[..digits].parse::<usize>() {
                Ok(n) => out.push_str(&self.old_line(n).to_string()),
                Err(_) => out.push_str(&tail[..digits]),
            }
            rest = &tail[digits..];
        }
        out.push_str(rest);
        out
    }
}

/// A finding the fixes introduced, moved to the original line its text replaces.
fn relocate(f: &mut Finding, map: &LineMap) {
    if f.cell.is_some() {
        return;
    }
    let line = map.old_line(f.start.line);
    f.end.line = (f.end.line + line).saturating_sub(f.start.line).max(line);
    f.start.line = line;
}

/// Per rule, the findings of `before` that no finding of the fixed text pairs with.
fn removed_per_rule(before: &[Finding], pairs: &[Option<usize>]) -> BTreeMap<String, usize> {
    let kept: std::collections::BTreeSet<usize> = pairs.iter().flatten().copied().collect();
    let mut removed = BTreeMap::new();
    for (i, f) in before.iter().enumerate() {
        if !kept.contains(&i) {
            *removed.entry(f.rule.clone()).or_insert(0) += 1;
        }
    }
    removed
}

/// For each finding of a file's `original` text, the fix mode that removes it: `Safe` if
/// `dusk fix` does, `Unsafe` if only `dusk fix --unsafe-fixes` does, `None` if neither. Found by
/// running both fix loops in memory, so `dusk check`'s "N fixable" is what `fix` then removes,
/// counted in findings (one rewrite may remove several). The unsafe loop runs only where it
/// could go otherwise than the safe one ([`Outcome::unsafe_differs`]); `cache` holds what
/// the loops over this file computed before.
pub fn fixability(
    meta: FileMeta<'_>,
    original: &str,
    before: &[Finding],
    settings: &FixSettings<'_>,
    cache: &FixCache,
) -> Vec<Option<Applicability>> {
    let mut classes = vec![None; before.len()];
    let run = |unsafe_fixes| {
        let run = FixSettings {
            unsafe_fixes,
            ..*settings
        };
        fix_text_with(meta, original.to_owned(), &run, cache)
    };
    // With no finding a safe fix may remove, the safe loop changes nothing; whether the
    // unsafe one could differ is then whether any finding's fix needs review.
    let safe_mode = FixSettings {
        unsafe_fixes: false,
        ..*settings
    };
    let safe = before
        .iter()
        .any(|f| safe_mode.may_apply(&f.rule))
        .then(|| run(false));
    let unsafe_differs = safe.as_ref().map_or_else(
        || before.iter().any(|f| safe_mode.needs_review(&f.rule)),
        |o| o.unsafe_differs,
    );
    let unsafe_ = unsafe_differs.then(|| run(true));
    for (mode, outcome) in [
        (Applicability::Unsafe, unsafe_.as_ref()),
        (Applicability::Safe, safe.as_ref()),
    ] {
        let Some(outcome) = outcome.filter(|o| o.changed() || !o.created_by.is_empty()) else {
            continue;
        };
        let pairs = pair(
            before,
            &outcome.remaining.findings,
            original,
            &outcome.fixed,
        );
        let kept: std::collections::BTreeSet<usize> = pairs.into_iter().flatten().collect();
        // A fix that writes a file beside this one keeps its finding (the Helm values stay
        // until the release is retired), yet it is a fix `dusk fix` makes.
        let mut creating = outcome.created_by.clone();
        for (i, class) in classes.iter_mut().enumerate() {
            let creates = creating.get_mut(&before[i].rule).filter(|n| **n > 0);
            if let Some(n) = creates {
                *n -= 1;
                *class = Some(mode);
            } else if !kept.contains(&i) {
                *class = Some(mode);
            }
        }
    }
    classes
}

/// The findings of `report` that `--unsafe-fixes` would fix.
fn needing_review(report: &FileReport) -> usize {
    report
        .findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Unsafe)
        })
        .count()
}

/// A finding's fix as reports show it, given the mode that removes the finding.
pub fn with_class(fix: Option<FixInfo>, class: Option<Applicability>) -> Option<FixInfo> {
    let applicability = class?;
    Some(match fix {
        Some(f) => FixInfo { applicability, ..f },
        None => FixInfo {
            applicability,
            description: "removed by the other fixes of its file".to_owned(),
            migration: Vec::new(),
        },
    })
}

fn rules_list(applied: &BTreeMap<String, usize>) -> String {
    applied
        .iter()
        .map(|(rule, n)| {
            if *n == 1 {
                rule.clone()
            } else {
                format!("{rule} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn print(
    results: &[FileResult],
    args: &FixArgs,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    let (mut fixed, mut files, mut left, mut hidden) = (0, 0, 0, 0);
    // With --diff, stdout carries only the diff.
    for r in results {
        let Some(o) = &r.outcome else { continue };
        // A file changed by another file's fix is shown right after that file's diff.
        if args.diff && o.changed() && r.not_written.is_none() && r.with.is_none() {
            out.write_all(outcome_diff(&r.path, o, color).as_bytes())?;
        }
        for c in r.created.iter().filter(|c| args.diff && c.error.is_none()) {
            let diff = crate::diff::unified(&c.path, "", &c.text);
            let diff = if color {
                crate::diff::colorize(&diff)
            } else {
                diff
            };
            out.write_all(diff.as_bytes())?;
        }
    }
    out.flush()?;
    let status: &mut dyn Write = if args.diff { err } else { out };
    let verb = if args.diff { "would fix" } else { "fixed" };
    for r in results {
        if let Some(o) = &r.outcome {
            let creates = r.created.iter().any(|c| c.error.is_none());
            if let (Some(why), true) = (&r.not_written, o.changed()) {
                writeln!(status, "{}: not written: {why}", r.path)?;
            } else if (o.changed() || creates) && r.write_error.is_none() {
                let count: usize = r.removed.values().sum();
                fixed += count;
                files += 1;
                match &r.with {
                    // Changed only as part of another file's fix: no finding of its own.
                    Some(source) if count == 0 && !creates => writeln!(
                        status,
                        "{}: {} by the fix of `{source}` (both files or neither)",
                        r.path,
                        if args.diff {
                            "would be changed"
                        } else {
                            "changed"
                        },
                    )?,
                    _ => writeln!(
                        status,
                        "{}: {verb} {count} ({})",
                        r.path,
                        rules_list(&r.removed)
                    )?,
                }
                for c in r.created.iter().filter(|c| c.error.is_none()) {
                    let verb = if args.diff { "would create" } else { "created" };
                    writeln!(status, "  {verb} {}", c.path)?;
                }
                for other in &o.elsewhere {
                    writeln!(
                        status,
                        "  with {} (one fix: both files or neither)",
                        other.display
                    )?;
                }
                if let Some(source) = r.with.as_ref().filter(|_| count > 0 || creates) {
                    writeln!(
                        status,
                        "  also changed by the fix of `{source}` (both files or neither)"
                    )?;
                }
                for (rule, note) in &o.notes {
                    writeln!(status, "  review {rule}: {note}")?;
                }
                if !args.diff {
                    for report in migrations(r) {
                        writeln!(status, "  {}", migration_line(&report))?;
                    }
                }
            }
            for c in &r.created {
                if let Some(e) = &c.error {
                    writeln!(status, "{}: not written: {e}", c.path)?;
                }
            }
            for f in &o.failed {
                writeln!(
                    status,
                    "{}: could not fix `{}`: {}",
                    r.path, f.rule, f.reason
                )?;
            }
            match &o.end {
                End::NotConverged { passes, rules } => writeln!(
                    status,
                    "{}: not fixed: fixes were still changing the file after {passes} passes \
                     (last: {}); the file is left unchanged. This is a bug in dusk: please \
                     report it with the file",
                    r.path,
                    rules.join(", ")
                )?,
                End::NotParsed(why) if o.remaining.findings.iter().any(|f| f.fix.is_some()) => {
                    writeln!(status, "{}: not fixed: it does not parse ({why})", r.path)?
                }
                _ => {}
            }
            if !args.unsafe_fixes {
                hidden += needing_review(&r.remaining);
            }
        }
        if let Some(e) = &r.write_error {
            writeln!(status, "{}: not written: {e}", r.path)?;
        }
        for (i, f) in r.remaining.findings.iter().enumerate() {
            left += 1;
            let mut line = left_line(f, args.unsafe_fixes);
            if r.introduced.get(i).copied().unwrap_or(false) {
                line.push_str(" [introduced by the fixes]");
            }
            writeln!(status, "{line}")?;
        }
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let mut summary = format!(
        "{} {} in {}; {} left for a person",
        if args.diff { "Would fix" } else { "Fixed" },
        plural(fixed, "finding"),
        plural(files, "file"),
        left
    );
    if hidden > 0 {
        summary.push_str(&format!(
            " ({hidden} with a fix that needs review: rerun with `--unsafe-fixes`)"
        ));
    }
    writeln!(status, "{summary}")
}

/// Whether the text output counts `r` as fixed (`fixed N`, or with `--diff` `would fix
/// N`): its fixes change it or create a file, and nothing kept them from being written.
fn counted_fixed(r: &FileResult) -> bool {
    let Some(o) = &r.outcome else { return false };
    let creates = r.created.iter().any(|c| c.error.is_none());
    !(r.not_written.is_some() && o.changed()) && (o.changed() || creates) && r.write_error.is_none()
}

/// The migration reports of the clusters `r`'s fixes migrate, each `comment_in` made the
/// path of the file its comment block is in (the file itself, or the file created beside
/// it); none when the file does not count as fixed.
fn migrations(r: &FileResult) -> Vec<serde_json::Value> {
    let Some(o) = r.outcome.as_ref().filter(|_| counted_fixed(r)) else {
        return Vec::new();
    };
    o.migration
        .iter()
        .map(|report| crate::migrate::migration_report::with_comment_path(report, &r.path))
        .collect()
}

/// One line per migrated cluster, for the text output: what became which resource (the
/// report's `kind`), where clients now connect, how many steps it leaves for a person, and
/// where they are written: the comment block, or (a Python migration, whose report has
/// none) the JSON report.
fn migration_line(report: &serde_json::Value) -> String {
    let text = |key: &str| report.get(key).and_then(|v| v.as_str());
    let steps = report
        .get("steps")
        .and_then(|s| s.as_array())
        .map_or(0, Vec::len);
    let see = match text("comment_in") {
        Some(path) => format!("see the comment in {path}"),
        None => "see `dusk fix --format json`".to_owned(),
    };
    format!(
        "migrated {} → {} `{}` (scheduler {}); {steps} step{} left for a person, {see}",
        text("from").unwrap_or(""),
        text("kind").unwrap_or("DaskCluster"),
        text("cluster").unwrap_or(""),
        report
            .pointer("/scheduler_address/new")
            .and_then(|v| v.as_str())
            .unwrap_or(""),
        if steps == 1 { "" } else { "s" },
    )
}

/// `--format json`: `{"version": 1, "files": [...], "summary": {...}}`, one entry per file
/// with anything to say (see README, "`dusk fix --format json`"). With `--diff`, each
/// changed file carries its diff.
fn print_json(
    results: &[FileResult],
    args: &FixArgs,
    scanned: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut files = Vec::new();
    let (mut fixed_files, mut fixed, mut left, mut review, mut migrated) = (0, 0, 0, 0, 0);
    for r in results {
        let mut v = file_json(r, args);
        if counted_fixed(r) {
            fixed_files += 1;
            fixed += r.removed.values().sum::<usize>();
        }
        left += r.remaining.findings.len();
        if !args.unsafe_fixes {
            review += needing_review(&r.remaining);
        }
        migrated += v["migration"].as_array().map_or(0, Vec::len);
        if args.diff
            && let Some(o) = r.outcome.as_ref().filter(|_| counted_fixed(r))
        {
            let mut diff = if o.changed() && r.with.is_none() {
                outcome_diff(&r.path, o, false)
            } else {
                String::new()
            };
            for c in r.created.iter().filter(|c| c.error.is_none()) {
                diff.push_str(&crate::diff::unified(&c.path, "", &c.text));
            }
            v["diff"] = serde_json::json!(diff);
        }
        if has_news(&v) {
            files.push(v);
        }
    }
    let doc = serde_json::json!({
        "version": 1,
        "files": files,
        "summary": {
            "files_scanned": scanned,
            "files_fixed": fixed_files,
            "findings_fixed": fixed,
            "findings_left": left,
            "findings_needing_review": review,
            "clusters_migrated": migrated,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    out.flush()
}

/// Whether a file's JSON entry says anything beyond "nothing to do".
fn has_news(v: &serde_json::Value) -> bool {
    let non_empty = |k: &str| v[k].as_array().is_some_and(|a| !a.is_empty());
    v["changed"] == true
        || !v["not_written"].is_null()
        || !v["not_fixed"].is_null()
        || ["creates", "fixes", "declined", "findings", "migration"]
            .iter()
            .any(|k| non_empty(k))
}

/// The applied fixes of a file, for `--format json`.
fn fixes_json(applied: &[Located]) -> Vec<serde_json::Value> {
    applied
        .iter()
        .map(|a| {
            let mut v = serde_json::json!({
                "rule": a.fix.rule,
                "line": a.start.map(|s| s.line),
                "column": a.start.map(|s| s.column),
                "description": a.fix.description,
                "applicability": a.fix.applicability.as_str(),
            });
            if let Some(cell) = a.cell {
                v["cell"] = serde_json::json!(cell);
            }
            v
        })
        .collect()
}

/// One file of `--format json`.
fn file_json(r: &FileResult, args: &FixArgs) -> serde_json::Value {
    use serde_json::json;
    let fixed = counted_fixed(r);
    let o = r.outcome.as_ref();
    let changed = fixed && o.is_some_and(Outcome::changed);
    let fixes = if fixed {
        fixes_json(&r.applied)
    } else {
        Vec::new()
    };
    let mut declined: Vec<serde_json::Value> = r
        .remaining
        .findings
        .iter()
        .filter_map(|f| {
            let reason = f.not_fixable.as_ref()?;
            let mut v = json!({
                "rule": f.rule,
                "line": f.start.line,
                "column": f.start.column,
                "reason": reason,
            });
            if let Some(cell) = f.cell {
                v["cell"] = json!(cell);
            }
            Some(v)
        })
        .collect();
    for f in o.map(|o| o.failed.as_slice()).unwrap_or_default() {
        declined.push(json!({"rule": f.rule, "line": null, "column": null, "reason": f.reason}));
    }
    let not_written = match (&r.write_error, o) {
        (Some(e), _) => Some(e.to_string()),
        (None, Some(o)) if o.changed() => r.not_written.clone(),
        _ => None,
    };
    let not_fixed = o.and_then(|o| match &o.end {
        End::NotConverged { passes, rules } => Some(format!(
            "fixes were still changing the file after {passes} passes (last: {}); the file is \
             left unchanged. This is a bug in dusk: please report it with the file",
            rules.join(", ")
        )),
        End::NotParsed(why) if o.remaining.findings.iter().any(|f| f.fix.is_some()) => {
            Some(format!("it does not parse ({why})"))
        }
        _ => None,
    });
    let creates: Vec<serde_json::Value> = r
        .created
        .iter()
        .filter(|c| fixed || c.error.is_some())
        .map(|c| json!({"path": c.path, "error": c.error.as_ref().map(ToString::to_string)}))
        .collect();
    json!({
        "path": r.path,
        "changed": changed,
        "written": changed && !args.diff,
        "creates": creates,
        "with": o.filter(|_| fixed).map_or_else(Vec::new, |o| {
            o.elsewhere.iter().map(|e| e.display.clone()).collect()
        }),
        "changed_by": if fixed { r.with.clone() } else { None },
        "fixes": fixes,
        "declined": declined,
        "not_written": not_written,
        "not_fixed": not_fixed,
        "findings": r
            .remaining
            .findings
            .iter()
            .map(crate::report::json::finding_json)
            .collect::<Vec<_>>(),
        "migration": migrations(r),
    })
}

/// `path:line:col: severity rule: message`, plus what would fix it.
fn left_line(f: &Finding, unsafe_fixes: bool) -> String {
    let cell = f.cell.map(|c| format!("cell {c}:")).unwrap_or_default();
    let mut line = format!(
        "{}:{cell}{}:{}: {} {}: {}",
        f.path,
        f.start.line,
        f.start.column,
        f.severity.as_str(),
        f.rule,
        f.message
    );
    if let Some(fix) = &f.fix
        && fix.applicability == Applicability::Unsafe
        && !unsafe_fixes
    {
        line.push_str(" [fix needs review: `--unsafe-fixes`]");
    }
    if let Some(reason) = &f.not_fixable {
        line.push_str(&format!(" [not fixable: {reason}]"));
    }
    line
}

fn status(scan: &Scan, results: &[FileResult], scanned: usize, preview: bool) -> ExitStatus {
    let create_failed = |r: &FileResult| r.created.iter().any(|c| c.error.is_some());
    if results
        .iter()
        .any(|r| r.write_error.is_some() || create_failed(r))
    {
        return ExitStatus::Error;
    }
    if preview {
        let pending = results.iter().any(|r| {
            r.not_written.is_none()
                && (r
                    .outcome
                    .as_ref()
                    .is_some_and(|o| o.changed() || matches!(o.end, End::NotConverged { .. }))
                    || !r.created.is_empty())
        });
        return if pending {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        };
    }
    let remaining: Vec<FileReport> = results.iter().map(|r| r.remaining.clone()).collect();
    scan.status(&Summary::of(scanned, &remaining))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A listed path, written from the asking directory, leads back to the file: joined to
        /// the directory with its `..` taken out, it is the file's path; its level is how far
        /// the stack search widens to reach it.
        #[test]
        fn a_nearby_path_leads_from_the_directory_to_the_file(
            dir in proptest::collection::vec(0usize..3, 0..4),
            file in proptest::collection::vec(0usize..3, 0..4),
        ) {
            let names = ["a", "ab", "b"];
            let dir = PathBuf::from(format!(
                "/{}",
                dir.iter().map(|&i| names[i]).collect::<Vec<_>>().join("/")
            ));
            let mut path = PathBuf::from("/");
            path.extend(file.iter().map(|&i| names[i]));
            path.push("x.yaml");
            let listed = nearby(&path, &dir).unwrap();
            let joined = dir.join(&listed.written);
            proptest::prop_assert_eq!(lexical(&joined).unwrap_or(joined), path.clone());
            let ups = listed.written.matches("../").count();
            let nested = ups == 0 && listed.written.contains('/');
            proptest::prop_assert_eq!(listed.level, if nested { 1 } else { ups });
            proptest::prop_assert_eq!(directly_in(&path, &dir), path.parent() == Some(&*dir));
        }
    }

    #[test]
    fn nearby_paths_are_written_as_a_person_would() {
        // (file, asking directory, written, level, kustomization)
        let cases = [
            ("/r/a/b/x.yaml", "/r/a/b", "x.yaml", 0, false),
            ("/r/a/c/y.yaml", "/r/a/b", "../c/y.yaml", 1, false),
            ("/r/a/b/s/z.yaml", "/r/a/b", "s/z.yaml", 1, false),
            (
                "/r/kustomization.yaml",
                "/r/a/b",
                "../../kustomization.yaml",
                2,
                true,
            ),
            ("/r/ab/x.yaml", "/r/a", "../ab/x.yaml", 1, false),
            ("/x.yaml", "/", "x.yaml", 0, false),
        ];
        for (path, dir, written, level, kustomization) in cases {
            let n = nearby(Path::new(path), Path::new(dir)).unwrap();
            assert_eq!(
                (n.written.as_str(), n.level, n.kustomization),
                (written, level, kustomization),
                "{path} from {dir}"
            );
        }
        assert!(directly_in(Path::new("/x.yaml"), Path::new("/")));
        assert!(!directly_in(Path::new("/ab/x.yaml"), Path::new("/a")));
        assert!(!directly_in(Path::new("/a/s/x.yaml"), Path::new("/a")));
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_is_not_listed() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/r/\xff/x.yaml"));
        assert!(nearby(path, Path::new("/r/a")).is_none());
    }

    proptest::proptest! {
        /// Pairing by the ordered set picks what a scan of the group in index order for the
        /// least line distance picks, as findings are taken one after another.
        #[test]
        fn the_nearest_free_finding_is_the_one_a_scan_finds(
            lines in proptest::collection::vec(0usize..40, 0..30),
            queries in proptest::collection::vec(0usize..45, 0..30),
        ) {
            let mut free: BTreeSet<(usize, usize)> =
                lines.iter().enumerate().map(|(i, l)| (*l, i)).collect();
            let mut used = vec![false; lines.len()];
            for q in queries {
                let scanned = (0..lines.len())
                    .filter(|&i| !used[i])
                    .min_by_key(|&i| lines[i].abs_diff(q));
                let found = nearest_first(&free, q).map(|(_, i)| i);
                proptest::prop_assert_eq!(found, scanned);
                if let Some(i) = scanned {
                    used[i] = true;
                    free.remove(&(lines[i], i));
                }
            }
        }

        /// A fixed line's original line, found by bisection over the diff's ops, is the one
        /// the first op holding it gives.
        #[test]
        fn a_line_maps_back_as_a_scan_of_the_ops_maps_it(
            old in proptest::collection::vec(0u8..4, 0..25),
            new in proptest::collection::vec(0u8..4, 0..25),
        ) {
            let text = |lines: &[u8]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
            let map = LineMap::new(&text(&old), &text(&new));
            for line in 1..=new.len() + 2 {
                let n = line - 1;
                let scanned = map.0.iter().find(|op| op.new_range().contains(&n)).map_or(
                    line,
                    |op| match op.tag() {
                        similar::DiffTag::Equal => {
                            op.old_range().start + (n - op.new_range().start) + 1
                        }
                        _ => op.old_range().start + 1,
                    },
                );
                proptest::prop_assert_eq!(map.old_line(line), scanned);
            }
        }
    }

    /// The paths given hold what is under them (not what merely shares a prefix), and the
    /// deepest directory given that holds a file is the one its stack search starts from.
    #[test]
    fn roots_hold_what_is_under_them() {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        for d in ["repo/deploy/dask", "repo/deploy-old"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::write(base.join("repo/job.py"), "").unwrap();
        let roots = Roots::new(&[
            base.join("repo/deploy"),
            base.join("repo/deploy/dask"),
            base.join("repo/job.py"),
            base.join("repo/missing"),
        ]);
        let at = |p: &str| base.join(p);
        assert!(roots.hold(&at("repo/deploy/dask/worker.yaml")));
        assert!(roots.hold(&at("repo/deploy")));
        assert!(roots.hold(&at("repo/job.py")));
        assert!(!roots.hold(&at("repo/deploy-old/worker.yaml")));
        assert!(!roots.hold(&at("repo/other.py")));
        assert!(
            !roots.hold(&at("repo/missing/x.yaml")),
            "a missing path holds nothing"
        );
        assert!(roots.contains(&at("repo/deploy")));
        assert!(!roots.contains(&at("repo/deploy/dask/worker.yaml")));
        let deepest = roots.dir_holding(&at("repo/deploy/dask/worker.yaml"));
        assert_eq!(deepest, Some(&at("repo/deploy/dask")));
        let outer = roots.dir_holding(&at("repo/deploy/worker.yaml"));
        assert_eq!(outer, Some(&at("repo/deploy")));
        assert_eq!(
            roots.dir_holding(&at("repo/job.py")),
            None,
            "a file is no directory"
        );
        // Named through a linked directory, or ending in `..`: held at their real paths.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("repo"), base.join("alias")).unwrap();
            std::fs::write(base.join("repo/deploy-old/worker.yaml"), "").unwrap();
            let linked = Roots::new(&[
                base.join("alias/deploy-old/worker.yaml"),
                base.join("alias/deploy/dask/.."),
            ]);
            assert!(linked.contains(&at("repo/deploy-old/worker.yaml")));
            assert!(linked.hold(&at("repo/deploy/dask/worker.yaml")));
            let held = linked.dir_holding(&at("repo/deploy/worker.yaml"));
            assert_eq!(held, Some(&at("repo/deploy")));
        }
    }

    /// A run that writes nothing reads each file beside a stack once: later passes, and the
    /// other files of the directory, see it as first read. A refusal still names the file
    /// that asked, and a run that writes reads afresh.
    #[test]
    fn kept_reads_are_shared_by_a_directory_and_refusals_name_who_asked() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("deploy");
        std::fs::create_dir_all(&dir).unwrap();
        let (scheduler, worker) = (dir.join("scheduler.yaml"), dir.join("worker.yaml"));
        std::fs::write(&scheduler, "kind: Deployment\n").unwrap();
        std::fs::write(&worker, "replicas: 1\n").unwrap();
        let given = [tmp.path().to_path_buf()];
        let keeping = Others::new(&given, 1 << 20).keeping_reads();
        let fresh = Others::new(&given, 1 << 20);
        let text = |others: &Others, from: &Path| others.read(from, "worker.yaml").unwrap().text;
        assert_eq!(text(&keeping, &scheduler), "replicas: 1\n");
        std::fs::write(&worker, "replicas: 3\n").unwrap();
        assert_eq!(text(&keeping, &scheduler), "replicas: 1\n");
        assert_eq!(text(&keeping, &dir.join("service.yaml")), "replicas: 1\n");
        assert_eq!(text(&fresh, &scheduler), "replicas: 3\n");
        let missing = |from: &Path| keeping.read(from, "workers.yaml").unwrap_err();
        for from in [&scheduler, &worker] {
            let why = missing(from);
            assert!(why.contains(&display_path(from)), "{why}");
        }
    }

    /// A file beside that cannot be read (here, over the size limit) is refused with the
    /// reason `write::read` words, and the refusal is not kept: once it can be read, it is.
    #[test]
    fn an_unreadable_file_beside_is_refused_and_read_once_it_can_be() {
        let tmp = tempfile::tempdir().unwrap();
        let (scheduler, big) = (
            tmp.path().join("scheduler.yaml"),
            tmp.path().join("big.yaml"),
        );
        std::fs::write(&scheduler, "kind: Deployment\n").unwrap();
        std::fs::write(&big, "replicas: 100000\n").unwrap();
        let others = Others::new(&[tmp.path().to_path_buf()], 8).keeping_reads();
        let why = others.read(&scheduler, "big.yaml").unwrap_err();
        assert!(why.starts_with("it cannot be read: "), "{why}");
        assert!(
            why.contains("big.yaml") && why.contains("8-byte limit"),
            "{why}"
        );
        std::fs::write(&big, "n: 1\n").unwrap();
        assert_eq!(others.read(&scheduler, "big.yaml").unwrap().text, "n: 1\n");
    }

    /// `Others::real_path` and `RealPaths` give what `std::fs::canonicalize` gives, for a plain
    /// file, a file reached through a linked directory or a `..`, a link to a file, a
    /// directory and a relative path, and nothing for a file that is not there or is named
    /// with a trailing separator; `RealPaths` says which paths are links and which name
    /// directories.
    #[cfg(unix)]
    #[test]
    fn a_real_path_by_directory_is_the_canonical_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("deploy/dask")).unwrap();
        std::fs::write(root.join("deploy/dask/scheduler.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(root.join("deploy"), root.join("k8s")).unwrap();
        std::os::unix::fs::symlink(
            root.join("deploy/dask/scheduler.yaml"),
            root.join("scheduler.yaml"),
        )
        .unwrap();
        let others = Others::new(&[root.to_path_buf()], 1 << 20);
        let mut real_paths = RealPaths::default();
        for (path, link, dir) in [
            ("deploy/dask/scheduler.yaml", false, false),
            ("k8s/dask/scheduler.yaml", false, false),
            ("k8s/dask/../dask/scheduler.yaml", false, false),
            ("deploy/dask/./scheduler.yaml", false, false),
            ("scheduler.yaml", true, false),
            ("deploy/dask", false, true),
            ("k8s", true, true),
            ("k8s/dask/..", false, true),
        ] {
            let path = root.join(path);
            // Asked twice: the second answer comes from the directory already resolved.
            for _ in 0..2 {
                let canonical = Some(std::fs::canonicalize(&path).unwrap());
                assert_eq!(others.real_path(&path), canonical, "{}", path.display());
                assert_eq!(
                    real_paths.resolve(&path),
                    Real {
                        path: canonical,
                        link,
                        dir
                    },
                    "{}",
                    path.display()
                );
            }
        }
        for missing in ["deploy/dask/missing.yaml", "deploy/dask/scheduler.yaml/"] {
            let path = root.join(missing);
            assert_eq!(std::fs::canonicalize(&path).ok(), None, "{missing}");
            assert_eq!(others.real_path(&path), None, "{missing}");
            assert_eq!(real_paths.resolve(&path), Real::default(), "{missing}");
        }
        let here = std::env::current_dir().unwrap();
        let relative = Path::new("Cargo.toml");
        assert_eq!(
            others.real_path(relative),
            Some(std::fs::canonicalize(here.join(relative)).unwrap())
        );
    }
}
