//! Versions in play: the release of `distributed` a fixed construct will actually run under.
//!
//! A "safe" fix must keep behaviour for the versions in play, not only at the target: `dask
//! worker` does not exist in a container running `daskdev/dask:2022.1.0`. For one finding the
//! version is, in order:
//! 1. the tag of the image of the container (YAML: the nearest mapping around the finding with
//!    an `image`, or a Helm-values `image: {repository, tag}`; Python: the `image=` keyword of
//!    the call around the finding), when the image is a known Dask image
//!    ([`KNOWN_IMAGES`]: `daskdev/dask`, `ghcr.io/dask/dask`, `daskdev/dask-notebook`,
//!    `ghcr.io/dask/dask-notebook`, whose tags are dask releases, which `distributed` shares).
//!    `rapidsai/*` images are not read: their tags carry the RAPIDS release (`24.02`), not a
//!    dask version. `latest`, a digest or a tag that is not a version count as no tag;
//! 2. the nearest exact pin of `distributed` (else `dask`) in the project's dependency files
//!    (`project::find_pins`, searched from the file upwards);
//! 3. the target (`--target distributed=…`, else the newest release the packs know).
//!
//! Versions are compared as PEP 440 versions (`pep440_rs`): `2023.8.1.post1`, `rc10 > rc2`.

use super::Context;
use crate::source::TextRange;
use crate::source::python::{Field, FieldChild as _, KindName as _};
use crate::source::yaml::{Node, Value, YamlFile};
use pep440_rs::Version as Pep440;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Images whose tag is a dask/distributed release.
pub const KNOWN_IMAGES: &[&str] = &[
    "daskdev/dask",
    "ghcr.io/dask/dask",
    "daskdev/dask-notebook",
    "ghcr.io/dask/dask-notebook",
    "docker.io/daskdev/dask",
    "docker.io/daskdev/dask-notebook",
];

/// Where a version in play came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A container image's tag; the range of the image value in the file's text, and the
    /// 1-based line it starts on (counted once, through the pass's memo: a count per
    /// description made N findings cost N × the file, #13).
    Image {
        image: String,
        range: TextRange,
        line: usize,
    },
    /// An exact pin in a dependency file, at a 1-based line (0 when not found again).
    Pin { file: PathBuf, line: usize },
    /// `--target` (explicit) or the newest release the packs know.
    Target { explicit: bool },
}

/// The version of `distributed` in play for one finding, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InPlay {
    pub version: Pep440,
    pub source: Source,
}

impl InPlay {
    /// Whether this version has what appeared in `since`.
    pub fn has(&self, since: &str) -> bool {
        Pep440::from_str(since).is_ok_and(|since| self.version >= since)
    }

    /// "the image `daskdev/dask:2022.1.0` at k8s/worker.yaml:12", "the pin at
    /// requirements.txt:3", "the target (--target distributed=…)".
    pub fn describe(&self, path: &Path, text: &str) -> String {
        match &self.source {
            Source::Image { image, range, line } => {
                let line = image_line(*line, text, *range);
                format!("the image `{image}` at {}:{line}", path.display())
            }
            Source::Pin { file, line } => {
                let shown = relative_to(file, path);
                if *line > 0 {
                    format!("the pin at {shown}:{line}")
                } else {
                    format!("the pin in {shown}")
                }
            }
            Source::Target { explicit: true } => {
                format!("the target (--target distributed={})", self.version)
            }
            Source::Target { explicit: false } => {
                format!("the default target distributed {}", self.version)
            }
        }
    }
}

