//! The files a hand-written Dask stack may span, for `hand-rolled-to-daskcluster`: the YAML
//! files beside the scheduler's and in the directories around it (within the paths given,
//! through [`Context::beside`] and [`Context::others`]; never the disk itself), each with how
//! far up from the scheduler's directory it sits, and the kustomizations among them that
//! patch the stack's objects (which would no longer apply to a DaskCluster).
//!
//! Never writes, never reads a file `Context::others` refuses.

use crate::migrate::{Context, Declined, Nearby, OtherText};
use crate::source::yaml::{self, Node, YamlFile};
use std::path::{Component, Path, PathBuf};

/// A YAML file near the scheduler's: its name relative to the scheduler's directory (as the
/// report names it), how far the scope must widen to hold it (`x.yaml`: 0;
/// `../workers/x.yaml`, `sub/x.yaml`: 1), its text and
/// tree, or why it cannot be changed with the scheduler's file.
pub(super) struct Beside {
    pub name: String,
    pub level: usize,
    pub text: Option<OtherText>,
    /// Shared with the other parses of its text ([`yaml::parse_shared`]).
    pub file: Option<std::rc::Rc<YamlFile>>,
    pub refused: Option<String>,
}

impl Beside {
    pub fn roots(&self) -> Vec<&Node> {
        self.file
            .iter()
            .flat_map(|f| &f.documents)
            .filter_map(|d| d.root.as_ref())
            .collect()
    }

    fn is_kustomization(&self) -> bool {
        is_kustomization_name(&self.name)
    }
}

pub(crate) fn is_kustomization_name(name: &str) -> bool {
    matches!(
        Path::new(name).file_name().and_then(|n| n.to_str()),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}

/// The YAML files [`Context::beside`] lists for the scheduler's file, read through
/// [`Context::others`]. A file that is not YAML dusk can read has its own finding and holds
/// nothing of the stack; one that cannot be read with the scheduler's file is kept with the
/// reason. Parsing is what costs, so only files that could hold a part of `scheduler`'s
/// stack are parsed, in two rounds: kustomizations and Services that may select its pods
/// (their text holds one of its pod labels' values), then files naming one of the hosts
/// workers reach it by (those Services, its own name) or holding a scheduler with its
/// labels. The rest are left out.
///
/// Only files at most `limit` directories up are read (kustomizations at any level): the
/// caller widens the scope one level at a time, so a stack complete in its directory never
/// reads the rest of the tree. Also returns whether a wider scope has more files (and is
/// not too large to read: [`MAX_FILES`]).
pub(super) fn load(cx: &Context<'_>, scheduler: &Node, limit: usize) -> (Vec<Beside>, bool) {
    let (Some(read), Some(list)) = (cx.others, cx.beside) else {
        return (Vec::new(), false);
    };
    let listed = list(cx.path);
    let own = cx.path.file_name().and_then(|n| n.to_str());
    // The scheduler's own file is listed under its name, in its directory.
    let is_own = |n: &Nearby| n.level == 0 && Some(n.written.as_str()) == own;
    let wider = listed
        .iter()
        .filter(|n| n.level <= limit + 1 && !is_own(n))
        .count();
    let more = listed.iter().any(|n| n.level > limit) && wider <= MAX_FILES;
    let labels: Vec<String> = scheduler
        .path(&["spec", "template", "metadata", "labels"])
        .map(Node::string_map)
        .unwrap_or_default()
        .into_values()
        .collect();
    // Each with its place in the listing, to keep its order (its directory first, sorted),
    // whichever round read them.
    let mut out: Vec<(usize, Beside)> = Vec::new();
    let mut unparsed: Vec<(usize, String, usize, OtherText)> = Vec::new();
    for (at, nearby) in listed.iter().enumerate() {
        if is_own(nearby) || (nearby.level > limit && !nearby.kustomization) {
            continue;
        }
        let (written, level) = (nearby.written.clone(), nearby.level);
        let other = match read(cx.path, &written) {
            Ok(o) => o,
            Err(why) => {
                let refused = if why.contains(&format!("{written}`")) {
                    why
                } else {
                    format!("`{written}`: {why}")
                };
                out.push((
                    at,
                    Beside {
                        name: written,
                        level,
                        text: None,
                        file: None,
                        refused: Some(refused),
                    },
                ));
                continue;
            }
        };
        let service = other.text.contains("Service")
            && labels.iter().any(|v| other.text.contains(v.as_str()));
        if nearby.kustomization || service {
            push_parsed(&mut out, at, written, level, other);
        } else {
            unparsed.push((at, written, level, other));
        }
    }
    let mut names: Vec<String> = scheduler
        .path(&["metadata", "name"])
        .and_then(Node::as_str)
        .map(str::to_owned)
        .into_iter()
        .collect();
    for (_, b) in &out {
        for r in b.roots() {
            if r.get_str("kind") == Some("Service")
                && super::hand_rolled_to_daskcluster::selects(r, scheduler)
            {
                names.extend(
                    r.path(&["metadata", "name"])
                        .and_then(Node::as_str)
                        .map(str::to_owned),
                );
            }
        }
    }
    names.retain(|n| !n.is_empty());
    for (at, written, level, other) in unparsed {
        let text = other.text.as_str();
        let names_a_host = names.iter().any(|n| text.contains(n.as_str()));
        let like_scheduler = text.contains("scheduler")
            && !labels.is_empty()
            && labels.iter().all(|v| text.contains(v.as_str()));
        if names_a_host || like_scheduler {
            push_parsed(&mut out, at, written, level, other);
        }
    }
    out.sort_by_key(|(at, _)| *at);
    (out.into_iter().map(|(_, b)| b).collect(), more)
}

/// The most YAML files a stack's scope is widened to: beyond, the files around a scheduler
/// are a corpus, not its stack, and reading them for every fix would cost the tree's size.
pub(crate) const MAX_FILES: usize = 400;

fn push_parsed(
    out: &mut Vec<(usize, Beside)>,
    at: usize,
    name: String,
    level: usize,
    other: OtherText,
) {
    // Every finding of a stack's file and each of its fix loops read the same files.
    let Ok(file) = yaml::parse_shared(&other.text, yaml::Limits::default()) else {
        return;
    };
    out.push((
        at,
        Beside {
            name,
            level,
            text: Some(other),
            file: Some(file),
            refused: None,
        },
    ));
}

/// A stack's object as kustomize patches name it.
pub(super) struct Member<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    /// The file holding it: `None` the scheduler's, else an index into what [`load`] read.
    pub home: Option<usize>,
}

