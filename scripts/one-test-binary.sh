#!/usr/bin/env bash
# Moves the integration tests into ONE test binary, `tests/it/main.rs` (cargo's auto-discovered
# test target `it`, no `[[test]]` entry needed), so the crate is linked into one test executable
# instead of one per tests/*.rs file.
#
#   bash scripts/one-test-binary.sh          # on any checkout; re-running it is a no-op
#
# What it does, each step idempotent (a file already moved is left alone):
#  - `git mv tests/NAME.rs tests/it/NAME.rs` for every top-level test file, except those a
#    `[[test]]` entry marks `harness = false` or gives `required-features` (they stay binaries);
#  - `git mv tests/DIR tests/it/DIR` for shared module folders (tests/DIR/mod.rs: support, ...);
#  - keeps `mod NAME;` lines for all of them in tests/it/main.rs (sorted, additions only);
#  - in the moved files: `mod support;` / `#[path = ...] mod support;` becomes `use crate::support;`,
#    `crate::x` becomes `crate::NAME::x`, and relative paths of `include_str!`,
#    `include_bytes!`, `insta::glob!` and `#[path]` are re-pointed from the new place;
#  - snapshots: insta names a snapshot `<module path>__<name>[@suffix].snap` next to the source,
#    so `tests/snapshots/NAME__x.snap` becomes `tests/it/snapshots/it__NAME__x.snap` (`source:`
#    header updated; contents untouched); `.snap.new` / `.pending-snap` leftovers are deleted;
#  - removes `[[test]]` entries of Cargo.toml that point at moved files;
#  - rewrites mentions in docs and scripts: `tests/NAME.rs` -> `tests/it/NAME.rs`,
#    `tests/support` -> `tests/it/support`, `cargo test --test NAME [filter]` ->
#    `cargo test --test it NAME::[filter]` (CHANGELOG.md, being history, and fixtures/, being
#    test input, are left alone).
# Finally `cargo fmt`, if a .rs file changed. It prints what it changed and warns about what it could not place; then run
# `cargo test --all-targets` with INSTA_UPDATE=no to check that no snapshot is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec python3 - "$@" <<'PY'
import os, re, subprocess, sys, tomllib
from pathlib import Path

ROOT = Path.cwd()
TESTS = ROOT / "tests"
IT = TESTS / "it"
SNAP_OLD = TESTS / "snapshots"
SNAP_NEW = IT / "snapshots"
KEEP_DIRS = {"it", "snapshots", "data"}
changed = []
warnings = []


def say(msg):
    changed.append(msg)
    print("one-test-binary:", msg)


def warn(msg):
    warnings.append(msg)
    print("one-test-binary: WARNING:", msg, file=sys.stderr)


def git(*args):
    subprocess.run(["git", *args], check=True, cwd=ROOT)


def tracked(path):
    r = subprocess.run(["git", "ls-files", "--error-unmatch", str(path)], cwd=ROOT,
                       capture_output=True)
    return r.returncode == 0


def move(src, dst, quiet=False):
    dst.parent.mkdir(parents=True, exist_ok=True)
    if tracked(src):
        git("mv", str(src.relative_to(ROOT)), str(dst.relative_to(ROOT)))
    else:
        src.rename(dst)
    if quiet:
        changed.append(dst)
    else:
        say(f"moved {src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")


def write(path, text, old):
    if text != old:
        path.write_text(text)
        say(f"edited {path.relative_to(ROOT)}")


# --- Cargo.toml: which test targets must stay separate binaries --------------------------
cargo_toml = ROOT / "Cargo.toml"
manifest = tomllib.loads(cargo_toml.read_text())
if manifest.get("package", {}).get("autotests") is False:
    warn("package.autotests = false: add a [[test]] entry for tests/it/main.rs by hand")
keep_separate = set()
for t in manifest.get("test", []):
    path = t.get("path", f"tests/{t.get('name')}.rs")
    if t.get("harness", True) is False or t.get("required-features"):
        keep_separate.add(Path(path).stem)
        warn(f"[[test]] {t.get('name')} ({path}) is harness = false or has required-features; "
             "left as its own binary")

# --- move test files and shared module folders --------------------------------------------
IT.mkdir(exist_ok=True)
for f in sorted(TESTS.glob("*.rs")):
    if f.stem in keep_separate:
        continue
    dst = IT / f.name
    if dst.exists():
        warn(f"{f.relative_to(ROOT)} and {dst.relative_to(ROOT)} both exist; left alone")
        continue
    move(f, dst)
for d in sorted(p for p in TESTS.iterdir() if p.is_dir() and p.name not in KEEP_DIRS):
    if not (d / "mod.rs").exists():
        if list(d.rglob("*.rs")):
            warn(f"{d.relative_to(ROOT)} holds .rs files but no mod.rs; left alone")
        continue
    dst = IT / d.name
    if dst.exists():
        warn(f"{d.relative_to(ROOT)} and {dst.relative_to(ROOT)} both exist; left alone")
        continue
    move(d, dst)

