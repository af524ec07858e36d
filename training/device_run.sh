#!/usr/bin/env bash
# One GPU run of the whole model pipeline, as .train/run.sh (training/device_payload.sh builds .train/ around it):
#   target from scratch -> generated images -> both drafts -> export, every stage under a deadline.
# cd .train && OUT=/some/empty/dir bash run.sh      [DEVICE=cpu SCALE=tiny: the local rehearsal; BUDGET=seconds (440);
#                                                    TARGET_PICK=best: the best-validation target instead of the last;
#                                                    TARGET_EXTRA="--no-icons --dropout 0.1": more train_target options,
#                                                    e.g. the winner of sweep.sh]
# $OUT gets run.log, target.log and two tar streams split into 15 MiB parts (at most 7 files, ~55 MB):
#   a.part.*  right after the target: text/target f16 safetensors, vocab.json, golden.json, manifest.json, logs
#   b.part.*  at the end: the drafts, the final manifest.json/golden.json, training/out/*.json, generated.npz, logs and
#             samples/ (the model card's prompts from the last and the best target at two sampling settings)
# Unpack in order, b over a (its manifest lists the drafts): cat a.part.* | tar xf - && cat b.part.* | tar xf -
# Each tar is written as soon as its files exist, so a late failure or the machine's time limit loses at most the later
# part. Without an export (it failed), a.part.* holds text/target f16 saved straight from training/out/target.pt.
set -u
export PYTHONUNBUFFERED=1
: "${OUT:?OUT must name the folder whose files come back}"
OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd)  # absolute: the script moves to its own folder
cd "$(dirname "$0")"
DEVICE=${DEVICE:-cuda}
SCALE=${SCALE:-full}
if [ "$SCALE" = tiny ]; then
  BUDGET=${BUDGET:-1800}   # a shared 2-core CPU: generating 8 images took 2 min, a draft step 10 s
  TARGET_ARGS=(--minutes 0.3 --flip 0.5 --shift 0.5 --batch-size 4)
  GEN_ARGS=(--images 8 --batch 8)   # at least half a draft batch (train_draft samples 8 generated images per batch)
  DRAFT_MIN=0.3
  GEN_MAX=600 DRAFT_SLACK=400 SAMPLE_MAX=200
else
  BUDGET=${BUDGET:-410}   # the whole script, seconds: what the lease leaves after the benchmark
  TARGET_ARGS=(--minutes 3.2 --flip 0.5 --shift 0.5 --batch-size 64)  # 2026-11-30 without --shift: best val at 0.7 min, then memorised
  GEN_ARGS=(--images 1536 --batch 256)
  DRAFT_MIN=2.2
  GEN_MAX=120 DRAFT_SLACK=40   # seconds: generating 1536 images took 39 s; the drafts' start and final save ~20
  SAMPLE_MAX=40                # seconds per sample grid (12 prompts x 4 images)
fi
START=$(date +%s)
mkdir -p "$OUT" logs
exec > >(tee -a "$OUT/run.log") 2>&1
TEE=$!

left() { echo $((START + BUDGET - $(date +%s))); }
# lim MAX RESERVE: a stage's time limit, at most MAX and RESERVE seconds short of the budget, never under 10
# (timeout 0 would mean no limit at all).
lim() { local l=$(($(left) - $2)); l=$((l < $1 ? l : $1)); echo $((l < 10 ? 10 : l)); }

# stage NAME LIMIT_S CMD...: run under a time limit, log to logs/NAME.log; returns the command's status.
stage() {
  local name=$1 limit=$2
  shift 2
  echo "== $name at +$(($(date +%s) - START)) s, limit $limit s: $*"
  local t0=$(date +%s)
  # --foreground keeps the command in this process group, so a signal from outside ends it at once (and then the trap packs)
  timeout --foreground --kill-after=10 "$limit" "$@" > >(tee "logs/$name.log") 2>&1
  local rc=$?
  sleep 0.2  # let tee finish the log
  echo "== $name rc $rc in $(($(date +%s) - t0)) s"
  return $rc
}

