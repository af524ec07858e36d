#!/usr/bin/env bash
# Runs a command with Vulkan pointed at the SwiftShader ICD that Debian's chromium ships, so that the
# npm `webgpu` package (Dawn) finds a software adapter on machines without a GPU.
set -euo pipefail
icd=$(dpkg -L chromium-common chromium 2>/dev/null | grep -m1 'vk_swiftshader_icd.json' || true)
[ -n "$icd" ] || icd=/usr/lib/chromium/vk_swiftshader_icd.json
if [ ! -f "$icd" ]; then
  echo "swiftshader-env: $icd not found; install Debian chromium (apt-get install -y chromium)" >&2
  exit 1
fi
export VK_ICD_FILENAMES="$icd"
# Dawn dlopens libvulkan.so.1; chromium ships one beside the ICD.
export LD_LIBRARY_PATH="$(dirname "$icd")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$@"
