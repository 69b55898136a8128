#!/usr/bin/env bash
# Installs whatever a fresh machine lacks for building and testing LSMI Explorer, then builds.
# Idempotent and quick when everything is already there. Needs: node 20+, npm, python3 (+pip), and
# apt for the real-host test harness (chromium, libkrb5-dev, ripgrep; see test/harness/setup.sh).
#   bash scripts/setup.sh            everything (what `npm test` / .ci/run need)
#   bash scripts/setup.sh --no-harness   skip the VS Code + Chromium harness (enough for the CLI)
set -euo pipefail
cd "$(dirname "$0")/.."
t() { echo "[setup $(date +%T)] $*"; }

# Python: numpy + pyarrow for the exporter, the example generator and the test fixtures; pytest
if ! python3 -c 'import numpy, pyarrow, pytest' 2>/dev/null; then
  t "pip install numpy pyarrow pytest"
  python3 -m pip install --quiet --disable-pip-version-check numpy pyarrow pytest \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages numpy pyarrow pytest
fi

# The package suite installs the exporter into a new virtual environment (Debian: python3-venv)
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  t "apt-get install python3-venv"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv) \
    || t "WARNING: python3 -m venv is unavailable: the package suite's exporter test will fail"
fi

# Node dependencies of the extension (reinstalled when package-lock.json changes)
stamp=node_modules/.lsmi-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  t "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# WebGPU tests: a Dawn-compatible Vulkan driver (Mesa lavapipe 25 from bookworm-backports) in ./.lavapipe,
# without touching the system's Mesa. Where that cannot be installed (no apt / not root) the `webgpu`
# test suite fails and says so; nothing else depends on it.
if ! bash scripts/setup-lavapipe.sh; then
  t "WARNING: lavapipe not installed: the webgpu test suite will FAIL on this machine (see above)"
fi

if [ "${1:-}" != "--no-harness" ]; then
  t "test harness (code-server 4.100.3 + Debian chromium)"
  bash test/harness/setup.sh
fi

t "build"
npm run --silent build