/// Declined when a kustomization among `loaded` builds from one of the stack's files and
/// patches one of its objects (`patches`, `patchesStrategicMerge`, `patchesJson6902`,
/// `replicas`): the patch would find no Deployment or Service to apply to once they are a
/// DaskCluster, and `kustomize build` fails or silently drops the change.
pub(super) fn kustomize_check(
    cx: &Context<'_>,
    loaded: &[Beside],
    members: &[Member<'_>],
) -> Result<(), Declined> {
    let Some(dir) = cx.path.parent().map(absolute) else {
        return Ok(());
    };
    let mut stack_files: Vec<PathBuf> = vec![absolute(cx.path)];
    for m in members {
        if let Some(i) = m.home {
            stack_files.push(lexical(&dir.join(&loaded[i].name)));
        }
    }
    let kustomizations: Vec<(PathBuf, &Beside, &Node)> = loaded
        .iter()
        .filter(|b| b.is_kustomization())
        .filter_map(|b| {
            let root = b.file.as_ref()?.documents.first()?.root.as_ref()?;
            Some((lexical(&dir.join(&b.name)), b, root))
        })
        .collect();
    for (path, b, root) in &kustomizations {
        if !reaches(path, root, &kustomizations, &stack_files, 0) {
            continue;
        }
        let text = b.text.as_ref().map_or("", |t| t.text.as_str());
        for (kind, name, at) in patch_targets(cx, path, root) {
            let Some(m) = members
                .iter()
                .find(|m| m.name == name && kind.as_deref().is_none_or(|k| k == m.kind))
            else {
                continue;
            };
            return Err(Declined::new(format!(
                "kustomization `{}` patches {} `{}` of this stack ({}): once the stack is a DaskCluster the patch finds nothing to apply to; move what it changes into the manifests (or rewrite it as a patch of the DaskCluster) and rerun",
                b.name,
                m.kind,
                m.name,
                crate::migrate::line_of(text, at),
            )));
        }
    }
    Ok(())
}

/// The kustomizations among `loaded` that list one of the files `emptied` (indices into
/// `loaded`) in their `resources`: each kustomization's name and those entries as written.
pub(super) fn listing(
    cx: &Context<'_>,
    loaded: &[Beside],
    emptied: &[usize],
) -> Vec<(String, Vec<String>)> {
    let Some(dir) = cx.path.parent().map(absolute) else {
        return Vec::new();
    };
    let gone: Vec<PathBuf> = emptied
        .iter()
        .map(|i| lexical(&dir.join(&loaded[*i].name)))
        .collect();
    let mut out = Vec::new();
    for b in loaded.iter().filter(|b| b.is_kustomization()) {
        let Some(root) = b
            .file
            .as_ref()
            .and_then(|f| f.documents.first())
            .and_then(|d| d.root.as_ref())
        else {
            continue;
        };
        let path = lexical(&dir.join(&b.name));
        let Some(kdir) = path.parent() else { continue };
        let entries: Vec<String> = root
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .filter(|r| gone.contains(&lexical(&kdir.join(r))))
            .map(str::to_owned)
            .collect();
        if !entries.is_empty() {
            out.push((b.name.clone(), entries));
        }
    }
    out
}

/// Whether the kustomization at `path` builds from one of `stack_files`, directly or through
/// the kustomizations of the directories it lists.
fn reaches(
    path: &Path,
    root: &Node,
    all: &[(PathBuf, &Beside, &Node)],
    stack_files: &[PathBuf],
    depth: usize,
) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    if depth > 8 {
        return false;
    }
    ["resources", "bases", "components"]
        .iter()
        .filter_map(|k| root.get(k).and_then(Node::as_seq))
        .flatten()
        .filter_map(Node::as_str)
        .filter(|r| !r.contains("://"))
        .any(|r| {
            let p = lexical(&dir.join(r));
            stack_files.contains(&p)
                || all.iter().any(|(k, _, kroot)| {
                    k.parent() == Some(p.as_path())
                        && reaches(k, kroot, all, stack_files, depth + 1)
                })
        })
}

