"""VQ tokenizer: 64x64 RGB <-> 16x16 grid of codes from a 1024-entry codebook (LlamaGen-style l2-normalised
low-dimensional codes, straight-through estimator, commitment loss).

No normalisation layers anywhere: the browser decodes a *partial* grid (the rows sampled so far), and a
GroupNorm would make already-decoded rows change as more rows arrive.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VQConfig:
    codebook_size: int = 1024
    code_dim: int = 8          # low-dim codes: nearest-neighbour search is cheap and usage stays high
    channels: tuple = (32, 64, 128)  # widths at 64x64, 32x32, 16x16
    res_blocks: int = 2        # residual blocks per resolution
    beta: float = 0.25         # commitment weight (VQ-VAE / LlamaGen)


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg.channels
        layers = [nn.Conv2d(3, c[0], 3, padding=1)]
        for i, ch in enumerate(c):
            layers += [ResBlock(ch) for _ in range(cfg.res_blocks)]
            if i + 1 < len(c):
                layers.append(nn.Conv2d(ch, c[i + 1], 4, stride=2, padding=1))  # downsample x2
        layers += [nn.SiLU(), nn.Conv2d(c[-1], cfg.code_dim, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg.channels[::-1]
        layers = [nn.Conv2d(cfg.code_dim, c[0], 3, padding=1)]
        for i, ch in enumerate(c):
            layers += [ResBlock(ch) for _ in range(cfg.res_blocks)]
            if i + 1 < len(c):
                layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(ch, c[i + 1], 3, padding=1)]
        layers += [nn.SiLU(), nn.Conv2d(c[-1], 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


class VQModel(nn.Module):
    def __init__(self, cfg: VQConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.codebook = nn.Embedding(cfg.codebook_size, cfg.code_dim)
        nn.init.normal_(self.codebook.weight)

    def codes(self):
        return F.normalize(self.codebook.weight, dim=-1)

    def quantize(self, z):
        """z (B,D,H,W) -> (straight-through quantised z, ids (B,H,W), vq loss)."""
        z = F.normalize(z, dim=1)
        zf = z.permute(0, 2, 3, 1).reshape(-1, z.shape[1])
        ids = (zf @ self.codes().t()).argmax(-1)  # unit vectors: max cosine == min l2 distance
        q = self.codes()[ids].view(z.shape[0], z.shape[2], z.shape[3], -1).permute(0, 3, 1, 2)
        loss = F.mse_loss(q, z.detach()) + self.cfg.beta * F.mse_loss(z, q.detach())
        return z + (q - z).detach(), ids.view(z.shape[0], z.shape[2], z.shape[3]), loss

    def encode(self, x):
        """x in [0,1] (B,3,64,64) -> token ids (B,16,16)."""
        return self.quantize(self.encoder(x * 2 - 1))[1]

    def decode_ids(self, ids):
        """ids (B,rows,16) int64 -> RGB in [0,1] (B,3,rows*4,64). Works on a partial grid of rows."""
        q = F.embedding(ids, self.codes()).permute(0, 3, 1, 2)
        return ((self.decoder(q) + 1) / 2).clamp(0, 1)

    def forward(self, x):
        q, ids, vq_loss = self.quantize(self.encoder(x * 2 - 1))
        return (self.decoder(q) + 1) / 2, ids, vq_loss


class DecoderExport(nn.Module):
    """What ships as decoder.onnx: token ids -> image, nothing else."""

    def __init__(self, vq: VQModel):
        super().__init__()
        self.vq = vq

    def forward(self, ids):
        return self.vq.decode_ids(ids)


def export_decoder_onnx(vq: VQModel, path: str):
    import onnx

    ids = torch.randint(0, vq.cfg.codebook_size, (1, 16, 16), dtype=torch.int64)
    rows = torch.export.Dim("rows", min=1, max=16)
    prog = torch.onnx.export(DecoderExport(vq).eval(), (ids,), dynamo=True, input_names=["ids"], output_names=["rgb"],
                             dynamic_shapes={"ids": {1: rows}}, optimize=True)
    prog.save(path)
    onnx.checker.check_model(onnx.load(path))


def onnx_decode(path, ids):
    """Reference ONNX execution (onnx.reference; onnxruntime is not in our mirror) for parity checks."""
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(path).run(None, {"ids": ids.astype("int64")})[0]
