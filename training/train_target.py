"""Train the text encoder + target transformer on (caption, 16x16 token grid) pairs.

python -m training.train_target [--minutes 80] [--resume] [--device cpu|cuda]
torchrun --nproc_per_node N -m training.train_target ...   # data-parallel (DDP), see training/distributed.py
--minutes is the total budget including the time a resumed checkpoint already ran.
Checkpoints to training/out/target.pt (and target_best.pt at the lowest validation loss so far); validation loss is
reported in bits per image token.
--tiny [--steps N] [--out DIR]: a tiny model on synthetic data (the DDP test; nothing real is touched).
--init public/models/hawk-emoji: start from the shipped weights (checkpoints under training/out/ do not outlive a session).
--labels model-card [--fresh-text]: the grid's twelve concepts alone (ten until stop 26), a 10-minute test of whether
captions steer the target (training/README.md, stop 25); --labels vocabulary: the 64 concepts of training/vocabulary.py, the shipped recipe.
--core-only: the three core emoji designs alone (the default data), e.g. when the data was built with --more-emoji.
"""
import argparse
import math
import os
import random
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from training.distributed import Dist, unwrap
from training.export import load_shipped
from training.precision import bf16_pays
from training.target import Attention, FeedForward, Transformer, configs
from training.text import TextArgs, TextEncoder, Tokenizer, build_vocab, caption
from training.tokenize import load_shifted_tokens, load_tokens

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")


@dataclass
class TrainConfig:
    minutes: float = 80.0      # wall-clock budget: the cosine schedule runs on elapsed time, not steps, because
                               # the shared CPUs deliver anywhere from 2 to 10 s per step
    batch_size: int = 16
    lr: float = 6e-4           # peak; small model: a high peak LR is fine with warmup and clipping
    min_lr_frac: float = 0.1
    warmup: int = 100
    weight_decay: float = 0.05  # on matrices only
    betas: tuple = (0.9, 0.95)
    grad_clip: float = 1.0
    cond_drop: float = 0.1     # share of samples trained with the null prefix, for classifier-free guidance
    eval_every: int = 300
    eval_images: int = 256     # val subset during training; the full val split at the end
    ckpt_seconds: float = 180.0
    seed: int = 0
    flip: float = 0.0          # share of training samples drawn mirrored left-right, among the images `mirrorable`
    shift: float = 0.0         # share of the samples not mirrored drawn moved by one token (4 px) in one of 8 directions:
                               # a fast GPU memorises the 8k images within minutes (training/README.md, GPU run)
    init: str = ""             # a shipped model directory to start from (export.load_shipped) instead of random weights
    bf16: bool = True          # autocast for the training forward (fp32 master weights and evaluation), on CPU and CUDA,
                               # where precision.bf16_pays: 2-3x faster steps with native bf16, ~30x slower without
    icons: bool = True         # train on the Tabler icons too when the dataset has them (data --tabler); validation
                               # always scores the emoji alone, so runs with and without icons compare
    dropout: float = 0.0       # dropout on every residual branch's output (attention and FFN, target and text encoder),
                               # training only: a regulariser for runs that memorise; inference is unchanged
    balance: float = 0.0       # draw each image with weight (its concept's image count)^-balance: 0 = every image alike
                               # (the skin-tone variants, 12-18 images per concept, make people 54 % of the draws),
                               # 1 = every concept alike (`draw_weights`)
    labels: tuple = ()         # train on the images of these labels alone (--labels model-card: the grid's twelve
                               # concepts, 36 core images; vocabulary: vocabulary.py's 64, the shipped recipe)
    core_only: bool = False    # train on the three core emoji designs alone (is_core), leaving --more-emoji's and the icons out
    fresh_text: bool = False   # with init: keep the shipped target but start the text encoder afresh (the shipped one
                               # encodes the style word more than the concept: training/README.md, stop 25)


# Labels whose mirror image would contradict the caption: directions, text and digits, flags, clock faces.
UNMIRRORABLE = re.compile(r"left|right|arrow|flag|keycap|letter|button|ideograph|symbol|sign\b|clock|thirty|[0-9]|input|mark|squared|circled")


def mirrorable(item):
    return not UNMIRRORABLE.search(item["label"].lower())


def batch_tokens(ids, ids_flip, meta, b, flip, rng, ids_shift=None, shift=0.0):
    """Token grids of images b, each mirrorable one mirrored with probability flip, each one not mirrored then moved
    with probability shift to one of the views of ids_shift (8, N, L), chosen uniformly. Zero rates draw nothing, so
    runs without them see the same batches as before these options existed."""
    toks = ids[b]  # a copy
    for i, j in enumerate(b):
        if flip and mirrorable(meta[j]) and rng.random() < flip:
            toks[i] = ids_flip[j]
        elif shift and rng.random() < shift:
            toks[i] = ids_shift[rng.randrange(len(ids_shift)), j]
    return toks


