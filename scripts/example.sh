#!/usr/bin/env bash
# The main job on the bundled example data, on a fresh machine: installs what is missing, builds,
# estimates per-sample interactions on the example runs with `lsmi`, and compares the early- and
# late-fusion models sample by sample. Extra arguments go to `lsmi estimate` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-harness >&2
dir=examples/fashion-mnist
echo "\$ npx lsmi estimate $dir/fmnist-late-fusion.arrow"
npx --no-install lsmi estimate "$dir/fmnist-late-fusion.arrow" "$@"
echo
echo "\$ npx lsmi estimate $dir/fmnist-early-fusion.arrow  # the second model, for the comparison"
npx --no-install lsmi estimate "$dir/fmnist-early-fusion.arrow" --json >/dev/null
echo
echo "\$ npx lsmi compare $dir/fmnist-early-fusion.lsmi.arrow $dir/fmnist-late-fusion.lsmi.arrow --top 5"
npx --no-install lsmi compare "$dir/fmnist-early-fusion.lsmi.arrow" "$dir/fmnist-late-fusion.lsmi.arrow" --top 5
