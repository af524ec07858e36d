"""Tokenize every image of the dataset: python -m training.tokenize -> training/out/tokens.npz, with the VQ just trained
(training/out/vq.pt) or else the shipped decoder's committed encoder (training/weights/vq_encoder.safetensors)
(ids (N, 256) int16 in raster order, aligned with training/out/data/meta.json; ids_flip the same for every image
mirrored left-right and ids_shift (8, N, 256) for every image moved by one token, 4 pixels, in each of SHIFTS (white
fill), which the target trainer can draw as augmentation: train_target.TrainConfig.flip and .shift). The shifted views
are encoded from shifted pixels: moving the token grid instead agrees with them on only 64-81 % of the tokens (the
encoder's receptive field spans neighbouring patches, and white encodes to several codes near content)."""
import json
import os

import numpy as np
import torch

from training.train_vq import OUT, to_float
from training.train_vq_encoder import ENCODER, shipped_vq
from training.vq import VQConfig, VQModel


def load_vq():
    """The VQ just trained (training/out/vq.pt, train_vq) or else the shipped tokenizer: the decoder and codebook in
    public/models/vq/ with the committed encoder (train_vq_encoder)."""
    if not os.path.exists(os.path.join(OUT, "vq.pt")):
        return shipped_vq(encoder=ENCODER).eval()
    ck = torch.load(os.path.join(OUT, "vq.pt"), map_location="cpu")  # trained on any device
    vq = VQModel(VQConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in ck["cfg"].items()}))
    vq.load_state_dict(ck["model"])
    return vq.eval()


# (rows, cols) by which the shifted views move the image, in tokens of 4 pixels: the 8 neighbours of the origin.
SHIFTS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
PATCH = 4  # pixels per token side (64 / 16)


def shifted(images, dy, dx, fill=255):
    """uint8 images (N, 3, H, W) moved by (dy, dx) tokens, white where nothing moved in."""
    out = torch.full_like(images, fill)
    H, W, y, x = images.shape[2], images.shape[3], dy * PATCH, dx * PATCH
    out[:, :, max(y, 0):H + min(y, 0), max(x, 0):W + min(x, 0)] = images[:, :, max(-y, 0):H + min(-y, 0), max(-x, 0):W + min(-x, 0)]
    return out


def load_shifted_tokens():
    """ids_shift (8, N, 256) int64, view k moved by SHIFTS[k], or None in a tokens.npz written before shifting existed."""
    z = np.load(os.path.join(OUT, "tokens.npz"))
    return torch.from_numpy(z["ids_shift"].astype(np.int64)) if "ids_shift" in z else None


def load_tokens():
    """The tokenized dataset, as every later stage reads it: (meta, ids, ids_flip): meta.json's items (caption parts,
    split), ids (N, 256) int64 and the mirrored images' ids (None in a tokens.npz written before mirroring existed)."""
    meta = json.load(open(os.path.join(OUT, "data", "meta.json")))
    z = np.load(os.path.join(OUT, "tokens.npz"))
    ids, ids_flip = (torch.from_numpy(z[k].astype(np.int64)) if k in z else None for k in ("ids", "ids_flip"))
    return meta, ids, ids_flip


@torch.no_grad()
def main():
    torch.set_num_threads(2)
    vq = load_vq()
    imgs = torch.from_numpy(np.load(os.path.join(OUT, "data", "images.npy"))).permute(0, 3, 1, 2)
    def encode(images, batch=16):
        # Small batches: at 256 images each activation (~130 MB at 64x64) is a fresh mmap every batch, and the
        # page faults made encoding 4x slower (50 ms per image per thread against 12 at 16); the ids are identical.
        return torch.cat([vq.encode(to_float(images[i:i + batch])) for i in range(0, len(images), batch)]).flatten(1).numpy().astype(np.int16)

    ids = encode(imgs)
    ids_shift = np.stack([encode(shifted(imgs, dy, dx)) for dy, dx in SHIFTS])
    np.savez_compressed(os.path.join(OUT, "tokens.npz"), ids=ids, ids_flip=encode(imgs.flip(-1)), ids_shift=ids_shift)  # 47 -> 19 MB
    print(f"{len(ids)} images -> {ids.shape[1]} tokens, {len(np.unique(ids))} distinct codes "
          f"(and their mirror images and {len(SHIFTS)} shifted views)")


if __name__ == "__main__":
    main()
