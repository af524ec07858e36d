"""Evaluator: a small CLIP-style image/text model used ONLY to score generated images in the benchmark.

Image tower: 64x64 RGB in [-1, 1] -> conv stem (stride 2) -> 3 stages (stride-2 conv, then one residual conv) ->
global mean pool -> linear -> d=128, l2-normalised. Convs train with BatchNorm, which the export folds into the
conv weights, so the shipped net is plain conv+bias+SiLU (see EXPORT_DOC).
Text tower: frozen GloVe rows of training/out/vocab.npz (only the caption words: the first n_vocab rows, which
text.build_vocab puts first) -> per word Linear(100,256)+SiLU -> attention pooling (softmax over a learned score,
padding masked) -> MLP 256->256->128, l2-normalised. Tokenised exactly like text.Tokenizer (words outside -> <unk>).
logit_scale is learned (CLIP: exp(s), clamped at 100).

Metrics (module level, use the trained weights from training/out/evaluator.pt unless `model=` is given):
  image_features(images uint8 Nx64x64x3) -> (N,128)   also the feature space for the FID-style distance
  text_features(captions) -> (N,128)
  clip_score(images, captions) -> (N,) cosine similarity of each pair (CLIP-score convention: 100 * max(cos, 0) is
                                  the usual reported number; we return the raw cosine)
  frechet_distance(feats_a, feats_b)  FID formula on any features, no scipy
  diversity(feats)                    mean pairwise cosine distance
"""
import json
import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from training.text import PAD, Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
CKPT = os.path.join(OUT, "evaluator.pt")
PUBLIC = os.path.join(HERE, "..", "public", "models", "evaluator")


@dataclass
class EvalConfig:
    stem: int = 32
    channels: tuple = (64, 128, 192)  # stage widths at 16x16, 8x8, 4x4
    dim: int = 128                     # embedding size
    word_dim: int = 100                # GloVe width
    text_hidden: int = 256
    n_vocab: int = 4088                # rows of vocab.npz used: <pad>, <unk>, then the sorted caption words
    max_words: int = 24
    fused: bool = False                # True: BatchNorm folded into conv biases (exported form)


class ConvBN(nn.Module):
    def __init__(self, cin, cout, stride, fused):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=fused)
        self.bn = nn.Identity() if fused else nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class ImageEncoder(nn.Module):
    def __init__(self, cfg: EvalConfig):
        super().__init__()
        self.stem = ConvBN(3, cfg.stem, 2, cfg.fused)
        cin, self.down, self.res = cfg.stem, nn.ModuleList(), nn.ModuleList()
        for c in cfg.channels:
            self.down.append(ConvBN(cin, c, 2, cfg.fused))
            self.res.append(ConvBN(c, c, 1, cfg.fused))
            cin = c
        self.head = nn.Linear(cin, cfg.dim)

    def forward(self, x):
        """x (B,3,64,64) float in [-1,1] -> (B,dim) unnormalised."""
        x = F.silu(self.stem(x))
        for down, res in zip(self.down, self.res):
            x = F.silu(down(x))
            x = x + F.silu(res(x))
        return self.head(x.mean((2, 3)))


class TextEncoder(nn.Module):
    def __init__(self, cfg: EvalConfig, vectors=None):
        super().__init__()
        v = torch.zeros(cfg.n_vocab, cfg.word_dim) if vectors is None else torch.as_tensor(np.asarray(vectors[:cfg.n_vocab], np.float32))
        self.embed = nn.Embedding.from_pretrained(v, freeze=True)
        self.word = nn.Linear(cfg.word_dim, cfg.text_hidden)
        self.score = nn.Linear(cfg.text_hidden, 1)
        self.mlp = nn.Sequential(nn.Linear(cfg.text_hidden, cfg.text_hidden), nn.SiLU(), nn.Linear(cfg.text_hidden, cfg.dim))

    def forward(self, ids):
        """ids (B,L) word ids, 0 = padding -> (B,dim) unnormalised. An empty caption pools to zeros."""
        h = F.silu(self.word(self.embed(ids)))
        s = self.score(h).squeeze(-1).masked_fill(ids == PAD, float("-inf"))
        a = torch.softmax(s, dim=-1).nan_to_num(0.0)  # all-padding rows -> zero weights
        return self.mlp((a.unsqueeze(-1) * h).sum(1))


