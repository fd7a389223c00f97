#!/usr/bin/env bash
# Sets up .venv if needed, then runs the test suite (extra pytest arguments
# pass through). Long fault and load runs: PREVIS_LONG_TESTS=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
