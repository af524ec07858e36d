"""Distil the Hawk draft (and its 1D ablation) from the frozen target on teacher-forced training data.

python -m training.train_draft --variant hawk|ablation|both [--minutes 20] [--resume] [--layers 1] [--device cpu|cuda]
python -m training.train_draft --export            # -> public/models/hawk-emoji/draft_<variant>.safetensors (f16)
python -m training.train_draft --tiny --minutes 1  # smoke run: random tiny target, synthetic data, nothing real touched
python -m training.train_draft --target public/models/hawk-emoji --init public/models/hawk-emoji --lr 3e-4  # go on from the shipped models

Batches mix teacher-forced training images with images the target generated itself (training/out/generated.npz from
`python -m training.generate`, half of each batch by default): decoding feeds the draft the target's own samples, not
training images. Per batch the target runs once on full sequences (prefix + 256 tokens, ~10% null prefix as in CFG
training); every variant in the run learns from that same pass (so `both` costs one target pass for two drafts, on
identical batches). Loss = sum over heads of KL(target || draft); AdamW, cosine LR over the wall-clock budget. Checkpoints every 3 minutes:
training/out/draft_<variant>.pt (args, draft, opt, step, elapsed, total_steps, history, target_step).
"""
import argparse
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from safetensors.torch import save_file

from training.draft import Draft, DraftArgs, distill_loss, target_features
from training.export import load_shipped
from training.guidance import guide
from training.precision import bf16_pays
from training.target import ModelArgs, Transformer, configs
from training.text import TextArgs, TextEncoder, Tokenizer, caption
from training.tokenize import load_tokens
from training.train_target import split_indices

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
PUBLIC = os.path.normpath(os.path.join(OUT, "..", "..", "public", "models", "hawk-emoji"))


@dataclass
class DraftTrainConfig:
    minutes: float = 20.0      # wall-clock budget for the whole run (all variants together; on resume: the new total)
    batch_size: int = 16
    lr: float = 1e-3
    min_lr_frac: float = 0.1
    warmup: int = 30
    weight_decay: float = 0.01  # on matrices only
    betas: tuple = (0.9, 0.95)
    grad_clip: float = 1.0
    cond_drop: float = 0.1     # share of samples with the null prefix, as in the target's CFG training
    head_frac: float = 0.25    # share of positions each head is scored on per step (cost), all of them at evaluation
    generated_frac: float = 0.5  # share of each batch drawn from the target-generated images (when generated.npz exists)
    eval_every: int = 100
    eval_images: int = 32      # val subset for the running agreement numbers (eval_draft does the full comparison)
    ckpt_seconds: float = 180.0
    bf16: bool = True          # autocast where precision.bf16_pays (CPU: 2-3x faster with avx512_bf16). Evaluation stays fp32.
    seed: int = 0


def load_target(path=os.path.join(OUT, "target.pt")):
    """Frozen text encoder + target from the target checkpoint -> (text, target, tokenizer, target_step).
    A directory is a shipped model (public/models/hawk-emoji): export.load_shipped reads it."""
    if os.path.isdir(path):
        return load_shipped(path)
    for attempt in range(5):  # the target trainer may be rewriting the file right now
        try:
            ck = torch.load(path, map_location="cpu")
            break
        except (RuntimeError, EOFError, OSError) as e:
            print(f"target checkpoint not readable ({e}), retrying", flush=True)
            time.sleep(20)
    z = np.load(os.path.join(OUT, "vocab.npz"))
    text, target = models_from_checkpoint(ck)
    if text.embed.num_embeddings != len(z["words"]):
        print(f"WARNING: vocab.npz has {len(z['words'])} words, target.pt's table {text.embed.num_embeddings}: rebuilt data?", flush=True)
    for p in list(text.parameters()) + list(target.parameters()):
        p.requires_grad_(False)
    return text.eval(), target.eval(), Tokenizer(list(z["words"]), ck["text_args"]["max_words"]), ck.get("step")