test_mods = sorted(f.stem for f in IT.glob("*.rs") if f.name != "main.rs")
shared_mods = sorted(d.name for d in IT.iterdir() if d.is_dir() and (d / "mod.rs").exists())
all_mods = set(test_mods) | set(shared_mods)

# --- tests/it/main.rs ---------------------------------------------------------------------
main_rs = IT / "main.rs"
HEADER = """\
//! dusk's integration tests, as ONE test binary (`cargo test --test it`): each module was a
//! tests/*.rs file of its own, linked against the whole crate; one binary links it once.
//! A new test file goes here as `tests/it/NAME.rs` with a `mod NAME;` line below; its
//! snapshots are `tests/it/snapshots/it__NAME__*.snap`. Run one module with
//! `cargo test --test it NAME::` (scripts/one-test-binary.sh made this layout).

"""
old_main = main_rs.read_text() if main_rs.exists() else None
lines = (old_main if old_main is not None else HEADER).splitlines()
mod_re = re.compile(r"^mod (\w+);$")
present = [m.group(1) for m in map(mod_re.match, lines) if m]
first = next((i for i, l in enumerate(lines) if mod_re.match(l)), len(lines))
rest = [l for l in lines if not mod_re.match(l)]
wanted = sorted(set(present) | all_mods)
new_lines = rest[:first] + [f"mod {m};" for m in wanted] + rest[first:]
new_main = "\n".join(new_lines).rstrip("\n") + "\n"
if old_main is None:
    main_rs.write_text(new_main)
    say("created tests/it/main.rs")
else:
    write(main_rs, new_main, old_main)
if not tracked(main_rs):
    git("add", str(main_rs.relative_to(ROOT)))

# --- code fixes in the moved files --------------------------------------------------------
mod_decl = re.compile(r'^(\s*)(?:#\[path\s*=\s*"[^"]*"\]\s*)?mod (\w+);[ \t]*$', re.M)
lit_re = re.compile(
    r'((?:include_str|include_bytes|glob)!\(\s*|#\[path\s*=\s*)"([^"/][^"]*)"')
GLOB_CHARS = re.compile(r"[*?\[{]")


def old_location(p):
    """Where a file under tests/it lived before the move."""
    return TESTS / p.relative_to(IT)


def repoint(path):
    """A relative literal that resolves from the old place but not the new one is re-pointed."""
    new_dir = path.parent
    old_dir = old_location(path).parent

    def fix(m):
        rel = m.group(2)
        pattern = ""
        if GLOB_CHARS.search(rel):  # insta::glob!("dir/*.yaml", ...): re-point the folder part
            parts = rel.split("/")
            cut = next(i for i, part in enumerate(parts) if GLOB_CHARS.search(part))
            rel, pattern = "/".join(parts[:cut]) or ".", "/" + "/".join(parts[cut:])
        # Lexically: the old folder is gone after the move, so the OS cannot walk its `..`.
        lexical = lambda d: Path(os.path.normpath(d / rel))
        if lexical(new_dir).exists() or not lexical(old_dir).exists():
            return m.group(0)
        target = lexical(old_dir).resolve()
        try:  # the target moved too (a shared module)
            target = IT / target.relative_to(TESTS.resolve())
            if not target.exists():
                target = lexical(old_dir).resolve()
        except ValueError:
            pass
        return f'{m.group(1)}"{os.path.relpath(target, new_dir)}{pattern}"'

    return fix


for path in sorted(IT.rglob("*.rs")):
    if path == main_rs:
        continue
    old = path.read_text()
    text = old
    if path.parent == IT:  # a test module: its own `mod support;` becomes a use of the shared one
        def use_shared(m):
            if m.group(2) in shared_mods:
                return f"{m.group(1)}use crate::{m.group(2)};"
            return m.group(0)
        text = mod_decl.sub(use_shared, text)
        # `crate::` meant this file's root; it is now the module `crate::NAME`
        own = "|".join(sorted(all_mods))
        text = re.sub(rf"(?<![\w$])crate::(?!(?:{own})\b)", f"crate::{path.stem}::", text)
    text = lit_re.sub(repoint(path), text)
    write(path, text, old)
    for m in mod_decl.finditer(text):
        if path.parent == IT and m.group(2) in all_mods:
            warn(f"{path.relative_to(ROOT)}: `mod {m.group(2)};` left as is")

