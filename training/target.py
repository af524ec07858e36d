"""Target model: LlamaGen-style decoder-only transformer over 16x16 VQ tokens, conditioned by P text prefix vectors.

Sequence = [prefix_0 .. prefix_{P-1}] + embeddings of image tokens 0..254; position P-1+t predicts token t.
The WebGPU engine re-implements this exactly, so every convention is spelled out here and in the manifest:
  RMSNorm        x * rsqrt(mean(x^2) + eps) * w
  attention      causal MHA, scale 1/sqrt(head_dim), fused wqkv [3*dim, dim] in order q, k, v; then wo
  FFN            fused w13 [2*hidden, dim]: first half gate (w1), second half up (w3); w2(silu(gate) * up)
  2D RoPE        on q and k; first half of head_dim rotated by ROW, second half by COLUMN; within a half of size
                 h, pair (2i, 2i+1) rotates by pos * base^(-2i/h). Prefix positions: (0, 0). Image token t: (t//16, t%16)
  blocks         pre-norm: h = x + attn(attn_norm(x)); h = h + ffn(ffn_norm(h)); final norm; untied output
No biases anywhere.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelArgs:
    dim: int = 384
    n_layers: int = 6
    n_heads: int = 6           # head_dim = dim / n_heads = 64
    hidden: int = 1024         # SwiGLU width, ~8/3 * dim rounded to a multiple of 64
    vocab: int = 1024          # VQ codebook size
    grid: int = 16             # tokens per row and rows per image
    prefix_len: int = 8        # P text prefix vectors
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.n_heads


configs = {
    "hawk-emoji": ModelArgs(),
    "tiny": ModelArgs(dim=64, n_layers=2, n_heads=2, hidden=128, vocab=32, grid=4, prefix_len=2),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_angles(rows, cols, head_dim, base):
    """Angles (T, head_dim/2) for 2D RoPE: first head_dim/4 pairs follow the row, the rest the column."""
    h = head_dim // 2
    freqs = base ** (-torch.arange(0, h, 2, dtype=torch.float64) / h)  # base^(-2i/h), i in [0, h/2)
    return torch.cat([rows[:, None].double() * freqs, cols[:, None].double() * freqs], dim=-1).float()


def apply_rope(x, angles):
    """x (B, H, T, head_dim); rotate interleaved pairs (2i, 2i+1) by angles[:, i]."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    cos, sin = angles.cos(), angles.sin()
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1).flatten(-2)


def image_positions(args, n_image_inputs):
    """(rows, cols) for the whole sequence: P prefix positions at (0, 0), then image token t at (t//W, t%W)."""
    t = torch.arange(n_image_inputs)
    zeros = torch.zeros(args.prefix_len, dtype=torch.long)
    return torch.cat([zeros, t // args.grid]), torch.cat([zeros, t % args.grid])


class KVCache(nn.Module):
    """Keys/values of the positions decoded so far (sampling only; training runs the whole sequence at once)."""

    def __init__(self, batch, n_heads, max_len, head_dim, device=None):
        super().__init__()
        self.register_buffer("k", torch.zeros(batch, n_heads, max_len, head_dim, device=device))
        self.register_buffer("v", torch.zeros(batch, n_heads, max_len, head_dim, device=device))

    def update(self, start, k, v):
        end = start + k.shape[2]
        self.k[:, :, start:end], self.v[:, :, start:end] = k, v
        return self.k[:, :, :end], self.v[:, :, :end]


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.wqkv = nn.Linear(dim, 3 * dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.kv_cache = None

    def forward(self, x, angles=None, mask=None, causal=True, start=0):
        B, T, C = x.shape
        q, k, v = self.wqkv(x).view(B, T, 3, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4)
        if angles is not None:
            q, k = apply_rope(q, angles), apply_rope(k, angles)
        if self.kv_cache is not None:  # queries at start..start+T-1 see every cached key up to themselves
            k, v = self.kv_cache.update(start, k, v)
            mask = torch.arange(k.shape[2], device=x.device)[None, :] <= start + torch.arange(T, device=x.device)[:, None]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal and mask is None)
        return self.wo(y.transpose(1, 2).reshape(B, T, C))


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w13 = nn.Linear(dim, 2 * hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        gate, up = self.w13(x).chunk(2, dim=-1)
        return self.w2(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, dim, n_heads, hidden, eps):
        super().__init__()
        self.attn_norm = RMSNorm(dim, eps)
        self.attn = Attention(dim, n_heads)
        self.ffn_norm = RMSNorm(dim, eps)
        self.ffn = FeedForward(dim, hidden)

    def forward(self, x, angles=None, mask=None, causal=True, start=0):
        h = x + self.attn(self.attn_norm(x), angles, mask, causal, start)
        return h + self.ffn(self.ffn_norm(h))


class Transformer(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.tok_emb = nn.Embedding(args.vocab, args.dim)
        self.layers = nn.ModuleList(Block(args.dim, args.n_heads, args.hidden, args.norm_eps) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = nn.Linear(args.dim, args.vocab, bias=False)
        self.apply(self._init)
        for n, p in self.named_parameters():  # GPT-2 style: shrink residual-branch outputs by depth
            if n.endswith("wo.weight") or n.endswith("w2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * args.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def setup_caches(self, batch):
        """Fresh caches beside the weights: a CUDA model attending over CPU caches would fail at the first decode step."""
        device = self.output.weight.device
        for layer in self.layers:
            layer.attn.kv_cache = KVCache(batch, self.args.n_heads, self.args.prefix_len + self.args.grid ** 2, self.args.head_dim, device)

    def drop_caches(self):
        """Back to full-sequence passes (training, target_features) after KV-cached decoding."""
        for layer in self.layers:
            layer.attn.kv_cache = None

    def forward(self, prefix, tokens, start=0):
        """Training / first call: prefix (B, P, dim) and image tokens 0..T-1 as inputs -> logits (B, T+1, vocab), row j
        predicts image token j. With caches set up, later calls pass prefix=None and the tokens that sit at sequence
        index start.. (start = P + index of the first token) -> one row of logits per token, predicting the next one."""
        x = self.tok_emb(tokens) if prefix is None else torch.cat([prefix, self.tok_emb(tokens)], dim=1)
        rows, cols = image_positions(self.args, self.args.grid ** 2)
        end = start + x.shape[1]
        angles = rope_angles(rows[start:end], cols[start:end], self.args.head_dim, self.args.rope_base).to(x.device)
        for layer in self.layers:
            x = layer(x, angles, start=start)
        return self.output(self.norm(x if prefix is None else x[:, self.args.prefix_len - 1:]))
