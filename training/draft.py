"""Hawk draft model: one or two transformer blocks on top of the frozen target (EAGLE/Medusa family), spatially aware.

The WebGPU engine re-implements this exactly; conventions beyond the target's (see target.py):
  inputs     image position t = 0..255: z_t = w_in([in_norm(h_{t-1}); tok_emb(x_t)])   (concat: hidden first, then embedding)
             h_{t-1} = the target's last hidden state BEFORE its final norm at the sequence index P-1+t, i.e. the one that
             predicted x_t (for t = 0 the last prefix position); tok_emb = the target's token table (frozen, not stored here).
             So once the target has emitted x_T, z_T needs no further target pass.
  prefix     p_i = w_prefix(prefix_i), prefix = the target's layer-0 input prefix (text encoder output, or null_prefix for CFG)
  sequence   [p_0 .. p_{P-1}, z_0 .. z_{N-1}] through n_layers target-style blocks (pre-norm, fused wqkv, SwiGLU w13, no biases)
             -> g_t (raw residual stream, no final norm of its own)
  positions  prefix (0, 0). spatial: z_t at (t // W, t % W) exactly as the target's 2D RoPE; ablation: (t, t), i.e. 1D RoPE
  attention  window_mask(): prefix keys always visible (prefix queries causal among the prefix); image key t' visible from image
             query t iff t' <= t and row(t) - row(t') <= rows_above and -cols_left <= col(t') - col(t) <= cols_right; the
             shipped window spans the whole width (cols 15/15): the query's row so far and the 3 rows above. Head +k's
             target lies right of the query or, wrapping, in the next row left of it, so narrower windows hid the
             neighbourhood of far heads' targets. Ablation: plain causal.
  heads      offset k (offsets = 1..8 horizontal, then W*d vertical): u_k = g (+ w_above(tok_emb(x_a)) when `above`,
             + w_above_features(g_a) when `above_features`, below);
             g_k = u_k + w2_k(silu(w1_k(u_k))); logits = target.output(target.norm(g_k)) are the draft's logits for image
             token t+k (target's final norm + output head, frozen, shared).
  above      (Hawk only) head k also reads the token straight above the one it predicts: a = above_index(t, k) =
             t + k - W * ceil(k / W), i.e. (row - 1, col) of position t + k for k <= W, two rows up for k = 2W. It is always
             generated already (a <= t); where a < 0 (t + k in the first row) the term is left out. Only a draft that knows
             the image is 2D can name that token; the 1D ablation gets none (its heads are wider instead).
             With `above_features` the head also reads g_a, the draft's own features at that position: the state whose +W
             head predicts the same token from the rows above, where g_t brings the row so far (a = t for vertical heads).
  above right (Hawk only, horizontal heads) with `above_right` head k also reads w_above_right(g_b), the draft's features at
             b = above_right_index(t, k) = a + 1, up and to the right of the predicted token: of its three upper neighbours
             g_a has seen the left one and the one above, g_b also the right one (and the target's state after x_a).
             g_t is shared by all heads, so it cannot single out each head's neighbourhood. Left out where b would leave the
             grid (t + k in the last column or the first row) and for vertical heads (b = t + 1 is not generated yet).
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from training.target import Block, ModelArgs, RMSNorm, image_positions, rope_angles


@dataclass
class DraftArgs:
    dim: int = 384              # = target dim
    n_layers: int = 1
    n_heads: int = 6
    hidden: int = 1024          # SwiGLU width of the draft block(s)
    head_hidden: int = 256      # width of each Medusa head's residual MLP
    vocab: int = 1024
    grid: int = 16
    prefix_len: int = 8
    offsets: tuple = (1, 2, 3, 4, 5, 6, 7, 8, 16, 32)  # head j predicts image token t + offsets[j]
    spatial: bool = True        # True: Hawk (2D RoPE + local window); False: ablation (1D RoPE + full causal)
    rows_above: int = 3         # window: rows above the query
    cols_left: int = 15         # window: columns left of the query (15 = the whole row: +k wraps to col + k - 16 below)
    cols_right: int = 15        # window: columns right of the query (rows above only): head +k reads the row above at c + k
    above: bool = False         # heads read the token above their target position (Hawk; see the module docstring)
    above_features: bool = False  # heads also read the draft's own features at that position (Hawk; module docstring)
    above_right: bool = False   # horizontal heads also read the draft's features up and to the right (Hawk; module docstring)
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    @classmethod
    def from_target(cls, t: ModelArgs, **kw):
        """Sizes from the target (the block's SwiGLU width too, unless `hidden` is given); offsets 1..min(8, W-1) along the
        row, then W, 2W (one and two rows below); the Hawk draft's heads read the token above and the draft's features
        there and up to the right (`above`, `above_features`, `above_right`). The ablation (spatial=False) has the
        horizontal heads only and no above input, each head wider, so that its heads hold as many parameters as the Hawk
        draft's heads and its three above maps together."""
        horizontal = tuple(range(1, min(8, t.grid - 1) + 1))
        if kw.get("spatial", True):
            kw.setdefault("offsets", horizontal + (t.grid, 2 * t.grid))
            kw.setdefault("above", True)
            kw.setdefault("above_features", True)
            kw.setdefault("above_right", True)
        else:
            kw.setdefault("offsets", horizontal)
            hawk_heads = 2 * t.dim * cls.head_hidden * (len(horizontal) + 2) + 3 * t.dim * t.dim  # heads + the three above maps
            kw.setdefault("head_hidden", hawk_heads // (2 * t.dim * len(horizontal)))
        kw.setdefault("hidden", t.hidden)
        return cls(dim=t.dim, n_heads=t.n_heads, vocab=t.vocab, grid=t.grid, prefix_len=t.prefix_len,
                   rope_base=t.rope_base, norm_eps=t.norm_eps, **kw)


def window_mask(n_prefix, n_image, grid, rows_above=None, cols_left=None, cols_right=None):
    """Bool (P+N, P+N), True = query (row index) may attend key (column index); sequence = P prefix then N image positions.
    Prefix keys are always visible (prefix queries: causal among the prefix). Image key t' is visible from image query t
    iff t' <= t and row(t) - row(t') <= rows_above and -cols_left <= col(t') - col(t) <= cols_right, row = t // grid,
    col = t % grid. Head +k predicts (row, col + k), whose upper neighbours lie right of t, or where that wraps
    (row + 1, col + k - grid), whose neighbours lie left of it.
    rows_above=None (ablation): plain causal attention."""
    L = n_prefix + n_image
    i = torch.arange(L)
    mask = i[None, :] <= i[:, None]  # causal
    if rows_above is not None:
        t = torch.arange(n_image)
        r, c = t // grid, t % grid
        dc = c[None, :] - c[:, None]  # key column - query column
        near = (r[:, None] - r[None, :] <= rows_above) & (dc >= -cols_left) & (dc <= cols_right)
        mask[n_prefix:, n_prefix:] &= near
    return mask


def above_index(t, k, grid):
    """Image position of the token straight above position t + k (k <= grid), or two rows above (grid < k <= 2 * grid):
    always <= t, so generated before head k runs; negative where t + k lies in the first row(s)."""
    return t + k - grid * -(-k // grid)


def above_right_index(t, k, grid):
    """Image position up and to the right of position t + k for a horizontal head (k < grid): above_index + 1 <= t, so
    generated before head k runs; -1 where there is none yet or none at all: vertical heads (it would be t + 1), t + k in
    the last column (the position would wrap into the next row) or in the first row. t: int or tensor."""
    if k >= grid:  # vertical head: b would be t + 1
        return torch.full_like(t, -1) if isinstance(t, torch.Tensor) else -1
    b = above_index(t, k, grid) + 1
    ok = ((t + k) % grid < grid - 1) & (t + k >= grid)
    return torch.where(ok, b, -1) if isinstance(t, torch.Tensor) else (b if ok else -1)


class Head(nn.Module):
    """Medusa-style residual head: g + w2(silu(w1(g))); w2 starts at zero so every head starts as the next-token map."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)

    def forward(self, g):
        return g + self.w2(F.silu(self.w1(g)))


class Draft(nn.Module):
    """Frozen target pieces it uses (passed in, never stored): tok_emb, norm, output."""

    def __init__(self, args: DraftArgs):
        super().__init__()
        self.args = args
        self.in_norm = RMSNorm(args.dim, args.norm_eps)
        self.w_in = nn.Linear(2 * args.dim, args.dim, bias=False)
        self.w_prefix = nn.Linear(args.dim, args.dim, bias=False)
        self.layers = nn.ModuleList(Block(args.dim, args.n_heads, args.hidden, args.norm_eps) for _ in range(args.n_layers))
        self.heads = nn.ModuleDict({f"k{k}": Head(args.dim, args.head_hidden) for k in args.offsets})
        self.w_above = nn.Linear(args.dim, args.dim, bias=False) if args.above else None
        self.w_above_features = nn.Linear(args.dim, args.dim, bias=False) if args.above_features else None
        self.w_above_right = nn.Linear(args.dim, args.dim, bias=False) if args.above_right else None
        for n, p in self.named_parameters():  # target-style init; heads start as the identity, the above term at zero
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * args.n_layers) if n.endswith(("wo.weight", "ffn.w2.weight")) else 0.02)
            if (n.startswith("heads.") and n.endswith("w2.weight")) or n in ("w_above.weight", "w_above_features.weight", "w_above_right.weight"):
                nn.init.zeros_(p)

    def positions(self, n_image):
        a = self.args
        if a.spatial:
            return image_positions(a, n_image)
        pos = torch.cat([torch.zeros(a.prefix_len, dtype=torch.long), torch.arange(n_image)])
        return pos, pos

    def mask(self, n_image):
        a = self.args
        return window_mask(a.prefix_len, n_image, a.grid, a.rows_above if a.spatial else None, a.cols_left, a.cols_right)

    def features(self, target, prefix, h, tokens):
        """prefix (B, P, dim), h (B, N, dim) target hidden that predicted token t, tokens (B, N) = x_0..x_{N-1} -> g (B, N, dim)."""
        a = self.args
        z = self.w_in(torch.cat([self.in_norm(h), target.tok_emb(tokens)], dim=-1))
        x = torch.cat([self.w_prefix(prefix), z], dim=1)
        rows, cols = self.positions(tokens.shape[1])
        angles = rope_angles(rows, cols, a.head_dim, a.rope_base).to(x.device)
        mask = self.mask(tokens.shape[1]).to(x.device)
        for layer in self.layers:
            x = layer(x, angles, mask)
        return x[:, a.prefix_len:]

    def head_logits(self, target, feats, k, tokens=None, pos=None):
        """Logits for image token t + k at positions pos (S,) (default all) from the features of every position so far
        feats (B, N, dim); tokens (B, >=N) are the image tokens so far, which the `above` input reads (required then)."""
        pos = torch.arange(feats.shape[1], device=feats.device) if pos is None else pos
        g = feats[:, pos]
        a = above_index(pos, k, self.args.grid)
        known, a = (a >= 0)[:, None].to(g.dtype), a.clamp(min=0)
        if self.w_above is not None:
            g = g + self.w_above(target.tok_emb(tokens[:, a])) * known
        if self.w_above_features is not None:
            g = g + self.w_above_features(feats[:, a]) * known
        if self.w_above_right is not None:
            b = above_right_index(pos, k, self.args.grid)
            g = g + self.w_above_right(feats[:, b.clamp(min=0)]) * (b >= 0)[:, None].to(g.dtype)
        return target.output(target.norm(self.heads[f"k{k}"](g)))

    def forward(self, target, prefix, h, tokens, last_only=False):
        """All heads: (B, N, K, vocab), or (B, K, vocab) for the last position only (decode)."""
        g = self.features(target, prefix, h, tokens)
        pos = torch.arange(tokens.shape[1], device=g.device)[-1:] if last_only else None
        out = torch.stack([self.head_logits(target, g, k, tokens, pos) for k in self.args.offsets], dim=-2)
        return out[:, 0] if last_only else out


@torch.no_grad()
def target_features(target, prefix, tokens):
    """Teacher-forced target pass on prefix (B, P, dim) + tokens (B, N) -> (h, logits), each with N rows: row t is the
    sequence index P-1+t, which predicts token t; h is the last hidden state BEFORE the final norm.
    Same computation as Transformer.forward, which returns only the logits."""
    a = target.args
    x = torch.cat([prefix, target.tok_emb(tokens[:, :-1])], dim=1)
    rows, cols = image_positions(a, a.grid ** 2)
    angles = rope_angles(rows[:x.shape[1]], cols[:x.shape[1]], a.head_dim, a.rope_base).to(x.device)
    for layer in target.layers:
        x = layer(x, angles)
    h = x[:, a.prefix_len - 1:]
    return h, target.output(target.norm(h))


def distill_loss(draft, target, prefix, h, t_logits, tokens, head_frac=1.0):
    """Sum over heads of KL(target || draft) at the head's target position (positions past the grid end dropped), mean over
    positions. head_frac < 1: each head scores a random share of the positions (the heads' vocab projections dominate the
    cost). Returns (loss, per-head KL list, per-head top-1 agreement with the target argmax list)."""
    g = draft.features(target, prefix, h, tokens)
    N = tokens.shape[1]
    total, kls, agree = 0.0, [], []
    for k in draft.args.offsets:
        pos = torch.arange(N - k, device=g.device)
        if head_frac < 1.0:
            pos = pos[torch.randperm(N - k, device=g.device)[:max(1, int(head_frac * (N - k)))]]
        logq = F.log_softmax(draft.head_logits(target, g, k, tokens, pos).float(), -1)
        logp = F.log_softmax(t_logits[:, pos + k].float(), -1)
        kl = (logp.exp() * (logp - logq)).sum(-1).mean()
        total = total + kl
        kls.append(kl.item())
        agree.append((logq.argmax(-1) == logp.argmax(-1)).float().mean().item())
    return total, kls, agree
