"""Sample images from the trained target (plain AR with classifier-free guidance, KV cache).

python -m training.sample "grinning face, twemoji" "red apple, fluent" [--cfg 3] [--plausibility 0.02] [--temperature 1] [--top-k 0]
  [--target PATH]
Writes training/out/samples.png (one row per prompt, 4 seeds each).
python -m training.sample --model-card: the model card's grid (public/models/hawk-emoji/samples.png), one row per concept
of MODEL_CARD_PROMPTS: the real image first, then 4 samples for its canonical caption. It also prints how recognisable
the samples are: the share whose closest of the 12 captions, by the shipped evaluator, is their own (chance 1/12; the
real images score 11/12); --metrics PATH also writes those scores as JSON (the GPU sweep reads them).
"""
import argparse
import json
import os

import numpy as np
import torch

from training.evaluator import load_exported, prompt_retrieval
from training.guidance import CFG_SCALE, PLAUSIBILITY, Guidance
from training.text import caption
from training.tokenize import load_tokens, load_vq
from training.train_draft import OUT, PUBLIC, load_target

# (label, style): twelve concepts of training/vocabulary.py, four in each core design. Until stop 26 the last two were
# test-split concepts (house, cherries), whose captions training never saw; the model card reports those apart.
MODEL_CARD_PROMPTS = [("red apple", "fluent"), ("grinning face", "twemoji"), ("dog face", "noto"), ("sun", "fluent"),
                      ("red heart", "twemoji"), ("pizza", "noto"), ("rocket", "fluent"), ("snowman", "twemoji"),
                      ("banana", "noto"), ("rainbow", "fluent"), ("penguin", "twemoji"), ("Christmas tree", "noto")]


def model_card_items(meta) -> list[int]:
    """Indices of MODEL_CARD_PROMPTS' real images in the dataset's meta (one per prompt, in order)."""
    return [next(i for i, m in enumerate(meta) if (m["label"], m["style"]) == p) for p in MODEL_CARD_PROMPTS]


def sample_logits(logits, temperature, top_k, gen):
    if temperature == 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_k:
        logits = logits.masked_fill(logits < logits.topk(top_k, -1).values[..., -1:], -float("inf"))
    return torch.multinomial(logits.softmax(-1), 1, generator=gen)[..., 0]


@torch.no_grad()
def generate(text, target, prefix_ids, n, guidance=Guidance(), temperature=1.0, top_k=0, seed=0):
    """n images for one prompt (prefix_ids (1, L)), or one per prompt (prefix_ids (n, L)) -> token ids (n, 256) on the
    models' device, guided by guidance (training.guidance). Rows 0..n-1 conditional, n..2n-1 with the null prefix. The
    generator lives on that device too (multinomial needs it there), so one seed draws other images on CUDA than on CPU."""
    device = target.output.weight.device
    gen = torch.Generator(device=device).manual_seed(seed)
    P = target.args.prefix_len
    prefix = torch.cat([text(prefix_ids.to(device)).expand(n, -1, -1), text.null_prefix.expand(n, -1, -1)])
    target.setup_caches(2 * n)
    logits = target(prefix, torch.zeros(2 * n, 0, dtype=torch.long, device=device))[:, -1]
    out = []
    for t in range(target.args.grid ** 2):
        guided = guidance(logits[:n], logits[n:])
        tok = sample_logits(guided, temperature, top_k, gen)
        out.append(tok)
        if t + 1 < target.args.grid ** 2:
            logits = target(None, tok.repeat(2)[:, None], start=P + t)[:, -1]
    return torch.stack(out, 1)


def main():
    from PIL import Image  # here, not at the top: training.generate imports generate() on machines without Pillow

    ap = argparse.ArgumentParser()
    ap.add_argument("prompts", nargs="*")
    ap.add_argument("--model-card", action="store_true", help="the model card's grid: MODEL_CARD_PROMPTS beside real images")
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--cfg", type=float, default=CFG_SCALE)
    ap.add_argument("--plausibility", type=float, default=PLAUSIBILITY, help="guidance's plausibility cut (training.guidance); 0 = off")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--top-k", type=int, default=0)
    ap.add_argument("--out", default=None, help="default training/out/samples.png; with --model-card, the model card's samples.png")
    ap.add_argument("--target", default=os.path.join(OUT, "target.pt"), help="target checkpoint")
    ap.add_argument("--metrics", default=None, help="with --model-card: also write the scores printed as JSON to this path")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the target samples (the VQ decodes on the CPU)")
    a = ap.parse_args()
    if not a.prompts and not a.model_card:
        ap.error("give prompts, or --model-card")
    torch.set_num_threads(2)
    text, target, tok, _ = load_target(a.target)
    text, target = text.to(a.device), target.to(a.device)
    vq = load_vq()
    prompts, real = a.prompts, None
    if a.model_card:
        meta, *_ = load_tokens()
        items = model_card_items(meta)
        images = os.path.join(OUT, "data", "images.npy")  # absent from a GPU run's payload: no real column then
        prompts, real = [caption(meta[i]) for i in items], np.load(images, mmap_mode="r")[items] if os.path.exists(images) else None
    out = a.out or os.path.join(PUBLIC if a.model_card else OUT, "samples.png")
    rows, samples = [], []
    for i, p in enumerate(prompts):
        ids = generate(text, target, torch.tensor([tok.encode(p)]), a.n, Guidance(a.cfg, a.plausibility), a.temperature,
                       a.top_k, seed=i).cpu()
        imgs = vq.decode_ids(ids.view(-1, 16, 16)).permute(0, 2, 3, 1).mul(255).round().byte().numpy()
        rows.append(np.concatenate(([real[i]] if real is not None else []) + list(imgs), 1))
        samples.append(imgs)
        print(p, flush=True)
    Image.fromarray(np.concatenate(rows, 0)).save(out)
    print("wrote", out)
    if a.model_card:
        scores = model_card_scores(samples, prompts, real, load_exported())
        drawn, shown = scores["samples"], scores["real"]
        print(f"recognisable (temperature {a.temperature}, CFG {a.cfg}, plausibility {a.plausibility}): {drawn['top1']:.3f} of the samples are "
              f"closest to their own caption among the {len(prompts)} (chance {1 / len(prompts):.3f}), mean cosine {drawn['cosine']:.3f}")
        if shown:
            print(f"  the real images: {shown['top1']:.3f}, mean cosine {shown['cosine']:.3f}")
        if a.metrics:
            settings = dict(temperature=a.temperature, cfg=a.cfg, plausibility=a.plausibility, top_k=a.top_k, seeds=a.n)
            with open(a.metrics, "w") as f:
                json.dump(dict(settings, target=a.target, **scores), f, indent=1)


def model_card_scores(samples, prompts, real, evaluator):
    """The evaluator's verdict on the grid: top-1 = share of images whose closest of the prompts is their own, cosine =
    mean cosine with their own; for the samples (one array of n images per prompt) and the real images (one per prompt;
    None when absent)."""
    n = len(samples[0])
    top1, cosine = prompt_retrieval(np.concatenate(samples), [i for i in range(len(prompts)) for _ in range(n)], prompts, evaluator)
    scores = dict(samples=dict(top1=top1, cosine=cosine), real=None)
    if real is not None:
        top1, cosine = prompt_retrieval(np.ascontiguousarray(real), list(range(len(prompts))), prompts, evaluator)
        scores["real"] = dict(top1=top1, cosine=cosine)
    return scores


if __name__ == "__main__":
    main()
