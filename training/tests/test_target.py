"""Target + text encoder: a tiny config learns synthetic data; f16 safetensors export reloads to the same outputs."""
import dataclasses
import math
import os

import numpy as np
import pytest
import torch

from training.export import load_f16, save_f16
from training.target import Transformer, configs
from training.text import TextArgs, TextEncoder
from training.train_target import loss_on


def tiny_models():
    torch.manual_seed(0)
    args = configs["tiny"]
    vecs = np.random.RandomState(0).randn(10, 100).astype(np.float16)
    text = TextEncoder(TextArgs(dim=args.dim, n_layers=1, n_heads=args.n_heads, hidden=args.hidden,
                                prefix_len=args.prefix_len, max_words=4), vecs)
    return text, Transformer(args)


def test_logits_shape_and_causality():
    text, target = tiny_models()
    prefix = text(torch.tensor([[2, 3]]))
    toks = torch.randint(0, 32, (1, 15))
    logits = target(prefix, toks)
    assert logits.shape == (1, 16, 32)
    changed = toks.clone()
    changed[0, 10] = (changed[0, 10] + 1) % 32
    # rows up to 10 predict tokens 0..10 from inputs 0..9: untouched by a change at input 10
    assert torch.allclose(target(prefix, changed)[0, :11], logits[0, :11], atol=1e-6)


