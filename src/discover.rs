//! Paths → source files: a gitignore-aware parallel walk that classifies each file by name.
//!
//! Explicit file paths are always taken when a front-end reads their kind (others are listed
//! as skipped); directories are walked honouring `.gitignore`,
//! `.ignore` and hidden-file rules. Helm chart `templates/` (Go templates, not YAML) are
//! skipped. Problems (a broken link, an unreadable directory, a loop, an entry whose type
//! cannot be read, a special file given by name, a temporary file an interrupted `dusk fix`
//! left) become warnings; they never stop the walk. A name that is not UTF-8 is classified
//! by its bytes, not skipped. Never reads file contents: `lint` does, once, through
//! [`read_regular`], which refuses anything but a regular file before reading a byte.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a file is, as far as its name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    Yaml,
    Python,
    Notebook,
    Dockerfile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as given or as reached from a given directory.
    pub path: PathBuf,
    pub kind: SourceKind,
    /// A `Chart.yaml` is in the same directory.
    pub beside_chart: bool,
}

/// A path that could not be walked, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkWarning {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<SourceFile>,
    pub warnings: Vec<WalkWarning>,
    /// Files given explicitly that no front-end reads (`README.md`): skipped, with a note.
    pub skipped: Vec<PathBuf>,
    /// Files of a Helm chart's `templates/` the walk skipped (Go templates, not YAML).
    pub templates: Vec<PathBuf>,
    /// Files the walk found that the run's `exclude` leaves out: not checked, yet their code
    /// may load a template file of the run.
    pub excluded: Vec<SourceFile>,
}

/// The kind a file name implies, if dusk reads such files.
pub fn classify(path: &Path) -> Option<SourceKind> {
    // Lossy, so a name that is not UTF-8 (`caf\xe9.yaml`) is still read by its extension.
    let name = String::from_utf8_lossy(path.file_name()?.as_encoded_bytes());
    let name = name.as_ref();
    let lower = name.to_ascii_lowercase();
    if matches!(lower.as_str(), "dockerfile" | "containerfile")
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
    {
        return Some(SourceKind::Dockerfile);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("yaml" | "yml") => Some(SourceKind::Yaml),
        Some("py" | "pyw") => Some(SourceKind::Python),
        Some("ipynb") => Some(SourceKind::Notebook),
        _ => None,
    }
}

/// Whether `path` is a Go template of a Helm chart (`<chart>/templates/…`).
fn in_chart_templates(path: &Path) -> bool {
    // Most paths name no `templates` directory: one search of the bytes says so, where
    // walking the ancestors parses the path once per level, for every file walked (#13).
    if memchr::memmem::find(path.as_os_str().as_encoded_bytes(), b"templates").is_none() {
        return false;
    }
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir
                .parent()
                .is_some_and(|chart| chart.join("Chart.yaml").is_file())
    })
}

/// Whether `path` sits beside the `Chart.yaml` of the `dask` chart (or `stable/dask`): only
/// then may a values file that overrides a few keys be read as that chart's values. Another
/// chart's `values.yaml` with a `worker:` key (a feature store, a CI runner) is not Dask's.
pub fn beside_dask_chart(path: &Path) -> bool {
    use std::io::Read;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(file) = std::fs::File::open(dir.join("Chart.yaml")) else {
        return false;
    };
    // Chart metadata is small; a huge or special file is not a chart.
    let mut text = String::new();
    if file.take(64 * 1024).read_to_string(&mut text).is_err() {
        return false;
    }
    text.lines().any(|line| {
        line.strip_prefix("name:")
            .map(|v| v.trim().trim_matches(['"', '\'']))
            .is_some_and(|name| name == "dask")
    })
}

fn source_file(path: PathBuf, kind: SourceKind, charts: &Charts) -> SourceFile {
    let beside_chart = charts.beside(&path);
    SourceFile {
        path,
        kind,
        beside_chart,
    }
}

/// [`beside_dask_chart`] per directory, asked once: the walk meets most directories many
/// times, and looking for a `Chart.yaml` beside each of 20,000 files cost 20,000 `open`s.
#[derive(Default)]
struct Charts(Mutex<foldhash::HashMap<PathBuf, bool>>);