def target_training_items(path, meta) -> list[int]:
    """Indices of the training images the target at path learnt (its --labels, --core-only and icons; for a shipped
    directory, the manifest's concepts in the core designs, all of it when it lists none): the drafts distil, and
    training.generate captions, where the target is meant to be used."""
    if os.path.isdir(path):
        concepts = json.load(open(os.path.join(path, "manifest.json"))).get("concepts", [])
        return split_indices(meta, labels=tuple(concepts), core_only=True)[0]
    cfg = torch.load(path, map_location="cpu", mmap=True)["train"]
    return split_indices(meta, cfg.get("icons", True), tuple(cfg.get("labels", ())), cfg.get("core_only", False))[0]


def models_from_checkpoint(ck):
    """(text encoder, target) with the weights of a train_target checkpoint, trainable as built."""
    table = ck["text"]["embed.weight"].numpy()  # the frozen word table the target was trained with
    text, target = TextEncoder(TextArgs(**ck["text_args"]), table), Transformer(ModelArgs(**ck["args"]))
    text.load_state_dict(ck["text"]), target.load_state_dict(ck["target"])
    return text, target


def tiny_setup(n=64):
    """Random tiny target + text encoder and synthetic (caption, grid) data with the real data's shapes and fields."""
    torch.manual_seed(0)
    a = configs["tiny"]
    words = ["<pad>", "<unk>"] + [f"w{i}" for i in range(20)]
    vecs = np.random.RandomState(0).randn(len(words), 100).astype(np.float16)
    text = TextEncoder(TextArgs(dim=a.dim, n_layers=1, n_heads=a.n_heads, hidden=a.hidden, prefix_len=a.prefix_len, max_words=4), vecs)
    target = Transformer(a)
    for p in list(text.parameters()) + list(target.parameters()):
        p.requires_grad_(False)
    meta = [dict(label=f"w{i % 20}", style=f"w{(i * 7) % 20}", tags=[], split="val" if i % 8 == 0 else "train") for i in range(n)]
    ids = torch.stack([(torch.arange(a.grid ** 2) // (1 + i % 3) + i) % a.vocab for i in range(n)])
    return text.eval(), target.eval(), Tokenizer(words, 4), meta, ids


def load_generated(path=os.path.join(OUT, "generated.npz")):
    """Target-generated images (ids (N, 256), their captions) from training.generate, or None before that stage ran."""
    if not os.path.exists(path):
        return None
    z = np.load(path)
    return torch.from_numpy(z["ids"].astype(np.int64)), [str(c) for c in z["captions"]]


def draw_batch(rng, meta, ids, train_idx, batch_size, generated=None, n_generated=0):
    """(captions, tokens (B, N)): batch_size - n_generated training images with augmented captions (random tags), then
    n_generated target-generated images with the captions they were generated from."""
    b = rng.sample(train_idx, batch_size - n_generated)
    captions, toks = [caption(meta[j], rng) for j in b], ids[b]
    if n_generated:
        gb = rng.sample(range(len(generated[1])), n_generated)
        captions, toks = captions + [generated[1][j] for j in gb], torch.cat([toks, generated[0][gb]])
    return captions, toks


def make_prefix(text, tok, captions, drop):
    """Target prefixes for a batch of captions; drop (B,) bool selects the null prefix (on the text encoder's device)."""
    with torch.no_grad():
        cond = text(tok.batch(captions).to(drop.device))
        return torch.where(drop[:, None, None], text.null_prefix.expand(len(captions), -1, -1), cond)


@torch.no_grad()
def val_agreement(draft, text, target, tok, meta, ids, idx, bs=16):
    """Per-head top-1 agreement with the target's cond argmax on canonical val captions (quick, used during training)."""
    device = target.output.weight.device
    draft.eval()
    hits = torch.zeros(len(draft.args.offsets))
    kl = torch.zeros(len(draft.args.offsets))
    for i in range(0, len(idx), bs):
        b = idx[i:i + bs]
        prefix = make_prefix(text, tok, [caption(meta[j]) for j in b], torch.zeros(len(b), dtype=torch.bool, device=device))
        toks = ids[b].to(device)
        h, logits = target_features(target, prefix, toks)
        _, kls, agree = distill_loss(draft, target, prefix, h, logits, toks)
        hits += torch.tensor(agree) * len(b)
        kl += torch.tensor(kls) * len(b)
    draft.train()
    return [round(x, 4) for x in (hits / len(idx)).tolist()], [round(x, 4) for x in (kl / len(idx)).tolist()]


def ckpt_path(variant, tiny=False):
    return os.path.join(OUT, f"draft_{variant}{'_tiny' if tiny else ''}.pt")


def new_draft(variant, target_args, n_layers=1, hidden=None, init=None):
    """A fresh draft for the target, or the shipped one in the model directory `init` (its block as shipped), grown to
    the current head architecture where it predates it (`grown`)."""
    if init:
        return grown(load_draft_f16(os.path.join(init, f"draft_{variant}.safetensors"))[0], target_args)
    return Draft(DraftArgs.from_target(target_args, spatial=(variant == "hawk"), n_layers=n_layers, **({"hidden": hidden} if hidden else {})))


def grown(draft, target_args):
    """The draft with the current architecture's above inputs, head width and window (DraftArgs.from_target). The heads
    compute what they did: above maps it lacks start at zero, as in a fresh draft; wider heads get new w1 rows drawn as
    at initialisation and zero w2 columns (a new hidden unit adds nothing until trained). A wider window is the one change
    that is not neutral: the block's attention then also sees the newly visible keys, and fine-tuning adapts to them."""
    a = DraftArgs.from_target(target_args, spatial=draft.args.spatial)
    args = replace(draft.args, above=a.above, above_features=a.above_features, above_right=a.above_right, head_hidden=max(a.head_hidden, draft.args.head_hidden),
                   rows_above=a.rows_above, cols_left=a.cols_left, cols_right=a.cols_right)
    if args == draft.args:
        return draft
    new = Draft(args)
    sd = new.state_dict()
    for name, old in draft.state_dict().items():
        if name.endswith("w1.weight"):
            sd[name][:old.shape[0]] = old
        elif name.endswith("w2.weight") and name.startswith("heads."):
            sd[name].zero_()
            sd[name][:, :old.shape[1]] = old
        else:
            sd[name] = old
    new.load_state_dict(sd)
    return new


def train(cfg: DraftTrainConfig, variants, resume, n_layers=1, tiny=False, target_path=os.path.join(OUT, "target.pt"), hidden=None,
          init=None, device: str = "cpu"):
    """init: a shipped model directory whose draft_{variant}.safetensors the drafts start from (their own architecture).
    device: where the frozen target and the drafts run; the data stays on the CPU and each batch moves over."""
    random.seed(cfg.seed), torch.manual_seed(cfg.seed)
    if tiny:
        text, target, tok, meta, ids = tiny_setup()
        target_step, generated = None, None
    else:
        text, target, tok, target_step = load_target(target_path)
        meta, ids, _ = load_tokens()
        generated = load_generated()
    text, target = text.to(device), target.to(device)
    n_generated = round(cfg.batch_size * cfg.generated_frac) if generated else 0
    train_idx = ([i for i, m in enumerate(meta) if m["split"] == "train"] if tiny
                 else target_training_items(target_path, meta))
    val_idx = [i for i, m in enumerate(meta) if m["split"] == "val"]
    val_sub = random.Random(1).sample(val_idx, min(cfg.eval_images, len(val_idx)))
    drafts, opts = {}, {}
    for v in variants:
        drafts[v] = new_draft(v, target.args, n_layers, hidden, None if resume else init).to(device)
        params = list(drafts[v].parameters())
        opts[v] = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
                                     {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}], lr=cfg.lr, betas=cfg.betas)
    n_params = sum(p.numel() for p in drafts[variants[0]].parameters())
    print(f"variants {variants}, draft {n_params / 1e6:.2f}M params each, target step {target_step}, "
          f"train {len(train_idx)} images + {len(generated[0]) if generated else 0} generated ({n_generated} of "
          f"{cfg.batch_size} per batch), bf16 {cfg.bf16}", flush=True)
    step, elapsed, total_steps, history = 0, 0.0, None, {v: [] for v in variants}
    if resume and all(os.path.exists(ckpt_path(v, tiny)) for v in variants):
        for v in variants:
            ck = torch.load(ckpt_path(v, tiny), map_location=device)
            drafts[v].load_state_dict(ck["draft"]), opts[v].load_state_dict(ck["opt"])
            step, elapsed, total_steps, history[v] = ck["step"], ck["elapsed"], ck["total_steps"], ck["history"]
        print(f"resumed at step {step}, {elapsed / 60:.1f} min", flush=True)
    rng = random.Random(cfg.seed + step)
    t0, last_ckpt = time.time() - elapsed, time.time()

    def save():
        for v in variants:
            torch.save(dict(args=asdict(drafts[v].args), draft=drafts[v].state_dict(), opt=opts[v].state_dict(), step=step,
                            elapsed=time.time() - t0, total_steps=total_steps, history=history[v], target_step=target_step,
                            train=asdict(cfg)), ckpt_path(v, tiny))

    def evaluate():
        for v in variants:
            agree, kls = val_agreement(drafts[v], text, target, tok, meta, ids, val_sub)
            history[v].append(dict(step=step, minutes=round((time.time() - t0) / 60, 1), val_agree_cond=agree, val_kl=kls))
            print(f"eval {v} step {step}: agree {agree} kl {kls}", flush=True)

    budget = cfg.minutes * 60  # the cosine follows the wall clock: on a shared CPU the step rate changes during the run
    while time.time() - t0 < budget:
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * (
            cfg.min_lr_frac + (1 - cfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * min((time.time() - t0) / budget, 1.0))))
        captions, toks = draw_batch(rng, meta, ids, train_idx, cfg.batch_size, generated, n_generated)
        drop = torch.tensor([rng.random() < cfg.cond_drop for _ in captions], device=device)
        toks = toks.to(device)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=cfg.bf16):
            prefix = make_prefix(text, tok, captions, drop)
            h, logits = target_features(target, prefix, toks)
            logs = []
            for v in variants:
                for g in opts[v].param_groups:
                    g["lr"] = lr
                loss, kls, agree = distill_loss(drafts[v], target, prefix, h, logits, toks, cfg.head_frac)
                opts[v].zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(drafts[v].parameters(), cfg.grad_clip)
                opts[v].step()
                logs.append(f"{v} loss {loss.item():.3f} agree1 {agree[0]:.3f}")
        step += 1
        if step % 10 == 0:
            print(f"step {step} {' | '.join(logs)} lr {lr:.2e} {(time.time() - t0) / 60:.1f}min", flush=True)
        if step % cfg.eval_every == 0:
            evaluate()
        if time.time() - last_ckpt > cfg.ckpt_seconds:
            save()
            last_ckpt = time.time()
    total_steps = step
    evaluate()
    save()
    return drafts


