#!/usr/bin/env bash
# Runs the Node benchmarks packed by bench/gpu/pack.ts on a lent GPU machine (no Node, no npm, no network there):
#   bash .dev/run.sh        with $OUT a folder whose files come back
# Step costs first (bench/step-costs.ts: AR, verification and draft per step), then the sweep (bench/node-bench.ts)
# under a time budget at temperature 1 (lossless sampling), then a greedy one. Dawn takes the NVIDIA driver through
# Vulkan. Knobs: STEPS_S (step-cost time limit, s), SWEEP_MIN and GREEDY_MIN (sweep budgets, min), CONFIGS, REPS.
set -uo pipefail
cd "$(dirname "$0")"
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/gpu-run.log") 2>&1

for f in *.deb; do dpkg -x "$f" /; done
ldconfig
python3 unpack.py . || exit 1
# The loader finds the NVIDIA ICD on its default path on most images; this machine's driver folder is elsewhere.
icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json 2>/dev/null | head -1)
[ -n "$icd" ] || icd=$(find / -xdev -name 'nvidia_icd*.json' 2>/dev/null | head -1)
[ -n "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
echo "== $(nvidia-smi -L 2>&1 | head -1); Vulkan ICD: ${icd:-none found}; node $(./node --version); $(nproc) cores"

echo "== step costs $(date +%T)"
timeout "${STEPS_S:-60}" ./node bench/node/step-costs.mjs n=1,2,4,8 reps=2 tokens=64 | tee "$OUT/step-costs.txt"
echo "== sweep $(date +%T)"
timeout 330 ./node bench/node/node-bench.mjs minutes="${SWEEP_MIN:-1.5}" reps="${REPS:-3}" \
  configs="${CONFIGS:-ar,ar2,n1v0,n1v1,n2v0,n2v1,n4v0,n4v1,n4v2,n6v1,n8v0,n8v1,n4v1w2,r4v1}"
echo "== greedy sweep $(date +%T)"
timeout 200 ./node bench/node/node-bench.mjs minutes="${GREEDY_MIN:-0.7}" reps=3 temperature=0 configs=ar,n1v0,n2v0,n4v0,n8v0,n8v1
cp bench/results/*.json "$OUT"/ 2>/dev/null
echo "== done $(date +%T)"
