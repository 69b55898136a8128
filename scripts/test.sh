#!/usr/bin/env bash
# The one command that runs every test on a fresh machine: sets up what is missing, builds, and runs
# the engine tests (node:test), the exporter tests (pytest), the packages as installed (.vsix, CLI
# tarball, exporter), the mocha suite in a real VS Code extension host and the Playwright tests
# against real webviews, both on the .vsix as installed by `code-server --install-extension`.
# Ends with `N passed, N failed`.
#   bash scripts/test.sh [--only engine,python,package,host,ui,webgpu] [--from-tree]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/test-all.mjs "$@"
