#!/usr/bin/env bash
# Benchmark `dusk check` (and `dusk fix --diff`) against ripgrep searching the same
# corpus for the rule pack's trigger literals, and ruff running one banned-api rule
# over every Python file.  See bench/README.md.
#
# usage: bench/run.sh [--record] [--runs N] [--no-build]
#
#   --record     also write the numbers to bench/results.md
#   --runs N     timed runs per command (default 5, minimum 3; warmup is 1)
#   --no-build   skip `cargo build --profile dist`, use the existing binary
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
#   BENCH_TIMER=loop        time with a shell loop even if hyperfine is installed
#   BENCH_CARGO_PROFILE     the Cargo profile timed (default dist: what release wheels ship,
#                           the release build with fat LTO; `release` for a quicker build)
#   CARGO_TARGET_DIR        where cargo builds (binary: $CARGO_TARGET_DIR/<profile>/dusk)
#
# exit status: 0 both targets met, 1 a target missed, 2 the benchmark could not run.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

record=0
runs=5
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --record) record=1 ;;
        --runs) runs="$2"; shift ;;
        --runs=*) runs="${1#--runs=}" ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
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
have_hyperfine=0; command -v hyperfine >/dev/null && [ "${BENCH_TIMER:-}" != loop ] && have_hyperfine=1
have_time=0; [ -x /usr/bin/time ] && have_time=1

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
case "$corpus$work" in *[[:space:]]*) die "corpus and temp paths must not contain whitespace (hyperfine -N splits on it)" ;; esac
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
if [ "$build" = 1 ]; then
    echo "== cargo build --profile $cargo_profile"
    if ! (cd "$repo" && cargo build --profile "$cargo_profile" --quiet); then
        die "cargo build --profile $cargo_profile failed; nothing to benchmark"
    fi
fi
[ -x "$dusk" ] || die "no binary at $dusk"

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
# cache, its settings from a file of ours (hyperfine -N splits commands on whitespace and
# knows no quoting), so it parses everything on every run.
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
time_cmd() {  # prints mean sd min over $runs runs after one warmup
    "$@" > /dev/null 2>&1 || true
    local i t0 t1 ts=()
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N); "$@" > /dev/null 2>&1 || true; t1=$(date +%s%N)
        ts+=("$(( t1 - t0 ))")
    done
    python3 -c 'import statistics as s,sys; v=[int(x)/1e9 for x in sys.argv[1:]]; print(f"{s.mean(v):.4f} {s.stdev(v) if len(v) > 1 else 0.0:.4f} {min(v):.4f}")' "${ts[@]}"
}
echo "== timing ($runs runs, 1 warmup, $(nproc) CPUs)"
if [ "$have_hyperfine" = 1 ]; then
    extra=()
    [ "$have_ruff" = 1 ] && extra=(-n ruff "${ruff_cmd[*]}")
    hyperfine --warmup 1 --runs "$runs" -i -N --style basic \
        --export-json "$work/hyperfine.json" \
        -n rg "${rg_cmd[*]}" \
        -n "dusk check" "${dusk_cmd[*]}" \
        -n "dusk fix --diff" "${fix_cmd[*]}" \
        "${extra[@]}"
    read -r rg_mean rg_sd rg_min dusk_mean dusk_sd dusk_min fix_mean fix_sd fix_min ruff_mean ruff_sd ruff_min \
        < <(python3 - "$work/hyperfine.json" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
out = []
for name in ("rg", "dusk check", "dusk fix --diff", "ruff"):
    r = res.get(name, {"mean": 0.0, "stddev": 0.0, "min": 0.0})
    out += [r["mean"], r["stddev"] or 0.0, r["min"]]
print(" ".join(f"{x:.4f}" for x in out))
EOF
)
    # CPU time (user + system) is steadier than wall time on a loaded machine.
    cpu_times=$(python3 - "$work/hyperfine.json" <<'EOF'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print(" ".join(f"{res[n]['user'] + res[n]['system']:.3f}" if n in res else "?" for n in ("rg", "dusk check", "dusk fix --diff", "ruff")))
EOF
)
    timer="hyperfine $(hyperfine --version | awk '{print $2}')"
else
    echo "   (hyperfine not installed: timing with a shell loop)"
    read -r rg_mean rg_sd rg_min < <(time_cmd "${rg_cmd[@]}")
    read -r dusk_mean dusk_sd dusk_min < <(time_cmd "${dusk_cmd[@]}")
    read -r fix_mean fix_sd fix_min < <(time_cmd "${fix_cmd[@]}")
    if [ "$have_ruff" = 1 ]; then
        read -r ruff_mean ruff_sd ruff_min < <(time_cmd "${ruff_cmd[@]}")
    else
        ruff_mean=0 ruff_sd=0 ruff_min=0
    fi
    timer="shell loop (date +%s%N)"
    cpu_times="? ? ? ?"
fi