impl Charts {
    fn beside(&self, path: &Path) -> bool {
        let Some(dir) = path.parent() else {
            return beside_dask_chart(path);
        };
        let known = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(dir)
            .copied();
        known.unwrap_or_else(|| {
            let beside = beside_dask_chart(path);
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(dir.to_path_buf(), beside);
            beside
        })
    }
}

/// Walk `paths` (files or directories) and return the files dusk reads, sorted by path.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let files = Mutex::new(Vec::new());
    let charts = Charts::default();
    let warnings = Mutex::new(Vec::new());
    let templates = Mutex::new(Vec::new());
    let warn = |path: PathBuf, message: String| {
        warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(WalkWarning { path, message })
    };
    let mut dirs = Vec::new();
    let mut skipped = Vec::new();
    // A `stat` per path, in parallel: pre-commit names thousands.
    let metadata: Vec<std::io::Result<std::fs::Metadata>> = {
        use rayon::prelude::*;
        paths.par_iter().map(std::fs::metadata).collect()
    };
    for (path, metadata) in paths.iter().zip(metadata) {
        match metadata {
            Ok(m) if m.is_dir() => dirs.push(path.clone()),
            // A FIFO blocks a reader forever and `/dev/zero` never ends: refused by type.
            Ok(m) if !m.is_file() => warn(
                path.clone(),
                format!("{}; not read", not_regular(&m.file_type())),
            ),
            // An explicit file is read whatever directory it is in; one no front-end reads
            // (`README.md`) is skipped with a note, never parsed as something it is not.
            Ok(_) => match classify(path) {
                Some(kind) => files
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(source_file(path.clone(), kind, &charts)),
                None => skipped.push(path.clone()),
            },
            Err(e) => warn(path.clone(), describe_io(path, &e)),
        }
    }
    if let Some((first, rest)) = dirs.split_first() {
        let mut builder = ignore::WalkBuilder::new(first);
        for d in rest {
            builder.add(d);
        }
        // Hidden directories are skipped like ripgrep does, except the two where dask looks
        // for its own config (`~/.dask/`, `~/.config/dask/`), which image builds copy around.
        builder
            .require_git(false)
            .follow_links(false)
            .hidden(false)
            .filter_entry(|entry| {
                let hidden = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with('.') && n.len() > 1);
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !hidden
                    || !is_dir
                    || entry.depth() == 0
                    || matches!(entry.file_name().to_str(), Some(".dask" | ".config"))
            });
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => {
                        let path = entry.path();
                        let is_file = entry.file_type().is_some_and(|t| t.is_file());
                        let is_link = entry.path_is_symlink();
                        // Only a link's target needs a `stat`: the type of anything else came
                        // with its directory entry (a `stat` per entry was most of the walk).
                        let target = is_link.then(|| std::fs::metadata(path));
                        // Each asked once: a file's kind and whether a chart's `templates/`
                        // holds it (a walk up its directories).
                        let kind = (is_file || is_link).then(|| classify(path)).flatten();
                        let in_templates = kind.is_some() && in_chart_templates(path);
                        if target.as_ref().is_some_and(Result::is_err) {
                            warn(path.to_path_buf(), "broken symbolic link".into());
                        } else if is_file && leftover_temp(path) {
                            warn(
                                path.to_path_buf(),
                                "temporary file left by an interrupted `dusk fix`; \
                                 the file it was for is unchanged, so delete this one"
                                    .into(),
                            );
                        } else if is_file && in_templates {
                            templates
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(path.to_path_buf());
                        } else if let Some(kind) = kind
                            && !in_templates
                        {
                            let regular = match &target {
                                // A file that cannot be opened (in a directory readable but
                                // not searchable) is reported where it is read.
                                None => true,
                                Some(Ok(m)) => m.is_file(),
                                Some(Err(_)) => false,
                            };
                            match target {
                                _ if regular => files
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push(source_file(path.to_path_buf(), kind, &charts)),
                                // A link to `/dev/zero` or a FIFO in the tree: skipped, as
                                // ripgrep does, but not silently.
                                Some(Ok(m)) if !m.is_dir() => warn(
                                    path.to_path_buf(),
                                    format!("{}; not read", not_regular(&m.file_type())),
                                ),
                                Some(Err(e)) => warn(path.to_path_buf(), describe_io(path, &e)),
                                _ => {}
                            }
                        }
                    }
                    Err(err) => {
                        let path = err_path(&err).unwrap_or_default();
                        warn(path, one_line(&err.to_string()));
                    }
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut files = files.into_inner().unwrap_or_else(|e| e.into_inner());
    sort_by_path(&mut files, |f| &f.path);
    files.dedup_by(|a, b| a.path == b.path);
    let mut warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    warnings.sort_by(|a, b| a.path.cmp(&b.path));
    let mut templates = templates.into_inner().unwrap_or_else(|e| e.into_inner());
    templates.sort();
    templates.dedup();
    Discovery {
        files,
        warnings,
        skipped,
        templates,
        excluded: Vec::new(),
    }
}

