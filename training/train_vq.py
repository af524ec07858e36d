"""Train the VQ tokenizer on the emoji set, then export it.

python -m training.train_vq [--minutes 30] [--resume] [--device cpu|cuda]   # train (checkpoints to training/out/vq.pt)
python -m training.train_vq --steps 743                          # a fixed schedule length, not one fitted to --minutes
python -m training.train_vq --export-only                        # PSNR on test + decoder.onnx + safetensors
"""
import argparse
import json
import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from training.vq import VQConfig, VQModel, export_decoder_onnx, onnx_decode

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
PUBLIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "public", "models", "vq")


@dataclass
class TrainConfig:
    minutes: float = 30.0      # wall-clock budget; the cosine schedule is laid over the estimated step count
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0  # tiny conv net, no need
    grad_weight: float = 0.5   # L1 on image gradients: keeps flat-colour edges sharp without a GAN
    restart_every: int = 100   # steps between dead-code restarts (unused codes jump onto encoder outputs)
    ckpt_seconds: float = 180.0
    seed: int = 0


def load_split(split):
    imgs = np.load(os.path.join(OUT, "data", "images.npy"))
    meta = json.load(open(os.path.join(OUT, "data", "meta.json")))
    idx = np.array([i for i, m in enumerate(meta) if m["split"] == split])
    return torch.from_numpy(imgs[idx]).permute(0, 3, 1, 2).contiguous()  # uint8 (N,3,64,64)


def to_float(x):
    return x.float() / 255.0


def grad_l1(y, x):
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
    return F.l1_loss(dy(y), dy(x)) + F.l1_loss(dx(y), dx(x))


@torch.no_grad()
def psnr(vq, imgs, bs=128):
    """Mean per-image PSNR (dB) of reconstructions from the quantised tokens, plus codebook usage; on vq's device."""
    vq.eval()
    device = vq.codebook.weight.device
    vals, used = [], set()
    for i in range(0, len(imgs), bs):
        x = to_float(imgs[i:i + bs].to(device))
        ids = vq.encode(x)
        y = vq.decode_ids(ids)
        mse = ((y - x) ** 2).flatten(1).mean(1).clamp_min(1e-10)
        vals.append(10 * torch.log10(1 / mse))
        used.update(ids.unique().tolist())
    vq.train()
    return torch.cat(vals).mean().item(), len(used)


def random_batch(images, batch_size, device="cpu"):
    """batch_size images drawn with replacement, as floats in [0, 1] on `device`, half of them mirrored: cheap extra
    variety. The draws stay on the CPU generator, so a run draws the same batches on any device."""
    x = to_float(images[torch.randint(0, len(images), (batch_size,))].to(device))
    flip = torch.rand(batch_size) < 0.5
    return torch.where(flip.to(device)[:, None, None, None], x.flip(-1), x)


def lr_at(step, total_steps, peak):
    """Linear warmup until the schedule length is known (fixed after 20 timed steps), then cosine to 5 % of peak."""
    if total_steps is None:
        return peak * min(1, (step + 1) / 50)
    return peak * (0.5 * (1 + math.cos(math.pi * step / total_steps)) * 0.95 + 0.05)


