#!/usr/bin/env bash
# Benchmark `dusk check` (and `dusk fix --diff`) against ripgrep searching the same
# corpus for the rule pack's trigger literals, and ruff running one banned-api rule
# over every Python file.  See bench/README.md.
#
# usage: bench/run.sh [--record] [--runs N] [--no-build]
#
#   --record     also write the numbers to bench/results.md
#   --runs N     timed rounds, each running every command once (default 10, minimum 3;
#                one warm-up round first)
#   --no-build   skip the build (scripts/dist/pgo-build.sh), use the existing binary
#
# environment:
#   BENCH_CORPUS            corpus directory to reuse (generated there if missing/empty;
#                           kept afterwards).  Default: a temp dir, deleted at exit.
#   BENCH_FILES, BENCH_SIZE_MB, BENCH_SEED   generator settings (20000, 200, 42)
#   BENCH_PROFILE           corpus profile: monorepo (default) or dask-shop
#   BENCH_BASELINE          another dusk binary (say, main's): the sanity step checks that
#                           both report the same findings (no loss from a faster prefilter)
#   BENCH_RESULTS           where --record writes (default bench/results.md)
#   BENCH_REQUIRE_TRIGGERS=1  fail instead of using the fallback trigger list
#   BENCH_ALLOW_EMPTY=1     time dusk even if it reports no findings (normally refused)
#   BENCH_CARGO_PROFILE     the Cargo profile timed (default dist: what release wheels ship,
#                           the release build with fat LTO; `release` for a quicker build)
#   BENCH_PGO=0             build that profile with plain `cargo build`, without the
#                           profile-guided optimisation release wheels have
#   CARGO_TARGET_DIR        where cargo builds (binary: $CARGO_TARGET_DIR/<profile>/dusk)
#
# exit status: 0 both targets met, 1 a target missed, 2 the benchmark could not run.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

record=0
runs=10
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --record) record=1 ;;
        --runs) runs="$2"; shift ;;
        --runs=*) runs="${1#--runs=}" ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,/^# exit status/p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
[ "$runs" -ge 3 ] 2>/dev/null || { echo "run.sh: --runs must be a number >= 3" >&2; exit 2; }

# Targets (acceptance criterion): dusk at most 3x ripgrep's wall time, peak RSS under 200 MB
# (MB = 10^6 bytes, the stricter reading).
max_ratio=3.0
max_rss_kib=195312   # 200e6 bytes / 1024

die() { echo "run.sh: $*" >&2; exit 2; }
command -v python3 >/dev/null || die "python3 is required (corpus generator)"
command -v rg >/dev/null || die "ripgrep (rg) is required: apt-get install -y ripgrep"

work="$(mktemp -d "${TMPDIR:-/tmp}/dusk-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- corpus
if [ -n "${BENCH_CORPUS:-}" ]; then
    corpus="$(mkdir -p "$BENCH_CORPUS" && cd "$BENCH_CORPUS" && pwd)"
    manifest="${corpus%/}.manifest.json"
else
    corpus="$work/corpus"
    manifest="$work/manifest.json"
fi
if [ -n "$(ls -A "$corpus" 2>/dev/null)" ]; then
    echo "== reusing corpus $corpus"
else
    echo "== generating corpus in $corpus"
    python3 "$here/gen_corpus.py" "$corpus" \
        --files "${BENCH_FILES:-20000}" --size-mb "${BENCH_SIZE_MB:-200}" --seed "${BENCH_SEED:-42}" \
        --profile "${BENCH_PROFILE:-monorepo}" \
        --manifest "$manifest" > "$work/gen.json"
