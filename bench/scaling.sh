#!/usr/bin/env bash
# Scaling series and single-file scaling cases for dusk (issue #13).  See bench/README.md.
#
# usage: bench/scaling.sh [--sizes "1000 5000 20000"] [--runs N] [--no-series] [--no-cases]
#
# environment:
#   DUSK                    the binary (default ${CARGO_TARGET_DIR:-target}/dist/dusk, else
#                           .../release/dusk; not built here)
#   BENCH_PROFILE           corpus profile of the series (default dask-shop)
#   BENCH_SCALING_DIR       where corpora and case files are kept (default /tmp/dusk-scaling)
#
# Prints markdown tables: per corpus size, rg and dusk check mean times and dusk's time per
# 1,000 files; per case, dusk's time at N and 4N and the ratio (linear: 4x work, <= 5x time).
# Peak RSS comes from GNU time.  Timing is hyperfine's mean of --runs runs (default 3).

set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
sizes="1000 5000 20000"
runs=3
series=1
cases=1
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) sizes="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        --no-series) series=0 ;;
        --no-cases) cases=0 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "scaling.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
# The shipped build (bench/run.sh builds it) when there is one, else the release build.
default_dusk="$target_dir/dist/dusk"
[ -x "$default_dusk" ] || default_dusk="$target_dir/release/dusk"
dusk="${DUSK:-$default_dusk}"
[ -x "$dusk" ] || { echo "scaling.sh: no binary at $dusk (cargo build --profile dist)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "scaling.sh: hyperfine is required" >&2; exit 2; }
dir="${BENCH_SCALING_DIR:-/tmp/dusk-scaling}"
mkdir -p "$dir"
profile="${BENCH_PROFILE:-dask-shop}"

mean_of() {  # mean seconds of one command, hyperfine -N, exit codes ignored
    hyperfine --warmup 1 --runs "$runs" -i -N --style none --export-json "$dir/h.json" "$1" > /dev/null 2>&1
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f" % r["mean"])' "$dir/h.json"
}
fresh() {  # whether the generated $1 is there and newer than its generator $2
    [ -e "$1" ] && [ "$1" -nt "$2" ]
}
rss_of() {  # peak RSS in MB of one run
    /usr/bin/time -v "$@" > /dev/null 2> "$dir/time.txt" || true
    awk -F': *' '/Maximum resident set size/ {printf "%.0f", $2 * 1024 / 1e6}' "$dir/time.txt"
}

echo "dusk: $dusk ($("$dusk" --version | sed -n 1p)); $(nproc) CPUs; $(uptime | sed 's/.*load average/load average/')"
echo

if [ "$series" = 1 ]; then
    "$dusk" rules triggers | grep -v '^[[:space:]]*$' > "$dir/triggers.txt"
    echo "### Corpus size ($profile profile)"
    echo
    echo "| files | MB | rg (s) | dusk check (s) | dusk / rg | dusk ms per 1,000 files | peak RSS (MB) |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    named_rows=()
    for n in $sizes; do
        corpus="$dir/$profile-$n"
        if ! fresh "$corpus" "$here/gen_corpus.py"; then
            rm -rf "$corpus"
            python3 "$here/gen_corpus.py" "$corpus" --files "$n" --size-mb "$(( n / 100 ))" --profile "$profile" > /dev/null
        fi
        rg_t=$(mean_of "rg --count-matches -i -F -f $dir/triggers.txt $corpus")
        d_t=$(mean_of "$dusk check $corpus --format json --output /dev/null")
        rss=$(rss_of "$dusk" check "$corpus" --format json --output /dev/null)
        python3 -c 'import sys; n,mb,r,d,rss=sys.argv[1:]; n=int(n); r=float(r); d=float(d); print(f"| {n:,} | {mb} | {r:.3f} | {d:.3f} | {d/r:.2f}x | {d*1e6/n:.1f} | {rss} |")' \
            "$n" "$(( n / 100 ))" "$rg_t" "$d_t" "$rss"
        # What `pre-commit run --all-files` does: every file named on the command line, in
        # as few invocations as the argument limit allows.
        named="$dir/named-$n.sh"
        printf 'cd %q && find . -type f \\( -name "*.py" -o -name "*.ipynb" -o -name "*.yaml" -o -name "*.yml" -o -name Dockerfile \\) -not -path "./.git/*" -print0 | xargs -0 -s 2000000 %q check --force-exclude --format json --output /dev/null\n' \
            "$corpus" "$dusk" > "$named"
        named_rows+=("$n $d_t $(mean_of "bash $named")")
    done
    echo
    echo "### Files named on the command line (pre-commit), against the same corpus walked"
    echo
    echo "| files | dusk check <dir> (s) | dusk check --force-exclude <every file> (s) | ratio |"
    echo "| ---: | ---: | ---: | ---: |"
    for row in "${named_rows[@]}"; do
        # shellcheck disable=SC2086
        python3 -c 'import sys; n,w,f=sys.argv[1:]; n=int(n); w=float(w); f=float(f); print(f"| {n:,} | {w:.3f} | {f:.3f} | {f/w:.2f}x |")' $row
    done
    echo
fi

if [ "$cases" = 1 ]; then
    echo "### One file growing (linear: 4x the work in at most 5x the time)"
    echo
    echo "| case | command | N | time (s) | 4N | time (s) | ratio | peak RSS at 4N (MB) |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    run_case() {  # case n ext command...
        local case="$1" n="$2" ext="$3"; shift 3
        local small="$dir/case-$case-$n.$ext" big="$dir/case-$case-$((4 * n)).$ext"
        fresh "$small" "$here/gen_cases.py" || python3 "$here/gen_cases.py" "$case" "$n" "$small"
        fresh "$big" "$here/gen_cases.py" || python3 "$here/gen_cases.py" "$case" "$((4 * n))" "$big"
        local t1 t2 rss
        t1=$(mean_of "$* $small")
        t2=$(mean_of "$* $big")
        rss=$(rss_of "$@" "$big")
        python3 -c 'import sys; c,cmd,n,t1,t2,rss=sys.argv[1:]; n=int(n); t1=float(t1); t2=float(t2); print(f"| {c} | `{cmd}` | {n:,} | {t1:.3f} | {4*n:,} | {t2:.3f} | {t2/max(t1,1e-9):.2f}x | {rss} |")' \
            "$case" "${*/#$dusk/dusk}" "$n" "$t1" "$t2" "$rss"
    }
    run_case findings-py 5000 py "$dusk" check --format json --output /dev/null
    run_case findings-yaml 2500 yaml "$dusk" check --format json --output /dev/null
    run_case notebook 400 ipynb "$dusk" fix --diff --unsafe-fixes --color never
    echo
    big="$dir/case-big-yaml-100.yaml"
    fresh "$big" "$here/gen_cases.py" || python3 "$here/gen_cases.py" big-yaml 100 "$big"
    echo "### A 100 MB YAML stream"
    echo
    echo "| command | time (s) | peak RSS (MB) | outcome |"
    echo "| --- | ---: | ---: | --- |"
    for limit in "" "--max-file-size 200000000"; do
        start=$(date +%s.%N)
        set +e
        # shellcheck disable=SC2086
        timeout 120 "$dusk" check "$big" --format json --output "$dir/big.json" $limit 2> /dev/null
        rc=$?
        set -e
        end=$(date +%s.%N)
        # shellcheck disable=SC2086
        rss=$(rss_of timeout 120 "$dusk" check "$big" --format json --output /dev/null $limit)
        outcome=$(python3 - "$dir/big.json" "$rc" <<'PY'
import collections, json, sys
if sys.argv[2] == "124":
    print("not done after 120 s"); sys.exit()
try:
    f = json.load(open(sys.argv[1]))["findings"]
except Exception as e:
    print(f"exit {sys.argv[2]}, no JSON"); sys.exit()
c = collections.Counter(x["rule"] for x in f)
first = f[0]["message"] if f and len(c) == 1 else ""
print(f"exit {sys.argv[2]}: {len(f)} findings " + ", ".join(f"{k} {v}" for k, v in c.most_common(4)) + (f" ({first})" if first else ""))
PY
)
        python3 -c 'import sys; s,e=map(float,sys.argv[1:3]); print(f"| `dusk check big.yaml {sys.argv[3]}` | {e-s:.2f} | {sys.argv[4]} | {sys.argv[5]} |")' \
            "$start" "$end" "$limit" "$rss" "$outcome"
    done
fi