def is_icon(item):
    return item.get("concept", "").startswith("tabler:")  # tiny_data's items have no concept


def is_core(item):
    """One of the three emoji sources every shipped target was validated on (not an icon, not data --more-emoji)."""
    return not is_icon(item) and not item.get("src", "").startswith("@iconify-json/")


def split_indices(meta, icons=True, labels=(), core_only=False):
    """(train, val) item indices: validation scores the three core emoji sources alone, so runs on more data compare;
    training takes every emoji and the icons too unless icons=False or core_only (then the core sources alone), and only
    the images of `labels` if given."""
    train = [i for i, m in enumerate(meta) if m["split"] == "train" and (icons or not is_icon(m))
             and (not core_only or is_core(m)) and (not labels or m["label"] in labels)]
    return train, [i for i, m in enumerate(meta) if m["split"] == "val" and is_core(m)]


def draw_weights(meta, idx, balance):
    """Sampling weight of each image of idx: its concept's image count among idx to the power -balance; None for
    balance 0 (draw uniformly, as rng.sample always did). Items without a concept (tiny_data) count as their own."""
    if not balance:
        return None
    concept = [meta[i].get("concept", i) for i in idx]
    counts = Counter(concept)
    return [counts[c] ** -balance for c in concept]


def draw_images(rng, idx, weights, k):
    """k training images: distinct and uniform without weights, else drawn with replacement by weight."""
    return rng.sample(idx, k) if weights is None else rng.choices(idx, weights, k=k)


def residual_dropout(modules, p):
    """Dropout on the output of every attention and FFN module among `modules` while they train (forward hooks, so the
    model and its export stay as they are)."""
    for m in modules:
        for sub in m.modules():
            if isinstance(sub, (Attention, FeedForward)):
                sub.register_forward_hook(lambda mod, args, out: F.dropout(out, p, mod.training))


def load_data():
    """(meta, ids, vocab, vectors, ids_flip, ids_shift): tokenize.load_tokens() and load_shifted_tokens() plus the
    caption vocabulary and its word vectors."""
    meta, ids, ids_flip = load_tokens()
    vocab, vectors = build_vocab(meta)
    return meta, ids, vocab, vectors, ids_flip, load_shifted_tokens()


def tiny_data(n=24):
    """Synthetic stand-in for load_data(): one token pattern per label, 4x4 grids of 32 codes, random word vectors."""
    meta = [dict(label=f"thing{i}", style="flat", tags=[f"tag{i % 3}"], split="val" if i % 8 == 0 else "train") for i in range(n)]
    ids = torch.stack([torch.arange(16) % (3 + i % 5) for i in range(n)])
    vocab = ["<pad>", "<unk>", "flat", *[f"thing{i}" for i in range(n)], *[f"tag{i}" for i in range(3)]]
    shifts = torch.stack([ids.roll(k, -1) for k in range(1, 9)])  # stand-ins: only their shape and origin matter here
    return meta, ids, vocab, np.random.RandomState(0).randn(len(vocab), 100).astype(np.float16), ids.flip(-1), shifts


def build_models(vectors, config="hawk-emoji"):
    args = configs[config]
    text = TextEncoder(TextArgs(dim=args.dim, n_heads=args.n_heads, hidden=args.hidden, prefix_len=args.prefix_len), vectors)
    return text, Transformer(args)


def image_logits(text, target, tok_ids, words, drop):
    """Teacher-forced logits (B, L, V) of every image token of tok_ids (B, L) under the captions `words`; `drop` (B,)
    bool selects the null prefix. text and target may be DDP-wrapped: their forward calls go through the wrappers."""
    null = unwrap(text).null_prefix
    prefix = torch.where(drop[:, None, None], null.expand(len(drop), -1, -1), text(words))
    return target(prefix, tok_ids[:, :-1])


def loss_on(text, target, tok_ids, words, drop):
    """Mean cross-entropy (nats) of all image tokens (image_logits' arguments)."""
    return F.cross_entropy(image_logits(text, target, tok_ids, words, drop).flatten(0, 1), tok_ids.flatten())


