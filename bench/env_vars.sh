#!/usr/bin/env bash
# The cost of fix availability: `dusk check` on one Deployment with 8,000 `DASK_KUBERNETES__…`
# variables (every one a finding with a fix), against the same file checked with the same
# rules stripped of their `fix:` (so no rewriter runs). Issue #8's acceptance: at most 2x.
#
# usage: bench/env_vars.sh [--vars N] [--runs N]
#   DUSK=path/to/dusk   the binary (default: $CARGO_TARGET_DIR/release/dusk, built if missing)
# exit status: 0 within 2x, 1 slower, 2 could not run.

set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
vars=8000
runs=5
while [ $# -gt 0 ]; do
    case "$1" in
        --vars) vars="$2"; shift ;;
        --runs) runs="$2"; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "env_vars.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
dusk="${DUSK:-${CARGO_TARGET_DIR:-$repo/target}/release/dusk}"
if [ ! -x "$dusk" ]; then
    (cd "$repo" && cargo build --release) || exit 2
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/dusk-env-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 "$here/gen_env_deployment.py" "$work/deployment.yaml" --vars "$vars"
# The built-in packs without any `fix:` (each overrides the built-in rules by id).
mkdir -p "$work/nofix"
rule_args=()
for pack in "$repo"/rules/*.yaml; do
    grep -v '^[[:space:]]*fix: {' "$pack" > "$work/nofix/$(basename "$pack")"
    rule_args+=(--rules "$work/nofix/$(basename "$pack")")
done

best() {  # best wall time (seconds) of $runs runs of "$@"
    local best=""
    for _ in $(seq "$runs"); do
        local start end t
        start=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || [ $? -eq 1 ] || { echo "env_vars.sh: $* failed" >&2; exit 2; }
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

with=$(best "$dusk" check --isolated "$work/deployment.yaml" --format json --output /dev/null)
without=$(best "$dusk" check --isolated "${rule_args[@]}" "$work/deployment.yaml" --format json --output /dev/null)
findings=$("$dusk" check --isolated "$work/deployment.yaml" --format json 2>/dev/null \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["findings"]), sum(1 for f in d["findings"] if f["fix"] and "applicability" in f["fix"]))' || true)
ratio=$(echo "scale=2; $with / $without" | bc)
echo "$vars DASK_KUBERNETES__ variables: findings, fixable: $findings"
echo "check with fixes:    ${with}s"
echo "check without fixes: ${without}s"
echo "ratio: ${ratio}x (target: at most 2x)"
[ "$(echo "$ratio <= 2" | bc)" = 1 ]