fi
read -r n_files n_bytes n_planted < <(python3 - "$corpus" "$manifest" <<'EOF'
import json, os, sys
root, manifest = sys.argv[1:3]
n = b = 0
for d, dirs, files in os.walk(root):
    if os.path.basename(d) == ".git" and os.path.dirname(d) == root.rstrip("/"):
        dirs[:] = []
        continue
    for f in files:
        n += 1
        b += os.path.getsize(os.path.join(d, f))
rel = "?"
if os.path.exists(manifest):
    rel = sum(1 for f in json.load(open(manifest))["files"] if f["role"] == "relevant")
print(n, b, rel)
EOF
)
# A reused corpus says which profile made it (its manifest's summary).
profile=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["summary"].get("profile", "monorepo"))
except Exception: print(sys.argv[2])' "$manifest" "${BENCH_PROFILE:-monorepo}")
echo "   $n_files files, $((n_bytes / 1000000)) MB, $n_planted relevant files planted, profile $profile"

# ---------------------------------------------------------------- build
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
cargo_profile="${BENCH_CARGO_PROFILE:-dist}"
dusk="$target_dir/$cargo_profile/dusk"
if [ "$build" = 1 ] && [ "${BENCH_PGO:-1}" = 1 ]; then
    echo "== scripts/dist/pgo-build.sh --profile $cargo_profile (the release build)"
    if ! (cd "$repo" && CARGO_TARGET_DIR="$target_dir" bash scripts/dist/pgo-build.sh --profile "$cargo_profile"); then
        die "the PGO build failed; BENCH_PGO=0 times the same profile without PGO"
    fi
elif [ "$build" = 1 ]; then
    echo "== cargo build --profile $cargo_profile (no PGO)"
    if ! (cd "$repo" && cargo build --profile "$cargo_profile" --quiet); then
        die "cargo build --profile $cargo_profile failed; nothing to benchmark"
    fi
fi
[ -x "$dusk" ] || die "no binary at $dusk"
# pgo-build.sh leaves a stamp beside the binary it built; a later plain build is newer.
build_label="$cargo_profile profile"
if [ -f "$dusk.pgo" ] && ! [ "$dusk" -nt "$dusk.pgo" ]; then
    build_label="$cargo_profile profile + PGO"
fi

# ---------------------------------------------------------------- triggers
triggers="$work/triggers.txt"
trigger_source="dusk rules triggers"
"$dusk" rules triggers > "$work/triggers.raw" 2> "$work/triggers.err" \
    && grep -q '[^[:space:]]' "$work/triggers.raw" \
    || { cat "$work/triggers.err" >&2; die "\`dusk rules triggers\` failed or printed nothing"; }
# An empty line in `rg -f` matches every line: drop blank lines and CRs.
tr -d '\r' < "$work/triggers.raw" | grep -v '^[[:space:]]*$' > "$triggers"
n_triggers=$(wc -l < "$triggers")
echo "== $n_triggers trigger literals from: $trigger_source"

# dusk matches triggers ASCII case-insensitively; rg does the same work with -i.
rg_cmd=(rg --count-matches -i -F -f "$triggers" "$corpus")
dusk_cmd=("$dusk" check "$corpus" --format json --output /dev/null)
fix_cmd=("$dusk" fix "$corpus" --diff --color never)
# ruff: one flake8-tidy-imports banned-api rule over every Python file and notebook, no
# cache (so it parses everything on every run), its settings from a file of ours.
have_ruff=0; command -v ruff >/dev/null && have_ruff=1
printf '[lint.flake8-tidy-imports.banned-api]\n"dask_kubernetes.KubeCluster".msg = "classic"\n' > "$work/ruff.toml"
ruff_cmd=(ruff check --no-cache --config "$work/ruff.toml" --select TID251 --output-format concise --exit-zero "$corpus")

# ---------------------------------------------------------------- sanity run
# One untimed run each, so a broken tool is reported instead of timed.
echo "== sanity run"
rg_files=$( (rg -l -F -f "$triggers" "$corpus" || true) | wc -l)
set +e
"$dusk" check "$corpus" --format json --output "$work/dusk.json" 2> "$work/dusk.err"
dusk_rc=$?
set -e
if [ "$dusk_rc" -ne 0 ] && [ "$dusk_rc" -ne 1 ]; then
    head -5 "$work/dusk.err" >&2
    die "\`dusk check\` exited $dusk_rc (expected 0 or 1)"
