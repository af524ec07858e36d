"""Tokenizer + text encoder: GloVe fallback for words never seen in captions, empty and long prompts."""
import numpy as np
import torch

from training.text import UNK, TextArgs, TextEncoder, Tokenizer, caption, words

VOCAB = ["<pad>", "<unk>", "grinning", "face", "twemoji", "puppy", "dog"]
VECS = np.random.RandomState(0).randn(len(VOCAB), 100).astype(np.float16)
VECS[:2] = 0


def encoder():
    torch.manual_seed(0)
    return TextEncoder(TextArgs(dim=32, n_layers=1, n_heads=2, hidden=64, prefix_len=4, max_words=6), VECS).eval()


def test_tokenizer_lowercase_and_unknown():
    tok = Tokenizer(VOCAB, max_words=6)
    assert words("Grinning FACE, twemoji!") == ["grinning", "face", "twemoji"]
    assert tok.encode("Grinning zzzqx puppy") == [2, UNK, 5]


def test_unseen_caption_word_uses_its_glove_vector():
    # "puppy" is in no caption but in the cut GloVe table: its frozen vector is the GloVe one, not <unk>'s zero
    enc = encoder()
    e = enc.embed(torch.tensor([5]))[0]
    assert torch.allclose(e, torch.tensor(VECS[5], dtype=torch.float32)) and e.abs().sum() > 0
    assert not enc.embed.weight.requires_grad
    a, b = enc(torch.tensor([[5]])), enc(torch.tensor([[UNK]]))
    assert not torch.allclose(a, b)


def test_empty_and_long_prompts_give_p_vectors():
    enc, tok = encoder(), Tokenizer(VOCAB, max_words=6)
    empty = enc(tok.batch([""]))
    long = enc(tok.batch(["dog " * 50]))
    assert empty.shape == long.shape == (1, 4, 32)
    assert torch.isfinite(empty).all() and torch.isfinite(long).all()
    assert len(tok.encode("dog " * 50)) == 6


def test_padding_does_not_change_prefix():
    enc, tok = encoder(), Tokenizer(VOCAB, max_words=6)
    alone = enc(tok.batch(["grinning face"]))
    padded = enc(tok.batch(["grinning face", "grinning face twemoji puppy dog"]))[:1]
    assert torch.allclose(alone, padded, atol=1e-5)


def test_caption_format():
    item = dict(label="grinning face", style="twemoji", tags=["face", "grin", "smile", "happy"])
    assert caption(item) == "grinning face, twemoji, grin, smile, happy"


def test_cut_glove_keeps_caption_words_and_gives_missing_ones_vectors():
    from training.text import cut_glove

    glove = dict(dimensions=3, words=["the", ",", "dog", "puppy", "cat"],
                 vectors={w: [float(i + 1), 0.0, 0.0, 1.0, i] for i, w in enumerate(["the", ",", "dog", "puppy", "cat"])})
    vocab, table = cut_glove(glove, ["dog", "twemoji"], n_common=3)
    assert vocab == ["<pad>", "<unk>", "dog", "twemoji", "the", "puppy"]  # "," is not a word; "cat" is past n_common
    assert table.dtype == np.float16 and table.shape == (6, 3)
    assert table[:2].sum() == 0 and table[2].tolist() == [3.0, 0.0, 0.0]
    assert np.linalg.norm(table[3].astype(np.float32)) > 0  # "twemoji" is not GloVe but must not collapse onto <unk>


def test_vocab_cache_is_rebuilt_for_new_caption_words(tmp_path, monkeypatch):
    import json

    import training.text as text

    glove = dict(dimensions=3, words=["the", "dog", "red", "apple"],
                 vectors={w: [float(i + 1), 0.0, 0.0, 1.0, i] for i, w in enumerate(["the", "dog", "red", "apple"])})
    (tmp_path / "glove.json").write_text(json.dumps(glove))
    monkeypatch.setattr(text, "GLOVE_JSON", str(tmp_path / "glove.json"))
    monkeypatch.setattr(text, "VOCAB_CACHE", str(tmp_path / "vocab.npz"))
    dog = [dict(label="dog", style="noto", tags=[])]
    assert text.build_vocab(dog, n_common=1)[0] == ["<pad>", "<unk>", "dog", "noto", "the"]
    (tmp_path / "glove.json").write_text("not read again")  # the cache answers while it covers the captions
    assert text.build_vocab(dog, n_common=1)[0] == ["<pad>", "<unk>", "dog", "noto", "the"]
    (tmp_path / "glove.json").write_text(json.dumps(glove))
    apple = dog + [dict(label="red apple", style="line icon", tags=[])]
    vocab, table = text.build_vocab(apple, n_common=1)
    assert vocab == ["<pad>", "<unk>", "apple", "dog", "icon", "line", "noto", "red", "the"] and len(table) == len(vocab)


def test_vocab_keeps_the_shipped_order_when_only_the_order_differs(tmp_path, monkeypatch):
    import json

    import training.text as text
    glove = dict(dimensions=3, words=["the", "glossy", "dog"],
                 vectors={w: [float(i + 1), 0.0, 0.0, 1.0, i] for i, w in enumerate(["the", "glossy", "dog"])})
    (tmp_path / "glove.json").write_text(json.dumps(glove))
    monkeypatch.setattr(text, "GLOVE_JSON", str(tmp_path / "glove.json"))
    monkeypatch.setattr(text, "VOCAB_CACHE", str(tmp_path / "vocab.npz"))
    shipped = ["<pad>", "<unk>", "dog", "the", "glossy"]  # built when "glossy" was only a common word
    (tmp_path / "vocab.json").write_text(json.dumps(shipped))
    more = [dict(label="dog", style="glossy", tags=[])]  # now it is a style word: sorted among the caption words
    vocab, table = text.build_vocab(more, n_common=2, shipped=str(tmp_path / "vocab.json"))
    assert vocab == shipped and table[:, 0].tolist() == [0, 0, 3, 1, 2]  # each word keeps its own vector
    other = more + [dict(label="cat", style="glossy", tags=[])]  # a new word: the order is this dataset's own
    assert text.build_vocab(other, n_common=2, shipped=str(tmp_path / "vocab.json"))[0] == ["<pad>", "<unk>", "cat", "dog", "glossy", "the"]
