#!/usr/bin/env bash
# (Re)build .train/ at the repository root: what one GPU run (training/device_run.sh, as .train/run.sh, or the recipe
# experiment training/device_sweep.sh, as .train/sweep.sh) needs and nothing more (~36 MB; ~55 MB with data --tabler).
# Rebuild after every code edit: the copy does not follow the repository.
#   bash training/device_payload.sh
# Contents: the training package (no tests, no data/ rasteriser), the tokenized dataset (tokens.npz, meta.json) and the
# caption vocabulary with its word vectors (vocab.npz: without it text.build_vocab would parse the GloVe JSON from
# node_modules); the shipped manifest (export.load_vq_metrics reads the VQ metrics from it) and the VQ decoder and
# codebook (export hashes them into the manifest), the VQ encoder (sample loads the whole VQ to decode) and the
# evaluator (sample scores how recognisable the samples are). Not images.npy (112 MB): nothing after tokenizing reads
# it.
set -euo pipefail
cd "$(dirname "$0")/.."
P=.train
rm -rf "$P"
mkdir -p "$P/training/out/data" "$P/public/models/hawk-emoji" "$P/public/models/vq"
cp training/*.py "$P/training/"
mkdir -p "$P/training/weights" && cp training/weights/vq_encoder.safetensors "$P/training/weights/"  # load_vq, for sample
# vocab.npz must cover this dataset's captions (text.build_vocab rebuilds it otherwise, from a JSON the payload lacks)
python3 -c "from training.text import build_vocab; from training.tokenize import load_tokens; build_vocab(load_tokens()[0])"
cp training/out/tokens.npz training/out/vocab.npz "$P/training/out/"
cp training/out/data/meta.json "$P/training/out/data/"
cp public/models/hawk-emoji/manifest.json "$P/public/models/hawk-emoji/"
cp public/models/vq/decoder.onnx public/models/vq/codebook.safetensors "$P/public/models/vq/"
cp -r public/models/evaluator "$P/public/models/"  # sample --model-card scores how recognisable the samples are
cp training/device_run.sh "$P/run.sh"
cp training/device_sweep.sh "$P/sweep.sh"  # the recipe experiment (with data --tabler)
grep -qxF '/.train/' .git/info/exclude || echo '/.train/' >> .git/info/exclude
du -sh "$P"
