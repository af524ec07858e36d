"""Tokenize every image of the dataset: python -m training.tokenize -> training/out/tokens.npz, with the VQ just trained
(training/out/vq.pt) or else the shipped decoder's committed encoder (training/weights/vq_encoder.safetensors)
(ids (N, 256) int16 in raster order, aligned with training/out/data/meta.json; ids_flip the same for every image
mirrored left-right, which the target trainer can draw as augmentation, train_target.TrainConfig.flip)."""
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
    def encode(images):
        return torch.cat([vq.encode(to_float(images[i:i + 256])) for i in range(0, len(images), 256)]).flatten(1).numpy().astype(np.int16)

    ids = encode(imgs)
    np.savez(os.path.join(OUT, "tokens.npz"), ids=ids, ids_flip=encode(imgs.flip(-1)))
    print(f"{len(ids)} images -> {ids.shape[1]} tokens, {len(np.unique(ids))} distinct codes (and their mirror images)")


if __name__ == "__main__":
    main()
