#!/usr/bin/env bash
# Build the Python "oracles" the Rust tests compare against (see scripts/oracle/README.md).
#
#   .oracles/operator/   venv: dask-kubernetes 2026.3.0 (make_cluster_spec, CRDs) + jsonschema
#   .oracles/classic/    venv: dask-kubernetes 2024.4.2 (classic make_pod_spec)
#   .oracles/crds/       <Kind>.yaml (CRD from the wheel) and <Kind>.schema.json
#   .oracles/cases/NN/   params.json, pod.yaml, cluster_params.json, cluster.json,
#                        cluster.validation.json; cases/index.json; versions.json
#
# Idempotent: a venv is rebuilt only when its stamp (python version + requirement and
# constraint files) changed; the data only when a venv or a generator changed.
# Fails loudly (non-zero exit) when anything cannot be installed or generated.
# Environment: DUSK_ORACLES (default: <repo>/.oracles), PYTHON (default: python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/scripts/oracle"
OUT="${DUSK_ORACLES:-$ROOT/.oracles}"
PYTHON="${PYTHON:-python3}"
START=$SECONDS

trap 'echo "prepare-oracles: FAILED (line $LINENO: $BASH_COMMAND)" >&2' ERR

say() { echo "prepare-oracles: $*" >&2; }

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

command -v "$PYTHON" >/dev/null || { say "no $PYTHON on PATH"; exit 1; }
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
case "$PYVER" in
  3.11.*) ;;
  *) say "warning: $PYTHON is $PYVER; the pins in scripts/oracle/*-constraints.txt were made with 3.11" ;;
esac
mkdir -p "$OUT"

# ensure_venv NAME IMPORT_CHECK
ensure_venv() {
  local name="$1" check="$2"
  local dir="$OUT/$name" req="$SRC/$name-requirements.txt" con="$SRC/$name-constraints.txt"
  local want
  want="python=$PYVER $(hash_of "$req" "$con")"
  if [[ -x "$dir/bin/python" && -f "$dir/.dusk-stamp" && "$(cat "$dir/.dusk-stamp")" == "$want" ]]; then
    return 0
  fi
  say "building $name venv (pip install -r ${req#"$ROOT"/})"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  if ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$req" -c "$con"; then
    say "pip install into $dir failed (is PyPI reachable?)"
    exit 1
  fi
  "$dir/bin/python" -c "$check"
  echo "$want" >"$dir/.dusk-stamp"
}

ensure_venv operator 'from dask_kubernetes.operator import make_cluster_spec; import jsonschema, yaml, ruff'
ensure_venv classic 'from dask_kubernetes.classic import make_pod_spec; from dask_kubernetes import make_pod_spec; import yaml'

OPV="$("$OUT/operator/bin/python" -c 'from importlib.metadata import version; print(version("dask-kubernetes"))')"
CLV="$("$OUT/classic/bin/python" -c 'from importlib.metadata import version; print(version("dask-kubernetes"))')"
[[ "$OPV" == "2026.3.0" ]] || { say "operator venv has dask-kubernetes $OPV, expected 2026.3.0"; exit 1; }
[[ "$CLV" == "2024.4.2" ]] || { say "classic venv has dask-kubernetes $CLV, expected 2024.4.2"; exit 1; }

# Data: regenerated when a venv or any generator input changed.
GEN_WANT="$(hash_of "$OUT/operator/.dusk-stamp" "$OUT/classic/.dusk-stamp" "$SRC"/*.py "${BASH_SOURCE[0]}")"
cached=""
if [[ -f "$OUT/.generated" && "$(cat "$OUT/.generated")" == "$GEN_WANT" \
  && -f "$OUT/cases/index.json" && -f "$OUT/crds/DaskCluster.schema.json" ]]; then
  cached=" (cached)"
else
  tmp="$OUT/.gen.tmp"
  rm -rf "$tmp" "$OUT/.generated"
  mkdir -p "$tmp/cases"
  (cd "$SRC" && PYTHONDONTWRITEBYTECODE=1 "$OUT/classic/bin/python" gen_classic.py "$tmp/cases" >&2)
  (cd "$SRC" && PYTHONDONTWRITEBYTECODE=1 "$OUT/operator/bin/python" gen_operator.py "$tmp" "$CLV" >&2)
  # Self-test of the validator: accepts a plain make_cluster_spec output, rejects a bad spec.
  "$OUT/operator/bin/python" -B "$SRC/validate.py" DaskCluster "$tmp/cases/00/cluster.json" >/dev/null
  bad='{"apiVersion": "kubernetes.dask.org/v1", "kind": "DaskCluster", "metadata": {"name": "bad"},
        "spec": {"worker": {"replicas": "two", "spec": {"containers": [{"name": "w"}]}}}}'
  if echo "$bad" | "$OUT/operator/bin/python" -B "$SRC/validate.py" DaskCluster - >/dev/null; then
    say "validate.py accepted an invalid DaskCluster"; exit 1
  fi
  rm -rf "$OUT/crds" "$OUT/cases" "$OUT/versions.json"
  mv "$tmp/crds" "$tmp/cases" "$tmp/versions.json" "$OUT/"
  rmdir "$tmp"
  echo "$GEN_WANT" >"$OUT/.generated"
fi

ncrd=$(find "$OUT/crds" -name '*.schema.json' | wc -l)
ncase=$(find "$OUT/cases" -mindepth 1 -maxdepth 1 -type d | wc -l)
nvalid=$(grep -l '"valid": true' "$OUT"/cases/*/cluster.validation.json | wc -l)
echo "oracles ready in ${OUT}${cached}: operator dask-kubernetes $OPV, classic $CLV, $ncrd CRDs, $ncase cases ($nvalid/$ncase make_cluster_spec outputs valid against the CRD), $((SECONDS - START))s"