# --- snapshots ----------------------------------------------------------------------------
if SNAP_OLD.is_dir():
    snaps_moved = 0
    for snap in sorted(SNAP_OLD.iterdir()):
        name = snap.name
        if name.endswith(".snap.new") or name.endswith(".pending-snap"):
            if tracked(snap):
                git("rm", "-q", str(snap.relative_to(ROOT)))
            else:
                snap.unlink()
            say(f"deleted leftover {snap.relative_to(ROOT)}")
            continue
        parts = name.split("__")
        if len(parts) < 2 or parts[0] not in test_mods:
            warn(f"{snap.relative_to(ROOT)}: no moved test module {parts[0]!r}; left alone")
            continue
        if len(parts) > 2 and parts[1] in shared_mods:  # asserted inside a shared module
            new_name = "it__" + "__".join(parts[1:])
        else:
            new_name = "it__" + name
        dst = SNAP_NEW / new_name
        if dst.exists():
            warn(f"{snap.relative_to(ROOT)} -> {dst.relative_to(ROOT)} exists already; left alone")
            continue
        move(snap, dst, quiet=True)
        snaps_moved += 1
    if snaps_moved:
        say(f"moved {snaps_moved} snapshot(s) from tests/snapshots/NAME__* to tests/it/snapshots/it__NAME__*")
    if SNAP_OLD.exists() and not any(SNAP_OLD.iterdir()):
        SNAP_OLD.rmdir()
src_re = re.compile(r"^source: tests/(?!it/)(\S+)$", re.M)
if SNAP_NEW.is_dir():
    headers = 0
    for snap in sorted(SNAP_NEW.glob("*.snap")):
        old = snap.read_text()
        head, sep, body = old.partition("\n---\n")  # the YAML header ends at the second ---
        if not sep:
            continue

        def fix_source(m):
            moved = IT / m.group(1)
            return f"source: tests/it/{m.group(1)}" if moved.exists() else m.group(0)

        new = src_re.sub(fix_source, head) + sep + body
        if new != old:
            snap.write_text(new)
            headers += 1
    if headers:
        say(f"pointed the `source:` header of {headers} snapshot(s) at tests/it/")

# --- Cargo.toml [[test]] entries of moved files ---------------------------------------------
old_toml = cargo_toml.read_text()
blocks = re.split(r"(?m)^(?=\[)", old_toml)
kept = []
for b in blocks:
    if b.startswith("[[test]]"):
        entry = tomllib.loads(b.replace("[[test]]", "", 1))
        stem = Path(entry.get("path", f"tests/{entry.get('name')}.rs")).stem
        if stem in test_mods and stem not in keep_separate:
            continue
    kept.append(b)
write(cargo_toml, "".join(kept), old_toml)

# --- mentions in docs, scripts and comments -------------------------------------------------
names = "|".join(sorted(test_mods, key=len, reverse=True))
shared = "|".join(sorted(shared_mods, key=len, reverse=True))
filt = r"[A-Za-z_][\w:]*"
flag = r"--[\w-]+(?:=\S+)?"
rules = [(re.compile(rf"\btests/({names})\.rs\b"), r"tests/it/\1.rs")] if names else []
if shared:
    rules.append((re.compile(rf"\btests/({shared})\b"), r"tests/it/\1"))
rules.append((re.compile(r"\btests/snapshots\b"), "tests/it/snapshots"))
if names:
    rules += [
        # --test NAME -- --ignored filter  ->  --test it -- --ignored NAME::filter
        (re.compile(rf"--test ({names}) --((?: {flag})*) ({filt})"), r"--test it --\2 \1::\3"),
        # --test NAME filter  ->  --test it NAME::filter
        (re.compile(rf"--test ({names}) (?!-)({filt})"), r"--test it \1::\2"),
        # --test NAME  ->  --test it NAME::
        (re.compile(rf"--test ({names})(?![\w:])"), r"--test it \1::"),
    ]
files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                       check=True).stdout.split("\n")
for rel in filter(None, files):
    p = ROOT / rel
    if not p.is_file() or rel in ("CHANGELOG.md", "scripts/one-test-binary.sh") or rel.startswith("tests/it/snapshots/"):
        continue
    if rel.startswith(("fixtures/", "examples/")):
        continue  # test input, READMEs included: some tests read whole folders (fuzz seeds)
    if rel.startswith("rule-tests/") and p.name != "README.md":
        continue
    comments_only = rel.endswith(".rs")
    if not (comments_only or rel.endswith((".md", ".sh", ".py", ".txt")) or rel.startswith(("scripts/", ".ci/", "ci/"))):
        continue
    try:
        old = p.read_text()
    except UnicodeDecodeError:
        continue
    out = []
    for line in old.splitlines(keepends=True):
        if not comments_only or line.lstrip().startswith("//"):
            for rx, rep in rules:
                line = rx.sub(rep, line)
        out.append(line)
    write(p, "".join(out), old)

# A re-pointed path can push a line past rustfmt's width (`insta::glob!("../../fixtures/...`).
if any(str(c).endswith(".rs") for c in changed):
    if subprocess.run(["cargo", "fmt"], cwd=ROOT).returncode == 0:
        say("ran cargo fmt")
    else:
        warn("cargo fmt failed; run it before committing")

print(f"one-test-binary: {len(changed)} change(s), {len(warnings)} warning(s); "
      f"{len(test_mods)} test module(s), {len(shared_mods)} shared module(s) in tests/it")
PY