impl InPlay {
    /// The report form: `image` at `path:line`, `pin` at `requirements.txt:3`, or the target.
    pub fn note(&self, display_path: &str, text: &str) -> crate::report::VersionSource {
        let (source, at) = match &self.source {
            Source::Image { range, line, .. } => {
                let line = image_line(*line, text, *range);
                ("image", Some(format!("{display_path}:{line}")))
            }
            Source::Pin { file, line } => {
                let shown = relative_to(file, Path::new(display_path));
                (
                    "pin",
                    Some(if *line > 0 {
                        format!("{shown}:{line}")
                    } else {
                        shown
                    }),
                )
            }
            Source::Target { explicit: true } => ("--target", None),
            Source::Target { explicit: false } => ("default", None),
        };
        crate::report::VersionSource {
            component: "distributed".into(),
            version: self.version.to_string(),
            source: source.into(),
            at,
        }
    }
}

/// The line of an image source: the one [`distributed`] counted, else counted in `text`.
fn image_line(line: usize, text: &str, range: TextRange) -> usize {
    if line > 0 {
        return line;
    }
    text[..range.start().min(text.len())].matches('\n').count() + 1
}

/// A pin file shown relative to the fixed file's directory when it is beside or above it.
fn relative_to(file: &Path, path: &Path) -> String {
    let dir = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let mut up = 0;
    let mut current = dir;
    while let Some(d) = current {
        if let Ok(rest) = file.strip_prefix(&d) {
            let prefix = "../".repeat(up);
            return format!("{prefix}{}", rest.display());
        }
        up += 1;
        current = d.parent().map(Path::to_path_buf);
        if up > 8 {
            break;
        }
    }
    file.display().to_string()
}

/// The dask version an image runs, when it is a known Dask image with a version tag.
pub fn image_version(image: &str) -> Option<Pep440> {
    let image = image.trim();
    let image = image.split('@').next()?; // a digest pins bytes, not a readable version
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match image[slash..].find(':') {
        Some(i) => (&image[..slash + i], &image[slash + i + 1..]),
        None => return None,
    };
    if !KNOWN_IMAGES.contains(&name) {
        return None;
    }
    // `2023.8.1-py3.11`: the dask version is the part before the Python suffix.
    let version = tag.split("-py").next()?;
    Pep440::from_str(version).ok()
}

/// The version of `distributed` in play at the finding of `cx`.
pub fn distributed(cx: &Context<'_>) -> Option<InPlay> {
    if let Some(found) = match cx.parsed {
        super::Parsed::Yaml(file) => yaml_image(file, cx.range),
        super::Parsed::Python(doc) => python_image(doc, cx.text, cx.range),
    } {
        let mut found = found;
        if let Source::Image { range, line, .. } = &mut found.source {
            *line = cx.memo.line(cx.text, range.start());
        }
        return Some(found);
    }
    if let Some(pin) = nearest_pin(cx.path) {
        return Some(pin);
    }
    let explicit = cx.targets.explicit.contains_key("distributed");
    let target = cx.target("distributed")?;
    Some(InPlay {
        version: Pep440::from_str(&target.to_string()).ok()?,
        source: Source::Target { explicit },
    })
}

/// The root of the document holding `range`, or every root when none does. Only that
/// document can hold what is around `range`: found by position (documents are in text
/// order), so a stream of N documents is not looked through per finding (#13).
fn roots_around(file: &YamlFile, range: TextRange) -> Vec<&Node> {
    let docs = &file.documents;
    let after = docs.partition_point(|d| d.range.start() <= range.start());
    let near = &docs[after.saturating_sub(1)..docs.len().min(after + 1)];
    let holding = near
        .iter()
        .filter_map(|d| d.root.as_ref())
        .find(|r| r.range.contains_range(range));
    match holding {
        Some(root) => vec![root],
        None => docs.iter().filter_map(|d| d.root.as_ref()).collect(),
    }
}

/// The innermost mapping around `range` that names a known image with a version tag.
fn yaml_image(file: &YamlFile, range: TextRange) -> Option<InPlay> {
    let mut best: Option<InPlay> = None;
    for root in roots_around(file, range) {
        let mut todo: Vec<&Node> = vec![root];
        while let Some(node) = todo.pop() {
            if !node.range.contains_range(range) {
                continue;
            }
            match &node.value {
                Value::Map(entries) => {
                    if let Some(found) = map_image(node) {
                        best = Some(found); // deeper maps are visited later: innermost wins
                    }
                    todo.extend(entries.iter().map(|e| &e.value));
                }
                Value::Seq(items) => todo.extend(items),
                Value::Scalar(_) => {}
            }
        }
    }
    best
}

