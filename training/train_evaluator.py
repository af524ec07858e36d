"""Train the benchmark evaluator (training/evaluator.py) with InfoNCE on the train split, report retrieval on the
test split (concepts never seen in training), export public/models/evaluator/.

python -m training.train_evaluator --minutes 15 [--resume] [--device cpu|cuda]   # train (checkpoints to training/out/evaluator.pt)
python -m training.train_evaluator --eval-only                  # metrics + export from the checkpoint
"""
import argparse
import json
import math
import os
import random
import time
from collections import defaultdict
from dataclasses import asdict, dataclass

import numpy as np
import torch

from training.evaluator import CKPT, OUT, PUBLIC, EvalConfig, Evaluator, diversity, export, frechet_distance, load, load_exported
from training.text import caption, words


@dataclass
class TrainConfig:
    minutes: float = 15.0      # wall-clock budget (also on --resume: total, not extra); cosine schedule over it
    batch_size: int = 128      # batch_size / 2 concepts, two random images (style / skin tone) of each
    lr: float = 2e-3
    weight_decay: float = 0.05
    shift: int = 4             # random translation in pixels (white fill)
    ckpt_seconds: float = 180.0
    seed: int = 0
    threads: int = 1


def load_data():
    imgs = np.load(os.path.join(OUT, "data", "images.npy"))
    meta = json.load(open(os.path.join(OUT, "data", "meta.json")))
    z = np.load(os.path.join(OUT, "vocab.npz"))
    cap_words = {w for it in meta for w in words(" ".join([it["label"], it["style"], *it["tags"]]))}
    n_vocab = 2 + len(cap_words)
    vocab = list(z["words"])
    assert set(vocab[2:n_vocab]) == cap_words, "vocab.npz does not start with the caption words"
    return imgs, meta, vocab, z["vectors"], n_vocab


def augment(x, shift, gen):
    """x float (B,3,64,64) in [0,1]: translate each image by up to `shift` pixels, white fill."""
    B = len(x)
    pad = torch.nn.functional.pad(x, (shift,) * 4, value=1.0)
    dx, dy = torch.randint(0, 2 * shift + 1, (2, B), generator=gen).tolist()
    return torch.stack([pad[i, :, dy[i]:dy[i] + 64, dx[i]:dx[i] + 64] for i in range(B)])


@torch.no_grad()
def retrieval(model, imgs, items):
    """Image -> text retrieval among the distinct canonical captions of `items`."""
    caps = [caption(it) for it in items]
    uniq = sorted(set(caps))
    cidx = torch.tensor([uniq.index(c) for c in caps])
    f_img = torch.cat([model.encode_images(torch.from_numpy(imgs[i:i + 256]).permute(0, 3, 1, 2).float() / 255)
                       for i in range(0, len(imgs), 256)])
    f_txt = model.encode_text(uniq)
    sim = f_img @ f_txt.T                                   # (N images, C captions)
    rank = sim.argsort(1, descending=True)
    hit = rank == cidx[:, None]
    label_of = {c: it["label"] for c, it in zip(caps, items)}
    cap_label = [label_of[c] for c in uniq]
    labels = sorted(set(cap_label))
    lab_of_cap = torch.tensor([labels.index(l) for l in cap_label])
    lab_sim = torch.full((len(imgs), len(labels)), -2.0).scatter_reduce(1, lab_of_cap.expand(len(imgs), -1), sim, "amax")
    lidx = torch.tensor([labels.index(it["label"]) for it in items])
    lhit = lab_sim.argsort(1, descending=True) == lidx[:, None]
    # style given the label: among the captions with the image's own label, is its own caption the best?
    same_label = lab_of_cap[None, :] == lidx[:, None]
    style_ok = sim.masked_fill(~same_label, -2).argmax(1) == cidx
    n_alt = same_label.sum(1)
    # text -> image: for each caption, is one of its images in the top k
    rank_t = sim.T.argsort(1, descending=True)
    img_of = [set((cidx == c).nonzero().flatten().tolist()) for c in range(len(uniq))]
    t_hit = lambda k: float(np.mean([bool(img_of[c] & set(rank_t[c, :k].tolist())) for c in range(len(uniq))]))
    matched = (f_img * f_txt[cidx]).sum(-1)
    shuffled = (f_img * f_txt[cidx[torch.randperm(len(cidx), generator=torch.Generator().manual_seed(0))]]).sum(-1)
    r = lambda v: round(float(v), 4)
    return dict(
        images=len(imgs), captions=len(uniq), labels=len(labels),
        i2t_top1=r(hit[:, :1].any(1).float().mean()), i2t_top5=r(hit[:, :5].any(1).float().mean()),
        i2t_top1_chance=r(1 / len(uniq)), i2t_top5_chance=r(5 / len(uniq)),
        label_top1=r(lhit[:, :1].any(1).float().mean()), label_top5=r(lhit[:, :5].any(1).float().mean()),
        label_top5_chance=r(5 / len(labels)),
        style_given_label=r(style_ok[n_alt > 1].float().mean()), style_given_label_chance=r((1 / n_alt[n_alt > 1].float()).mean()),
        t2i_top1=r(t_hit(1)), t2i_top5=r(t_hit(5)),
        clip_score_matched=r(matched.mean()), clip_score_shuffled=r(shuffled.mean()),
    ), f_img


