"""Fidelity and diversity of the benchmark's images; `npm run bench` runs this between the page and the report.

python3 -m training.score_bench bench/results/bench-<date>.json   (--latest: the newest bench-*.json there)
python3 -m training.score_bench --prompts                          rewrites bench/prompts.json, the page's prompt sets

Every run's token grid is decoded by the shipped VQ decoder (public/models/vq, rebuilt in PyTorch: no onnxruntime) and
scored by the shipped evaluator (public/models/evaluator), per config:
  fdReal     FID-style distance (evaluator features) to real images: the test split of training/out/data (held-out
             concepts), or for a run on the vocabulary prompts alone the target's training images of its concepts
  fdAr       the same distance to plain AR's images; "ar2" (plain AR, other seeds) gives the noise floor
  clipScore  mean caption-image cosine against the prompt
  diversity  mean pairwise cosine distance across the seeds of each prompt, averaged over prompts
Distances are only comparable at equal sample sizes (the covariance estimate is biased for small N), which every
config of one run has. The scores go into the file's "fidelity" section, read by bench/report.mjs.
"""
import argparse
import glob
import itertools
import json
import os
import random

import numpy as np
import torch

from training.evaluator import clip_score, diversity, frechet_distance, image_features, load_exported
from training.text import caption
from training.train_draft import PUBLIC as SHIPPED_TARGET, target_training_items
from training.train_target import is_core
from training.train_vq_encoder import shipped_vq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(ROOT, "bench", "results")
PROMPTS = os.path.join(ROOT, "bench", "prompts.json")
DATA = os.path.join(HERE, "out", "data")


