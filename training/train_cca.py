"""Condition contrastive alignment (CCA; Chen et al., ICLR 2025, arXiv 2410.09347) of a trained target.

python -m training.train_cca [--target training/out/target.pt] [--out training/out/cca] [--minutes 40]
  [--beta 0.02] [--lam 1] [--lr 2e-5] [--no-same-style] [--batch-size 8] [--flip 0.5] [--shift 0.5] [--device cpu|cuda]
--tiny [--steps N]: a tiny target (a train_target --tiny checkpoint as --target) on synthetic data.

Why: the caption moves this target's distribution little (model card: ~30 of ~730 bits per image), and guidance then
amplifies whatever the caption moves most, often the style word rather than the concept. CCA fine-tunes the target
to rank every training image higher under its own caption than under a mismatched one, each relative to a frozen copy
of the starting target (the reference). With r(x, c) = log p(x | c) - log p_ref(x | c) summed over the image's
tokens and c' the caption of another training image of the same style (or the batch's next image, --no-same-style):
    loss = [-log sigmoid(beta r(x, c)) - lam log sigmoid(-beta r(x, c'))] / lam
Pairs that read the null prefix (the share cond_drop, as in pretraining) or whose two captions name the same concept
count as positive on both sides, so the unconditional model, and with it classifier-free guidance, stays.
Writes <out>/target.pt in train_target's format (sample, generate, eval_target and export read it), every 3 minutes
and at the end, with the full validation loss in its history.
"""
import argparse
import copy
import os
import random
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from training.text import Tokenizer, caption
from training.train_draft import models_from_checkpoint
from training.train_target import (OUT, TrainConfig, batch_tokens, draw_images, evaluate, image_logits, load_data,
                                   split_indices, tiny_data)


@dataclass
class CCAConfig:
    minutes: float = 40.0
    batch_size: int = 8        # images per step: each is read twice (own caption, the next image's), and again by the reference
    lr: float = 2e-5           # constant after warmup; the paper fine-tunes LlamaGen at 1e-5 for one epoch
    warmup: int = 20
    beta: float = 0.02         # paper's value for LlamaGen
    lam: float = 1.0           # weight of the mismatched pairs. The paper uses 1e3-1e4 on LlamaGen; here 1e3 lowered every
                               # likelihood instead (own caption -187 nats per image after 60 steps, mismatched -299)
    same_style: bool = True    # mismatched caption = another concept's in the same style (else the batch's next image's):
                               # the contrast the target lacks is the concept, not the style word
    cond_drop: float = TrainConfig.cond_drop
    flip: float = 0.5
    shift: float = 0.5
    ckpt_seconds: float = 180.0
    seed: int = 0


def cca_loss(gap, gap_neg, positive, beta, lam):
    """gap, gap_neg (B,): r(x, c) and r(x, c') (policy minus reference sequence log-likelihood, nats); positive (B,) bool:
    pairs whose c' counts as matching. -> (loss, accuracy: share of pairs with gap > gap_neg)."""
    sign = torch.where(positive, 1.0, -1.0)
    weight = torch.where(positive, 1.0, lam)
    loss = -F.logsigmoid(beta * gap).mean() - (weight * F.logsigmoid(sign * beta * gap_neg)).mean()
    return loss / max(lam, 1.0), (gap > gap_neg).float().mean()


def image_logp(text, target, toks, words, drop):
    """Sequence log-likelihood (B,) of toks (B, L) under image_logits' conditioning."""
    logits = image_logits(text, target, toks, words, drop)
    return logits.log_softmax(-1).gather(-1, toks[..., None])[..., 0].sum(-1)


