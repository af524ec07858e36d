"""eval_target's conditioning metrics on the tiny target: consistent with a direct computation."""
import math

import torch
import torch.nn.functional as F

from training.eval_target import conditioning, image_bits, prefix_shares
from training.text import caption
from training.train_draft import tiny_setup


def test_image_bits_is_the_summed_cross_entropy():
    text, target, tok, meta, ids = tiny_setup()
    prefix = text(tok.batch([caption(meta[0])]))
    with torch.no_grad():
        logits = target(prefix, ids[:1, :-1])
    expected = F.cross_entropy(logits[0], ids[0], reduction="sum").item() / math.log(2)
    assert math.isclose(image_bits(target, prefix, ids[:1]).item(), expected, rel_tol=1e-5)


def test_conditioning_metrics():
    text, target, tok, meta, ids = tiny_setup()
    idx = list(range(6))
    r = conditioning(text, target, tok, meta, ids, idx)
    N = ids.shape[1]
    with torch.no_grad():
        prefixes = text(tok.batch([caption(meta[j]) for j in idx]))
        cond = image_bits(target, prefixes, ids[idx]).mean().item()
        null = image_bits(target, text.null_prefix.expand(6, -1, -1), ids[idx]).mean().item()
    assert math.isclose(r["cond_bits_per_token"], cond / N, abs_tol=1e-4)
    assert math.isclose(r["caption_gain_bits_per_image"], null - cond, abs_tol=1e-2)
    assert 0 <= r["own_caption_top1"] <= 1 and 1 <= r["own_caption_mean_rank"] <= 6
    assert r["images"] == 6 and -1 <= r["prefix_pairwise_cos"] <= 1


def test_model_card_items_finds_each_prompts_image_in_order():
    from training.sample import MODEL_CARD_PROMPTS, model_card_items
    # the prompts' images shuffled among other images; the lookup returns them in the prompts' order
    others = [dict(label="moon", style="noto"), dict(label="red apple", style="noto")]
    prompts = [dict(label=label, style=style) for label, style in MODEL_CARD_PROMPTS]
    meta = others + prompts[::-1]
    assert model_card_items(meta) == [len(meta) - 1 - i for i in range(len(prompts))]


def test_prefix_shares_split_the_variance_between_label_and_style():
    torch.manual_seed(0)
    common, by_word = torch.randn(4, 8) * 10, {w: torch.randn(4, 8) for w in ["sun", "moon", "apple", "noto", "fluent"]}

    def encoder(depends_on):
        def encode(captions):  # one prefix per caption: the common part plus its label's or its style's
            return torch.stack([common + by_word[c.split(", ")[depends_on]] for c in captions])
        return encode

    on_label = prefix_shares(encoder(0), ["sun", "moon", "apple"], ["noto", "fluent"])
    assert on_label["label"] == 1 and on_label["style"] == 0 and on_label["interaction"] == 0
    on_style = prefix_shares(encoder(1), ["sun", "moon", "apple"], ["noto", "fluent"])
    assert on_style["style"] == 1 and on_style["label"] == 0
    assert 0 < on_label["caption_energy"] < 0.1  # the common part dominates each vector