@torch.no_grad()
def evaluate(text, target, tok, meta, ids, idx, device, bs=32):
    """Conditional val loss in bits/token, canonical captions (label, style, first 3 tags)."""
    text.eval(), target.eval()
    total = 0.0
    for i in range(0, len(idx), bs):
        b = idx[i:i + bs]
        w = tok.batch([caption(meta[j]) for j in b]).to(device)
        total += loss_on(text, target, ids[b].to(device), w, torch.zeros(len(b), dtype=torch.bool, device=device)).item() * len(b)
    text.train(), target.train()
    return total / len(idx) / math.log(2)


def train(cfg: TrainConfig, resume: bool, device: str, tiny=False, out=OUT, max_steps=None):
    d = Dist.setup(device)
    device = d.device
    random.seed(cfg.seed), torch.manual_seed(cfg.seed)  # same initial weights on every rank
    meta, ids, vocab, vectors, ids_flip, ids_shift = tiny_data() if tiny else load_data()
    if cfg.flip and ids_flip is None:
        raise SystemExit("--flip needs the mirrored tokens: run python -m training.tokenize again")
    if cfg.shift and ids_shift is None:
        raise SystemExit("--shift needs the shifted tokens: run python -m training.tokenize again")
    tok = Tokenizer(vocab)
    train_idx, val_idx = split_indices(meta, cfg.icons, cfg.labels, cfg.core_only)
    if len(train_idx) < cfg.batch_size:  # draw_images samples a batch of distinct images
        raise SystemExit(f"{len(train_idx)} training images for the labels {cfg.labels}, fewer than a batch "
                         f"({cfg.batch_size}): add labels or lower --batch-size")
    val_sub = random.Random(1).sample(val_idx, min(cfg.eval_images, len(val_idx)))
    weights = draw_weights(meta, train_idx, cfg.balance)
    text, target = build_models(vectors, "tiny" if tiny else "hawk-emoji")
    if cfg.init and not resume:  # checkpoints do not outlive a session here; the shipped weights do
        shipped_text, shipped_target, shipped_tok, _ = load_shipped(cfg.init)
        if shipped_tok.index != tok.index:
            raise SystemExit(f"--init {cfg.init}: its vocabulary differs from this dataset's; rebuild the data first")
        target.load_state_dict(shipped_target.state_dict())
        if not cfg.fresh_text:
            text.load_state_dict(shipped_text.state_dict())
    if cfg.dropout:
        residual_dropout([text, target], cfg.dropout)
    text.to(device), target.to(device)
    text_p, target_p = d.wrap(text), d.wrap(target)  # the modules that train; text/target for eval and saving
    params = [p for p in list(text.parameters()) + list(target.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                            lr=cfg.lr, betas=cfg.betas)
    log = print if d.main else (lambda *a, **k: None)
    log(f"target {sum(p.numel() for p in target.parameters()) / 1e6:.2f}M params, "
        f"text {sum(p.numel() for p in text.parameters() if p.requires_grad) / 1e6:.2f}M trainable, "
        f"vocab {len(vocab)}, train {len(train_idx)} images, {d.world} process(es) x batch {cfg.batch_size}, bf16 {cfg.bf16}", flush=True)
    step, elapsed, history = 0, 0.0, []
    os.makedirs(out, exist_ok=True)
    ckpt_path = os.path.join(out, "target.pt")
    if resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        text.load_state_dict(ck["text"]), target.load_state_dict(ck["target"]), opt.load_state_dict(ck["opt"])
        step, elapsed, history = ck["step"], ck["elapsed"], ck["history"]
        log(f"resumed at step {step}, {elapsed / 60:.1f} of {cfg.minutes} min", flush=True)
    rng = random.Random(cfg.seed + step + 7919 * d.rank)  # new draws after a resume and per rank, still reproducible
    t0, last_ckpt = time.time() - elapsed, time.time()

    def save(path=ckpt_path):
        if not d.main:
            return
        torch.save(dict(text=text.state_dict(), target=target.state_dict(), opt=opt.state_dict(), step=step,
                        elapsed=time.time() - t0, history=history,
                        args=asdict(target.args), text_args=asdict(text.args), train=asdict(cfg)), path)

    # The lowest validation loss so far also gets its own checkpoint: 8k training images overfit within a few epochs
    # (validation 3.16 bits at step 2,100, 3.24 at 2,700 while the training loss fell from 3 to 1.3).
    best_path = os.path.join(out, "target_best.pt")
    best = min((h["val_bits"] for h in history if not h.get("full_val")), default=math.inf)

    while (progress := d.from_main((time.time() - t0) / (cfg.minutes * 60))) < 1 and step != max_steps:
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * (
            cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        b = draw_images(rng, train_idx, weights, cfg.batch_size)
        words = tok.batch([caption(meta[j], rng) for j in b]).to(device)
        drop = torch.tensor([rng.random() < cfg.cond_drop for _ in b], device=device)
        toks = batch_tokens(ids, ids_flip, meta, b, cfg.flip, rng, ids_shift, cfg.shift)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = loss_on(text_p, target_p, toks.to(device), words, drop)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        step += 1
        if step % 20 == 0 or step == max_steps:
            log(f"step {step} loss {loss.item() / math.log(2):.3f} bits lr {lr:.2e} "
                  f"{(time.time() - t0) / 60:.1f}min", flush=True)
        if step % cfg.eval_every == 0 and d.main:
            history.append(dict(step=step, minutes=round((time.time() - t0) / 60, 1),
                                val_bits=round(evaluate(text, target, tok, meta, ids, val_sub, device), 4)))
            log("eval", history[-1], flush=True)
            if history[-1]["val_bits"] < best:
                best = history[-1]["val_bits"]
                save(best_path)
        if time.time() - last_ckpt > cfg.ckpt_seconds:
            save()
            last_ckpt = time.time()
    if d.main:
        history.append(dict(step=step, minutes=round((time.time() - t0) / 60, 1), full_val=True,
                            val_bits=round(evaluate(text, target, tok, meta, ids, val_idx, device), 4)))
        log("final", history[-1], flush=True)
        save()
    # DDP keeps the replicas identical: the test compares this line across ranks.
    checksum = sum(p.double().sum().item() for p in list(text.parameters()) + list(target.parameters()))
    print(f"rank {d.rank}/{d.world} step {step} param checksum {checksum:.10e}", flush=True)
    d.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=TrainConfig.minutes)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--steps", type=int, default=None, help="stop after this many steps (default: the time budget)")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--no-bf16", action="store_true", help="train in fp32 (default: bf16 autocast where it pays)")
    ap.add_argument("--batch-size", type=int, default=TrainConfig.batch_size, help="images per step and process "
                    "(TrainConfig.batch_size; a GPU takes far more than the CPU default)")
    ap.add_argument("--flip", type=float, default=TrainConfig.flip, help="share of samples drawn mirrored (TrainConfig.flip)")
    ap.add_argument("--shift", type=float, default=TrainConfig.shift, help="share of the others drawn moved by one token (TrainConfig.shift)")
    ap.add_argument("--init", default="", help="start from a shipped model directory, e.g. public/models/hawk-emoji "
                    "(fresh optimiser and schedule; --minutes is this run's budget)")
    ap.add_argument("--no-icons", action="store_true", help="leave the Tabler icons out of training (TrainConfig.icons)")
    ap.add_argument("--dropout", type=float, default=TrainConfig.dropout, help="residual dropout (TrainConfig.dropout)")
    ap.add_argument("--lr", type=float, default=TrainConfig.lr, help="peak learning rate (TrainConfig.lr)")
    ap.add_argument("--balance", type=float, default=TrainConfig.balance, help="0 draws images uniformly, 1 concepts "
                    "(TrainConfig.balance)")
    ap.add_argument("--labels", default="", help="train on these comma-separated labels alone; model-card = the model "
                    "card grid's prompts, vocabulary = training/vocabulary.py (TrainConfig.labels)")
    ap.add_argument("--core-only", action="store_true", help="the three core emoji designs alone (TrainConfig.core_only)")
    ap.add_argument("--fresh-text", action="store_true", help="with --init: a new text encoder (TrainConfig.fresh_text)")
    a = ap.parse_args()
    labels = tuple(filter(None, a.labels.split(",")))
    if a.labels == "model-card":
        from training.sample import MODEL_CARD_PROMPTS
        labels = tuple(label for label, _ in MODEL_CARD_PROMPTS)
    elif a.labels == "vocabulary":
        from training.vocabulary import VOCABULARY
        labels = VOCABULARY
    torch.set_num_threads(max(1, 2 // int(os.environ.get("WORLD_SIZE", "1"))))
    cfg = TrainConfig(minutes=a.minutes, bf16=not a.no_bf16 and bf16_pays(a.device), flip=a.flip, shift=a.shift, init=a.init,
                      batch_size=a.batch_size, icons=not a.no_icons, dropout=a.dropout, balance=a.balance,
                      lr=a.lr, labels=labels, core_only=a.core_only, fresh_text=a.fresh_text)
    if a.tiny:
        cfg.batch_size, cfg.eval_images, cfg.warmup = 4, 8, 5
    train(cfg, a.resume, a.device, a.tiny, a.out, a.steps)
