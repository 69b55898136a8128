#!/usr/bin/env bash
# Installs a Dawn-compatible Vulkan software driver (Mesa lavapipe 25.0.x from bookworm-backports) into
# ./.lavapipe, WITHOUT touching the system's apt sources or its Mesa/GL packages (private apt state).
# Debian 12, run as root. Afterwards `source .lavapipe/env.sh` before node to run WebGPU (Dawn) on it.
# Why: Debian 12's own lavapipe 22.3 lacks shader*ArrayDynamicIndexing, so Dawn rejects it
# (see the README's "Compute backends and GPUs"). Idempotent: quick when already installed.
# Exit code 3 when it cannot run here (no apt-get / not root / not Debian): callers report that loudly.
set -euo pipefail
cd "$(dirname "$0")/.."
D="$(pwd)/.lavapipe"
ARCH_DIR=x86_64-linux-gnu
LIB="$D/root/usr/lib/$ARCH_DIR"
if [ -f "$D/env.sh" ] && [ -f "$LIB/libvulkan_lvp.so" ] && [ -f /usr/lib/$ARCH_DIR/libvulkan.so.1 ]; then
  echo "lavapipe already installed in $D"
  exit 0
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  echo "setup-lavapipe: apt-get/dpkg not available; the WebGPU (lavapipe) test suite cannot run here" >&2
  exit 3
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-lavapipe: needs root (apt-get install libvulkan1); the WebGPU (lavapipe) test suite cannot run here" >&2
  exit 3
fi
if [ "$(dpkg --print-architecture)" != amd64 ]; then
  echo "setup-lavapipe: only amd64 is supported by this script" >&2
  exit 3
fi
SRC=/etc/apt/sources.list.d/debian.sources
URI=$(awk '/^URIs:/{print $2; exit}' "$SRC" 2>/dev/null || true)
[ -n "$URI" ] || URI=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$URI" ] || URI=http://deb.debian.org/debian
# the loader (libvulkan1) and the runtime deps of the backports lavapipe (libLLVM-15, libxcb*, ...) come
# with the stable packages
if ! dpkg -s libvulkan1 mesa-vulkan-drivers >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers >/dev/null \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers >/dev/null; }
fi
rm -rf "$D"
mkdir -p "$D/apt/lists/partial" "$D/apt/cache/archives/partial" "$D/debs" "$D/root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI bookworm-backports main" > "$D/apt/backports.list"
APT=(-o "Dir::Etc::SourceList=$D/apt/backports.list" -o "Dir::Etc::SourceParts=/nonexistent"
     -o "Dir::State::Lists=$D/apt/lists" -o "Dir::Cache=$D/apt/cache" -o "APT::Sandbox::User=root")
apt-get "${APT[@]}" update >/dev/null
(cd "$D/debs" && apt-get "${APT[@]}" download mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports >/dev/null)
for f in "$D"/debs/*.deb; do dpkg -x "$f" "$D/root"; done
# keep only what lavapipe needs (the other Mesa Vulkan drivers are ~60 MB)
find "$LIB" -maxdepth 1 -name 'libvulkan_*.so' ! -name libvulkan_lvp.so -delete
rm -rf "$D/debs" "$D/apt/cache" "$D/root/usr/share/vulkan"
cat > "$D/lvp_icd.json" <<JSON
{ "file_format_version": "1.0.1", "ICD": { "library_path": "$LIB/libvulkan_lvp.so", "library_arch": "64", "api_version": "1.4.305" } }
JSON
cat > "$D/env.sh" <<ENV
# source this before node to make Dawn (npm 'webgpu') use the project-local lavapipe. Not on a GPU machine.
export VK_ICD_FILENAMES="$D/lvp_icd.json"
export LD_LIBRARY_PATH="$LIB\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="\${XDG_RUNTIME_DIR:-/tmp}"
ENV
echo "lavapipe installed in $D ($(du -sh "$D" | cut -f1)); use: source .lavapipe/env.sh"