# ---------------------------------------------------------------- memory
rss_of() {  # peak RSS in KiB of one run, or "?"
    if [ "$have_time" = 1 ]; then
        /usr/bin/time -v "$@" > /dev/null 2> "$work/time.txt" || true
        awk -F': *' '/Maximum resident set size/ {print $2}' "$work/time.txt"
    else
        echo "?"
    fi
}
rg_rss=$(rss_of "${rg_cmd[@]}")
dusk_rss=$(rss_of "${dusk_cmd[@]}")
fix_rss=$(rss_of "${fix_cmd[@]}")
ruff_rss="?"; [ "$have_ruff" = 1 ] && ruff_rss=$(rss_of "${ruff_cmd[@]}")

# ---------------------------------------------------------------- SARIF
# `--format sarif` adds each file's fixes, made by the fix loops again: timed on its own
# (shell loop), so a format that does more than JSON cannot go slow unseen (it once took
# 60x the JSON run).
sarif_cmd=("$dusk" check "$corpus" --format sarif --output /dev/null)
read -r sarif_mean sarif_sd sarif_min < <(time_cmd "${sarif_cmd[@]}")

# ---------------------------------------------------------------- report
report=$(python3 - "$rg_mean" "$rg_sd" "$rg_min" "$dusk_mean" "$dusk_sd" "$dusk_min" "$rg_rss" "$dusk_rss" \
    "$max_ratio" "$max_rss_kib" "$fix_mean" "$fix_sd" "$fix_min" "$fix_rss" \
    "$ruff_mean" "$ruff_sd" "$ruff_min" "$ruff_rss" "$have_ruff" $cpu_times <<'EOF'
import sys
rg_mean, rg_sd, rg_min, d_mean, d_sd, d_min = map(float, sys.argv[1:7])
rg_rss, d_rss, max_ratio, max_rss = sys.argv[7], sys.argv[8], float(sys.argv[9]), int(sys.argv[10])
f_mean, f_sd, f_min = map(float, sys.argv[11:14])
f_rss = sys.argv[14]
r_mean, r_sd, r_min = map(float, sys.argv[15:18])
r_rss, have_ruff = sys.argv[18], sys.argv[19] == "1"
cpu = dict(zip(("rg", "check", "fix", "ruff"), sys.argv[20:24]))
def mb(k):
    return "?" if k == "?" else f"{int(k) * 1024 / 1e6:.1f} MB"
ratio = d_mean / rg_mean
t_ok = ratio <= max_ratio
m_ok = d_rss != "?" and int(d_rss) < max_rss
fix_ratio = f_mean / d_mean
f_ok = fix_ratio <= 2.0
r_ok = (not have_ruff) or d_mean < r_mean
print("| tool | mean (s) | stddev (s) | min (s) | CPU user+sys (s) | peak RSS | mean / rg |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| rg (trigger scan) | {rg_mean:.3f} | {rg_sd:.3f} | {rg_min:.3f} | {cpu['rg']} | {mb(rg_rss)} | 1.00x |")
if have_ruff:
    print(f"| ruff (one banned-api rule) | {r_mean:.3f} | {r_sd:.3f} | {r_min:.3f} | {cpu['ruff']} | {mb(r_rss)} | {r_mean / rg_mean:.2f}x |")
print(f"| dusk check | {d_mean:.3f} | {d_sd:.3f} | {d_min:.3f} | {cpu['check']} | {mb(d_rss)} | {ratio:.2f}x |")
print(f"| dusk fix --diff | {f_mean:.3f} | {f_sd:.3f} | {f_min:.3f} | {cpu['fix']} | {mb(f_rss)} | {f_mean / rg_mean:.2f}x |")
print()
print(f"ratio dusk/rg (mean): {ratio:.2f}x  (target <= {max_ratio:g}x): {'PASS' if t_ok else 'FAIL'}")
if have_ruff:
    print(f"ratio dusk/ruff (mean): {d_mean / r_mean:.2f}x  (target < 1x): {'PASS' if r_ok else 'FAIL'}")
else:
    print("ratio dusk/ruff: not measured (ruff not installed: pip install ruff)")
print(f"ratio fix --diff/check (mean): {fix_ratio:.2f}x  (target <= 2x): {'PASS' if f_ok else 'FAIL'}")
print(f"dusk peak RSS: {mb(d_rss)}  (target < 200 MB): {'PASS' if m_ok else 'FAIL' if d_rss != '?' else 'UNKNOWN (no /usr/bin/time)'}")
print(f"RESULT {'PASS' if t_ok and m_ok and f_ok and r_ok else 'FAIL'}")
EOF
)

report="$report
$(python3 -c 'import sys; s, d = map(float, sys.argv[1:]); print(f"dusk check --format sarif (mean): {s:.3f} s, {s / d:.2f}x dusk check")' "$sarif_mean" "$dusk_mean")"
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
echo "machine:  $machine; $rg_version; $dusk_version @ $commit ($cargo_profile profile); timer: $timer"
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
        echo "- versions: $dusk_version @ $commit ($cargo_profile profile); $rg_version; timer: $timer, $runs runs after 1 warmup"
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
