"""Export the trained text encoder + target for the app: python -m training.export

Writes public/models/hawk-emoji/{target,text}.safetensors (f16), vocab.json, golden.json (parity fixtures computed
from the f16 weights as the browser will load them) and manifest.json (architecture, conventions, files + sha256).
"""
import hashlib
import json
import os

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from training.guidance import CFG_SCALE, PLAUSIBILITY, guide
from training.target import ModelArgs, Transformer
from training.text import PAD, UNK, TextArgs, TextEncoder, Tokenizer, words

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "training", "out")
PUBLIC = os.path.join(ROOT, "public", "models")
GOLDEN_PROMPTS = ["grinning face, twemoji, smile, happy", "red apple, fluent, fruit"]
GOLDEN_TOKENS = [0, 1, 17]  # logits rows: predicts token 0 (from the prefix alone), token 1, token 17 (row 1, col 1)


def save_f16(module, path, skip=()):
    sd = {k: v.detach().to(torch.float16).contiguous() for k, v in module.state_dict().items() if k not in skip}
    save_file(sd, path)
    os.chmod(path, 0o644)  # safetensors writes 0600; the dev server may not run as us


def load_f16(module, path):
    """Load f16 weights widened to f32, exactly what the engine computes with."""
    sd = {k: v.float() for k, v in load_file(path).items()}
    module.load_state_dict(sd, strict=True)
    return module


def load_shipped(d=os.path.join(PUBLIC, "hawk-emoji")):
    """The shipped text encoder + target, read back from the manifest and the f16 weights the app loads (widened to
    f32): (text, target, tokenizer, target_step), as train_draft.load_target returns from a training checkpoint.
    Every tool that takes --target can so run on the shipped models when training/out/ holds no checkpoint."""
    m = json.load(open(os.path.join(d, "manifest.json")))
    t, te = m["target"], m["text_encoder"]
    args = ModelArgs(dim=t["dim"], n_layers=t["n_layers"], n_heads=t["n_heads"], hidden=t["hidden"], vocab=t["vocab"],
                     grid=m["grid"]["rows"], prefix_len=t["prefix_len"], rope_base=t["rope_base"], norm_eps=t["norm_eps"])
    text_args = TextArgs(dim=te["dim"], n_layers=te["n_layers"], n_heads=te["n_heads"], hidden=te["hidden"],
                         prefix_len=te["prefix_len"], max_words=te["max_words"], norm_eps=te["norm_eps"])
    vocab = json.load(open(os.path.join(d, te["vocab"])))
    placeholder = np.zeros((len(vocab), te["word_dim"]), np.float32)  # the shipped word table replaces it
    text = load_f16(TextEncoder(text_args, placeholder), os.path.join(d, te["weights"]))
    target = load_f16(Transformer(args), os.path.join(d, t["weights"]))
    for p in list(text.parameters()) + list(target.parameters()):
        p.requires_grad_(False)
    return text.eval(), target.eval(), Tokenizer(vocab, text_args.max_words), m["metrics"].get("target_steps")


def load_vq_metrics():
    """The VQ run's metrics (train_vq writes training/out/vq_metrics.json) or, without that run (a fresh clone, the
    shipped decoder unchanged), the ones the current manifest already states for public/models/vq/."""
    path = os.path.join(OUT, "vq_metrics.json")
    if os.path.exists(path):
        return json.load(open(path))
    m = json.load(open(os.path.join(PUBLIC, "hawk-emoji", "manifest.json")))
    return dict(config=dict(codebook_size=m["vq"]["codebook_size"], code_dim=m["vq"]["code_dim"]),
                test_psnr_db=m["metrics"]["vq_test_psnr_db"], val_psnr_db=m["metrics"]["vq_val_psnr_db"],
                train_minutes=m["metrics"]["vq_train_minutes"])