/// `image: daskdev/dask:2022.1.0`, `image: {repository: daskdev/dask, tag: 2022.1.0}`, or
/// the `{repository, tag}` map itself (the dask chart's `worker.image.dask_worker`).
fn map_image(map: &Node) -> Option<InPlay> {
    let of_parts = |node: &Node| -> Option<InPlay> {
        let repository = node.get_str("repository")?;
        let tag = node.get("tag")?;
        let tag_text = tag.as_str()?;
        let image = format!("{repository}:{tag_text}");
        Some(InPlay {
            version: image_version(&image)?,
            source: Source::Image {
                image,
                range: tag.range,
                line: 0,
            },
        })
    };
    if let Some(image) = map.get("image") {
        if let Some(text) = image.as_str() {
            return Some(InPlay {
                version: image_version(text)?,
                source: Source::Image {
                    image: text.to_owned(),
                    range: image.range,
                    line: 0,
                },
            });
        }
        return of_parts(image);
    }
    of_parts(map)
}

/// The `image=` keyword of the innermost call around `range` that has one.
fn python_image(
    doc: &crate::source::python::PyDocument,
    text: &str,
    range: TextRange,
) -> Option<InPlay> {
    let mut node = doc
        .tree
        .root_node()
        .descendant_for_byte_range(range.start(), range.end())?;
    for _ in 0..32 {
        node = node.parent()?;
        if node.kind_name() != "call" {
            continue;
        }
        let Some(arguments) = node.field(Field::Arguments) else {
            continue;
        };
        let mut cursor = arguments.walk();
        for argument in arguments.named_children(&mut cursor) {
            if argument.kind_name() != "keyword_argument" {
                continue;
            }
            let name = argument.field(Field::Name);
            let value = argument.field(Field::Value);
            let (Some(name), Some(value)) = (name, value) else {
                continue;
            };
            if text.get(name.byte_range()) != Some("image") || value.kind_name() != "string" {
                continue;
            }
            let literal = text.get(value.byte_range())?;
            let image = literal.trim_matches(|c| c == '"' || c == '\'');
            return Some(InPlay {
                version: image_version(image)?,
                source: Source::Image {
                    image: image.to_owned(),
                    range: TextRange::new(value.start_byte(), value.end_byte()),
                    line: 0,
                },
            });
        }
    }
    None
}

