"""Tiny random models + PyTorch reference outputs for the TypeScript parity tests: python -m training.fixtures [--out DIR]

Writes tests/fixtures/{text,target,draft_spatial,draft_ablation}.safetensors (f16, the tensor names and writers of the real
export: training/export.py save_f16, training/train_draft.py export_draft), vocab.json and golden.json. Every golden value
is computed from the f16 weights widened back to f32 (what the engine computes with). Weights are re-initialised with
larger, seeded values than the training init (norm weights != 1, non-zero Medusa w2, sharper logits) so that a wrong
convention in the engine shows up as a large error rather than hiding under 0.02-std noise.

golden.json numbers are float32 values written in their shortest round-trip form: inputs read into a Float32Array are
bit-exact with what PyTorch used. training/tests/test_fixtures.py regenerates and compares, so the files never go stale.
"""
import argparse
import json
import os
from dataclasses import asdict

import numpy as np
import torch

from training.draft import Draft, DraftArgs, target_features
from training.export import load_f16, save_f16
from training.target import ModelArgs, Transformer
from training.text import TextArgs, TextEncoder, Tokenizer, words
from training.train_draft import export_draft, load_draft_f16

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

# Text dim = target dim and text prefix_len = target prefix_len, so a text prefix can feed the target as in the app.
TARGET_ARGS = ModelArgs(dim=32, n_layers=2, n_heads=2, hidden=64, vocab=32, grid=4, prefix_len=4)
TEXT_ARGS = TextArgs(dim=32, n_layers=1, n_heads=2, hidden=48, prefix_len=4, max_words=6)
DRAFT_KW = dict(head_hidden=16, rows_above=1, cols_left=1, cols_right=2)  # a window smaller than the 4x4 grid, so it actually masks
WORD_DIM = 100
VOCAB = ["<pad>", "<unk>", "grinning", "face", "twemoji", "fluent", "noto", "smile", "happy", "red", "apple", "fruit",
         "cat", "dog", "heart", "star", "sun", "moon", "hat", "blue", "green", "yellow", "a", "with", "and", "the", "of",
         "42", "1", "2"]
# An ordinary prompt (case + punctuation), the empty prompt, unknown words + a digit word + more than max_words words.
PROMPTS = ["Grinning FACE, twemoji!", "", "a zzyzx red cat, blorp hat 42 sun moon star"]
# Tokenizer-only cases (ids, no forward): zero-word prompts and non-ASCII letters, which the regex splits words around.
TOKENIZER_CASES = ["😀🎉", "😀 Happy 🐱 cat", "Crème brûlée, café", "ÆØÅ 東京 42", "Dog\tdog\nDOG---dog_dog"]
TOKENS = [5, 17, 3, 29, 0, 22, 8, 31, 14, 2, 9, 26]  # 12 image tokens: three rows of the 4x4 grid
DRAFT_POSITIONS = [0, 5, 11]  # image positions t whose per-head logits are stored (t = 11: row 2, col 3)


