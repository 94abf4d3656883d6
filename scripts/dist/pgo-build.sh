#!/usr/bin/env bash
# The release build of dusk: Cargo profile `dist` with profile-guided optimisation (PGO) of its
# Rust and its C (tree-sitter's parser, mimalloc) alike. What release wheels ship and what
# bench/run.sh times (#13).
#
# usage: scripts/dist/pgo-build.sh [--profile P] [--wheel-dir DIR]
#
#   --profile P      the Cargo profile built (default dist; CI uses release, the same steps
#                    without fat LTO, to keep its run short)
#   --wheel-dir DIR  also build the wheel with maturin (on PATH) into DIR, from the same profile
#
# 1. builds an instrumented dusk (rustc -Cprofile-generate, clang -fprofile-generate) in its own
#    target directory, $CARGO_TARGET_DIR/pgo-instrumented;
# 2. runs it over the training set: a generated corpus of each profile of bench/gen_corpus.py
#    (seed 7; the benchmark's corpus is seed 42, so it never trains on what it times), then
#    fixtures/ and examples/: `check` in every output format, `fix --diff` with and without
#    `--unsafe-fixes`;
# 3. merges the counts (llvm-profdata) and builds $CARGO_TARGET_DIR/<profile>/dusk from them;
# 4. checks that the result reports exactly what the instrumented build reported on the
#    training set (PGO moves code, never meaning).
#
# Needs the LLVM of rustc's own major version: llvm-profdata to merge, and clang so that the C
# parts are compiled by the same LLVM that reads the counts (Debian: `apt-get install llvm-N
# clang-N`, N from `rustc -vV`), and python3. Without them it stops and says so; a plain
# `cargo build --profile dist` is the same program without PGO.
#
# Why (bench/results.md, session 17): with PGO the same code checks the Dask-shop corpus in
# about 5-7% less time; most of it from Rust's counts, about 2% from the C's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD

profile=dist
wheel_dir=
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile="$2"; shift ;;
        --wheel-dir) wheel_dir="$2"; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "pgo-build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

die() { echo "pgo-build.sh: $*" >&2; exit 2; }
section() { printf '\n--- %s (%ss)\n' "$1" "$SECONDS"; }
# Cargo puts `dev` and `test` builds in `debug/`, not under the profile's name; and counts
# are for optimised code.
case "$profile" in dev|test) die "--profile $profile is not optimised; PGO is for release or dist" ;; esac

# ---------------------------------------------------------------- tools
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
[ -n "$major" ] || die "rustc -vV names no LLVM version"
find_tool() { # name: the tool of LLVM $major, or nothing
    local sysroot
    sysroot=$(rustc --print sysroot)
    for candidate in "$1-$major" "/usr/lib/llvm-$major/bin/$1" \
        "$sysroot"/lib/rustlib/*/bin/"$1"; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" --version 2>/dev/null | grep -q "version $major\."; then
            command -v "$candidate"
            return
        fi
    done
}
profdata=$(find_tool llvm-profdata)
clang=$(find_tool clang)
[ -n "$profdata" ] && [ -n "$clang" ] || die "needs llvm-profdata and clang of LLVM $major \
(rustc's); on Debian: apt-get install llvm-$major clang-$major"
echo "LLVM $major: $profdata, $clang"
command -v python3 >/dev/null || die "needs python3 (bench/gen_corpus.py makes the training corpora)"
# Asked now, not after two builds.
[ -z "$wheel_dir" ] || command -v maturin >/dev/null || die "--wheel-dir needs maturin on PATH \
(pip install maturin)"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$root/$CARGO_TARGET_DIR" ;; esac
work="$CARGO_TARGET_DIR/pgo"
rm -rf "$work"
mkdir -p "$work"
# The release build's C flags, not the environment's (they may be gcc's): .cargo/config.toml's
# -DNDEBUG, and the profile flags below.
cflags="-DNDEBUG"

# ---------------------------------------------------------------- 1. instrumented build
section "instrumented build (profile $profile)"
CC="$clang" CFLAGS="$cflags -fprofile-generate=$work/counts" \
    RUSTFLAGS="-Cprofile-generate=$work/counts" \
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR/pgo-instrumented" \
    cargo build --profile "$profile" --quiet --bin dusk
instrumented="$CARGO_TARGET_DIR/pgo-instrumented/$profile/dusk"
# The build scripts it ran were instrumented too: their counts are not dusk's.
rm -rf "$work/counts"

# ---------------------------------------------------------------- 2. training
section "training set"
for corpus_profile in dask-shop monorepo; do
    python3 bench/gen_corpus.py "$work/train-$corpus_profile" --profile "$corpus_profile" \
        --files 2000 --size-mb 20 --seed 7 > /dev/null
done
train=("$work/train-dask-shop" "$work/train-monorepo" fixtures examples)
# Each command's findings, to compare with the optimised build's (step 4).
run_set() { # binary output-dir
    local bin=$1 out=$2 i=0
    mkdir -p "$out"
    for dir in "${train[@]}"; do
        i=$((i + 1))
        for format in text concise json sarif github gitlab junit; do
            "$bin" check "$dir" --format "$format" --output "$out/$i.$format" --exit-zero \
                2>> "$out/stderr" || die "$bin check $dir --format $format failed (see $out/stderr)"
        done
        "$bin" fix "$dir" --diff --color never > "$out/$i.diff" 2>> "$out/stderr" || true
        "$bin" fix "$dir" --diff --unsafe-fixes --color never > "$out/$i.unsafe.diff" 2>> "$out/stderr" || true
    done
}
run_set "$instrumented" "$work/before"
"$profdata" merge -o "$work/dusk.profdata" "$work/counts"
echo "counts: $(du -h "$work/dusk.profdata" | cut -f1)"

# ---------------------------------------------------------------- 3. optimised build
section "build with the counts (profile $profile)"
use_env=(CC="$clang" CFLAGS="$cflags -fprofile-use=$work/dusk.profdata -Wno-profile-instr-unprofiled -Wno-profile-instr-out-of-date"
    RUSTFLAGS="-Cprofile-use=$work/dusk.profdata")
env "${use_env[@]}" cargo build --profile "$profile" --quiet --bin dusk
built="$CARGO_TARGET_DIR/$profile/dusk"
if [ -n "$wheel_dir" ]; then
    section "wheel"
    env "${use_env[@]}" maturin build --profile "$profile" --out "$wheel_dir" 2>&1 | tail -n 2
fi

# ---------------------------------------------------------------- 4. same answers
section "same answers as the instrumented build"
run_set "$built" "$work/after"
if ! diff -r "$work/before" "$work/after" > "$work/answers.diff"; then
    head -n 40 "$work/answers.diff" >&2
    die "the optimised build answers otherwise than the instrumented one (above)"
fi
echo "$(ls "$work/after" | wc -l) outputs alike; built $built"
# bench/run.sh says which build it timed: this stamp is newer than the binary it describes.
echo "$work/dusk.profdata" > "$built.pgo"