/// Sort `items` by their paths in `Path`'s order (component by component). The walk's
/// threads find files in no order, and the sort was a serial stretch of every large run:
/// `Path::cmp` splits both paths into components at each comparison. Here each path is
/// split once, into [`path_key`], and the keys are made and sorted on every thread.
fn sort_by_path<T: Send>(items: &mut [T], path: impl Fn(&T) -> &Path + Sync) {
    use rayon::prelude::*;
    if cfg!(windows) {
        // A drive prefix (`C:`, `\\?\C:`) does not sort as its bytes do.
        items.par_sort_by(|a, b| path(a).cmp(path(b)));
    } else {
        items.par_sort_by_cached_key(|item| path_key(path(item)));
    }
}

/// Bytes that sort as `path` does among paths without a Windows prefix: per component, its
/// rank among `std::path::Component`'s variants, its name's bytes, then a 0 (no file name
/// holds a NUL, so a name sorts before the longer names it begins).
fn path_key(path: &Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for component in path.components() {
        let (rank, name) = match component {
            Component::Prefix(prefix) => (0, prefix.as_os_str().as_encoded_bytes()),
            Component::RootDir => (1, &[][..]),
            Component::CurDir => (2, &[][..]),
            Component::ParentDir => (3, &[][..]),
            Component::Normal(name) => (4, name.as_encoded_bytes()),
        };
        key.push(rank);
        key.extend_from_slice(name);
        key.push(0);
    }
    key
}

/// `.NAME.dusk-PID-N.tmp`, the name `write` gives its temporary files.
pub fn leftover_temp(path: &Path) -> bool {
    let name = String::from_utf8_lossy(
        path.file_name()
            .map(std::ffi::OsStr::as_encoded_bytes)
            .unwrap_or_default(),
    );
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((stem, numbers)) = rest.rsplit_once(".dusk-") else {
        return false;
    };
    let mut parts = numbers.split('-');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    !stem.is_empty() && digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// What a file that is not a regular file is, for a message.
pub fn not_regular(t: &std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if t.is_fifo() {
            Some("a FIFO")
        } else if t.is_char_device() {
            Some("a character device")
        } else if t.is_block_device() {
            Some("a block device")
        } else if t.is_socket() {
            Some("a socket")
        } else {
            None
        };
        if let Some(what) = what {
            return format!("not a regular file ({what})");
        }
    }
    if t.is_dir() {
        "a directory, not a file".into()
    } else {
        "not a regular file".into()
    }
}

/// Read a regular file of at most `max` bytes. Anything else is refused by its type before a
/// byte is read (a FIFO would block, `/dev/zero` never ends), and the read itself stops
/// after `max + 1` bytes whatever `stat` said, so no file can grow memory without bound.
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_regular_into(path, max, &mut bytes)?;
    Ok(bytes)
}

/// [`read_regular`] into `buffer` (cleared first): a caller reading many files, most of
/// which it then drops unparsed, reuses one buffer instead of asking the allocator (and
/// the kernel, for fresh pages) for each file.
pub fn read_regular_into(path: &Path, max: u64, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    buffer.clear();
    let file = open_without_blocking(path)?;
    // What was opened, not what the path named a moment before.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular_error(&meta.file_type()));
    }
    if meta.len() > max {
        return Err(too_large_error(meta.len(), max));
    }
    read_open(file, meta.len(), max, buffer)
}

/// Open for reading without waiting: a FIFO opened plainly blocks until a writer comes, so it
/// is opened non-blocking and refused by its type (one `open` and one `fstat` per file, not a
/// `stat` first; reading a regular file is unchanged by the flag).
#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular_error(&meta.file_type()));
    }
    std::fs::File::open(path)
}