@torch.no_grad()
def decode(vq, grids, batch_size=64):
    """Token grids (lists of 256 ids, raster order) -> uint8 (N,64,64,3), rounded as the browser's canvas does."""
    ids = torch.tensor(grids, dtype=torch.int64).view(len(grids), 16, 16)
    rgb = torch.cat([vq.decode_ids(ids[i:i + batch_size]) for i in range(0, len(ids), batch_size)])
    return (rgb.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()


def real_images(prompts):
    """(uint8 (N,64,64,3), what they are): the real images a run's samples are compared with. A run on the vocabulary
    set alone is compared with the target's training images of its concepts ("learnt": what those prompts ask it to
    redraw), any other run with the test split's held-out concepts ("test")."""
    if not os.path.exists(os.path.join(DATA, "meta.json")):
        raise SystemExit(f"no real images in {DATA}: build the dataset first (python -m training.data)")
    meta = json.load(open(os.path.join(DATA, "meta.json")))
    if prompts and all(p["set"] == "vocabulary" for p in prompts):
        idx, split = target_training_items(SHIPPED_TARGET, meta), "learnt"
    else:
        idx, split = [i for i, m in enumerate(meta) if m["split"] == "test"], "test"
    return np.load(os.path.join(DATA, "images.npy"))[idx], split


def score(runs, real, vq, model):
    """Per config, in the order configs first appear in `runs`: the fidelity numbers of the module docstring.
    `real` is uint8 (N,64,64,3); a distance needs at least 2 images on each side, else it is None."""
    images = decode(vq, [r["tokens"] for r in runs])
    feats = image_features(images, model)
    clip = clip_score(images, [r["prompt"] for r in runs], model)
    real_feats = image_features(real, model)
    by_config = {}
    for i, r in enumerate(runs):
        by_config.setdefault(r["config"], []).append(i)

    def fd(a, b):
        return frechet_distance(a, b) if len(a) > 1 and len(b) > 1 else None

    configs = []
    for config, idx in by_config.items():
        by_prompt = {}
        for i in idx:
            by_prompt.setdefault(runs[i]["prompt"], []).append(i)
        spread = [diversity(feats[p]) for p in by_prompt.values() if len(p) > 1]
        configs.append(dict(
            config=config, images=len(idx),
            fdReal=fd(feats[idx], real_feats),
            fdAr=fd(feats[idx], feats[by_config["ar"]]) if config != "ar" and "ar" in by_config else None,
            clipScore=float(clip[idx].mean()),
            diversity=float(np.mean(spread)) if spread else None,
        ))
    return dict(configs=configs, real=dict(images=len(real), diversity=diversity(real_feats)))


def score_file(path, real=None):
    """Scores a raw result of the bench page and writes the numbers into it as its "fidelity" section. real: the
    (images, what they are) to compare with; by default real_images of the run's prompts."""
    raw = json.load(open(path))
    real, real_split = real or real_images(raw["data"].get("prompts", []))
    fidelity = score(raw["data"]["runs"], real, shipped_vq().eval(), load_exported())
    raw["fidelity"] = dict(evaluator="public/models/evaluator", vq="public/models/vq", realSplit=real_split, **fidelity)
    json.dump(raw, open(path, "w"), indent=1, ensure_ascii=False)
    return raw["fidelity"]


def bench_prompts(meta, n_vocabulary=6, n_held_out=6, n_composed=3, seed=0):
    """The page's three prompt sets. Vocabulary: "label, design" of n_vocabulary of the images the shipped target learnt
    (the shipped manifest's concepts in the three core designs), what the app asks users to draw. Held-out: the evaluation
    caption (label, style, first 3 tags) of one core-design image of each of n_held_out test-split concepts.
    Composed: count + colour + object + position; every training caption names a style (fluent/twemoji/noto) and none
    of these does, so no training caption equals one of them."""
    rng = random.Random(seed)
    test = {}
    for it in meta:
        if it["split"] == "test" and is_core(it):
            test.setdefault(it["concept"], []).append(it)
    held_out = [caption(rng.choice(test[c])) for c in rng.sample(sorted(test), n_held_out)]
    # Words the evaluator's text tower knows (caption words), plurals included, so its score means something.
    counts, colours = ["one", "two", "three"], ["red", "blue", "green", "yellow", "orange", "purple"]
    objects, positions = ["car", "star", "heart", "cat", "hat", "book", "house"], ["on the left", "on the right", "at the top", "in the middle"]
    composed = [f"{n} {c} {o}{'' if n == 'one' else 's'} {p}"
                for n, c, o, p in rng.sample(list(itertools.product(counts, colours, objects, positions)), n_composed)]
    learnt = target_training_items(SHIPPED_TARGET, meta)  # drawn last: the other sets stay what earlier runs used
    vocabulary = [f"{meta[i]['label']}, {meta[i]['style']}" for i in rng.sample(learnt, min(n_vocabulary, len(learnt)))]
    return dict(vocabulary=vocabulary, heldOut=held_out, composed=composed)


def newest_raw():
    files = sorted(glob.glob(os.path.join(RESULTS, "bench-*.json")))  # ISO dates in the names sort by time
    if not files:
        raise SystemExit(f"no bench-*.json in {RESULTS}: run the page first (node bench/run-page.mjs bench)")
    return files[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", nargs="?", help="a raw result of the bench page (bench/results/bench-<date>.json)")
    ap.add_argument("--latest", action="store_true", help="score the newest bench/results/bench-*.json")
    ap.add_argument("--prompts", action="store_true", help="rewrite bench/prompts.json from training/out/data")
    args = ap.parse_args()
    if args.prompts:
        sets = bench_prompts(json.load(open(os.path.join(DATA, "meta.json"))))
        json.dump(dict(about="written by python3 -m training.score_bench --prompts", **sets), open(PROMPTS, "w"),
                  indent=1, ensure_ascii=False)
        print(json.dumps(sets, indent=1, ensure_ascii=False))
        return
    if not (args.file or args.latest):
        ap.error("give a results file or --latest")
    path = newest_raw() if args.latest else args.file
    fidelity = score_file(path)
    print(f"{path}: real {fidelity['realSplit']} images {fidelity['real']['images']}, diversity {fidelity['real']['diversity']:.3f}")
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    print(f"{'config':8} {'images':>6} {'FD real':>8} {'FD ar':>8} {'clip':>8} {'divers.':>8}")
    for c in fidelity["configs"]:
        print(f"{c['config']:8} {c['images']:6d} {fmt(c['fdReal']):>8} {fmt(c['fdAr']):>8} {fmt(c['clipScore']):>8} {fmt(c['diversity']):>8}")


if __name__ == "__main__":
    main()
