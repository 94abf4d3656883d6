#!/usr/bin/env bash
# Distribution test (issue #14): dusk as its users get it, from the wheel.
#   bash scripts/dist/test.sh
#
# 1. builds the wheel and the sdist with maturin (from PyPI), checks what they hold;
# 2. installs the wheel into a fresh virtualenv: `dusk --version`, `python -m dusk --version`,
#    a check of examples/, `dusk manpages`, `dusk completions`;
# 3. `pre-commit try-repo` of this checkout (pre-commit from PyPI) against the repositories of
#    fixtures/pre-commit/: `dusk-check` fails on the classic one naming the finding and passes on
#    the clean one; `dusk-fix` rewrites the safe fix;
# 4. runs action.yml's shell steps with the inputs of README's GitHub snippet
#    (scripts/dist/run-action.py, not GitHub) against the examples and a clean repository,
#    installing from the wheel just built, and checks the SARIF the upload step would send;
# 5. runs README's GitLab job (ci/gitlab/dusk.gitlab-ci.yml) against the examples and checks
#    its Code Quality report — when this dusk has `--format gitlab`, else says it skipped.
#
# DUSK_WHEEL_PROFILE: the Cargo profile of the wheels built here (default `dev`, which reuses
# what `cargo test` built: a release build costs a full optimised build of every dependency;
# release wheels are built by scripts/dist/pgo-build.sh). Needs git, python3 with venv, and
# network access to PyPI. Prints "N passed, N failed" last; exits 1 if anything failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
profile=${DUSK_WHEEL_PROFILE:-dev}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export PIP_DISABLE_PIP_VERSION_CHECK=1
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/dusk-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
section() { printf '\n--- %s (%ss)\n' "$1" "$SECONDS"; }

section "tools: maturin and pre-commit from PyPI"
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install --quiet "maturin==1.16.0" "pre-commit==4.7.0"
tools=$work/tools/bin
checks() { "$tools/python" "$root/scripts/dist/checks.py" "$@"; }

section "wheel (profile $profile) and sdist"
"$tools/maturin" build --profile "$profile" --out "$work/wheels" 2>&1 | tail -n 3
"$tools/maturin" sdist --out "$work/sdist" 2>&1 | tail -n 1
wheel=$(ls "$work"/wheels/dusk_migrate-"$version"-*.whl 2>/dev/null | head -n 1)
if [[ -n "$wheel" ]] && "$tools/python" -c 'import sys, zipfile; sys.exit(sys.argv[2] not in zipfile.ZipFile(sys.argv[1]).namelist())' \
  "$wheel" "dusk_migrate-$version.data/scripts/dusk"; then
  ok "wheel $(basename "$wheel") holds the dusk executable"
else
  bad "no dusk_migrate-$version wheel with a dusk executable in $work/wheels"
fi
sdist=$(ls "$work"/sdist/dusk_migrate-"$version".tar.gz 2>/dev/null | head -n 1)
if [[ -n "$sdist" ]]; then
  missing=$(tar -tzf "$sdist" | sed "s|^dusk_migrate-$version/||" |
    sort | comm -13 - <(printf '%s\n' Cargo.lock Cargo.toml LICENSE pyproject.toml rules/dask-kubernetes.yaml src/main.rs | sort))
  if [[ -z "$missing" ]]; then ok "sdist $(basename "$sdist") holds the crate"; else bad "sdist lacks: $missing"; fi
else
  bad "no dusk_migrate-$version sdist"
fi

section "fresh virtualenv from the wheel"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index "$wheel"
dusk=$work/venv/bin/dusk
if [[ "$("$dusk" --version)" == "dusk $version" ]]; then ok "dusk --version: dusk $version"; else bad "dusk --version: $("$dusk" --version)"; fi
if [[ "$("$work/venv/bin/python" -m dusk --version)" == "dusk $version" ]]; then ok "python -m dusk --version"; else bad "python -m dusk --version"; fi
code=0
"$dusk" check --isolated --format json --output "$work/examples.json" examples || code=$?
count=$("$tools/python" -c 'import json,sys; f=json.load(open(sys.argv[1]))["findings"]; print(len(f) if any(x["rule"]=="classic-kubecluster-import" for x in f) else 0)' "$work/examples.json")
if [[ $code == 1 && $count -gt 10 ]]; then ok "dusk check examples/ from the wheel: exit 1, $count findings"; else bad "dusk check examples/: exit $code, $count findings with classic-kubecluster-import"; fi
"$dusk" manpages "$work/man" >/dev/null
if grep -q '^\.TH dusk-check 1' "$work/man/dusk-check.1" 2>/dev/null; then ok "dusk manpages: $(ls "$work/man" | wc -l) pages"; else bad "dusk manpages wrote no dusk-check.1"; fi
if "$dusk" completions bash | grep -q 'classic-kubecluster-import'; then ok "bash completions offer rule ids"; else bad "bash completions without rule ids"; fi