def arch_dict(args: DraftArgs, weights):
    """Architecture numbers and rules for the manifest's `draft` entry."""
    W = args.grid
    return dict(
        weights=weights, dtype="float16", spatial=args.spatial, n_layers=args.n_layers, dim=args.dim, n_heads=args.n_heads,
        head_dim=args.head_dim, hidden=args.hidden, head_hidden=args.head_hidden, vocab=args.vocab, grid=args.grid,
        prefix_len=args.prefix_len, norm_eps=args.norm_eps, rope_base=args.rope_base,
        offsets=list(args.offsets), horizontal_offsets=[k for k in args.offsets if k < W],
        vertical_offsets=[k for k in args.offsets if k >= W],
        window=dict(rows_above=args.rows_above, cols_left=args.cols_left, cols_right=args.cols_right) if args.spatial else None,
        attention=("prefix always visible; image key t' visible from image query t iff t' <= t and t//W - t'//W <= rows_above "
                   "and -cols_left <= t'%W - t%W <= cols_right; prefix queries causal among the prefix" if args.spatial
                   else "plain causal over [prefix; image] (prefix always visible)"),
        positions="prefix (0, 0); image position t at " + ("(t // W, t % W), 2D RoPE as the target" if args.spatial
                                                           else "(t, t), i.e. 1D RoPE on both halves"),
        input="z_t = w_in([in_norm(h_{t-1}); target.tok_emb(x_t)]), h_{t-1} = target last hidden before its final norm at sequence "
              "index P-1+t; prefix keys from w_prefix(prefix), prefix = target layer-0 input (text prefix or null_prefix)",
        blocks="target-style pre-norm blocks (attn_norm, wqkv, wo, ffn_norm, w13, w2) on [prefix; z], no final norm",
        above=args.above, above_features=args.above_features, above_right=args.above_right,
        heads="head k: u_k = g" + (" + w_above(target.tok_emb(x_a))" if args.above else "")
              + (" + w_above_features(g_a)" if args.above_features else "")
              + (" + w_above_right(g_b)" if args.above_right else "")
              + (" with a = t + k - W * ceil(k / W) (the position above t + k; g_a the draft's own features there; the terms "
                 "are left out where a < 0)" if args.above or args.above_features else "")
              + ("; b = a + 1 (up and to the right of t + k) for horizontal heads only, left out where t + k lies in the "
                 "first row or the last column" if args.above_right else "")
              + "; g_k = u_k + heads.k{k}.w2(silu(heads.k{k}.w1(u_k))); logits(token t+k) = target.output(target.norm(g_k))",
        tensor_names="in_norm.weight [dim], w_in.weight [dim, 2*dim] (input order: normed hidden, token embedding), "
                     "w_prefix.weight [dim, dim], layers.{i}.attn_norm.weight, layers.{i}.attn.wqkv.weight, layers.{i}.attn.wo.weight, "
                     "layers.{i}.ffn_norm.weight, layers.{i}.ffn.w13.weight, layers.{i}.ffn.w2.weight, "
                     "heads.k{offset}.w1.weight [head_hidden, dim], heads.k{offset}.w2.weight [dim, head_hidden]"
                     + (", w_above.weight [dim, dim]" if args.above else "")
                     + (", w_above_features.weight [dim, dim]" if args.above_features else "")
                     + (", w_above_right.weight [dim, dim]" if args.above_right else ""))


