//! Project versions: the release of each component a repository is on now, read from its
//! dependency files.
//!
//! Takes the scan paths; gives, per Python distribution, the version pinned *exactly* and the
//! file that pins it, and per component (through the packs' `distributions`) that version.
//! Only exact pins say what is installed: `==`/`===` in requirements and PEP 508 strings,
//! Poetry's bare or `==` version, conda's `=`/`==` with a full version, and lock files
//! (`Pipfile.lock`, `poetry.lock`, `uv.lock`). Ranges (`>=`, `~=`, `^`, wildcards) are ignored.
//!
//! Files are looked for in each scan path's directory and its parents up to the repository
//! root (the nearest directory holding `.git`); the nearest directory wins, and within one
//! directory lock files win over requirements, `environment.yml` and `pyproject.toml`.
//! Versions are advisory: an unreadable or malformed file is skipped, never an error. Never
//! writes, never runs a resolver, no network.

use crate::rules::{RuleSet, Version};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Dependency files larger than this are not read (a lock file of a big monorepo is a few MB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// An exact pin of a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub version: Version,
    /// The file that pins it.
    pub file: PathBuf,
}

/// The version each component is on now, for components whose distributions are pinned.
pub fn current_versions(paths: &[PathBuf], set: &RuleSet) -> BTreeMap<String, Version> {
    versions_of(&find_pins(paths), set)
}

/// [`current_versions`] from pins [`find_pins`] found.
pub fn versions_of(pins: &BTreeMap<String, Pin>, set: &RuleSet) -> BTreeMap<String, Version> {
    let mut out = BTreeMap::new();
    for (component, info) in &set.components {
        let pin = info
            .distributions
            .iter()
            .find_map(|d| pins.get(&normalise_name(d)));
        if let Some(pin) = pin {
            out.insert(component.clone(), pin.version.clone());
        }
    }
    out
}

/// Exact pins by normalised distribution name (PEP 503: lower case, `-` for runs of `-_.`).
pub fn find_pins(paths: &[PathBuf]) -> BTreeMap<String, Pin> {
    use rayon::prelude::*;
    // Each directory's files are read in parallel, and merged nearest first.
    let found: Vec<BTreeMap<String, Pin>> =
        search_dirs(paths).par_iter().map(|d| pins_in(d)).collect();
    let mut pins = BTreeMap::new();
    for (name, pin) in found.into_iter().flatten() {
        pins.entry(name).or_insert(pin);
    }
    pins
}

/// The exact pins of one directory's own dependency files, by normalised name (within the
/// directory the most precise file wins). [`find_pins`] is these, nearest directory first.
pub fn pins_in(dir: &Path) -> BTreeMap<String, Pin> {
    let mut pins = BTreeMap::new();
    for file in dependency_files(dir) {
        let Some(text) = read_small(&file) else {
            continue;
        };
        for (name, version) in parse_file(&file, &text) {
            pins.entry(normalise_name(&name)).or_insert_with(|| Pin {
                version,
                file: file.clone(),
            });
        }
    }
    pins
}

/// Whether the search for dependency files stops at `dir` (a repository root).
pub fn is_search_root(dir: &Path) -> bool {
    dir.join(".git").exists()
}

/// Each scan path's directory and its parents up to the repository root, nearest first,
/// without repeats. A directory met before had its parents listed then: the walk up stops
/// there (a pre-commit run names thousands of files in a few hundred directories).
fn search_dirs(paths: &[PathBuf]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    // Where each path's search starts (one `stat` each), found in parallel.
    let starts: Vec<Option<PathBuf>> = paths
        .par_iter()
        .map(|path| {
            let path = std::path::absolute(path).ok()?;
            if path.is_dir() {
                return Some(path);
            }
            Some(
                path.parent()
                    .map_or_else(|| path.clone(), Path::to_path_buf),
            )
        })
        .collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut seen: foldhash::HashSet<&Path> = foldhash::HashSet::default();
    for start in starts.iter().flatten() {
        for dir in start.ancestors() {
            if !seen.insert(dir) {
                break;
            }
            dirs.push(dir.to_path_buf());
            if is_search_root(dir) {
                break;
            }
        }
    }
    dirs
}