# pack NAME FILES...: the files that exist, as one tar stream in $OUT/NAME.part.aa, .ab, ... (15 MiB each).
pack() {
  local name=$1
  shift
  local have=()
  for f in "$@"; do [ -e "$f" ] && have+=("$f"); done
  rm -f "$OUT/$name".part.*
  [ ${#have[@]} -gt 0 ] || { echo "== pack $name: nothing"; return; }
  tar cf - "${have[@]}" | split -b 15m - "$OUT/$name.part."
  echo "== pack $name: ${#have[@]} files -> $(ls "$OUT/$name".part.* | xargs -n1 basename | tr '\n' ' ')"
}

M=public/models/hawk-emoji
T=training/out
pack_b() { pack b $M/draft_hawk.safetensors $M/draft_ablation.safetensors $M/manifest.json $M/golden.json $T/*.json $T/generated.npz logs samples; }
# Killed from outside (the machine's limit): still return what the later stages made.
# The signal may have ended the tee behind stdout too: the trap writes to run.log itself, and a broken pipe ends nothing.
trap '' PIPE
trap 'exec >>"$OUT/run.log" 2>&1; echo "== signal at +$(($(date +%s) - START)) s: packing"; pack_b; exit 143' TERM INT

echo "== hawk device run, DEVICE=$DEVICE SCALE=$SCALE BUDGET=$BUDGET s, $(date -u +%FT%TZ)"
nvidia-smi -L 2>&1 || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

# 1. Target from scratch.
# shellcheck disable=SC2086  # TARGET_EXTRA is meant to split into words
stage target $(lim 100000 90) python3 -m training.train_target --device "$DEVICE" "${TARGET_ARGS[@]}" ${TARGET_EXTRA:-}
cp logs/target.log "$OUT/target.log" 2>/dev/null

# Its history (and the best-validation checkpoint's) as JSON: the full checkpoints (~196 MB with the optimiser) stay here.
python3 - <<'EOF' || true
import json, os
import torch
out = {}
for name in ("target", "target_best"):
    path = os.path.join("training", "out", name + ".pt")
    if os.path.exists(path):
        ck = torch.load(path, map_location="cpu")
        out[name] = dict(step=ck["step"], minutes=round(ck["elapsed"] / 60, 2), history=ck["history"], train=ck["train"],
                         args=ck["args"], text_args=ck["text_args"])
json.dump(out, open("training/out/target_history.json", "w"), indent=1)
print("target_history.json:", {k: (v["step"], v["history"][-1] if v["history"] else None) for k, v in out.items()})
EOF

# TARGET_PICK=best: go on with the lowest-validation checkpoint instead of the last (a fast GPU overfits 8k images within
# minutes; train_target's docstring). Its history then ends at a 256-image val subset, not the full-val entry.
if [ "${TARGET_PICK:-last}" = best ] && [ -e $T/target_best.pt ]; then
  echo "== TARGET_PICK=best: target_best.pt goes on (the last checkpoint kept as target_last.pt)"
  mv $T/target.pt $T/target_last.pt && cp $T/target_best.pt $T/target.pt
fi

# 2. Export the target now (the final export below rewrites the same f16 files and adds the drafts to the manifest).
if [ -e $T/target.pt ]; then
  if ! stage export_target $(lim 90 30) python3 -m training.export; then
    echo "== export failed: text/target f16 straight from target.pt"
    python3 - <<'EOF' || true
import os
from training.export import save_f16
from training.train_draft import load_target
text, target, _, step = load_target("training/out/target.pt")
os.makedirs("fallback", exist_ok=True)
save_f16(text, "fallback/text.safetensors"), save_f16(target, "fallback/target.safetensors")
print("fallback f16 written; args", target.args, "text_args", text.args, "step", step)
EOF
  fi
fi
pack a $M/target.safetensors $M/text.safetensors $M/vocab.json $M/golden.json $M/manifest.json \
  fallback/text.safetensors fallback/target.safetensors $T/target_history.json logs

# 2b. The model card's prompts from the last and the best-validation targets, at the app's defaults (temperature 1,
# CFG 3) and at 0.5 / 2, where the memorised target of 2026-11-30 drew clean emoji: to judge by eye which one to ship.
mkdir -p samples
for pick in target target_best; do
  [ -e $T/$pick.pt ] || continue
  for tc in "1 3" "0.5 2"; do
    read -r temp cfg <<< "$tc"
    stage "samples_${pick}_t${temp}_cfg$cfg" $(lim $SAMPLE_MAX 150) python3 -m training.sample --model-card --device "$DEVICE" \
      --target $T/$pick.pt --temperature "$temp" --cfg "$cfg" --out "samples/${pick}_t${temp}_cfg$cfg.png"
  done
done

# 3. Images the target generates (the drafts train without them if this fails).
if [ -e $T/target.pt ]; then
  stage generate $(lim $GEN_MAX 150) python3 -m training.generate --device "$DEVICE" "${GEN_ARGS[@]}"
fi

# 4. Drafts on what time is left, keeping ~60 s for their start and final save, their export, the final export and packing.
if [ -e $T/target.pt ]; then
  MIN=$(python3 -c "print(round(min($DRAFT_MIN, ($(left) - 60) / 60), 2))")
  if python3 -c "import sys; sys.exit(0 if $MIN >= 0.25 else 1)"; then
    stage draft $(python3 -c "print(int($MIN * 60 + $DRAFT_SLACK))") python3 -m training.train_draft --variant both --device "$DEVICE" --minutes "$MIN"
    if [ -e $T/draft_hawk.pt ] && [ -e $T/draft_ablation.pt ]; then
      stage draft_export $(lim 45 8) python3 -m training.train_draft --variant both --export \
        && stage export $(lim 45 4) python3 -m training.export
    fi
  else
    echo "== drafts skipped: $(left) s left"
  fi
fi

trap - TERM INT
pack_b
echo "== done at +$(($(date +%s) - START)) s"
ls -l "$OUT"
exec >&- 2>&-
wait $TEE  # run.log complete before the script ends