/// The nearest exact pin of `distributed`, else `dask` (they release together); while a
/// [`PinScope`] is open, looked up once per directory.
fn nearest_pin(path: &Path) -> Option<InPlay> {
    let dir = std::path::absolute(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    if let Some(dir) = &dir
        && let Some(found) = with_pin_cache(|c| c.by_dir.get(dir).cloned()).flatten()
    {
        return found;
    }
    let found = read_nearest_pin(path, true);
    if let Some(dir) = dir {
        with_pin_cache(|c| c.by_dir.insert(dir, found.clone()));
    }
    found
}

/// What [`nearest_pin`] found per directory, kept while a [`PinScope`] is open.
struct PinCache {
    scopes: usize,
    by_dir: std::collections::BTreeMap<PathBuf, Option<InPlay>>,
    /// [`pins_from`] per directory: the directories above a file are shared by the files
    /// of every directory under them, and each is listed and read once.
    from_dir: std::collections::BTreeMap<PathBuf, Nearest>,
}

static PINS: std::sync::Mutex<PinCache> = std::sync::Mutex::new(PinCache {
    scopes: 0,
    by_dir: std::collections::BTreeMap::new(),
    from_dir: std::collections::BTreeMap::new(),
});

/// The distributions whose pin says which `distributed` is in play.
const PINNED: [&str; 2] = ["distributed", "dask"];

/// The nearest exact pin of each of [`PINNED`], from a directory upwards.
type Nearest = std::sync::Arc<std::collections::BTreeMap<String, crate::project::Pin>>;

/// Run `f` on the cache, if a [`PinScope`] is open.
fn with_pin_cache<T>(f: impl FnOnce(&mut PinCache) -> T) -> Option<T> {
    let mut cache = PINS.lock().ok()?;
    (cache.scopes > 0).then(|| f(&mut cache))
}

/// The pins of [`PINNED`] that `crate::project::find_pins` finds from `dir`: each
/// directory's own files, the nearest directory first, up to the repository root. When
/// `cached`, within a [`PinScope`], each directory is read once for the whole run.
fn pins_from(dir: &Path, cached: bool) -> Nearest {
    let known = |d: &Path| {
        cached
            .then(|| with_pin_cache(|c| c.from_dir.get(d).cloned()))
            .flatten()
            .flatten()
    };
    // `dir` and the directories above it, up to one already known or the root.
    let mut unknown: Vec<&Path> = Vec::new();
    let mut above: Option<Nearest> = None;
    for d in dir.ancestors() {
        if let Some(known) = known(d) {
            above = Some(known);
            break;
        }
        unknown.push(d);
        if crate::project::is_search_root(d) {
            break;
        }
    }
    let mut nearest = above.unwrap_or_default();
    for d in unknown.into_iter().rev() {
        let mut own: std::collections::BTreeMap<String, crate::project::Pin> =
            crate::project::pins_in(d)
                .into_iter()
                .filter(|(name, _)| PINNED.contains(&name.as_str()))
                .collect();
        for (name, pin) in nearest.iter() {
            own.entry(name.clone()).or_insert_with(|| pin.clone());
        }
        nearest = std::sync::Arc::new(own);
        if cached {
            with_pin_cache(|c| c.from_dir.insert(d.to_path_buf(), nearest.clone()));
        }
    }
    nearest
}

/// While one is alive, [`nearest_pin`] reads each directory's dependency files once: a scan
/// asks for every `distributed` command and flag it sees, per fix pass, and the files do not
/// change during a run. The last one dropped forgets what was read.
pub struct PinScope(());

impl PinScope {
    pub fn open() -> PinScope {
        if let Ok(mut cache) = PINS.lock() {
            cache.scopes += 1;
        }
        PinScope(())
    }
}

impl Drop for PinScope {
    fn drop(&mut self) {
        if let Ok(mut cache) = PINS.lock() {
            cache.scopes = cache.scopes.saturating_sub(1);
            if cache.scopes == 0 {
                cache.by_dir.clear();
                cache.from_dir.clear();
            }
        }
    }
}

/// [`nearest_pin`] read from the files (`cached`: the directories above it as first read
/// within a [`PinScope`]).
fn read_nearest_pin(path: &Path, cached: bool) -> Option<InPlay> {
    let path = std::path::absolute(path).ok()?;
    let start = if path.is_dir() {
        path.as_path()
    } else {
        path.parent().unwrap_or(&path)
    };
    let pins = pins_from(start, cached);
    let (name, pin) = PINNED
        .iter()
        .find_map(|name| pins.get(*name).map(|p| (*name, p)))?;
    let version = Pep440::from_str(&pin.version.text).ok()?;
    let line = std::fs::read_to_string(&pin.file)
        .ok()
        .and_then(|text| {
            text.lines().position(|l| {
                let l = l.to_ascii_lowercase();
                l.contains(name) && l.contains(&pin.version.text.to_ascii_lowercase())
            })
        })
        .map_or(0, |i| i + 1);
    Some(InPlay {
        version,
        source: Source::Pin {
            file: pin.file.clone(),
            line,
        },
    })
}

/// The edit that bumps the image tag of `v` (an image source) to `to`; `None` when the
/// version is not from an image or its tag is not written verbatim.
pub fn image_bump(text: &str, v: &InPlay, to: &str) -> Option<crate::source::edit::Edit> {
    let Source::Image { range, .. } = &v.source else {
        return None;
    };
    let written = text.get(range.as_range())?;
    if written.contains('@') {
        return None; // a digest decides what runs; a new tag beside it would be ignored
    }
    // The tag as written in the image value: after the last `:` (or the whole `tag:` value).
    let tag_start = written.rfind(':').map_or(0, |i| i + 1);
    let tag = written[tag_start..].trim_end_matches(['"', '\'']);
    let tag = tag.trim_start_matches(['"', '\'']);
    let version_len = tag.find("-py").unwrap_or(tag.len());
    let offset = written[tag_start..].find(tag)? + tag_start;
    if version_len == 0 {
        return None;
    }
    let at = range.start() + offset;
    Some(crate::source::edit::Edit::replace(
        TextRange::new(at, at + version_len),
        to,
    ))
}

/// A flag of the command around the finding of `cx` that the CLI of `since` rejects and no
/// rule fixes (`--bokeh-port`): such a command is not worth rewriting alone.
pub fn rejected_flag(cx: &Context<'_>, since: &str) -> Option<String> {
    let since: crate::rules::Version = since.parse().ok()?;
    let command = command_text(cx)?;
    let rejected = |word: &str| {
        let flag = word.split('=').next().unwrap_or(word);
        cx.rules.rules.iter().any(|rule| {
            rule.fix.is_none()
                && rule.window.removed_in.as_ref().is_some_and(|r| *r <= since)
                && matches!(&rule.matcher, crate::rules::pack::MatchDef::Flag(flags)
                    if flags.to_vec().iter().any(|f| f == flag))
        })
    };
    command
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '(' | ')' | '"' | '\''))
        .find(|w| w.starts_with('-') && rejected(w))
        .map(str::to_owned)
}

