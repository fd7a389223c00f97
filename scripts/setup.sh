#!/usr/bin/env bash
# Creates .venv in the checkout and installs previs with its dev tools.
# Idempotent: re-installs only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.previs-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$want" > "$stamp"
fi
# The Node.js example client (tests/clients) needs its two npm packages.
if command -v npm >/dev/null 2>&1; then
  lock_sum=$(sha256sum clients/node/package-lock.json | cut -d' ' -f1)
  node_stamp=clients/node/node_modules/.previs-installed
  if [ ! -f "$node_stamp" ] || [ "$(cat "$node_stamp")" != "$lock_sum" ]; then
    (cd clients/node && npm ci --no-audit --no-fund --silent)
    echo "$lock_sum" > "$node_stamp"
  fi
fi