def train(cfg: TrainConfig, resume: bool, device="cpu"):
    """device: where the model trains; images, captions and the random draws stay on the CPU, each batch moves over."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    imgs, meta, vocab, vectors, n_vocab = load_data()
    train_idx = [i for i, m in enumerate(meta) if m["split"] == "train"]
    by_concept = defaultdict(list)
    for i in train_idx:
        by_concept[meta[i]["concept"]].append(i)
    concepts = sorted(by_concept)
    images = torch.from_numpy(imgs).permute(0, 3, 1, 2)  # uint8 view, converted per batch
    model = Evaluator(EvalConfig(n_vocab=n_vocab), vectors, vocab).to(device)
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim >= 2]
    other = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim < 2]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=cfg.weight_decay), dict(params=other, weight_decay=0.0)], lr=cfg.lr)
    step, elapsed, total_steps = 0, 0.0, None
    if resume and os.path.exists(CKPT):
        ck = torch.load(CKPT, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"]), opt.load_state_dict(ck["opt"])
        step, elapsed, total_steps = ck["step"], ck["elapsed"], ck["total_steps"]
        rng.setstate(ck["rng"]), gen.set_state(ck["gen"])
        print(f"resumed at step {step}, {elapsed / 60:.1f} min, schedule {total_steps} steps", flush=True)
    print(f"train images {len(train_idx)}, concepts {len(concepts)}, vocab {n_vocab}, "
          f"params {sum(p.numel() for p in model.parameters() if p.requires_grad)}", flush=True)
    t0, last_ckpt = time.time() - elapsed, time.time()

    def save():
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), step=step, elapsed=time.time() - t0,
                        total_steps=total_steps, cfg=asdict(model.cfg), words=vocab[:n_vocab],
                        rng=rng.getstate(), gen=gen.get_state()), CKPT)

    model.train()
    while True:
        elapsed = time.time() - t0
        if total_steps is None and step == 20:  # measure speed, then fix the schedule length
            total_steps = max(21, int(20 * cfg.minutes * 60 / elapsed))
            print(f"schedule: {total_steps} steps", flush=True)
        # progress: the step estimate, or the wall clock if the shared CPU got slower, so the budget is never exceeded
        progress = None if total_steps is None else max(step / total_steps, elapsed / (cfg.minutes * 60))
        if progress is not None and progress >= 1:
            break
        lr = cfg.lr * min(1, (step + 1) / 20) * (1 if progress is None else
                                                  0.5 * (1 + math.cos(math.pi * progress)) * 0.95 + 0.05)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = [i for c in rng.sample(concepts, cfg.batch_size // 2) for i in rng.choices(by_concept[c], k=2)]
        x = augment(images[idx].float() / 255, cfg.shift, gen).to(device)
        ids = model.tokenizer.batch([caption(meta[i], rng) for i in idx]).to(device)
        key = [(meta[i]["label"], meta[i]["style"]) for i in idx]
        pos = torch.tensor([[a == b for b in key] for a in key], device=device)
        loss = model.loss(x, ids, pos)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 10 == 0:
            print(f"step {step} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f} lr {lr:.2e} "
                  f"{(time.time() - t0) / 60:.1f}min", flush=True)
        if time.time() - last_ckpt > cfg.ckpt_seconds:
            save()
            last_ckpt = time.time()
    save()
    print(f"done: {step} steps in {(time.time() - t0) / 60:.1f} min", flush=True)


def evaluate_and_export():
    torch.set_num_threads(1)
    imgs, meta, *_ = load_data()
    ck = torch.load(CKPT, map_location="cpu", weights_only=False)
    model = load()
    metrics = dict(steps=ck["step"], train_minutes=round(ck["elapsed"] / 60, 1))
    feats = {}
    for split in ("test", "val", "train"):
        idx = [i for i, m in enumerate(meta) if m["split"] == split]
        if split == "train":  # a same-sized sample of seen concepts, for the generalisation gap
            idx = random.Random(0).sample(idx, 500)
        metrics[split], feats[split] = retrieval(model, imgs[idx], [meta[i] for i in idx])
        print(split, metrics[split], flush=True)
    # reference points for the benchmark: real-vs-real distance and the diversity of real images
    metrics["fd_test_vs_val"] = round(frechet_distance(feats["test"], feats["val"]), 4)
    metrics["fd_test_vs_train500"] = round(frechet_distance(feats["test"], feats["train"]), 4)
    metrics["diversity_test"] = round(diversity(feats["test"]), 4)
    weights, spec = export(model)
    shipped = load_exported()
    x = torch.from_numpy(imgs[:64]).permute(0, 3, 1, 2).float() / 255
    caps = [caption(m) for m in meta[:64]]
    metrics["export"] = dict(
        weights_bytes=os.path.getsize(weights), json_bytes=os.path.getsize(spec),
        f16_max_abs_err_image=float((shipped.encode_images(x) - model.encode_images(x)).abs().max()),
        f16_max_abs_err_text=float((shipped.encode_text(caps) - model.encode_text(caps)).abs().max()))
    print("export", metrics["export"], flush=True)
    json.dump(metrics, open(os.path.join(OUT, "evaluator_metrics.json"), "w"), indent=1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=TrainConfig.minutes)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="training device (evaluation and export run on the CPU)")
    a = ap.parse_args()
    if not a.eval_only:
        train(TrainConfig(minutes=a.minutes), a.resume, a.device)
    with torch.no_grad():
        evaluate_and_export()