/// The text of the command around the finding: a YAML container's `command` and `args` (or
/// the list or string holding the finding), a Python list or string.
fn command_text(cx: &Context<'_>) -> Option<String> {
    match cx.parsed {
        super::Parsed::Yaml(file) => {
            let mut container: Option<&Node> = None;
            let mut innermost: Option<&Node> = None;
            for root in roots_around(file, cx.range) {
                let mut todo: Vec<&Node> = vec![root];
                while let Some(node) = todo.pop() {
                    if !node.range.contains_range(cx.range) {
                        continue;
                    }
                    innermost = Some(node);
                    match &node.value {
                        Value::Map(entries) => {
                            if node.get("args").is_some() || node.get("command").is_some() {
                                container = Some(node);
                            }
                            todo.extend(entries.iter().map(|e| &e.value));
                        }
                        Value::Seq(items) => todo.extend(items),
                        Value::Scalar(_) => {}
                    }
                }
            }
            if let Some(map) = container {
                let part = |key: &str| {
                    map.get(key)
                        .and_then(|n| cx.text.get(n.range.as_range()))
                        .unwrap_or("")
                };
                return Some(format!("{} {}", part("command"), part("args")));
            }
            innermost.and_then(|n| cx.text.get(n.range.as_range()).map(str::to_owned))
        }
        super::Parsed::Python(doc) => {
            let mut node = doc
                .tree
                .root_node()
                .descendant_for_byte_range(cx.range.start(), cx.range.end())?;
            for _ in 0..4 {
                if matches!(node.kind_name(), "list" | "tuple") {
                    break;
                }
                match node.parent() {
                    Some(parent) if !matches!(parent.kind_name(), "module" | "block") => {
                        node = parent
                    }
                    _ => break,
                }
            }
            cx.text.get(node.byte_range()).map(str::to_owned)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Pep440 {
        Pep440::from_str(s).unwrap()
    }

    #[test]
    fn known_images_give_their_tag() {
        assert_eq!(image_version("daskdev/dask:2022.1.0"), Some(v("2022.1.0")));
        assert_eq!(
            image_version("ghcr.io/dask/dask:2023.8.1-py3.11"),
            Some(v("2023.8.1"))
        );
        assert_eq!(
            image_version("ghcr.io/dask/dask-notebook:2024.1.0"),
            Some(v("2024.1.0"))
        );
        assert_eq!(image_version("daskdev/dask:latest"), None);
        assert_eq!(image_version("daskdev/dask"), None);
        assert_eq!(image_version("rapidsai/base:24.02-cuda11.8-py3.10"), None);
        assert_eq!(image_version("example.org/team/dask:2022.1.0"), None);
        assert_eq!(image_version("daskdev/dask@sha256:abc"), None);
    }

    #[test]
    fn a_scope_reads_each_directory_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let pins = dir.path().join("requirements.txt");
        std::fs::write(&pins, "distributed==2023.1.0\n").unwrap();
        let file = dir.path().join("worker.yaml");
        let version = |p: Option<InPlay>| p.map(|p| p.version.to_string());
        {
            let _scope = PinScope::open();
            assert_eq!(version(nearest_pin(&file)).as_deref(), Some("2023.1.0"));
            // Within a run the files are taken as they were first read …
            std::fs::write(&pins, "distributed==2024.1.0\n").unwrap();
            let again = nearest_pin(&dir.path().join("scheduler.yaml"));
            assert_eq!(version(again).as_deref(), Some("2023.1.0"));
        }
        // … and the reader itself always reads them afresh.
        assert_eq!(
            version(read_nearest_pin(&file, false)).as_deref(),
            Some("2024.1.0")
        );
    }

    #[test]
    fn pins_are_found_as_find_pins_finds_them_and_each_directory_is_read_once() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        let (team, job, other) = (
            root.path().join("team"),
            root.path().join("team/job"),
            root.path().join("team/other"),
        );
        for d in [&job, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        let top = root.path().join("requirements.txt");
        std::fs::write(&top, "distributed==2023.1.0\ndask==2023.1.0\n").unwrap();
        std::fs::write(team.join("requirements.txt"), "dask==2024.1.0\n").unwrap();
        let versions = |n: &Nearest| {
            n.iter()
                .map(|(name, pin)| format!("{name} {}", pin.version))
                .collect::<Vec<_>>()
        };
        let expected = |dir: &Path| {
            let mut only = crate::project::find_pins(&[dir.to_path_buf()]);
            only.retain(|name, _| PINNED.contains(&name.as_str()));
            versions(&std::sync::Arc::new(only))
        };
        // The nearest directory wins for each name; `distributed` comes from the root.
        assert_eq!(
            versions(&pins_from(&job, false)),
            ["dask 2024.1.0", "distributed 2023.1.0"]
        );
        for d in [&job, &other, &team, &root.path().to_path_buf()] {
            assert_eq!(
                versions(&pins_from(d, false)),
                expected(d),
                "{}",
                d.display()
            );
        }
        {
            let _scope = PinScope::open();
            assert_eq!(versions(&pins_from(&job, true))[1], "distributed 2023.1.0");
            // A sibling's run shares the directories above it, as first read.
            std::fs::write(&top, "distributed==2025.1.0\n").unwrap();
            assert_eq!(
                versions(&pins_from(&other, true))[1],
                "distributed 2023.1.0"
            );
        }
        assert_eq!(
            versions(&pins_from(&other, false))[1],
            "distributed 2025.1.0"
        );
    }

    #[test]
    fn pep440_ordering() {
        let at = |s: &str| InPlay {
            version: v(s),
            source: Source::Target { explicit: true },
        };
        assert!(at("2022.10.0").has("2022.10.0"));
        assert!(at("2023.8.1.post1").has("2023.8.1"));
        assert!(!at("2022.10.0rc1").has("2022.10.0"));
        assert!(v("2022.10.0rc10") > v("2022.10.0rc2"));
        assert!(!at("2022.9.2").has("2022.10.0"));
    }
}