def test_tiny_training_loss_drops():
    text, target = tiny_models()
    words = torch.tensor([[2, 3], [4, 5], [6, 7], [8, 9]])
    toks = torch.stack([torch.arange(16) % (4 + i) for i in range(4)])  # one pattern per caption
    params = [p for p in list(text.parameters()) + list(target.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, 3e-3)
    drop = torch.tensor([False, False, False, True])
    first = None
    for _ in range(40):
        loss = loss_on(text, target, toks, words, drop)
        opt.zero_grad(), loss.backward(), opt.step()
        first = first or loss.item()
    assert first > math.log(32) * 0.8 and loss.item() < 0.5 * first


def test_f16_safetensors_round_trip(tmp_path):
    text, target = tiny_models()
    save_f16(target, tmp_path / "t.safetensors")
    save_f16(text, tmp_path / "x.safetensors")
    text2, target2 = tiny_models()
    for p in target2.parameters():  # make sure the values really come from the file
        torch.nn.init.zeros_(p)
    load_f16(text2, tmp_path / "x.safetensors"), load_f16(target2, tmp_path / "t.safetensors")
    for (n, a), (_, b) in zip(target.state_dict().items(), target2.state_dict().items()):
        assert torch.equal(a.half().float(), b), n
    words, toks = torch.tensor([[2, 3]]), torch.randint(0, 32, (1, 15))
    assert torch.allclose(target(text(words), toks), target2(text2(words), toks), atol=2e-2)


def test_kv_cache_matches_full_forward():
    text, target = tiny_models()
    prefix = text(torch.tensor([[2, 3]])).detach()
    toks = torch.randint(0, 32, (1, 15))
    with torch.no_grad():
        full = target(prefix, toks)
        target.setup_caches(1)
        rows = [target(prefix, toks[:, :0])[:, -1]]
        P = target.args.prefix_len
        rows.append(target(None, toks[:, :3], start=P)[0])  # several tokens at once, as a verify step would
        for t in range(3, 15):
            rows.append(target(None, toks[:, t:t + 1], start=P + t)[:, -1])
    assert torch.allclose(torch.cat(rows), full[0], atol=1e-5)


def test_training_keeps_the_checkpoint_of_the_lowest_validation_loss(tmp_path):
    from training.train_target import TrainConfig, train
    cfg = TrainConfig(minutes=10, batch_size=4, eval_images=8, warmup=5, eval_every=2, bf16=False)
    train(cfg, resume=False, device="cpu", tiny=True, out=str(tmp_path), max_steps=8)
    last = torch.load(tmp_path / "target.pt", weights_only=False)
    best = torch.load(tmp_path / "target_best.pt", weights_only=False)
    evals = [h for h in last["history"] if not h.get("full_val")]
    assert [h["step"] for h in evals] == [2, 4, 6, 8]
    lowest = min(evals, key=lambda h: h["val_bits"])
    assert best["step"] == lowest["step"] and best["history"][-1] == lowest


def test_generate_one_image_per_prompt_equals_one_prompt_at_a_time():
    """training.generate samples many captions in one batch: greedy rows equal each prompt decoded alone."""
    from training.guidance import Guidance
    from training.sample import generate
    text, target = tiny_models()
    with torch.no_grad():
        target.output.weight.mul_(20)  # distinct argmaxes, so a mixed-up row would show
        ids = torch.tensor([[2, 3], [4, 0], [6, 7]])
        batched = generate(text.eval(), target.eval(), ids, 3, Guidance(3.0), temperature=0)
        alone = [generate(text, target, ids[i:i + 1], 1, Guidance(3.0), temperature=0)[0] for i in range(3)]
    assert batched.shape == (3, 16)
    assert all(torch.equal(batched[i], alone[i]) for i in range(3))
    assert not torch.equal(batched[0], batched[2])


def test_mirror_augmentation_spares_directions_text_and_flags():
    import random

    from training.train_target import batch_tokens, mirrorable
    assert mirrorable(dict(label="red apple")) and mirrorable(dict(label="grinning face"))
    for label in ("backhand index pointing left", "right arrow", "flag: Ecuador", "keycap: 7", "one o’clock", "OK button"):
        assert not mirrorable(dict(label=label)), label
    meta = [dict(label="red apple"), dict(label="left arrow"), dict(label="dog face")]
    ids = torch.arange(12).view(3, 4)
    flipped = ids.flip(-1)
    rng = random.Random(0)
    assert torch.equal(batch_tokens(ids, flipped, meta, [2, 1, 0], 0.0, rng), ids[[2, 1, 0]])
    assert rng.random() == random.Random(0).random()  # flip 0 draws nothing: old runs' batches are unchanged
    out = batch_tokens(ids, flipped, meta, [2, 1, 0], 1.0, rng)
    assert torch.equal(out, torch.stack([flipped[2], ids[1], flipped[0]]))
    assert torch.equal(ids, torch.arange(12).view(3, 4))  # the data itself is untouched


def test_shift_augmentation_draws_shifted_views_of_the_images_not_mirrored():
    import random

    from training.train_target import batch_tokens
    meta = [dict(label="red apple"), dict(label="left arrow"), dict(label="dog face")]
    ids = torch.arange(12).view(3, 4)
    flipped, shifts = ids.flip(-1), torch.stack([ids + 100 * (k + 1) for k in range(8)])  # view k of image j: ids[j] + 100 (k + 1)
    rng = random.Random(0)
    assert torch.equal(batch_tokens(ids, flipped, meta, [0, 1, 2], 0.0, rng, shifts, 0.0), ids)
    assert rng.random() == random.Random(0).random()  # no rates, no draws
    out = batch_tokens(ids, flipped, meta, [0, 1, 2], 0.0, random.Random(1), shifts, 1.0)
    for i in range(3):  # every image moved, each to one of its own views
        k = int(out[i, 0] - ids[i, 0]) // 100 - 1
        assert 0 <= k < 8 and torch.equal(out[i], shifts[k, i])
    seen = {int(batch_tokens(ids, flipped, meta, [1], 0.0, random.Random(s), shifts, 1.0)[0, 0]) // 100 for s in range(200)}
    assert seen == set(range(1, 9))  # all 8 directions drawn
    out = batch_tokens(ids, flipped, meta, [0, 1, 2], 1.0, random.Random(2), shifts, 1.0)
    assert torch.equal(out[0], flipped[0]) and torch.equal(out[2], flipped[2])  # mirrored: not also moved
    assert int(out[1, 0]) >= 100  # not mirrorable (a direction): moved instead


def test_balanced_draws_give_every_concept_the_same_share():
    import random
    from collections import Counter

    from training.train_target import draw_images, draw_weights
    # concept a has 4 images (skin-tone variants), b 2, c 1; item 7 has no concept (tiny_data) and counts as its own
    meta = [dict(concept=c) for c in "aaaabbc"] + [dict()]
    idx = list(range(8))
    assert draw_weights(meta, idx, 0.0) is None
    rng = random.Random(0)
    assert draw_images(rng, idx, None, 5) == random.Random(0).sample(idx, 5)  # balance 0: the draws of before
    assert draw_weights(meta, idx, 1.0) == [1 / 4] * 4 + [1 / 2] * 2 + [1.0, 1.0]
    assert draw_weights(meta, idx, 0.5) == pytest.approx([0.5] * 4 + [2 ** -0.5] * 2 + [1.0, 1.0])
    assert draw_weights(meta, [0, 1, 6], 1.0) == [1 / 2, 1 / 2, 1.0]  # counts among the images drawn from only
    n = 40000
    drawn = Counter(meta[i].get("concept", i) for i in draw_images(random.Random(1), idx, draw_weights(meta, idx, 1.0), n))
    assert set(drawn) == {"a", "b", "c", 7}
    for share in drawn.values():  # 1/4 each, within 5 standard errors
        assert abs(share / n - 0.25) < 5 * (0.25 * 0.75 / n) ** 0.5


def test_shifted_views_move_pixels_by_whole_tokens_with_white_fill():
    from training.tokenize import SHIFTS, shifted
    x = torch.randint(0, 255, (2, 3, 64, 64), dtype=torch.uint8)
    assert len(SHIFTS) == 8 and (0, 0) not in SHIFTS
    y = shifted(x, 1, -1)  # one token down and one left
    assert torch.equal(y[:, :, 4:, :60], x[:, :, :60, 4:])
    assert (y[:, :, :4] == 255).all() and (y[:, :, :, 60:] == 255).all()


def test_training_can_start_from_shipped_weights(tmp_path, monkeypatch):
    from training import train_target
    from training.text import Tokenizer
    meta, _, vocab, vectors, *_ = train_target.tiny_data()
    torch.manual_seed(123)
    shipped_text, shipped_target = train_target.build_models(vectors, "tiny")  # other weights than seed 0 makes
    monkeypatch.setattr(train_target, "load_shipped", lambda d: (shipped_text, shipped_target, Tokenizer(vocab), 850))
    cfg = train_target.TrainConfig(minutes=10, batch_size=4, eval_images=8, warmup=5, bf16=False, init="shipped-dir")
    train_target.train(cfg, resume=False, device="cpu", tiny=True, out=str(tmp_path), max_steps=0)
    ck = torch.load(tmp_path / "target.pt", weights_only=False)
    for got, want in [(ck["target"], shipped_target.state_dict()), (ck["text"], shipped_text.state_dict())]:
        assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)
    assert ck["train"]["init"] == "shipped-dir" and ck["step"] == 0

    # fresh_text: the shipped target with the text encoder a run from scratch starts from
    for name, init, fresh in [("fresh", "shipped-dir", True), ("scratch", "", False)]:
        run = dataclasses.replace(cfg, init=init, fresh_text=fresh)
        train_target.train(run, resume=False, device="cpu", tiny=True, out=str(tmp_path / name), max_steps=0)
    ck, scratch = (torch.load(tmp_path / name / "target.pt", weights_only=False) for name in ("fresh", "scratch"))
    for got, want in [(ck["target"], shipped_target.state_dict()), (ck["text"], scratch["text"])]:
        assert all(torch.equal(got[k], want[k]) for k in want)
    assert not torch.equal(ck["text"]["queries"], shipped_text.state_dict()["queries"])

    monkeypatch.setattr(train_target, "load_shipped", lambda d: (shipped_text, shipped_target, Tokenizer(vocab[:-1]), 850))
    with pytest.raises(SystemExit, match="vocabulary"):
        train_target.train(cfg, resume=False, device="cpu", tiny=True, out=str(tmp_path), max_steps=0)


def test_icons_train_only_when_asked_and_never_validate():
    from training.train_target import split_indices
    meta = [dict(concept="1F600", split="train"), dict(concept="tabler:apple", split="train"),
            dict(concept="1F34E", split="val"), dict(concept="tabler:sun", split="val"), dict(concept="2600", split="test")]
    assert split_indices(meta) == ([0, 1], [2])
    assert split_indices(meta, icons=False) == ([0], [2])


def test_labels_restrict_training_not_validation():
    from training.train_target import split_indices
    meta = [dict(label="sun", concept="2600", split="train"), dict(label="moon", concept="1F319", split="train"),
            dict(label="sun", concept="2600", split="train"), dict(label="moon", concept="1F319", split="val")]
    assert split_indices(meta, labels=("sun",)) == ([0, 2], [3])
    assert split_indices(meta) == ([0, 1, 2], [3])


def test_too_few_images_for_a_batch_is_refused_with_a_message(tmp_path):
    from training import train_target
    cfg = train_target.TrainConfig(batch_size=4, eval_images=8, warmup=5, bf16=False, labels=("thing1", "thing2", "thing3"))
    with pytest.raises(SystemExit, match="3 training images .* fewer than a batch"):
        train_target.train(cfg, resume=False, device="cpu", tiny=True, out=str(tmp_path), max_steps=1)


def test_more_emoji_train_but_validation_keeps_the_core_sources():
    from training.train_target import split_indices
    meta = [dict(concept="1F34E", split="train", src="fluentui-emoji/icons/flat/red-apple.svg"),
            dict(concept="1F34E", split="train", src="@iconify-json/emojione:red-apple"),
            dict(concept="2600", split="val", src="NotoColorEmoji.ttf:uni2600"),
            dict(concept="2600", split="val", src="@iconify-json/noto-v1:sun")]
    assert split_indices(meta) == ([0, 1], [2])


def test_core_only_leaves_more_emoji_and_icons_out_of_training():
    from training.train_target import split_indices
    meta = [dict(label="red apple", concept="1F34E", split="train", src="fluentui-emoji/icons/flat/red-apple.svg"),
            dict(label="red apple", concept="1F34E", split="train", src="@iconify-json/emojione:red-apple"),
            dict(label="apple", concept="tabler:apple", split="train"),
            dict(label="sun", concept="2600", split="train", src="NotoColorEmoji.ttf:uni2600"),
            dict(label="sun", concept="2600", split="val", src="NotoColorEmoji.ttf:uni2600")]
    assert split_indices(meta, core_only=True) == ([0, 3], [4])
    assert split_indices(meta, labels=("red apple",), core_only=True) == ([0], [4])


def test_vocabulary_holds_the_model_card_and_the_app_examples():
    import re
    from training.sample import MODEL_CARD_PROMPTS
    from training.vocabulary import VOCABULARY
    assert len(set(VOCABULARY)) == len(VOCABULARY) == 64
    assert {label for label, _ in MODEL_CARD_PROMPTS} <= set(VOCABULARY)
    examples = open(os.path.join(os.path.dirname(__file__), "..", "..", "src", "components", "ExamplePrompts.tsx")).read()
    labels = re.findall(r"'([^',]+), (?:noto|fluent|twemoji)'", examples)
    assert labels and set(labels) <= set(VOCABULARY), labels


def test_residual_dropout_only_while_training():
    from training.train_target import residual_dropout
    text, target = tiny_models()
    prefix, toks = text(torch.tensor([[2, 3]])), torch.randint(0, 32, (1, 15))
    with torch.no_grad():
        before = target.eval()(prefix, toks)
        residual_dropout([target], 0.5)
        assert torch.equal(target(prefix, toks), before)  # evaluation and export see the same model
        target.train()
        a, b = target(prefix, toks), target(prefix, toks)
    assert not torch.allclose(a, before) and not torch.allclose(a, b)  # each training pass drops other units
    hooked = [m for m in target.modules() if m._forward_hooks]
    assert len(hooked) == 2 * target.args.n_layers  # every attention and FFN, nothing else