fi
summary_rc=0
findings_summary=$(python3 - "$work/dusk.json" "$corpus" "$manifest" "$work/recall.txt" <<'EOF'
import json, os, sys
out, root, manifest, recall_file = sys.argv[1:5]
try:
    doc = json.load(open(out))
    found = doc["findings"]
except Exception as e:
    print(f"no usable JSON from dusk check --format json ({e.__class__.__name__}: {e})")
    sys.exit(3)
# paths are as given on the command line (absolute here) or relative to the cwd
paths = {os.path.relpath(os.path.abspath(f.get("path", "")), root) for f in found}
msg = f"{len(found)} findings in {len(paths)} files"
if os.path.exists(manifest):
    roles = {f["path"]: f["role"] for f in json.load(open(manifest))["files"]}
    want = {p for p, r in roles.items() if r == "relevant"}
    bad = {p for p, r in roles.items() if r in ("lookalike", "ignored")}
    msg += (f"; planted relevant files with a finding: {len(want & paths)}/{len(want)}"
            f"; look-alike or ignored files with a finding: {len(bad & paths)}"
            f"; other files with a finding: {len(paths - set(roles))}")
    with open(recall_file, "w") as f:
        f.write(f"{len(want & paths)} {len(want)} {len(bad & paths)}\n")
print(msg)
sys.exit(0 if found else 4)
EOF
) || summary_rc=$?
echo "   rg: $rg_files files contain a trigger"
baseline_summary=""
if [ -n "${BENCH_BASELINE:-}" ]; then
    [ -x "$BENCH_BASELINE" ] || die "BENCH_BASELINE=$BENCH_BASELINE is not an executable"
    "$BENCH_BASELINE" check "$corpus" --format json --output "$work/base.json" 2> /dev/null || true
    baseline_summary=$(python3 - "$work/base.json" "$work/dusk.json" <<'EOF'
import json, sys
def keys(path):
    return {(f["path"], f["rule"], f.get("cell"), f["line"], f["column"]) for f in json.load(open(path))["findings"]}
import collections
old, new = keys(sys.argv[1]), keys(sys.argv[2])
lost, gained = old - new, new - old
by_rule = lambda fs: ", ".join(f"{r} {n}" for r, n in collections.Counter(f[1] for f in fs).most_common())
print(f"{len(old)} findings before, {len(new)} after, {len(lost)} lost"
      + (f" ({by_rule(lost)})" if lost else "")
      + f", {len(gained)} gained" + (f" ({by_rule(gained)})" if gained else ""))
for f in sorted(lost)[:5]:
    print("   lost:", *f, file=sys.stderr)
# A finding the baseline had and this dusk lacks is a loss; new findings (new rules) are not.
sys.exit(1 if lost else 0)
EOF
) || baseline_summary="$baseline_summary (FINDINGS LOST)"
    echo "   baseline $BENCH_BASELINE: $baseline_summary"
fi
echo "   dusk (exit $dusk_rc): $findings_summary"
# Timing a dusk that does not do the work would flatter it: refuse.
case "$summary_rc" in
    0) ;;
    3) die "dusk check wrote no findings JSON: $findings_summary" ;;
    4) [ "${BENCH_ALLOW_EMPTY:-0}" = 1 ] \
           || die "dusk check reported no findings on a corpus with planted classic usage; timing it would be meaningless (BENCH_ALLOW_EMPTY=1 to time anyway)" ;;
    *) die "could not summarise dusk's output" ;;
esac