/// The dependency files of one directory, most precise first.
fn dependency_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["uv.lock", "poetry.lock", "Pipfile.lock"]
        .iter()
        .map(|n| dir.join(n))
        .collect();
    let mut requirements: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("requirements") && n.ends_with(".txt"))
        })
        .collect();
    requirements.sort();
    files.extend(requirements);
    files.extend(
        ["environment.yml", "environment.yaml", "pyproject.toml"]
            .iter()
            .map(|n| dir.join(n)),
    );
    files.retain(|f| f.is_file());
    files
}

fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_FILE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// Exact pins of one dependency file, by its name.
pub fn parse_file(path: &Path, text: &str) -> Vec<(String, Version)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match name {
        "uv.lock" | "poetry.lock" => parse_lock_packages(text),
        "Pipfile.lock" => parse_pipfile_lock(text),
        "pyproject.toml" => parse_pyproject(text),
        "environment.yml" | "environment.yaml" => parse_environment(text),
        _ if name.ends_with(".txt") => parse_requirements(text),
        _ => Vec::new(),
    }
}

/// PEP 503 normalised name: `Dask_Kubernetes` → `dask-kubernetes`.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A requirement's name and the rest of it (`name[extra] (==1.0) ; marker` →
/// (`name`, `(==1.0)`)); `None` for URLs and other forms that pin nothing.
fn split_requirement(req: &str) -> Option<(&str, &str)> {
    let req = req.split(';').next()?.trim();
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let (name, mut rest) = req.split_at(end);
    if name.is_empty() {
        return None;
    }
    rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after.split_once(']').map_or("", |(_, r)| r);
    }
    if rest.trim_start().starts_with('@') {
        return None;
    }
    Some((name, rest))
}

/// The exact version of a PEP 440 specifier set: a `==`/`===` clause without a wildcard.
fn exact_specifier(spec: &str) -> Option<Version> {
    let spec = spec.trim().trim_start_matches('(').trim_end_matches(')');
    spec.split(',').find_map(|clause| {
        let clause = clause.trim();
        let version = clause
            .strip_prefix("===")
            .or_else(|| clause.strip_prefix("=="))?
            .trim();
        if version.contains('*') {
            return None;
        }
        version.parse().ok()
    })
}

/// One PEP 508 requirement string, if it pins exactly.
fn pep508_pin(req: &str) -> Option<(String, Version)> {
    let (name, rest) = split_requirement(req)?;
    Some((name.to_owned(), exact_specifier(rest)?))
}

/// `requirements*.txt`: one requirement a line; comments, options (`-r`, `-e`, `--hash`)
/// and continuation backslashes are understood.
pub fn parse_requirements(text: &str) -> Vec<(String, Version)> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|line| {
            // A comment starts at `#` at the line start or after whitespace.
            let line = match line.find(" #").or_else(|| line.find("\t#")) {
                Some(i) => &line[..i],
                None if line.trim_start().starts_with('#') => "",
                None => line,
            };
            let line = line.split(" --").next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('-') {
                return None;
            }
            pep508_pin(line)
        })
        .collect()
}