def train(cfg: TrainConfig, resume: bool, steps=None, device="cpu"):
    """device: where the model trains; the uint8 images stay on the CPU and each batch moves over."""
    torch.manual_seed(cfg.seed)
    train_x, val_x = load_split("train"), load_split("val")
    vq = VQModel(VQConfig()).to(device)
    opt = torch.optim.AdamW(vq.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, elapsed, total_steps = 0, 0.0, None
    ckpt_path = os.path.join(OUT, "vq.pt")
    if resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        vq.load_state_dict(ck["model"]), opt.load_state_dict(ck["opt"])
        step, elapsed, total_steps = ck["step"], ck["elapsed"], ck["total_steps"]
        total_steps = steps or total_steps  # shorten/extend the schedule of a resumed run
        print(f"resumed at step {step}, {elapsed / 60:.1f} min, schedule {total_steps} steps")
    usage, counted = torch.zeros(vq.cfg.codebook_size, device=device), 0
    t0, last_ckpt = time.time() - elapsed, time.time()

    def save():
        torch.save(dict(model=vq.state_dict(), opt=opt.state_dict(), step=step, elapsed=time.time() - t0,
                        total_steps=total_steps, cfg=asdict(vq.cfg)), ckpt_path)

    while True:
        elapsed = time.time() - t0
        if total_steps is None and step == 20:  # measure speed, then fix the schedule length
            total_steps = steps or int(20 * cfg.minutes * 60 / elapsed)
            print(f"schedule: {total_steps} steps")
        if total_steps is not None and step >= total_steps:
            break
        lr = lr_at(step, total_steps, cfg.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        x = random_batch(train_x, cfg.batch_size, device)
        y, ids, vq_loss = vq(x)
        rec = F.mse_loss(y, x) + F.l1_loss(y, x)
        loss = rec + cfg.grad_weight * grad_l1(y, x) + vq_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        usage += torch.bincount(ids.flatten(), minlength=usage.numel())
        counted += 1
        step += 1
        if step % cfg.restart_every == 0:
            dead = (usage == 0).nonzero().flatten()
            # only trust a full window of counts, and stop restarting near the end so the decoder can adapt
            if len(dead) and counted >= cfg.restart_every and step < 0.8 * (total_steps or 10 ** 9):
                with torch.no_grad():  # re-seed dead codes on current encoder outputs
                    z = F.normalize(vq.encoder(x * 2 - 1), dim=1).permute(0, 2, 3, 1).reshape(-1, vq.cfg.code_dim)
                    vq.codebook.weight[dead] = z[torch.randint(0, len(z), (len(dead),)).to(device)]
            print(f"step {step} loss {loss.item():.4f} rec {rec.item():.4f} vq {vq_loss.item():.4f} "
                  f"lr {lr:.2e} used {int((usage > 0).sum())} unused {len(dead)} {elapsed / 60:.1f}min", flush=True)
            usage.zero_()
            counted = 0
        if step % 500 == 0:
            print(f"val psnr {psnr(vq, val_x)[0]:.2f} dB", flush=True)
        if time.time() - last_ckpt > cfg.ckpt_seconds:
            save()
            last_ckpt = time.time()
    save()
    print(f"done: {step} steps in {(time.time() - t0) / 60:.1f} min")


def export():
    ck = torch.load(os.path.join(OUT, "vq.pt"), map_location="cpu")  # the export runs on the CPU, after any device
    vq = VQModel(VQConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in ck["cfg"].items()}))
    vq.load_state_dict(ck["model"])
    vq.eval()
    test_psnr, used = psnr(vq, load_split("test"))
    val_psnr, _ = psnr(vq, load_split("val"))
    os.makedirs(PUBLIC, exist_ok=True)
    onnx_path = os.path.join(PUBLIC, "decoder.onnx")
    export_decoder_onnx(vq, onnx_path)
    ids = torch.randint(0, vq.cfg.codebook_size, (1, 16, 16))
    err = max(float(np.abs(onnx_decode(onnx_path, ids[:, :r].numpy()) - vq.decode_ids(ids[:, :r]).detach().numpy()).max())
              for r in (1, 7, 16))
    assert err < 1e-4, err
    save_file({k: v.contiguous() for k, v in vq.state_dict().items() if not k.startswith("decoder.")},
              os.path.join(OUT, "vq_encoder.safetensors"))
    save_file({"codebook": vq.codes().detach().contiguous()}, os.path.join(PUBLIC, "codebook.safetensors"))
    metrics = dict(test_psnr_db=round(test_psnr, 2), val_psnr_db=round(val_psnr, 2), test_codes_used=used,
                   onnx_max_abs_err=err, steps=ck["step"], train_minutes=round(ck["elapsed"] / 60, 1),
                   params=sum(p.numel() for p in vq.parameters()), config=ck["cfg"])
    json.dump(metrics, open(os.path.join(OUT, "vq_metrics.json"), "w"), indent=1)
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=TrainConfig.minutes)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--steps", type=int, help="schedule length instead of one fitted to --minutes; "
                    "on --resume, shortens or extends the schedule")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="training device (the export runs on the CPU)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    if not a.export_only:
        train(TrainConfig(minutes=a.minutes), a.resume, a.steps, a.device)
    export()