# A run that misses planted files or reports look-alikes does less (or different) work
# than the finished tool will: its numbers are provisional, and say so.
provisional=""
if [ -s "$work/recall.txt" ]; then
    read -r rec_found rec_want rec_bad < "$work/recall.txt"
    if [ $((rec_found * 10)) -lt $((rec_want * 9)) ] || [ "$rec_bad" -gt 0 ]; then
        provisional="PROVISIONAL: dusk found $rec_found/$rec_want planted relevant files and flagged $rec_bad look-alike/ignored files"
        echo "!! $provisional" >&2
    fi
fi
[ -n "$provisional" ] || [ "$trigger_source" = "dusk rules triggers" ] \
    || provisional="PROVISIONAL: fallback trigger list"

# ---------------------------------------------------------------- timing
# Interleaved rounds (timing.py): each round runs every command once, so the ratios are
# taken between runs that saw the same machine. Peak RSS comes from the same runs (wait4).
# `--format sarif` makes each file's fixes again, so it is timed too (no target): it once
# took 60x the JSON run unseen.
sarif_cmd=("$dusk" check "$corpus" --format sarif --output /dev/null)
json_argv() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@"; }
specs=("rg=$(json_argv "${rg_cmd[@]}")" "dusk check=$(json_argv "${dusk_cmd[@]}")"
       "dusk fix --diff=$(json_argv "${fix_cmd[@]}")" "sarif=$(json_argv "${sarif_cmd[@]}")")
[ "$have_ruff" = 1 ] && specs+=("ruff=$(json_argv "${ruff_cmd[@]}")")
echo "== timing ($runs interleaved rounds after 1 warm-up round, $(nproc) CPUs)"
python3 "$here/timing.py" "$runs" "$work/timing.json" "${specs[@]}" \
    || die "timing failed"
timer="interleaved rounds (bench/timing.py)"

# ---------------------------------------------------------------- report
report=$(python3 - "$work/timing.json" "$max_ratio" "$max_rss_kib" <<'EOF'
import json, statistics as st, sys
t = json.load(open(sys.argv[1]))
max_ratio, max_rss = float(sys.argv[2]), int(sys.argv[3])
have_ruff = "ruff" in t
def col(name, key="wall"):
    return t[name][key]
def paired(a, b):
    """Median over the rounds of a's time / b's time in the same round."""
    return st.median(x / y for x, y in zip(col(a), col(b)))
def mb(kib):
    return f"{kib * 1024 / 1e6:.1f} MB"
rows = [("rg (trigger scan)", "rg")]
if have_ruff:
    rows.append(("ruff (one banned-api rule)", "ruff"))
rows += [("dusk check", "dusk check"), ("dusk fix --diff", "dusk fix --diff")]
print("| tool | mean (s) | stddev (s) | min (s) | median (s) | CPU user+sys (s) | peak RSS | ratio to rg |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for label, name in rows:
    w = col(name)
    print(f"| {label} | {st.mean(w):.3f} | {st.stdev(w):.3f} | {min(w):.3f} | {st.median(w):.3f} "
          f"| {st.median(col(name, 'cpu')):.3f} | {mb(max(col(name, 'rss_kib')))} | {paired(name, 'rg'):.2f}x |")
print()
print("Ratios are medians of per-round ratios: two commands of one round saw the same machine.")
ratio = paired("dusk check", "rg")
t_ok = ratio <= max_ratio
d_rss = max(col("dusk check", "rss_kib"))
m_ok = d_rss < max_rss
fix_ratio = paired("dusk fix --diff", "dusk check")
f_ok = fix_ratio <= 2.0
print(f"ratio dusk/rg: {ratio:.2f}x  (target <= {max_ratio:g}x): {'PASS' if t_ok else 'FAIL'}")
if have_ruff:
    r_ratio = paired("dusk check", "ruff")
    r_ok = r_ratio < 1.0
    won = sum(d < r for d, r in zip(col("dusk check"), col("ruff")))
    print(f"ratio dusk/ruff: {r_ratio:.2f}x  (target < 1x): {'PASS' if r_ok else 'FAIL'}"
          f"  (dusk faster in {won} of {len(col('ruff'))} rounds)")
else:
    r_ok = True
    print("ratio dusk/ruff: not measured (ruff not installed: pip install ruff)")
print(f"ratio fix --diff/check: {fix_ratio:.2f}x  (target <= 2x): {'PASS' if f_ok else 'FAIL'}")
print(f"dusk peak RSS: {mb(d_rss)}  (target < 200 MB): {'PASS' if m_ok else 'FAIL'}")
print(f"RESULT {'PASS' if t_ok and m_ok and f_ok and r_ok else 'FAIL'}")
print(f"dusk check --format sarif: mean {st.mean(col('sarif')):.3f} s, {paired('sarif', 'dusk check'):.2f}x dusk check")
EOF
)
[ -z "$provisional" ] || report="$(sed 's/^RESULT .*/& (provisional)/' <<< "$report")"

machine="$(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown CPU), $(free -m 2>/dev/null | awk '/Mem:/ {print $2 " MiB RAM"}')"
# (sed -n 1p, not head -1: head closing the pipe early makes rg fail under pipefail)
rg_version="$(rg --version | sed -n 1p)"
dusk_version="$( ("$dusk" --version 2>/dev/null || echo unknown) | sed -n 1p)"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo uncommitted)"
[ -n "$(git -C "$repo" status --porcelain 2>/dev/null)" ] && commit="$commit (dirty)"