/// `pyproject.toml`: PEP 621 `project.dependencies` and `optional-dependencies`, PEP 735
/// `dependency-groups`, and Poetry's `tool.poetry.dependencies` (also `dev-dependencies` and
/// groups), whose bare version (`"2023.8.1"`) is exact.
pub fn parse_pyproject(text: &str) -> Vec<(String, Version)> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut pins = Vec::new();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let project = doc.get("project");
    let mut reqs = strings(project.and_then(|p| p.get("dependencies")));
    for table in [
        project.and_then(|p| p.get("optional-dependencies")),
        doc.get("dependency-groups"),
    ] {
        for (_, list) in table.and_then(toml::Value::as_table).into_iter().flatten() {
            reqs.extend(strings(Some(list)));
        }
    }
    pins.extend(reqs.iter().filter_map(|r| pep508_pin(r)));

    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let mut tables: Vec<&toml::Value> = ["dependencies", "dev-dependencies"]
        .iter()
        .filter_map(|k| poetry.and_then(|p| p.get(*k)))
        .collect();
    if let Some(groups) = poetry
        .and_then(|p| p.get("group"))
        .and_then(|g| g.as_table())
    {
        tables.extend(groups.values().filter_map(|g| g.get("dependencies")));
    }
    for table in tables.into_iter().filter_map(toml::Value::as_table) {
        for (name, spec) in table {
            let spec = match spec {
                toml::Value::String(s) => Some(s.as_str()),
                toml::Value::Table(t) => t.get("version").and_then(toml::Value::as_str),
                _ => None,
            };
            if let Some(version) = spec.and_then(poetry_exact) {
                pins.push((name.clone(), version));
            }
        }
    }
    pins
}

/// Poetry: `"2023.8.1"` and `"==2023.8.1"` are exact; `^`, `~`, `>=`, `*` are not.
fn poetry_exact(spec: &str) -> Option<Version> {
    let spec = spec.trim();
    if spec.starts_with(|c: char| c.is_ascii_digit()) && !spec.contains([',', '*', ' ']) {
        return spec.parse().ok();
    }
    exact_specifier(spec)
}

/// `environment.yml`: conda specs (`dask-kubernetes=2023.8.1`, `==`, `name 2023.8.1`,
/// `channel::name=version=build`) and the `pip:` list (requirement strings).
pub fn parse_environment(text: &str) -> Vec<(String, Version)> {
    let Ok(file) = crate::source::yaml::parse(text, Default::default()) else {
        return Vec::new();
    };
    let deps = file
        .documents
        .first()
        .and_then(|d| d.root.as_ref())
        .and_then(|r| r.get("dependencies"))
        .and_then(|d| d.as_seq());
    let mut pins = Vec::new();
    for item in deps.into_iter().flatten() {
        if let Some(spec) = item.as_str() {
            pins.extend(conda_pin(spec));
        } else if let Some(pip) = item.get("pip").and_then(|p| p.as_seq()) {
            pins.extend(pip.iter().filter_map(|r| r.as_str()).filter_map(pep508_pin));
        }
    }
    pins
}

/// One conda match spec, if it pins a full version.
fn conda_pin(spec: &str) -> Option<(String, Version)> {
    let spec = spec.rsplit("::").next()?.trim();
    let (name, rest) = match spec.find(['=', ' ', '<', '>', '!', '~']) {
        Some(i) => spec.split_at(i),
        None => return None,
    };
    let rest = rest.trim();
    let version = if let Some(v) = rest.strip_prefix("==") {
        v
    } else if let Some(v) = rest.strip_prefix('=') {
        v
    } else if rest.starts_with(|c: char| c.is_ascii_digit()) {
        rest
    } else {
        return None;
    };
    // `=version=build` or `version build`: the build string is not part of the version.
    let version = version.split(['=', ' ']).next()?.trim();
    // `=2023.8` is conda's fuzzy `2023.8.*`; only a full version says what is installed.
    if version.contains(['*', ',', '|']) || version.split('.').count() < 3 {
        return None;
    }
    Some((name.trim().to_owned(), version.parse().ok()?))
}

/// `Pipfile.lock` (JSON): `default` and `develop` packages with `"version": "==X"`.
pub fn parse_pipfile_lock(text: &str) -> Vec<(String, Version)> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    ["default", "develop"]
        .iter()
        .filter_map(|section| doc.get(section)?.as_object())
        .flatten()
        .filter_map(|(name, info)| {
            let version = exact_specifier(info.get("version")?.as_str()?)?;
            Some((name.clone(), version))
        })
        .collect()
}