section "pre-commit try-repo against fixtures/pre-commit"
# pre-commit clones this checkout and pip-builds it: the same profile, the same target dir.
export PRE_COMMIT_HOME=$work/pre-commit-home MATURIN_PEP517_ARGS="--profile $profile"
repo() {
  rm -rf "$work/repos/$1"
  mkdir -p "$work/repos"
  cp -R "fixtures/pre-commit/$1" "$work/repos/$1"
  git -C "$work/repos/$1" init -q
  git -C "$work/repos/$1" add -A
  git -C "$work/repos/$1" -c user.name=dusk -c user.email=dusk@localhost commit -qm fixture
}
hooks() { # hooks REPO → exit code of one try-repo running every hook; output in $work/hook.out
  # try-repo installs into a throwaway store, so each run pip-builds dusk once: run them all.
  local code=0
  (cd "$work/repos/$1" && "$tools/pre-commit" try-repo "$root" --all-files --color never) >"$work/hook.out" 2>&1 || code=$?
  echo "$code"
}
repo classic
code=$(hooks classic)
if [[ $code == 1 ]] && grep -q '^dusk check.*Failed' "$work/hook.out" &&
  grep -q '^flows/nightly_features.py:4:29: error\[classic-kubecluster-import\]' "$work/hook.out"; then
  ok "dusk-check fails on the classic repository and names classic-kubecluster-import"
else
  bad "dusk-check on the classic repository: exit $code"; cat "$work/hook.out"
fi
if grep -q '^dusk fix.*Failed' "$work/hook.out" && grep -q 'files were modified by this hook' "$work/hook.out" &&
  grep -q '^from dask_kubernetes.operator import KubeCluster' "$work/repos/classic/flows/backfill.py"; then
  ok "dusk-fix rewrites the experimental import and fails as pre-commit fixers do"
else
  bad "dusk-fix on the classic repository"; cat "$work/hook.out"
fi
repo clean
code=$(hooks clean)
if [[ $code == 0 ]] && grep -q '^dusk check.*Passed' "$work/hook.out" && grep -q '^dusk fix.*Passed' "$work/hook.out"; then
  ok "dusk-check and dusk-fix pass on the clean repository (its chart template stays excluded)"
else
  bad "hooks on the clean repository: exit $code"; cat "$work/hook.out"
fi

section "GitHub Action steps (README snippet) against examples/"
checks readme-inputs README.md >"$work/inputs.txt" || bad "README has no GitHub snippet to test"
mapfile -t inputs <"$work/inputs.txt"
echo "inputs from README: ${inputs[*]}"
action_inputs=()
for i in "${inputs[@]}"; do action_inputs+=(--input "$i"); done
targets=()
for i in "${inputs[@]}"; do [[ $i == targets=* ]] && for t in ${i#targets=}; do targets+=(--target "$t"); done; done
run_action() { # run_action WORKSPACE EXPECT_EXIT
  local ws=$1 code=0
  (cd "$ws" && "$dusk" check --isolated "${targets[@]}" --format json --output "$work/expected.json" .) || true
  PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" "$tools/python" scripts/dist/run-action.py "$root" "$ws" \
    "${action_inputs[@]}" --report "$work/action.json" 2>"$work/action.log" || code=$?
  if [[ $2 == 0 && $code != 0 ]] || [[ $2 != 0 && $code == 0 ]]; then
    bad "action on $(basename "$ws"): runner exit $code"; cat "$work/action.log"; return
  fi
  if out=$(checks action-run "$work/action.json" "$ws" "$work/expected.json" "$2" 2>&1); then
    ok "$out"
  else
    bad "action on $(basename "$ws"): $out"; cat "$work/action.log"
  fi
}
mkdir -p "$work/gh-examples"
cp -R examples "$work/gh-examples/examples"
run_action "$work/gh-examples" 1
cp -R fixtures/pre-commit/clean "$work/gh-clean"
run_action "$work/gh-clean" 0

section "GitLab job (README snippet + ci/gitlab/dusk.gitlab-ci.yml) against examples/"
help=$("$dusk" check --help)
if [[ $help == *gitlab* ]]; then
  mkdir -p "$work/gl" && cp -R examples "$work/gl/examples"
  checks gitlab-job README.md ci/gitlab/dusk.gitlab-ci.yml >"$work/gl-job.sh"
  code=0
  (cd "$work/gl" && PATH="$work/venv/bin:$PATH" PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" \
    bash "$work/gl-job.sh") >"$work/gl.log" 2>&1 || code=$?
  # What the job's own arguments find, as JSON, to compare the report with.
  (cd "$work/gl" && PATH="$work/venv/bin:$PATH" bash -c \
    'eval "$(grep "^export " "$1")"; dusk check $DUSK_ARGS --format json --output "$2" $DUSK_PATHS' \
    - "$work/gl-job.sh" "$work/gl-expected.json") || true
  if [[ $code == 1 ]] && out=$(checks codequality "$work/gl/gl-code-quality-report.json" "$work/gl" "$work/gl-expected.json" 2>&1); then
    ok "$out; the job fails on the findings"
  else
    bad "GitLab job: exit $code ${out:-}"; cat "$work/gl.log"
  fi
else
  echo "skipped: this dusk has no --format gitlab yet (issue #11); the GitLab job is not run"
fi

printf '\n--- done (%ss)\ndistribution: %s passed, %s failed\n' "$SECONDS" "$passed" "$failed"
[[ $failed == 0 ]]