echo
echo "== results"
echo "corpus:   $n_files files, $n_bytes bytes, $n_planted relevant planted"
echo "triggers: $n_triggers from $trigger_source"
echo "sanity:   rg matched $rg_files files; dusk: $findings_summary"
[ -z "$baseline_summary" ] || echo "baseline: $BENCH_BASELINE: $baseline_summary"
echo "load:     $(uptime | sed 's/.*load average/load average/')"
echo "machine:  $machine; $rg_version; $dusk_version @ $commit ($build_label); timer: $timer"
echo
echo "$report"
[ -z "$provisional" ] || echo "!! $provisional"

if [ "$record" = 1 ]; then
    {
        echo "# dusk benchmark results"
        echo
        echo "Written by \`bench/run.sh --record\` on $(date -u +%Y-%m-%dT%H:%M:%SZ). See bench/README.md."
        echo
        echo "- machine: $machine"
        echo "- versions: $dusk_version @ $commit ($build_label); $rg_version; timer: $timer, $runs rounds after 1 warm-up round"
        echo "- corpus: profile $profile, $n_files files, $n_bytes bytes, $n_planted relevant files planted (seed ${BENCH_SEED:-42})"
        echo "- triggers: $n_triggers literals from $trigger_source"
        echo "- sanity: rg matched $rg_files files; dusk: $findings_summary"
        [ -z "$baseline_summary" ] || echo "- same findings as \`$BENCH_BASELINE\`: $baseline_summary"
        echo "- load during the run: $(uptime | sed 's/.*load average/load average/')"
        echo "- commands: \`rg --count-matches -i -F -f triggers.txt CORPUS\`, \`ruff check --no-cache --config ruff.toml --select TID251 --exit-zero CORPUS\` (banned-api: \`dask_kubernetes.KubeCluster\`), \`dusk check CORPUS --format json --output /dev/null\`, \`dusk fix CORPUS --diff --color never\`, \`dusk check CORPUS --format sarif --output /dev/null\`"
        echo
        echo "$report"
        if [ -n "$provisional" ]; then echo; echo "**$provisional** — these numbers do not yet reflect the finished tool."; fi
    } > "${BENCH_RESULTS:-$here/results.md}"
    echo
    echo "wrote ${BENCH_RESULTS:-$here/results.md}"
fi

grep -q '^RESULT PASS' <<< "$report" && exit 0 || exit 1