def train(cfg: CCAConfig, target_path, out, device="cpu", tiny=False, max_steps=None, log=print):
    random.seed(cfg.seed), torch.manual_seed(cfg.seed)
    meta, ids, vocab, _, ids_flip, ids_shift = tiny_data() if tiny else load_data()
    tok = Tokenizer(vocab)
    train_idx, val_idx = split_indices(meta, icons=False)
    by_style = {}
    for i in train_idx:
        by_style.setdefault(meta[i]["style"], []).append(i)
    start = torch.load(target_path, map_location="cpu", weights_only=False)
    text, target = (m.to(device) for m in models_from_checkpoint(start))
    ref_text, ref_target = (copy.deepcopy(m).eval().requires_grad_(False) for m in (text, target))
    params = [p for p in list(text.parameters()) + list(target.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=TrainConfig.betas, weight_decay=0.0)
    rng = random.Random(cfg.seed)
    step, history, t0, last_ckpt = 0, [], time.time(), time.time()
    os.makedirs(out, exist_ok=True)

    def save():
        torch.save(dict(text=text.state_dict(), target=target.state_dict(), opt=opt.state_dict(),
                        step=start["step"] + step, elapsed=start["elapsed"] + time.time() - t0,
                        history=start["history"] + history, args=start["args"], text_args=start["text_args"],
                        train=dict(start["train"], cca=asdict(cfg), cca_from=target_path)), os.path.join(out, "target.pt"))

    while time.time() - t0 < cfg.minutes * 60 and step != max_steps:
        for g in opt.param_groups:
            g["lr"] = cfg.lr * min(1.0, (step + 1) / cfg.warmup)
        b = draw_images(rng, train_idx, None, cfg.batch_size)
        nb = [rng.choice(by_style[meta[j]["style"]]) for j in b] if cfg.same_style else b[1:] + b[:1]
        drop = torch.tensor([rng.random() < cfg.cond_drop for _ in b])
        positive = (drop | torch.tensor([meta[i].get("concept", i) == meta[j].get("concept", j) for i, j in zip(b, nb)])).to(device)
        words = tok.batch([caption(meta[j], rng) for j in b + nb]).to(device)
        toks = batch_tokens(ids, ids_flip, meta, b, cfg.flip, rng, ids_shift, cfg.shift).repeat(2, 1).to(device)
        both_drop = drop.repeat(2).to(device)
        with torch.no_grad():
            ref = image_logp(ref_text, ref_target, toks, words, both_drop)
        gaps = image_logp(text, target, toks, words, both_drop) - ref
        loss, acc = cca_loss(gaps[:len(b)], gaps[len(b):], positive, cfg.beta, cfg.lam)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, TrainConfig.grad_clip)
        opt.step()
        step += 1
        if step % 10 == 0 or step == max_steps:
            own, other = gaps[:len(b)].mean().item(), gaps[len(b):][~positive].nanmean().item()
            log(f"step {step} loss {loss.item():.4f} acc {acc.item():.2f} gap own {own:.1f} mismatched {other:.1f} nats "
                f"{(time.time() - t0) / 60:.1f}min", flush=True)
        if time.time() - last_ckpt > cfg.ckpt_seconds:
            save()
            last_ckpt = time.time()
    history.append(dict(step=start["step"] + step, minutes=round((start["elapsed"] + time.time() - t0) / 60, 1), full_val=True,
                        cca=True, val_bits=round(evaluate(text, target, tok, meta, ids, val_idx, device), 4)))
    log("final", history[-1], flush=True)
    save()
    return text, target


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default=os.path.join(OUT, "target.pt"), help="train_target checkpoint to start from (and the reference)")
    ap.add_argument("--out", default=os.path.join(OUT, "cca"))
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--steps", type=int, default=None, help="stop after this many steps (default: the time budget)")
    for name, value in asdict(CCAConfig()).items():
        if isinstance(value, bool):
            ap.add_argument("--" + name.replace("_", "-"), action=argparse.BooleanOptionalAction, default=value, help=f"CCAConfig.{name}")
        elif name not in ("ckpt_seconds", "seed", "cond_drop"):
            ap.add_argument("--" + name.replace("_", "-"), type=type(value), default=value, help=f"CCAConfig.{name}")
    a = ap.parse_args()
    torch.set_num_threads(2)
    cfg = CCAConfig(**{k: getattr(a, k) for k in asdict(CCAConfig()) if hasattr(a, k)})
    train(cfg, a.target, a.out, a.device, a.tiny, a.steps)