/// The objects a kustomization patches: `(kind, name, offset of the patch)`, the kind
/// `None` when the patch names only the object (`replicas`).
fn patch_targets(
    cx: &Context<'_>,
    path: &Path,
    root: &Node,
) -> Vec<(Option<String>, String, usize)> {
    let mut out = Vec::new();
    let of_target = |item: &Node| {
        let t = item.get("target")?;
        Some((
            t.get_str("kind").map(str::to_owned),
            t.get_str("name")?.to_owned(),
            item.range.start(),
        ))
    };
    for key in ["patches", "patchesJson6902"] {
        for item in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
            if let Some(t) = of_target(item) {
                out.push(t);
            } else if let Some(p) = item.get_str("path") {
                out.extend(objects_of_patch(cx, path, p, item.range.start()));
            } else if let Some(inline) = item.get_str("patch") {
                out.extend(objects_in(inline, item.range.start()));
            }
        }
    }
    for item in root
        .get("patchesStrategicMerge")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let Some(s) = item.as_str() else { continue };
        if s.contains('\n') {
            out.extend(objects_in(s, item.range.start()));
        } else {
            out.extend(objects_of_patch(cx, path, s, item.range.start()));
        }
    }
    for item in root
        .get("replicas")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        if let Some(n) = item.get_str("name") {
            out.push((None, n.to_owned(), item.range.start()));
        }
    }
    out
}

/// The objects a patch file names, read through [`Context::others`] (a file that cannot be
/// read names none: kustomize itself would fail on it).
fn objects_of_patch(
    cx: &Context<'_>,
    kustomization: &Path,
    written: &str,
    at: usize,
) -> Vec<(Option<String>, String, usize)> {
    let Some(read) = cx.others else {
        return Vec::new();
    };
    let Some(dir) = kustomization.parent() else {
        return Vec::new();
    };
    let full = lexical(&dir.join(written));
    let Some(full) = full.to_str() else {
        return Vec::new();
    };
    match read(cx.path, full) {
        Ok(t) => objects_in(&t.text, at),
        Err(_) => Vec::new(),
    }
}

fn objects_in(text: &str, at: usize) -> Vec<(Option<String>, String, usize)> {
    let Ok(file) = yaml::parse_shared(text, yaml::Limits::default()) else {
        return Vec::new();
    };
    file.documents
        .iter()
        .filter_map(|d| d.root.as_ref())
        .filter_map(|r| {
            Some((
                r.get_str("kind").map(str::to_owned),
                r.path(&["metadata", "name"])?.as_str()?.to_owned(),
                at,
            ))
        })
        .collect()
}

/// `path` made absolute against the working directory, without touching the disk.
fn absolute(path: &Path) -> PathBuf {
    lexical(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// `path` with `.` and `..` taken out against the components before them.
fn lexical(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

/// `target` as a path relative to the directory `dir` (both absolute and lexical).
pub(super) fn relative(target: &Path, dir: &Path) -> String {
    let (target, dir) = (absolute(target), absolute(dir));
    let common = dir
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in dir.components().skip(common) {
        out.push("..");
    }
    for c in target.components().skip(common) {
        out.push(c);
    }
    out.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths() {
        assert_eq!(
            lexical(Path::new("/r/deploy/overlays/prod/../../base")),
            PathBuf::from("/r/deploy/base")
        );
        assert_eq!(
            relative(
                Path::new("/r/a/scheduler/x.yaml"),
                Path::new("/r/a/workers")
            ),
            "../scheduler/x.yaml"
        );
        assert!(is_kustomization_name("../overlays/prod/kustomization.yaml"));
        assert!(!is_kustomization_name("kustomization-notes.yaml"));
    }
}
