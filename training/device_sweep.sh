#!/usr/bin/env bash
# Which target recipe draws recognisable pictures? One GPU experiment, as .train/sweep.sh (training/device_payload.sh
# builds .train/ around it; build the data with `python -m training.data --tabler` first, or the icon runs train on
# the emoji alone):
#   cd .train && OUT=/some/empty/dir bash sweep.sh      [DEVICE=cpu SCALE=tiny: the local rehearsal; MINUTES (2.5)]
# Five targets train from scratch side by side on the one GPU for the same minutes (train_target --out
# training/out/sweep/NAME), all with mirroring and shifts (--flip 0.5 --shift 0.5):
#   emoji       the emoji alone (--no-icons): the recipe of the 2026-11-30 GPU run plus shifts
#   icons       emoji and the Tabler icons in colour
#   emoji_drop  emoji alone, residual dropout 0.1
#   icons_drop  emoji and icons, residual dropout 0.1
#   emoji_bal   emoji alone, every concept drawn alike (--balance 1: the skin-tone variants are 54 % of the images)
# Then the best-validation and the last checkpoint of each draw the model card's 12 prompts (8 seeds each) at the
# app's defaults (temperature 1, CFG 3) and at 0.7 / 1.5, scored by the shipped evaluator (sample --model-card: the
# share of samples whose closest caption among the 12 is their own; chance 8.3 %).
# $OUT gets sweep.log, sweep.json (per run: validation history, steps, the recognisable share per grid), every
# training and sampling log, the grids (PNG) and their scores (grid_*.json, written by sample --metrics). No weights:
# the winner is retrained by the full run (device_run.sh).
set -u
export PYTHONUNBUFFERED=1
: "${OUT:?OUT must name the folder whose files come back}"
OUT=$(mkdir -p "$OUT" && cd "$OUT" && pwd)  # absolute: the script moves to its own folder
cd "$(dirname "$0")"
DEVICE=${DEVICE:-cuda}
# SLACK: seconds past MINUTES before a run is killed: its start and the final full-val pass (minutes on a shared CPU)
if [ "${SCALE:-full}" = tiny ]; then
  MINUTES=${MINUTES:-0.2} BATCH=4 SEEDS=1 PICKS="target" SETTINGS="1,3" SLACK=900  # too short for a validation pass
else
  MINUTES=${MINUTES:-2.5} BATCH=64 SEEDS=8 PICKS="target_best target" SETTINGS="1,3 0.7,1.5" SLACK=120
fi
S=training/out/sweep
mkdir -p "$S"
exec > >(tee -a "$OUT/sweep.log") 2>&1
echo "== hawk target sweep, DEVICE=$DEVICE MINUTES=$MINUTES, $(date -u +%FT%TZ)"
nvidia-smi -L 2>&1 || true
python3 - <<'EOF'
import json
meta = json.load(open("training/out/data/meta.json"))
icons = sum(m["concept"].startswith("tabler:") for m in meta)
print(f"dataset: {len(meta)} images, {icons} of them icons" + ("" if icons else " (no icons: build the data with --tabler)"))
EOF

declare -A RUNS=(
  [emoji]="--no-icons"
  [icons]=""
  [emoji_drop]="--no-icons --dropout 0.1"
  [icons_drop]="--dropout 0.1"
  [emoji_bal]="--no-icons --balance 1"
)
# `wait` with the runs' pids: a bare `wait` would also wait for the tee behind stdout, which never ends before the script.
pids=()
for name in "${!RUNS[@]}"; do
  mkdir -p "$S/$name"
  # shellcheck disable=SC2086  # the options are meant to split into words
  timeout --kill-after=10 $(python3 -c "print(int($MINUTES * 60 + $SLACK))") python3 -m training.train_target \
    --device "$DEVICE" --out "$S/$name" --minutes "$MINUTES" --batch-size $BATCH --flip 0.5 --shift 0.5 ${RUNS[$name]} \
    > "$OUT/train_$name.log" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
echo "== trained at $(date -u +%T)"
for name in "${!RUNS[@]}"; do echo "$name: $(grep -E '^(final|eval)' "$OUT/train_$name.log" | tail -2 | tr '\n' ' ')"; done

# Grids four at a time (xargs -P 4: enough to keep the GPU busy without crowding it).
for name in "${!RUNS[@]}"; do
  for pick in $PICKS; do
    [ -e "$S/$name/$pick.pt" ] || continue
    for tc in $SETTINGS; do
      IFS=, read -r temp cfg <<< "$tc"
      tag="${name}_${pick}_t${temp}_cfg${cfg}"
      echo "timeout $((300 + SLACK)) python3 -m training.sample --model-card --device $DEVICE --target $S/$name/$pick.pt --n $SEEDS" \
        "--temperature $temp --cfg $cfg --out $OUT/$tag.png --metrics $OUT/grid_$tag.json > $OUT/sample_$tag.log 2>&1"
    done
  done
done | xargs -P 4 -d '\n' -n 1 bash -c
echo "== sampled at $(date -u +%T)"

python3 - "$OUT" <<'EOF'
import glob, json, os, re, sys
import torch
out, S = sys.argv[1], "training/out/sweep"
res = {}
for name in sorted(os.listdir(S)):
    r = res[name] = {}
    for pick in ("target", "target_best"):
        path = os.path.join(S, name, pick + ".pt")
        if os.path.exists(path):
            ck = torch.load(path, map_location="cpu", weights_only=False)
            r[pick] = dict(step=ck["step"], minutes=round(ck["elapsed"] / 60, 2), history=ck["history"],
                           dropout=ck["train"].get("dropout"), icons=ck["train"].get("icons"),
                           balance=ck["train"].get("balance", 0.0), grids={})
    for path in glob.glob(os.path.join(out, "grid_*.json")):
        tag = re.fullmatch(rf"grid_{name}_(target_best|target)_t.*\.json", os.path.basename(path))  # emoji is not emoji_drop
        if tag and tag[1] in r:
            g = json.load(open(path))
            r[tag[1]]["grids"][f"T {g['temperature']}, CFG {g['cfg']}"] = dict(recognisable=g["samples"]["top1"], cosine=g["samples"]["cosine"])
json.dump(res, open(os.path.join(out, "sweep.json"), "w"), indent=1)
for name, r in res.items():
    for pick, v in r.items():
        val = [h["val_bits"] for h in v["history"]]
        print(f"{name:11s} {pick:12s} step {v['step']:5d}  val bits {min(val) if val else float('nan'):.3f} (last {val[-1] if val else float('nan'):.3f})  "
              + "  ".join(f"{k}: {g['recognisable']:.3f}" for k, g in sorted(v["grids"].items())))
EOF
echo "== done at $(date -u +%T)"
exec >&- 2>&-