def export_draft(ckpt, path):
    """Draft checkpoint -> f16 safetensors (architecture in the header metadata); returns the manifest dict."""
    ck = torch.load(ckpt, map_location="cpu") if isinstance(ckpt, str) else ckpt
    args = DraftArgs(**{**ck["args"], "offsets": tuple(ck["args"]["offsets"])})
    arch = arch_dict(args, os.path.basename(path))
    sd = {k: v.detach().to(torch.float16).contiguous() for k, v in ck["draft"].items()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_file(sd, path, metadata={"draft": json.dumps(arch)})
    arch.update(train_steps=ck.get("step"), train_minutes=round(ck.get("elapsed", 0) / 60, 1), target_step=ck.get("target_step"))
    return arch


def load_draft_f16(path):
    """Reload an exported draft exactly as the engine computes with it (f16 widened to f32)."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(path, "pt") as f:
        arch = json.loads(f.metadata()["draft"])
    args = DraftArgs(**{k: arch[k] for k in ("dim", "n_layers", "n_heads", "hidden", "head_hidden", "vocab", "grid",
                                             "prefix_len", "norm_eps", "rope_base", "spatial")}, offsets=tuple(arch["offsets"]),
                     above=arch.get("above", False), above_features=arch.get("above_features", False),
                     above_right=arch.get("above_right", False),
                     **(arch["window"] or {}))
    draft = Draft(args)
    draft.load_state_dict({k: v.float() for k, v in load_file(path).items()}, strict=True)
    return draft, arch


@torch.no_grad()
def draft_golden(paths, target_path=os.path.join(OUT, "target.pt"), cfg=3.0, positions=(0, 1, 16)):
    """Parity fixtures for the engine, everything from f16 weights widened to f32 (as the browser computes): the lead's golden
    prompt and fixed tokens (export.py), per variant and head the first 16 guided/cond logits and the argmax at a few positions."""
    from training.export import GOLDEN_PROMPTS
    text, target, tok, target_step = load_target(target_path)
    for m in (text, target):
        m.load_state_dict({k: v.half().float() for k, v in m.state_dict().items()})
    meta, ids, _ = load_tokens()
    test_i = next(i for i, m in enumerate(meta) if m["split"] == "test")
    toks = ids[test_i:test_i + 1, :max(positions) + 1]
    pc, pu = text(torch.tensor([tok.encode(GOLDEN_PROMPTS[0])])), text.null_prefix[None]
    (hc, _), (hu, _) = target_features(target, pc, toks), target_features(target, pu, toks)
    out = dict(prompt=GOLDEN_PROMPTS[0], fixed_tokens=toks[0].tolist(), positions=list(positions), cfg=cfg, values=16,
               target_step=target_step, note="at position t the draft has seen x_0..x_t (and the target hidden that predicted "
               "each); head k gives logits for token t+k; guided = uncond + cfg * (cond - uncond)", variants={})
    for v, path in paths.items():
        draft = load_draft_f16(path)[0].eval()
        lc = draft(target, pc, hc, toks)[0]  # (N, K, vocab)
        lu = draft(target, pu, hu, toks)[0]
        lg = guide(lc, lu, cfg, 0)
        out["variants"][v] = {f"t{t}": {f"k{k}": dict(cond=[round(x, 4) for x in lc[t, i, :16].tolist()],
                                                      guided=[round(x, 4) for x in lg[t, i, :16].tolist()],
                                                      argmax_cond=int(lc[t, i].argmax()), argmax_guided=int(lg[t, i].argmax()))
                                        for i, k in enumerate(draft.args.offsets)} for t in positions}
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="both", choices=["hawk", "ablation", "both"])
    ap.add_argument("--minutes", type=float, default=DraftTrainConfig.minutes)
    ap.add_argument("--lr", type=float, default=DraftTrainConfig.lr, help="peak learning rate (lower to fine-tune with --init)")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=None, help="SwiGLU width of the draft block (default: the target's); "
                    "the draft's cost per step on a compute-bound device follows its parameters")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="training device (--export runs on the CPU)")
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--export", action="store_true")
    ap.add_argument("--no-bf16", action="store_true", help="train in fp32 (default: bf16 autocast where it pays)")
    ap.add_argument("--target", default=os.path.join(OUT, "target.pt"), help="target checkpoint (default: the lead's), "
                    "or a shipped model directory such as public/models/hawk-emoji")
    ap.add_argument("--init", default=None, help="start the drafts from a shipped model directory's drafts "
                    "(e.g. public/models/hawk-emoji) instead of random weights")
    a = ap.parse_args()
    torch.set_num_threads(2)
    variants = ["hawk", "ablation"] if a.variant == "both" else [a.variant]
    if a.export:
        paths = {v: os.path.join(PUBLIC, f"draft_{v}.safetensors") for v in variants}
        for v in variants:
            arch = export_draft(ckpt_path(v), paths[v])
            json.dump(arch, open(os.path.join(OUT, f"draft_{v}_manifest.json"), "w"), indent=1)
            print(json.dumps(arch, indent=1))
        json.dump(draft_golden(paths, a.target), open(os.path.join(OUT, "draft_golden.json"), "w"), indent=1)
        print("wrote", *paths.values(), os.path.join(OUT, "draft_{variant}_manifest.json"), os.path.join(OUT, "draft_golden.json"))
    else:
        cfg = DraftTrainConfig(minutes=a.minutes, lr=a.lr, bf16=not a.no_bf16 and bf16_pays(a.device))
        if a.tiny:
            cfg.batch_size, cfg.eval_every, cfg.eval_images = 8, 20, 8
        train(cfg, variants, a.resume, a.layers, a.tiny, a.target, a.hidden, a.init, a.device)