def file_entry(path, role):
    data = open(path, "rb").read()
    return dict(path=os.path.relpath(path, os.path.join(PUBLIC, "hawk-emoji")), role=role,
                bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


@torch.no_grad()
def golden(text, target, tok, fixed_tokens):
    """Small parity fixtures: word ids, prefixes (first 8 values per vector), logits (first 16) at a few positions."""
    out = dict(prompts=[], fixed_tokens=fixed_tokens, logit_rows=GOLDEN_TOKENS, values_per_vector=8, values_per_logits=16,
               note="logits row j predicts image token j given prefix + fixed_tokens[:j]; uncond = null_prefix")
    toks = torch.tensor([fixed_tokens])
    rows = max(GOLDEN_TOKENS)
    null = text.null_prefix[None]
    lu = target(null, toks[:, :rows])[0]
    for p in GOLDEN_PROMPTS:
        ids = tok.encode(p)
        prefix = text(torch.tensor([ids]))
        lc = target(prefix, toks[:, :rows])[0]
        guided = guide(lc, lu, CFG_SCALE, 0)  # without the cut: parity of the logits themselves
        out["prompts"].append(dict(
            prompt=p, words=words(p), word_ids=ids,
            prefix=[[round(x, 6) for x in v[:8].tolist()] for v in prefix[0]],
            logits_cond=[[round(x, 5) for x in lc[j, :16].tolist()] for j in GOLDEN_TOKENS],
            argmax_cond=[int(lc[j].argmax()) for j in GOLDEN_TOKENS],
            logits_guided=[[round(x, 5) for x in guided[j, :16].tolist()] for j in GOLDEN_TOKENS]))
    out["uncond"] = dict(prefix=[[round(x, 6) for x in v[:8].tolist()] for v in text.null_prefix],
                         logits=[[round(x, 5) for x in lu[j, :16].tolist()] for j in GOLDEN_TOKENS],
                         argmax=[int(lu[j].argmax()) for j in GOLDEN_TOKENS])
    return out


def main():
    ck = torch.load(os.path.join(OUT, "target.pt"), map_location="cpu")  # a CUDA run's checkpoint holds CUDA tensors
    vocab_npz = np.load(os.path.join(OUT, "vocab.npz"))
    vocab, vectors = list(vocab_npz["words"]), vocab_npz["vectors"]
    args, text_args = ModelArgs(**ck["args"]), TextArgs(**ck["text_args"])
    text, target = TextEncoder(text_args, vectors), Transformer(args)
    text.load_state_dict(ck["text"]), target.load_state_dict(ck["target"])
    d = os.path.join(PUBLIC, "hawk-emoji")
    os.makedirs(d, exist_ok=True)
    save_f16(target, os.path.join(d, "target.safetensors"))
    save_f16(text, os.path.join(d, "text.safetensors"))
    json.dump(vocab, open(os.path.join(d, "vocab.json"), "w"), ensure_ascii=False)
    text, target = load_f16(text.eval(), os.path.join(d, "text.safetensors")), load_f16(target.eval(), os.path.join(d, "target.safetensors"))
    meta = json.load(open(os.path.join(OUT, "data", "meta.json")))
    test_i = next(i for i, m in enumerate(meta) if m["split"] == "test")
    fixed = np.load(os.path.join(OUT, "tokens.npz"))["ids"][test_i, :max(GOLDEN_TOKENS)].astype(int).tolist()
    json.dump(golden(text, target, Tokenizer(vocab, text_args.max_words), fixed), open(os.path.join(d, "golden.json"), "w"))
    vq_metrics = load_vq_metrics()
    final = ck["history"][-1] if ck["history"] else {}
    manifest = dict(
        name="hawk-emoji", version=1,
        description="Text-to-image over 16x16 VQ tokens of 64x64 emoji; LlamaGen-style target for Hawk speculative decoding",
        image=dict(height=64, width=64, channels=3, background="white"),
        grid=dict(rows=args.grid, cols=args.grid, tokens=args.grid * args.grid, order="raster (row-major)"),
        target=dict(dim=args.dim, n_layers=args.n_layers, n_heads=args.n_heads, head_dim=args.head_dim, hidden=args.hidden,
                    vocab=args.vocab, prefix_len=args.prefix_len, norm_eps=args.norm_eps, rope_base=args.rope_base,
                    seq_len=args.prefix_len + args.grid * args.grid - 1, weights="target.safetensors", dtype="float16"),
        text_encoder=dict(dim=text_args.dim, n_layers=text_args.n_layers, n_heads=text_args.n_heads, hidden=text_args.hidden,
                          prefix_len=text_args.prefix_len, max_words=text_args.max_words, word_dim=int(vectors.shape[1]),
                          vocab_size=len(vocab), norm_eps=text_args.norm_eps, weights="text.safetensors", vocab="vocab.json",
                          dtype="float16"),
        tokenizer=dict(lowercase=True, word_regex="[a-z0-9]+", max_words=text_args.max_words, pad_id=PAD, unk_id=UNK,
                       rule="ids = [vocab.indexOf(w) or unk_id for w in lowercase(prompt).match(/[a-z0-9]+/g)][:max_words]"),
        special_tokens=dict(image="none: the 1024 ids are all VQ codes; there is no BOS/EOS, the last prefix position predicts token 0",
                            text={"<pad>": PAD, "<unk>": UNK}),
        conventions=dict(
            rmsnorm="y = x * rsqrt(mean(x^2) + eps) * weight, eps = 1e-5",
            linear="y = x @ W^T, W stored [out, in] (PyTorch), no biases anywhere",
            attention="causal multi-head attention, scale 1/sqrt(head_dim); wqkv [3*dim, dim] gives q, k, v in that order, "
                      "each split into n_heads contiguous chunks of head_dim; output projection wo [dim, dim]",
            ffn="w13 [2*hidden, dim]: first hidden rows = gate (w1), last hidden rows = up (w3); out = w2(silu(gate) * up)",
            rope_2d="applied to q and k per head; head_dim split in halves: first half rotated by the token's ROW, second by "
                    "its COLUMN; within a half of size h = head_dim/2, pair (2i, 2i+1), i in [0, h/2), angle = pos * base^(-2i/h), "
                    "base = 10000: (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos)",
            positions="sequence = P prefix vectors, then tok_emb of image tokens 0..254; prefix positions use (row, col) = (0, 0) "
                      "(no rotation); the input embedding of image token t uses (t // 16, t % 16)",
            prediction="output row at sequence index P-1+t gives the logits of image token t",
            block="pre-norm: h = x + attn(attn_norm(x)); out = h + ffn(ffn_norm(h)); after the last block norm then output [vocab, dim] (untied)",
            text_encoder="x_0 = bos + pos_emb[0]; x_i = proj(embed[word_i]) + pos_emb[i] (i = 1..n); n_layers blocks as the target "
                         "but bidirectional and without RoPE; h = norm(x); prefix = queries + wo(MHA(wq(queries), k, v)) with "
                         "wkv(h) [2*dim, dim] giving k then v, n_heads heads, scale 1/sqrt(head_dim), no mask for one prompt",
            tensor_names="target: tok_emb.weight, layers.{i}.attn_norm.weight, layers.{i}.attn.wqkv.weight, layers.{i}.attn.wo.weight, "
                         "layers.{i}.ffn_norm.weight, layers.{i}.ffn.w13.weight, layers.{i}.ffn.w2.weight, norm.weight, output.weight; "
                         "text: embed.weight (frozen GloVe), proj.weight, bos, pos_emb, layers.{i}.*, norm.weight, queries, wq.weight, "
                         "wkv.weight, wo.weight, null_prefix"),
        cfg=dict(null_prefix="null_prefix (in text.safetensors, [P, dim]) replaces the text prefix for the unconditional row",
                 formula="logits = uncond + scale * (cond - uncond); tokens whose cond logit is below max(cond) + "
                         "ln(plausibility) are cut (training/guidance.py)", default_scale=CFG_SCALE,
                 default_plausibility=PLAUSIBILITY, trained_drop_rate=ck["train"]["cond_drop"]),
        sampling=dict(temperature=1.0, top_k=0, note="top_k 0 = full distribution"),
        vq=dict(decoder="../vq/decoder.onnx", codebook="../vq/codebook.safetensors", input="ids int64 [1, rows, 16], rows 1..16",
                output="rgb float32 [1, 3, rows*4, 64] in [0, 1]", codebook_size=vq_metrics["config"]["codebook_size"],
                code_dim=vq_metrics["config"]["code_dim"], downsample=4),
        metrics=dict(vq_test_psnr_db=vq_metrics["test_psnr_db"], vq_val_psnr_db=vq_metrics["val_psnr_db"],
                     target_val_bits_per_token=final.get("val_bits"), target_steps=ck["step"],
                     target_train_minutes=round(ck["elapsed"] / 60, 1), vq_train_minutes=vq_metrics["train_minutes"],
                     **({"target_started_from": ck["train"]["init"]} if ck["train"].get("init") else {})),
        golden="golden.json",
    )
    if ck["train"].get("labels"):  # the concepts the target learnt (training/vocabulary.py): the app names them
        manifest["concepts"] = list(ck["train"]["labels"])
    files = [file_entry(os.path.join(d, f), r) for f, r in
             [("target.safetensors", "target weights"), ("text.safetensors", "text encoder weights + null prefix"),
              ("vocab.json", "text vocabulary, index = word id"), ("golden.json", "parity fixtures")]]
    files += [file_entry(os.path.join(PUBLIC, "vq", f), r) for f, r in
              [("decoder.onnx", "VQ decoder"), ("codebook.safetensors", "VQ codebook (l2-normalised)")]]
    manifest["files"] = files
    write_with_drafts(manifest, d)
    print(f"exported step {ck['step']}, {manifest['total_bytes'] / 1e6:.1f} MB, metrics {manifest['metrics']}")


def write_with_drafts(manifest, d):
    """Lists the drafts exported by `python -m training.train_draft --export` (their architecture dicts sit in
    training/out) in the manifest, replacing any listed before, and writes it to d/manifest.json."""
    manifest["drafts"] = {}
    files = [f for f in manifest["files"] if not f["role"].endswith("draft weights")]
    for variant in ("hawk", "ablation"):
        arch_path, weights = os.path.join(OUT, f"draft_{variant}_manifest.json"), os.path.join(d, f"draft_{variant}.safetensors")
        if os.path.exists(arch_path) and os.path.exists(weights):
            manifest["drafts"][variant] = json.load(open(arch_path))
            files.append(file_entry(weights, f"{variant} draft weights"))
    manifest["files"] = files
    manifest["total_bytes"] = sum(f["bytes"] for f in files)
    json.dump(manifest, open(os.path.join(d, "manifest.json"), "w"), indent=1)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--drafts-only", action="store_true", help="re-list the exported drafts in the shipped manifest and "
                    "leave the target, text encoder and golden.json as they are (new drafts for the shipped target)")
    if ap.parse_args().drafts_only:
        d = os.path.join(PUBLIC, "hawk-emoji")
        write_with_drafts(json.load(open(os.path.join(d, "manifest.json"))), d)
        print("re-listed the drafts in", os.path.join(d, "manifest.json"))
    else:
        main()