/// Read an open regular file of `len` bytes (as its metadata said) to its end, or refuse it
/// once it grows past `max`.
fn read_open(file: std::fs::File, len: u64, max: u64, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    bytes.reserve(len.min(max) as usize);
    file.take(max.saturating_add(1)).read_to_end(bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large_error(bytes.len() as u64, max));
    }
    Ok(())
}

fn not_regular_error(t: &std::fs::FileType) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, not_regular(t))
}

fn too_large_error(len: u64, max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!("file is {len} bytes, over the {max}-byte limit"),
    )
}

/// `--force-exclude`: drop the given paths that a walk of their directory would skip, so a
/// tool that passes file names (pre-commit, an editor) cannot bring back what is excluded.
///
/// A given file is dropped when its name is not one dusk reads, when it is a Helm chart's Go
/// template, when a directory on its path is hidden (other than `.dask` and `.config`), or when
/// a `.ignore` or `.gitignore` from its directory up to the repository root ignores it. A given
/// directory is dropped when hidden or ignored. What is kept is walked as usual.
pub fn force_exclude(paths: &[PathBuf]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    let ignores = Ignores::default();
    let cwd = std::env::current_dir().unwrap_or_default();
    // rayon's `collect` keeps the order of the paths.
    paths
        .par_iter()
        .filter(|p| !ignores.excluded_from(&cwd, p, p.is_dir()))
        .cloned()
        .collect()
}

/// Each directory's `.ignore` and `.gitignore` matchers, read and compiled once per run:
/// pre-commit names thousands of files in a few hundred directories.
#[derive(Default)]
struct Ignores {
    by_dir: Mutex<foldhash::HashMap<PathBuf, std::sync::Arc<DirIgnores>>>,
}

/// One directory's matchers (`.ignore` first: it wins over `.gitignore`, as in the walk),
/// and whether the directory is a repository's root.
struct DirIgnores {
    matchers: Vec<ignore::gitignore::Gitignore>,
    root: bool,
}

impl Ignores {
    /// Whether `--force-exclude` drops `path`, run from the working directory.
    #[cfg(test)]
    fn excluded(&self, path: &Path, is_dir: bool) -> bool {
        self.excluded_from(&std::env::current_dir().unwrap_or_default(), path, is_dir)
    }

