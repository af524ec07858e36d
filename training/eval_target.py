"""How strongly the target listens to its caption: python -m training.eval_target [--target PATH] [--n 32] [--model-card]

For n training and n validation images (canonical captions, fixed draws):
  bits     mean bits/token with the caption and with the null prefix, and their difference (the caption's gain)
  rank     likelihood retrieval: each image scored under all n captions of its set (bits/image); the share of images whose
           own caption scores best (top-1, chance 1/n) and the mean rank of the own caption (1 = best)
  prefix   text prefix norm against the null prefix and the token embeddings, and the mean pairwise cosine of the prefixes
  shares   what the prefix encodes: over the model card's 12 labels x its 3 styles, the shares of the
           caption-dependent prefix variance due to the label and to the style (prefix_shares)
Samples that follow their prompt need a large gain and a high top-1; the validation loss alone does not show it.
--model-card adds the same for the real images of the model card's 12 prompts (training.sample), each under the 12
captions: does the target know the concepts its grid asks for?
Prints one JSON object; --out also writes it.
"""
import argparse
import json
import math
import os
import random

import torch
import torch.nn.functional as F

from training.sample import MODEL_CARD_PROMPTS, model_card_items
from training.text import caption
from training.tokenize import load_tokens
from training.train_draft import OUT, load_target


@torch.no_grad()
def image_bits(target, prefix, toks):
    """Bits per image (B,) of token grids toks (B, N) under prefixes (B, P, dim)."""
    logits = target(prefix, toks[:, :-1])
    return F.cross_entropy(logits.transpose(1, 2), toks, reduction="none").sum(1) / math.log(2)


@torch.no_grad()
def conditioning(text, target, tok, meta, ids, idx):
    n, N = len(idx), ids.shape[1]
    toks = ids[idx]
    prefixes = text(tok.batch([caption(meta[j]) for j in idx]))
    uncond = image_bits(target, text.null_prefix.expand(n, -1, -1), toks)
    # bits[i, c]: image i under caption c, one caption at a time over all images; the diagonal is each own caption
    bits = torch.stack([image_bits(target, prefixes[c:c + 1].expand(n, -1, -1), toks) for c in range(n)], 1)
    cond = bits.diagonal()
    own_rank = (bits < bits.diagonal()[:, None]).sum(1) + 1
    flat = prefixes.flatten(1)
    cos = F.cosine_similarity(flat[:, None], flat[None], -1)
    return dict(
        images=n,
        cond_bits_per_token=round(cond.mean().item() / N, 4),
        null_bits_per_token=round(uncond.mean().item() / N, 4),
        caption_gain_bits_per_image=round((uncond - cond).mean().item(), 2),
        own_caption_top1=round((own_rank == 1).float().mean().item(), 4),
        own_caption_mean_rank=round(own_rank.float().mean().item(), 2),
        prefix_norm=round(prefixes.norm(dim=-1).mean().item(), 3),
        prefix_pairwise_cos=round(((cos.sum() - n) / (n * (n - 1))).item(), 4),
    )


@torch.no_grad()
def prefix_shares(encode, labels, styles):
    """encode(captions) -> prefixes (n, P, dim). Prefixes of 'label, style' for every pair, each vector RMS-normalised as
    the target's first norm reads it; a two-way analysis of variance over labels x styles -> the shares of the
    caption-dependent variance due to the label, to the style and to their interaction, and that variance's share of
    the prefixes' energy (the rest is common to every caption). A prefix that encodes the style over the concept makes
    the target draw that style's commonest images whatever concept is asked (training/README.md, stop 25)."""
    p = torch.stack([encode([f"{label}, {style}" for style in styles]) for label in labels])  # (labels, styles, P, dim)
    p = p / p.pow(2).mean(-1, keepdim=True).sqrt()
    mean = p.mean((0, 1), keepdim=True)
    total = (p - mean).pow(2).sum()
    label = (p.mean(1, keepdim=True) - mean).pow(2).sum() * len(styles) / total
    style = (p.mean(0, keepdim=True) - mean).pow(2).sum() * len(labels) / total
    return dict(label=round(label.item(), 3), style=round(style.item(), 3),
                interaction=round(1 - label.item() - style.item(), 3),
                caption_energy=round((total / p.pow(2).sum()).item(), 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default=os.path.join(OUT, "target.pt"))
    ap.add_argument("--n", type=int, default=32, help="images per split (each is scored under n captions)")
    ap.add_argument("--model-card", action="store_true", help="also score the model card grid's real images")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    a = ap.parse_args()
    torch.set_num_threads(2)
    text, target, tok, step = load_target(a.target)
    meta, ids, _ = load_tokens()
    result = dict(target=os.path.basename(a.target), step=step,
                  null_prefix_norm=round(text.null_prefix.norm(dim=-1).mean().item(), 3),
                  tok_emb_norm=round(target.tok_emb.weight.norm(dim=-1).mean().item(), 3),
                  prefix_shares=prefix_shares(lambda captions: text(tok.batch(captions)),
                                              [label for label, _ in MODEL_CARD_PROMPTS],
                                              sorted({style for _, style in MODEL_CARD_PROMPTS})))
    for split in ("train", "val"):
        idx = [i for i, m in enumerate(meta) if m["split"] == split]
        result[split] = conditioning(text, target, tok, meta, ids, random.Random(0).sample(idx, a.n))
    if a.model_card:
        result["model_card"] = conditioning(text, target, tok, meta, ids, model_card_items(meta))
    print(json.dumps(result, indent=1))
    if a.out:
        json.dump(result, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
