#!/usr/bin/env bash
# The project's single test command: prepares the Python oracles, then runs every Rust test.
#   bash scripts/test.sh [extra cargo test args...]    e.g. bash scripts/test.sh -- --nocapture
# Tests find the oracle data through DUSK_ORACLES (see scripts/oracle/README.md).
# No oracles, no tests: if preparing them fails (no network, broken pins), this fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DUSK_ORACLES="${DUSK_ORACLES:-$PWD/.oracles}"
if ! bash scripts/prepare-oracles.sh; then
  echo "test.sh: ERROR: preparing the Python oracles failed; not running the tests without them." >&2
  exit 1
fi
exec cargo test --all-targets "$@"
