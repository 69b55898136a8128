#!/usr/bin/env bash
# The main job on the bundled example data, on a fresh machine: installs what is missing, builds,
# and estimates per-sample interactions on the example run with `lsmi`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-harness >&2
run=examples/fashion-mnist/fmnist-late-fusion.arrow
echo "\$ npx lsmi estimate $run"
npx --no-install lsmi estimate "$run" "$@"
