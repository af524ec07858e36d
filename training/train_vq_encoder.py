"""Train a VQ encoder for the shipped decoder and codebook, which stay frozen.

python -m training.train_vq_encoder [--minutes 20] [--device cpu|cuda]   # -> training/weights/vq_encoder.safetensors (committed), its PSNR

Why: every stage after the tokenizer (tokens, target, drafts) reads token ids, and only the decoder and the codebook
ship (public/models/vq/). When the VQ checkpoint is gone, retraining the whole VQ makes a new codebook that the shipped
target and drafts do not speak; an encoder trained through the frozen decoder onto the frozen codebook maps images
back onto the shipped token vocabulary instead, so the shipped target can be trained further and the drafts
re-distilled. The decoder is read from decoder.onnx's initializers, the exact weights the app runs. The encoder is
committed (3.8 MB, outside public/: the app never encodes), so training.tokenize works on a fresh clone.
"""
import argparse
import os
import time

import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from safetensors.torch import load_file, save_file

from training.train_vq import PUBLIC, TrainConfig, grad_l1, load_split, lr_at, psnr, random_batch
from training.vq import VQConfig, VQModel

ENCODER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights", "vq_encoder.safetensors")


def shipped_vq(cfg=VQConfig(), encoder=None):
    """A VQModel with the shipped decoder and codebook loaded and frozen, and the encoder from `encoder` (a safetensors
    path, e.g. ENCODER) or freshly initialised."""
    vq = VQModel(cfg)
    onnx_weights = onnx.load(os.path.join(PUBLIC, "decoder.onnx")).graph.initializer
    decoder = {w.name.removeprefix("vq."): torch.from_numpy(numpy_helper.to_array(w).copy())
               for w in onnx_weights if w.name.startswith("vq.decoder.")}
    missing = set(k for k in vq.state_dict() if k.startswith("decoder.")) - set(decoder)
    assert not missing, f"decoder.onnx lacks {sorted(missing)}"
    vq.load_state_dict(decoder, strict=False)
    with torch.no_grad():  # the shipped codes are already unit vectors, and codes() normalises again
        vq.codebook.weight.copy_(load_file(os.path.join(PUBLIC, "codebook.safetensors"))["codebook"])
    if encoder:
        vq.encoder.load_state_dict(load_file(encoder))
    for p in [*vq.decoder.parameters(), vq.codebook.weight]:
        p.requires_grad_(False)
    return vq


def train(minutes: float, cfg=TrainConfig(), device="cpu"):
    torch.manual_seed(cfg.seed)
    train_x, val_x = load_split("train"), load_split("val")
    vq = shipped_vq().to(device)
    opt = torch.optim.AdamW(vq.encoder.parameters(), lr=cfg.lr)
    t0, step, total_steps = time.time(), 0, None
    while total_steps is None or step < total_steps:
        if total_steps is None and step == 20:  # measure speed, then fix the schedule length (as train_vq)
            total_steps = int(20 * minutes * 60 / (time.time() - t0))
            print(f"schedule: {total_steps} steps", flush=True)
        lr = lr_at(step, total_steps, cfg.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        x = random_batch(train_x, cfg.batch_size, device)
        y, _, vq_loss = vq(x)  # vq_loss: only its commitment half has a gradient (frozen codes)
        loss = F.mse_loss(y, x) + F.l1_loss(y, x) + cfg.grad_weight * grad_l1(y, x) + vq_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f} lr {lr:.2e} {(time.time() - t0) / 60:.1f}min", flush=True)
    val_psnr, used = psnr(vq, val_x)
    print(f"done: {step} steps in {(time.time() - t0) / 60:.1f} min; val PSNR {val_psnr:.2f} dB, {used} codes used")
    os.makedirs(os.path.dirname(ENCODER), exist_ok=True)
    save_file({k: v.cpu().contiguous() for k, v in vq.encoder.state_dict().items()}, ENCODER)
    print("wrote", ENCODER)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    torch.set_num_threads(2)
    train(a.minutes, device=a.device)