class Evaluator(nn.Module):
    def __init__(self, cfg: EvalConfig, vectors=None, words=None):
        super().__init__()
        self.cfg = cfg
        self.image = ImageEncoder(cfg)
        self.text = TextEncoder(cfg, vectors)
        self.logit_scale = nn.Parameter(torch.tensor(float(np.log(1 / 0.07))))
        self.words = list(words[:cfg.n_vocab]) if words is not None else ["<pad>", "<unk>"]
        self.tokenizer = Tokenizer(self.words, cfg.max_words)

    def encode_images(self, x):
        """x float (B,3,64,64) in [0,1] -> (B,dim) l2-normalised."""
        return F.normalize(self.image(x * 2 - 1), dim=-1)

    def encode_ids(self, ids):
        return F.normalize(self.text(ids), dim=-1)

    def encode_text(self, captions):
        return self.encode_ids(self.tokenizer.batch(list(captions)).to(self.logit_scale.device))

    def loss(self, x, ids, pos=None):
        """Symmetric InfoNCE. pos (B,B) bool marks every matching pair (the diagonal and duplicates); each row's
        target spreads evenly over its positives."""
        img, txt = self.encode_images(x), self.encode_ids(ids)
        logits = self.logit_scale.clamp(max=np.log(100)).exp() * img @ txt.t()
        if pos is None:
            pos = torch.eye(len(x), dtype=torch.bool, device=x.device)
        t = pos.float()
        return 0.5 * (torch.sum(-t / t.sum(1, keepdim=True) * F.log_softmax(logits, 1)) +
                      torch.sum(-t.t() / t.t().sum(1, keepdim=True) * F.log_softmax(logits.t(), 1))) / len(x)

    @torch.no_grad()
    def fused(self):
        """Copy with BatchNorm folded into the convs (eval-mode statistics): the form the export ships."""
        cfg = EvalConfig(**{**asdict(self.cfg), "fused": True})
        m = Evaluator(cfg, self.text.embed.weight, self.words)
        sd = {k: v for k, v in self.state_dict().items() if ".bn." not in k}
        for name, mod in self.image.named_modules():
            if isinstance(mod, ConvBN) and isinstance(mod.bn, nn.BatchNorm2d):
                bn = mod.bn
                s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                sd[f"image.{name}.conv.weight"] = mod.conv.weight * s[:, None, None, None]
                sd[f"image.{name}.conv.bias"] = bn.bias - bn.running_mean * s
        m.load_state_dict(sd)
        return m.eval()


# ---------------------------------------------------------------- loading

_DEFAULT = None