/// `poetry.lock` and `uv.lock` (TOML): every `[[package]]` with its `name` and `version`.
pub fn parse_lock_packages(text: &str) -> Vec<(String, Version)> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    doc.get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let version = p.get("version")?.as_str()?.parse().ok()?;
            Some((name.to_owned(), version))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(list: Vec<(String, Version)>) -> Vec<(String, String)> {
        list.into_iter()
            .map(|(n, v)| (normalise_name(&n), v.to_string()))
            .collect()
    }

    fn pair(name: &str, version: &str) -> (String, String) {
        (name.to_owned(), version.to_owned())
    }

    #[test]
    fn names_are_pep503_normalised() {
        assert_eq!(normalise_name("Dask_Kubernetes"), "dask-kubernetes");
        assert_eq!(normalise_name("dask.kubernetes"), "dask-kubernetes");
        assert_eq!(normalise_name("dask--_kubernetes"), "dask-kubernetes");
    }

    #[test]
    fn requirements_count_only_exact_pins() {
        let text = "# pinned\n\
            dask-kubernetes==2023.8.1  # the classic one\n\
            distributed >= 2023.1.0\n\
            dask~=2023.8.0\n\
            kubernetes===29.0.0 ; python_version >= '3.9'\n\
            prefect[kubernetes]==2.14.0 \\\n    --hash=sha256:abc\n\
            -r other.txt\n\
            -e ./local\n\
            wildcard==2023.8.*\n\
            direct @ https://example.com/x.whl\n";
        assert_eq!(
            pins(parse_requirements(text)),
            [
                pair("dask-kubernetes", "2023.8.1"),
                pair("kubernetes", "29.0.0"),
                pair("prefect", "2.14.0")
            ]
        );
    }

    #[test]
    fn pyproject_pep621_and_poetry() {
        let text = r#"
[project]
name = "x"
dependencies = ["dask-kubernetes==2024.4.2", "distributed>=2024.1"]
[project.optional-dependencies]
k8s = ["kubernetes==29.0.0"]
[dependency-groups]
dev = ["pytest==8.0.0"]
[tool.poetry.dependencies]
python = "^3.10"
dask_kubernetes = "2023.8.1"
distributed = { version = "==2023.8.0", extras = ["diagnostics"] }
dask = "^2023.8"
[tool.poetry.group.test.dependencies]
coverage = "7.4.0"
"#;
        let got = pins(parse_pyproject(text));
        for want in [
            pair("dask-kubernetes", "2024.4.2"),
            pair("kubernetes", "29.0.0"),
            pair("pytest", "8.0.0"),
            pair("dask-kubernetes", "2023.8.1"),
            pair("distributed", "2023.8.0"),
            pair("coverage", "7.4.0"),
        ] {
            assert!(got.contains(&want), "{want:?} not in {got:?}");
        }
        assert!(!got.iter().any(|(n, _)| n == "dask" || n == "python"));
    }

    #[test]
    fn conda_environment_and_its_pip_list() {
        let text = "name: dask\nchannels: [conda-forge]\ndependencies:\n\
            \x20 - python=3.11\n\
            \x20 - dask-kubernetes=2023.8.1\n\
            \x20 - conda-forge::distributed==2023.8.0=pyhd8ed1ab_0\n\
            \x20 - dask=2023.8\n\
            \x20 - kubernetes>=29\n\
            \x20 - pip\n\
            \x20 - pip:\n\
            \x20   - prefect==2.14.0\n";
        assert_eq!(
            pins(parse_environment(text)),
            [
                pair("dask-kubernetes", "2023.8.1"),
                pair("distributed", "2023.8.0"),
                pair("prefect", "2.14.0")
            ]
        );
    }

    #[test]
    fn pipfile_lock() {
        let text = r#"{"_meta": {}, "default": {"dask-kubernetes": {"version": "==2022.10.0"},
            "gitdep": {"git": "https://x"}}, "develop": {"distributed": {"version": "==2022.10.0"}}}"#;
        assert_eq!(
            pins(parse_pipfile_lock(text)),
            [
                pair("dask-kubernetes", "2022.10.0"),
                pair("distributed", "2022.10.0")
            ]
        );
    }

    #[test]
    fn poetry_and_uv_locks() {
        let text = "version = 1\n[[package]]\nname = \"dask-kubernetes\"\nversion = \"2021.03.0\"\n\
            [[package]]\nname = \"distributed\"\nversion = \"2021.3.1\"\n[[package]]\nname = \"odd\"\n";
        assert_eq!(
            pins(parse_lock_packages(text)),
            [
                pair("dask-kubernetes", "2021.3.0"),
                pair("distributed", "2021.3.1")
            ]
        );
    }

    #[test]
    fn malformed_files_pin_nothing() {
        assert!(parse_pyproject("[project\n").is_empty());
        assert!(parse_pipfile_lock("{").is_empty());
        assert!(parse_lock_packages("[[package]\n").is_empty());
        assert!(parse_environment("dependencies: [").is_empty());
    }

    #[test]
    fn nearest_directory_wins_and_the_search_stops_at_the_repository_root() {
        let root = tempfile::tempdir().unwrap();
        let outer = root.path().join("outer");
        let repo = outer.join("repo");
        let sub = repo.join("services/api");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(outer.join("requirements.txt"), "distributed==2020.12.0\n").unwrap();
        std::fs::write(repo.join("requirements.txt"), "dask-kubernetes==2022.5.0\n").unwrap();
        std::fs::write(
            repo.join("uv.lock"),
            "[[package]]\nname = \"dask-kubernetes\"\nversion = \"2022.9.0\"\n",
        )
        .unwrap();
        std::fs::write(
            sub.join("requirements-dev.txt"),
            "dask_kubernetes==2023.8.1\n",
        )
        .unwrap();
        std::fs::write(sub.join("app.py"), "").unwrap();

        let found = find_pins(&[sub.join("app.py")]);
        assert_eq!(found["dask-kubernetes"].version.to_string(), "2023.8.1");
        assert!(
            !found.contains_key("distributed"),
            "searched past the .git root"
        );

        // In one directory a lock file wins over requirements.
        let found = find_pins(std::slice::from_ref(&repo));
        assert_eq!(found["dask-kubernetes"].version.to_string(), "2022.9.0");
        assert_eq!(found["dask-kubernetes"].file, repo.join("uv.lock"));
    }

    /// Many paths (a pre-commit run names every changed file): each directory is searched
    /// once, nearest the first path first, and no search goes past the repository root, even
    /// from a directory another path's search already passed through.
    #[test]
    fn many_paths_search_each_directory_once_up_to_the_root() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        let (api, jobs) = (repo.join("services/api"), repo.join("services/jobs"));
        std::fs::create_dir_all(&api).unwrap();
        std::fs::create_dir_all(&jobs).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        let outside = root.path().join("elsewhere");
        std::fs::create_dir_all(&outside).unwrap();
        let paths = [
            api.join("a.py"),
            api.join("b.py"),
            jobs.join("c.py"),
            repo.join("services"),
            repo.join("d.py"),
            outside.join("e.py"),
        ];
        let dirs: Vec<PathBuf> = [
            &api,
            &repo.join("services"),
            &repo,
            &jobs,
            &outside,
            &root.path().to_path_buf(),
        ]
        .into_iter()
        .cloned()
        .collect();
        let found = search_dirs(&paths);
        assert_eq!(found[..dirs.len()], dirs[..]);
        // Above `elsewhere` (no repository): every directory up to `/`, each once.
        let rest = &found[dirs.len()..];
        assert_eq!(rest.len(), root.path().ancestors().count() - 1, "{found:?}");
        assert!(rest.iter().all(|d| root.path().starts_with(d)));
    }

    #[test]
    fn components_get_their_distributions_version() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "dask-kubernetes==2023.8.1\ndistributed>=2024.1.0\n",
        )
        .unwrap();
        let set = RuleSet::builtin().unwrap();
        let current = current_versions(&[dir.path().to_path_buf()], &set);
        assert_eq!(current["dask-kubernetes"].to_string(), "2023.8.1");
        assert_eq!(current["dask-operator"].to_string(), "2023.8.1");
        assert!(!current.contains_key("distributed"), "a range is not a pin");
    }
}