    /// Whether `--force-exclude` drops `path`, run from the working directory `cwd`.
    fn excluded_from(&self, cwd: &Path, path: &Path, is_dir: bool) -> bool {
        if !is_dir && (classify(path).is_none() || in_chart_templates(path)) {
            return true;
        }
        // Only directories below the working directory count, as only those below a walked root
        // do: a checkout may itself live under a hidden one (`~/.cache/pre-commit/…`).
        let below = if path.is_absolute() {
            path.strip_prefix(cwd).unwrap_or(Path::new(""))
        } else {
            path
        };
        let mut dirs: Vec<&std::ffi::OsStr> = below
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(name) => Some(name),
                _ => None,
            })
            .collect();
        if !is_dir {
            dirs.pop();
        }
        let hidden = |name: &&std::ffi::OsStr| {
            name.to_str()
                .is_some_and(|n| n.starts_with('.') && !matches!(n, ".dask" | ".config"))
        };
        dirs.iter().any(hidden) || self.ignored(path, is_dir)
    }

    /// Whether the nearest `.ignore`/`.gitignore` with an opinion, from the path's directory up to
    /// the repository root, ignores it (a `!` re-include says no).
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        use ignore::Match;
        let Ok(path) = std::path::absolute(path) else {
            return false;
        };
        for dir in path.ancestors().skip(1) {
            let here = self.of(dir);
            for matcher in &here.matchers {
                match matcher.matched_path_or_any_parents(&path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            if here.root {
                break;
            }
        }
        false
    }

    /// `dir`'s matchers, read the first time it is asked about.
    fn of(&self, dir: &Path) -> std::sync::Arc<DirIgnores> {
        let known = self.lock().get(dir).cloned();
        if let Some(known) = known {
            return known;
        }
        // Read outside the lock: another thread may read the same files meanwhile, and the
        // first answer kept is the one every later question gets (they are the same).
        let matchers = [".ignore", ".gitignore"]
            .iter()
            .map(|name| dir.join(name))
            .filter(|file| file.is_file())
            // A malformed line is skipped, as the walk does; the other lines still count.
            .map(|file| ignore::gitignore::Gitignore::new(&file).0)
            .collect();
        let here = std::sync::Arc::new(DirIgnores {
            matchers,
            root: dir.join(".git").exists(),
        });
        self.lock().entry(dir.to_path_buf()).or_insert(here).clone()
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, foldhash::HashMap<PathBuf, std::sync::Arc<DirIgnores>>> {
        self.by_dir.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn err_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            err_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_owned()
}

pub fn describe_io(path: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound if path.symlink_metadata().is_ok() => {
            "broken symbolic link".into()
        }
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::FileTooLarge => {
            format!("{e} (raise it with `--max-file-size`)")
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk's files come out in `Path`'s order whichever thread found them, for names
    /// that differ only around a separator, a dot or a prefix of each other.
    #[test]
    fn files_sort_in_the_order_of_paths() {
        let names = [
            "a",
            "a/b",
            "a.b",
            "a-b",
            "a/b/c",
            "a//b",
            "a/./b",
            "a/b/",
            "ab",
            "a b",
            ".a",
            "./a",
            "../a",
            "..a",
            ".-",
            "../.-",
            "/a",
            "/",
            "./",
            "a/.b",
            "a/.",
            "é/x",
            "e/x",
            "a/b.yaml",
            "a/b/values.yaml",
            "A",
            "a/B",
        ];
        let paths: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        for a in &paths {
            for b in &paths {
                assert_eq!(
                    path_key(a).cmp(&path_key(b)),
                    a.cmp(b),
                    "{} against {}",
                    a.display(),
                    b.display()
                );
            }
        }
        let mut sorted = paths.clone();
        sort_by_path(&mut sorted, |p| p.as_path());
        let mut expected = paths;
        expected.sort();
        assert_eq!(sorted, expected);
    }

    /// A FIFO put where a file was is refused by its type, without waiting for a writer
    /// (the read opens it non-blocking); so are a device and a directory.
    #[cfg(unix)]
    #[test]
    fn reading_refuses_what_is_not_a_regular_file_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("values.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || tx.send(read_regular(&path, 1 << 20)).unwrap());
        let read = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO blocked");
        assert!(read.unwrap_err().to_string().contains("a FIFO"));
        let zero = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(zero.to_string().contains("a character device"), "{zero}");
        assert!(read_regular(dir.path(), 1 << 20).is_err());
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "a: 1\n").unwrap();
        assert_eq!(read_regular(&file, 1 << 20).unwrap(), b"a: 1\n");
        let large = read_regular(&file, 3).unwrap_err();
        assert!(
            large.to_string().contains("over the 3-byte limit"),
            "{large}"
        );
    }

    #[test]
    fn classifies_by_extension() {
        assert_eq!(classify(Path::new("a/values.YML")), Some(SourceKind::Yaml));
        assert_eq!(classify(Path::new("x.py")), Some(SourceKind::Python));
        assert_eq!(classify(Path::new("n.ipynb")), Some(SourceKind::Notebook));
        assert_eq!(classify(Path::new("README.md")), None);
        assert_eq!(
            classify(Path::new("docker/Dockerfile")),
            Some(SourceKind::Dockerfile)
        );
        assert_eq!(
            classify(Path::new("worker.Dockerfile")),
            Some(SourceKind::Dockerfile)
        );
        assert_eq!(
            classify(Path::new("Dockerfile.gpu")),
            Some(SourceKind::Dockerfile)
        );
    }

    #[test]
    fn force_exclude_drops_what_a_walk_would_skip() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("chart/templates")).unwrap();
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::create_dir_all(root.join("keep")).unwrap();
        std::fs::write(root.join("chart/Chart.yaml"), "name: dask\n").unwrap();
        std::fs::write(root.join("chart/templates/d.yaml"), "{{ .Values }}\n").unwrap();
        std::fs::write(root.join(".gitignore"), "build/\n*.gen.py\n").unwrap();
        std::fs::write(root.join("keep/.gitignore"), "!b.gen.py\n").unwrap();
        let given: Vec<PathBuf> = [
            "chart/Chart.yaml",
            "chart/templates/d.yaml",
            "build/x.py",
            "build",
            "a.gen.py",
            "keep/b.gen.py",
            "main.py",
            "README.md",
        ]
        .iter()
        .map(|p| root.join(p))
        .collect();
        for p in &given[..] {
            if !p.ends_with("build") {
                std::fs::write(p, "").unwrap();
            }
        }
        let kept: Vec<PathBuf> = force_exclude(&given)
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            kept,
            [
                PathBuf::from("chart/Chart.yaml"),
                PathBuf::from("keep/b.gen.py"),
                PathBuf::from("main.py")
            ]
        );
        // Relative paths: a hidden directory on the way excludes, dask's own do not.
        let fresh = Ignores::default;
        assert!(fresh().excluded(Path::new(".github/workflows/ci.yaml"), false));
        assert!(!fresh().excluded(Path::new(".dask/config.yaml"), false));
        assert!(!fresh().excluded(Path::new("./x/job.py"), false));
    }

    /// One run's matchers, read once per directory, answer every path as a fresh reading
    /// does, whichever directory is asked about first: a nested `.gitignore` re-includes
    /// what its parent ignores, for its own directory only.
    #[test]
    fn ignore_files_read_once_answer_as_read_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for d in ["gen/keep", "gen/drop", "src"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join(".gitignore"), "*.gen.py\ngen/drop/\n").unwrap();
        std::fs::write(root.join("gen/keep/.gitignore"), "!*.gen.py\n").unwrap();
        std::fs::write(root.join("src/.ignore"), "local_*.yaml\n").unwrap();
        let names = [
            ("gen/keep/a.gen.py", false),
            ("gen/b.gen.py", true),
            ("gen/keep/c.py", false),
            ("gen/drop/d.py", true),
            ("src/local_dev.yaml", true),
            ("src/e.gen.py", true),
            ("src/deploy.yaml", false),
        ];
        let shared = Ignores::default();
        // Deepest first, then the other way round: the answers do not depend on the order.
        for order in [names.to_vec(), names.iter().rev().copied().collect()] {
            for (name, ignored) in order {
                let path = root.join(name);
                std::fs::write(&path, "").unwrap();
                assert_eq!(shared.excluded(&path, false), ignored, "{name}");
                let afresh = Ignores::default().excluded(&path, false);
                assert_eq!(afresh, ignored, "{name} read afresh");
            }
        }
    }

    fn relative_names(found: &Discovery, root: &Path) -> Vec<PathBuf> {
        found
            .files
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().to_path_buf())
            .collect()
    }

    #[test]
    fn skips_chart_templates_and_honours_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("chart/templates")).unwrap();
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::write(root.join("chart/Chart.yaml"), "name: dask\n").unwrap();
        std::fs::write(root.join("chart/values.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("chart/templates/d.yaml"), "{{ .Values }}\n").unwrap();
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        std::fs::write(root.join("build/x.py"), "").unwrap();
        std::fs::write(root.join("main.py"), "").unwrap();
        let found = discover(&[root.to_path_buf()]);
        let names = relative_names(&found, root);
        assert_eq!(
            names,
            [
                PathBuf::from("chart/Chart.yaml"),
                PathBuf::from("chart/values.yaml"),
                PathBuf::from("main.py")
            ]
        );
        assert!(found.files[1].beside_chart);
        // Another chart's values are not the dask chart's, whatever keys they share.
        std::fs::write(root.join("chart/Chart.yaml"), "name: feature-store\n").unwrap();
        assert!(!discover(&[root.to_path_buf()]).files[1].beside_chart);
    }

    #[test]
    fn dask_config_dirs_are_walked_other_hidden_dirs_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in [".config/dask", ".dask", ".git", ".venv/lib"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            ".config/dask/kubernetes.yaml",
            ".dask/config.yaml",
            ".git/x.yaml",
            ".venv/lib/y.py",
            ".pre-commit-config.yaml",
        ] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let found = discover(&[root.to_path_buf()]);
        let names = relative_names(&found, root);
        assert_eq!(
            names,
            [
                PathBuf::from(".config/dask/kubernetes.yaml"),
                PathBuf::from(".dask/config.yaml"),
                PathBuf::from(".pre-commit-config.yaml")
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn broken_link_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("missing.yaml"),
            dir.path().join("link.yaml"),
        )
        .unwrap();
        let found = discover(&[dir.path().to_path_buf()]);
        assert!(found.files.is_empty());
        assert_eq!(found.warnings.len(), 1);
        assert!(
            found.warnings[0].message.contains("broken"),
            "{:?}",
            found.warnings
        );
    }
}
