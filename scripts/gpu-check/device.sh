#!/usr/bin/env bash
# Runs on the device machine (see scripts/gpu-check.sh): unpacks the carried Node.js runtime, the
# WebGPU addon and the Vulkan loader, then runs the check, writing under $OUT. Stops well inside
# 8 minutes (run.mjs keeps to its budget).
set -uo pipefail
D="$(cd "$(dirname "$0")" && pwd)"
OUT="${OUT:-$D/out}"
mkdir -p "$OUT"
if [ -d "$D/gl" ] && ls "$D"/gl/*.deb >/dev/null 2>&1 && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in "$D"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# the NVIDIA driver's Vulkan ICD, where the container provides it (see the device notes in BENCHMARKS.md)
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
T="${GPU_CHECK_TMP:-/tmp}/gpu-check-rt"
mkdir -p "$T/gpu/node_modules"
if [ -f "$D/node.xz" ]; then xz -dc "$D/node.xz" > "$T/node" && chmod +x "$T/node"; NODE="$T/node"; else NODE="$(command -v node)"; fi
tar -xJf "$D/webgpu.tar.xz" -C "$T/gpu/node_modules"
export LSMI_BACKEND_PATH="$T/gpu"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || echo "no nvidia-smi"; } > "$OUT/gpu.txt"
{ command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>&1 | head -40; } >> "$OUT/gpu.txt" || true
"$NODE" "$D/run.mjs" --out "$OUT" "$@"
