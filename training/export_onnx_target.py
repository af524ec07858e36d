"""One decode step of the target as ONNX, for benchmarking our WebGPU engine against onnxruntime-web (bench/ort.ts).

    python -m training.export_onnx_target [out.onnx]      (default bench/.cache/target_step.onnx, not shipped)

Weights: public/models/hawk-emoji/target.safetensors (f16) widened to f32, exactly what the engine computes with;
architecture from manifest.json. Plain AR with a KV cache, no tree mask: one new position per sequence.

ONNX contract (opset 17, f32):
  inputs   x        [B, 1, dim]     input vector of the new position: tok_emb[token] for an image token, or a prefix vector
           pos      [2]             (row, col) of that position as float32 (prefix positions: (0, 0); image token t:
                                    (t // grid, t % grid)), shared by the B sequences
           past_k   [L, B, H, past_len, head_dim]   keys (after RoPE) of the positions before, past_len >= 0 (dynamic)
           past_v   [L, B, H, past_len, head_dim]
  outputs  logits   [B, vocab]      logits of the token after the new position
           present_k, present_v  [L, B, H, past_len + 1, head_dim]
B is dynamic too; the bench runs B = 2 (cond + uncond under classifier-free guidance, like the engine).
Parity is checked against training/target.py's Transformer + KVCache with onnx.reference (onnxruntime is not in our
mirror).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from training.export import load_f16
from training.target import ModelArgs, Transformer, apply_rope

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MODEL_DIR = os.path.join(ROOT, "public", "models", "hawk-emoji")
DEFAULT_OUT = os.path.join(ROOT, "bench", ".cache", "target_step.onnx")
OPSET = 17


class DecodeStep(nn.Module):
    """Transformer.forward for one new position against an explicit past, without the KVCache buffers."""

    def __init__(self, model: Transformer):
        super().__init__()
        self.model = model
        a = model.args
        h = a.head_dim // 2
        # Same frequencies as target.rope_angles (computed in f64, then f32; the product with pos is done in f32 here).
        self.register_buffer("freqs", (a.rope_base ** (-torch.arange(0, h, 2, dtype=torch.float64) / h)).float(), persistent=False)

    def forward(self, x, pos, past_k, past_v):
        m, a = self.model, self.model.args
        B, H, D = x.shape[0], a.n_heads, a.head_dim
        angles = torch.cat([pos[0] * self.freqs, pos[1] * self.freqs])[None]  # [1, head_dim/2]
        ks, vs = [], []
        for i, layer in enumerate(m.layers):
            at = layer.attn
            q, k, v = at.wqkv(layer.attn_norm(x)).reshape(B, 1, 3, H, D).permute(2, 0, 3, 1, 4)
            q, k = apply_rope(q, angles), apply_rope(k, angles)
            k = torch.cat([past_k[i], k], dim=2)
            v = torch.cat([past_v[i], v], dim=2)
            ks.append(k)
            vs.append(v)
            att = F.softmax(torch.matmul(q, k.transpose(-1, -2)) * (1.0 / D ** 0.5), dim=-1)  # one query sees all keys
            y = torch.matmul(att, v).transpose(1, 2).reshape(B, 1, a.dim)
            h = x + at.wo(y)
            x = h + layer.ffn(layer.ffn_norm(h))
        logits = m.output(m.norm(x))[:, 0]
        return logits, torch.stack(ks), torch.stack(vs)


def export_step(model: Transformer, path: str, batch: int = 2):
    import onnx

    a = model.args
    step = DecodeStep(model.eval()).eval()
    past = torch.randn(a.n_layers, batch, a.n_heads, 3, a.head_dim)
    example = (torch.randn(batch, 1, a.dim), torch.tensor([1.0, 2.0]), past, past.clone())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(step, example, path, dynamo=False, opset_version=OPSET,
                          input_names=["x", "pos", "past_k", "past_v"], output_names=["logits", "present_k", "present_v"],
                          dynamic_axes={"x": {0: "batch"}, "past_k": {1: "batch", 3: "past_len"}, "past_v": {1: "batch", 3: "past_len"},
                                        "logits": {0: "batch"}, "present_k": {1: "batch", 3: "total_len"},
                                        "present_v": {1: "batch", 3: "total_len"}})
    onnx.checker.check_model(onnx.load(path))
    return path


def rope_pos(args: ModelArgs, seq_index: int):
    t = seq_index - args.prefix_len
    return np.array([0.0, 0.0] if t < 0 else [t // args.grid, t % args.grid], dtype=np.float32)


@torch.no_grad()
def parity(model: Transformer, path: str, n_tokens: int, seed: int = 0, batch: int = 2):
    """Runs prefix (P positions, one per ONNX step from an empty past) + n_tokens image tokens through the ONNX graph
    (onnx.reference) and through Transformer with its KVCache; returns the max abs logits difference per compared step
    (the last prefix position, then every image token) and the max |logit|."""
    from onnx.reference import ReferenceEvaluator

    a = model.args
    g = torch.Generator().manual_seed(seed)
    prefix = torch.randn(batch, a.prefix_len, a.dim, generator=g)
    tokens = torch.randint(0, a.vocab, (batch, n_tokens), generator=g)
    model.eval().setup_caches(batch)
    ref = [model(prefix, tokens[:, :0])[:, -1]]
    for t in range(n_tokens):
        ref.append(model(None, tokens[:, t:t + 1], start=a.prefix_len + t)[:, -1])
    model.drop_caches()

    sess = ReferenceEvaluator(path)
    pk = np.zeros((a.n_layers, batch, a.n_heads, 0, a.head_dim), np.float32)
    pv = pk.copy()
    emb = model.tok_emb.weight.numpy()
    got = []
    for s in range(a.prefix_len + n_tokens):
        x = prefix[:, s:s + 1].numpy() if s < a.prefix_len else emb[tokens[:, s - a.prefix_len].numpy()][:, None]
        logits, pk, pv = sess.run(None, {"x": x.astype(np.float32), "pos": rope_pos(a, s), "past_k": pk, "past_v": pv})
        if s >= a.prefix_len - 1:
            got.append(logits)
    diffs = [float(np.abs(g_ - r.numpy()).max()) for g_, r in zip(got, ref)]
    return diffs, float(max(np.abs(r.numpy()).max() for r in ref))


def load_shipped() -> Transformer:
    manifest = json.load(open(os.path.join(MODEL_DIR, "manifest.json")))
    t = manifest["target"]
    args = ModelArgs(dim=t["dim"], n_layers=t["n_layers"], n_heads=t["n_heads"], hidden=t["hidden"], vocab=t["vocab"],
                     grid=manifest["grid"]["cols"], prefix_len=t["prefix_len"], rope_base=t["rope_base"], norm_eps=t["norm_eps"])
    return load_f16(Transformer(args).eval(), os.path.join(MODEL_DIR, t["weights"]))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.set_num_threads(1)
    model = load_shipped()
    export_step(model, out)
    print(f"wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB)")
    diffs, scale = parity(model, out, n_tokens=18)  # crosses into grid row 1
    print(f"ONNX (onnx.reference) vs PyTorch, B=2: max |logits diff| per step {['%.2e' % d for d in diffs]}, max |logit| {scale:.2f}")
    if max(diffs) > 1e-4:
        raise SystemExit(f"parity failed: {max(diffs):.2e} > 1e-4")


if __name__ == "__main__":
    main()