def randomize(module, seed):
    """Seeded re-init: linear [out, in] ~ N(0, 1/in); norm weights 1 + N(0, 0.2^2); tok_emb N(0, 1); learned vectors
    (bos, pos_emb, queries, null_prefix) N(0, 0.5^2). The frozen word table is left alone."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if name == "embed.weight":
                continue
            if name in ("bos", "pos_emb", "queries", "null_prefix"):
                p.copy_(0.5 * r)
            elif name == "tok_emb.weight":
                p.copy_(r)
            elif p.dim() == 1:
                p.copy_(1 + 0.2 * r)
            else:
                p.copy_(r / p.shape[1] ** 0.5)
    return module.eval()


def word_vectors():
    v = np.random.RandomState(0).randn(len(VOCAB), WORD_DIM) * 0.5
    v[:2] = 0  # <pad> and <unk> are zero, as in training/text.py build_vocab
    return v.astype(np.float16)


def vals(t):
    """Nested lists of floats, each the shortest decimal that reads back as the same float32."""
    t = torch.as_tensor(t).detach().float()
    if t.dim() == 0:
        return float(str(np.float32(t.item())))
    return [vals(r) for r in t]


@torch.no_grad()
def build(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = lambda name: os.path.join(out_dir, name)
    vectors = word_vectors()

    # Build, randomise, store f16, then reload: everything below runs on the f16-rounded weights.
    save_f16(randomize(TextEncoder(TEXT_ARGS, vectors), 1), path("text.safetensors"))
    save_f16(randomize(Transformer(TARGET_ARGS), 2), path("target.safetensors"))
    text = load_f16(TextEncoder(TEXT_ARGS, np.zeros_like(vectors)).eval(), path("text.safetensors"))
    target = load_f16(Transformer(TARGET_ARGS).eval(), path("target.safetensors"))
    drafts = {}
    for i, (name, spatial) in enumerate([("spatial", True), ("ablation", False)]):
        args = DraftArgs.from_target(TARGET_ARGS, spatial=spatial, **DRAFT_KW)
        draft = randomize(Draft(args), 3 + i)
        export_draft(dict(args=asdict(args), draft=draft.state_dict()), path(f"draft_{name}.safetensors"))
        drafts[name] = load_draft_f16(path(f"draft_{name}.safetensors"))[0].eval()
    with open(path("vocab.json"), "w") as f:
        json.dump(VOCAB, f)

    tok = Tokenizer(VOCAB, TEXT_ARGS.max_words)
    prompts = []
    for p in PROMPTS:
        ids = tok.encode(p)
        prompts.append(dict(prompt=p, words=words(p), word_ids=ids, prefix=vals(text(torch.tensor([ids], dtype=torch.long))[0])))

    # The target reads prompt 0's prefix. Row j of logits / hidden is sequence index P-1+j: it has seen prefix +
    # tokens[:j] and predicts tokens[j]; hidden is the residual stream before the final norm (what the draft reads).
    prefix = torch.tensor(vals(text(torch.tensor([tok.encode(PROMPTS[0])]))))
    toks = torch.tensor([TOKENS])
    h, logits = target_features(target, prefix, toks)
    assert torch.allclose(logits, target(prefix, toks[:, :-1]), atol=1e-5)  # the same rows as the model's own forward

    draft_out = {}
    for name, draft in drafts.items():
        g = draft.features(target, prefix, h, toks)[0]
        a = draft.args
        draft_out[name] = dict(
            weights=f"draft_{name}.safetensors", spatial=a.spatial, n_layers=a.n_layers, head_hidden=a.head_hidden,
            offsets=list(a.offsets), window=dict(rows_above=a.rows_above, cols_left=a.cols_left, cols_right=a.cols_right) if a.spatial else None,
            above=a.above, above_features=a.above_features, above_right=a.above_right, features=vals(g[DRAFT_POSITIONS]),
            logits=[vals(torch.stack([draft.head_logits(target, g[None], k, toks, torch.tensor([t]))[0, 0] for k in a.offsets]))
                    for t in DRAFT_POSITIONS])

    return dict(
        note="Tiny random models for TS parity, made by `python -m training.fixtures`; every output is PyTorch f32 on the "
             "f16 weights. Numbers are float32 values (shortest round-trip decimals).",
        text=dict(
            config=dict(asdict(TEXT_ARGS), word_dim=WORD_DIM, vocab_size=len(VOCAB)), weights="text.safetensors",
            vocab="vocab.json",
            prompts=prompts,
            tokenizer=[dict(prompt=p, word_ids=tok.encode(p)) for p in TOKENIZER_CASES],
            null_prefix=vals(text.null_prefix)),
        target=dict(
            config=asdict(TARGET_ARGS), weights="target.safetensors",
            note="inputs: prefix [P, dim] (= text prompt 0's prefix) then tok_emb(tokens[:-1]). Row j of logits [N, vocab] and "
                 "hidden [N, dim] is sequence index P-1+j, which predicts tokens[j]; hidden is before the final norm.",
            prefix=vals(prefix[0]), tokens=TOKENS, logits=vals(logits[0]), hidden=vals(h[0])),
        draft=dict(
            note="inputs: prefix [P, dim] and tokens [N] = target.prefix / target.tokens, h [N, dim] = target.hidden (row t is the "
                 "target hidden that predicted tokens[t]); draft.features(target, prefix, h, tokens) -> g [N, dim]. For each "
                 "variant, features[i] = g at image position positions[i] and logits[i][j] [vocab] = head offsets[j] at that "
                 "position = target.output(target.norm(head_k(g))), the draft's logits for image token positions[i] + k. "
                 "The frozen target pieces (tok_emb, norm, output) come from target.safetensors.",
            positions=DRAFT_POSITIONS, **draft_out),
    )


def write(out_dir=FIXTURES):
    torch.set_num_threads(1)  # tiny ops; also one thread keeps summation order fixed
    golden = build(out_dir)
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
    return golden


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=FIXTURES)
    out = ap.parse_args().out
    write(out)
    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))}
    print(f"wrote {out}: {sizes}, total {sum(sizes.values()) / 1e3:.0f} KB")
