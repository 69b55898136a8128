#!/usr/bin/env bash
# The main job on the bundled example data, on a fresh machine: installs what is missing, builds,
# and runs `lsmi` on the example runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-harness >&2
for run in examples/fashion-mnist/fmnist-late-fusion.arrow examples/circuits/xor.arrow; do
  echo "\$ npx lsmi inspect $run"
  npx --no-install lsmi inspect "$run"
  echo
done
