#!/usr/bin/env bash
# The device check (README: Compute backends and GPUs): WebGPU against wasm on the cases that matter, in one call of a GPU
# machine that has no Node.js and no network.
#
#   bash scripts/gpu-check.sh           packs everything into .gpu-check/ (git-ignored, < 64 MiB):
#                                       a Node.js runtime (xz), the bundles, the WebGPU addon, the
#                                       wasm binaries and the Vulkan loader; prints the `carry` list
#                                       and the command to give the device tool
#   bash scripts/gpu-check.sh --local   packs, then runs the same script here at small sizes on
#                                       lavapipe (.lavapipe, scripts/setup-lavapipe.sh): what CI runs
#
# On the device the command writes gpu-check.md (the table for BENCHMARKS.md), gpu-check.json,
# log.txt and gpu.txt under $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCAL=0
[ "${1:-}" = "--local" ] && LOCAL=1 && shift
D=.gpu-check
say() { echo "[gpu-check $(date +%T)] $*"; }

say "building"
npm run --silent build >/dev/null
rm -rf "$D"
mkdir -p "$D/gl"
node scripts/gpu-check/build.mjs "$D/bundle"
cp scripts/gpu-check/run.mjs scripts/gpu-check/device.sh "$D/"
# the WebGPU addon: the package without the other platforms' binaries
tar -cJf "$D/webgpu.tar.xz" -C node_modules --exclude='webgpu/dist/darwin-*' --exclude='webgpu/dist/win32-*' --exclude='webgpu/dist/linux-arm64' --exclude='webgpu/build' webgpu
if [ "$LOCAL" = 0 ]; then
  say "compressing the Node.js runtime ($(node --version))"
  xz -T2 -6 -c "$(command -v node)" > "$D/node.xz"
  say "downloading the Vulkan loader (libvulkan1, amd64)"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/gpu-check-apt -oDir::Cache=/tmp/gpu-check-apt-cache'
  mkdir -p /tmp/gpu-check-apt/partial /tmp/gpu-check-apt-cache/archives/partial
  # shellcheck disable=SC2086
  { apt-get $o update -qq && (cd "$D/gl" && apt-get $o download libvulkan1 -qq); } >/dev/null 2>&1 || say "WARNING: could not download libvulkan1: the device must have a Vulkan loader"
  size=$(du -sm "$D" | cut -f1)
  say "packed $D: ${size} MiB (the device tool carries at most 64 MiB)"
  [ "$size" -lt 64 ] || { echo "gpu-check: $D is ${size} MiB, over the 64 MiB a device call carries" >&2; exit 1; }
  cat <<MSG

Give the device tool (run):
  carry:   [".gpu-check"]
  command: bash .gpu-check/device.sh
  timeout_s: 540
Then put .gpu-check's gpu-check.md (under the returned files) into BENCHMARKS.md with the machine.
MSG
  exit 0
fi

say "running locally on lavapipe (small sizes)"
if [ ! -f .lavapipe/env.sh ]; then
  echo "gpu-check --local: .lavapipe/env.sh is missing: run scripts/setup-lavapipe.sh (Debian, root)" >&2
  exit 1
fi
# shellcheck disable=SC1091
source .lavapipe/env.sh
OUT="${OUT:-$(pwd)/.test-output/gpu-check}" bash "$D/device.sh" --local "$@"