def load(path=CKPT):
    """Trained evaluator from a training checkpoint (eval mode, BatchNorm folded)."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    cfg = EvalConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in ck["cfg"].items()})
    m = Evaluator(cfg, torch.zeros(cfg.n_vocab, cfg.word_dim), ck["words"])
    m.load_state_dict(ck["model"])
    return m.eval().fused()


def load_exported(directory=PUBLIC):
    """The shipped f16 weights (public/models/evaluator/), widened to f32."""
    from safetensors.torch import load_file
    meta = json.load(open(os.path.join(directory, "evaluator.json")))
    cfg = EvalConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()})
    m = Evaluator(cfg, None, meta["words"])
    m.load_state_dict({k: v.float() for k, v in load_file(os.path.join(directory, meta["weights"])).items()})
    return m.eval()


def _model(model):
    global _DEFAULT
    if model is not None:
        return model
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT


def _images(images):
    x = torch.as_tensor(np.asarray(images))
    assert x.dtype == torch.uint8 and x.ndim == 4 and x.shape[1:] == (64, 64, 3), (x.dtype, x.shape)
    return x.permute(0, 3, 1, 2).float() / 255.0


# ---------------------------------------------------------------- metrics

@torch.no_grad()
def image_features(images, model=None, batch_size=256):
    """uint8 (N,64,64,3) RGB -> float32 (N,128), unit norm."""
    m = _model(model)
    x = _images(images)
    return torch.cat([m.encode_images(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]) \
        if len(x) else torch.zeros(0, m.cfg.dim)


@torch.no_grad()
def text_features(captions, model=None):
    """list of N strings -> float32 (N,128), unit norm (an all-unknown caption still gets the <unk> embedding)."""
    return _model(model).encode_text(captions)


@torch.no_grad()
def clip_score(images, captions, model=None):
    """Cosine similarity of each image with its caption, (N,). Mean it for the benchmark number."""
    return (image_features(images, model) * text_features(captions, model)).sum(-1)


@torch.no_grad()
def prompt_retrieval(images, labels, prompts, model=None):
    """How recognisable images are as what was asked: each image's most similar prompt among `prompts` (labels[i]: the
    index of the prompt image i was made for) -> (top-1 accuracy, mean cosine with its own prompt). Chance is
    1 / len(prompts)."""
    sim = image_features(images, model) @ text_features(prompts, model).T
    own = torch.as_tensor(labels)
    return (sim.argmax(1) == own).float().mean().item(), sim[torch.arange(len(own)), own].mean().item()


def _sqrtm_psd(a):
    w, v = torch.linalg.eigh(a)
    return (v * w.clamp_min(0).sqrt()) @ v.T


def frechet_distance(feats_a, feats_b):
    """||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)) in float64.
    tr((S_a S_b)^(1/2)) = tr((A S_b A)^(1/2)) with A = S_a^(1/2): the symmetric PSD form, so eigh suffices."""
    a = torch.as_tensor(np.asarray(feats_a), dtype=torch.float64)
    b = torch.as_tensor(np.asarray(feats_b), dtype=torch.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    r = _sqrtm_psd(s_a)
    covmean_tr = torch.linalg.eigvalsh(r @ s_b @ r).clamp_min(0).sqrt().sum()
    return float(((mu_a - mu_b) ** 2).sum() + torch.trace(s_a) + torch.trace(s_b) - 2 * covmean_tr)


def diversity(feats):
    """Mean pairwise cosine distance (1 - cos) over distinct pairs; 0 when all features point the same way."""
    f = F.normalize(torch.as_tensor(np.asarray(feats), dtype=torch.float64), dim=-1)
    n = len(f)
    if n < 2:
        return 0.0
    sim = f @ f.T
    return float(1 - (sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


EXPORT_DOC = dict(
    input="RGB 64x64, x = pixel / 255 * 2 - 1, NCHW",
    image=("x = silu(conv(stem, stride 2)); for s in 0..2: x = silu(conv(down.s, stride 2)); x = x + silu(conv(res.s, stride 1)); "
           "all convs 3x3, padding 1, with bias (BatchNorm already folded in); f = head(mean over H,W); f /= ||f||"),
    text=("ids = [words.indexOf(w) or 1 (<unk>) for w in lowercase(caption).match(/[a-z0-9]+/g)][:max_words]; "
          "h_i = silu(word(embed[ids_i])); a = softmax_i(score(h_i)); t = mlp.2(silu(mlp.0(sum_i a_i h_i))); t /= ||t||; "
          "no words -> t = mlp.2(silu(mlp.0(0)))"),
    score="clip_score = dot(f, t); logits = exp(logit_scale) * dot (clamped at 100)",
    names="image.stem.conv.*, image.down.{s}.conv.*, image.res.{s}.conv.*, image.head.*, text.embed.weight, "
          "text.word.*, text.score.*, text.mlp.{0,2}.*, logit_scale; PyTorch layouts (conv [out,in,3,3], linear [out,in])",
)


def export(model, directory=PUBLIC):
    """f16 safetensors + evaluator.json (config, words, architecture in words). Returns the paths."""
    from safetensors.torch import save_file
    m = model if model.cfg.fused else model.fused()
    os.makedirs(directory, exist_ok=True)
    weights = os.path.join(directory, "evaluator.safetensors")
    save_file({k: v.detach().half().contiguous() for k, v in m.state_dict().items()}, weights)
    os.chmod(weights, 0o644)  # safetensors writes 0600; the dev server and CI copy it like the other models
    meta = dict(format="hawk-evaluator", version=1, weights="evaluator.safetensors", dtype="float16",
                config=asdict(m.cfg), architecture=EXPORT_DOC, words=m.words)
    spec = os.path.join(directory, "evaluator.json")
    json.dump(meta, open(spec, "w"))
    return weights, spec
