"""Draft model: shapes, the window rule, causality, a few distillation steps, f16 export round trip (tiny config, fast)."""
from dataclasses import asdict, replace

import pytest
import torch

from training.draft import Draft, DraftArgs, above_index, above_right_index, distill_loss, target_features, window_mask
from training.target import Transformer, configs
from training.train_draft import draw_batch, export_draft, grown, load_draft_f16, new_draft, tiny_setup


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py: tiny ops, one thread


def tiny(spatial=True, n_layers=1):
    torch.manual_seed(0)
    target = Transformer(configs["tiny"]).eval()
    with torch.no_grad():
        target.output.weight.mul_(30)  # peaked target distributions, so distillation has something to learn
    for p in target.parameters():
        p.requires_grad_(False)
    window = dict(rows_above=2) if spatial else {}  # grid 4: a window that leaves the top row out of reach of the last
    return target, Draft(DraftArgs.from_target(target.args, spatial=spatial, n_layers=n_layers, **window))


def inputs(target, B=3):
    g = torch.Generator().manual_seed(1)
    a = target.args
    prefix = torch.randn(B, a.prefix_len, a.dim, generator=g) * 0.1
    toks = torch.randint(0, a.vocab, (B, a.grid ** 2), generator=g)
    h, logits = target_features(target, prefix, toks)
    return prefix, toks, h, logits


def test_offsets_and_head_shapes():
    target, draft = tiny()
    assert draft.args.offsets == (1, 2, 3, 4, 8)  # grid 4: row-wise 1..3, then one and two rows below
    assert DraftArgs.from_target(configs["hawk-emoji"]).offsets == (1, 2, 3, 4, 5, 6, 7, 8, 16, 32)
    assert DraftArgs.from_target(configs["hawk-emoji"]).hidden == configs["hawk-emoji"].hidden
    assert DraftArgs.from_target(configs["hawk-emoji"], hidden=512).hidden == 512  # train_draft --hidden: a cheaper block
    prefix, toks, h, logits = inputs(target)
    assert torch.allclose(logits, target(prefix, toks[:, :-1]), atol=1e-5)  # same pass as Transformer.forward
    out = draft(target, prefix, h, toks)
    assert out.shape == (3, 16, 5, 32)
    last = draft(target, prefix, h[:, :7], toks[:, :7], last_only=True)  # decode: heads at the last position only
    assert last.shape == (3, 5, 32)
    assert torch.allclose(last, out[:, 6], atol=1e-5)


def test_window_mask_small_example():
    m = window_mask(1, 16, 4, rows_above=1, cols_left=1, cols_right=2)  # P = 1, grid 4, 1 row up, cols -1 .. +2
    assert m[:, 0].all()  # prefix always visible
    seen = lambda t: {k - 1 for k in range(1, 17) if m[1 + t, k]}
    assert seen(0) == {0}
    assert seen(3) == {2, 3}  # row 0, col 3: left neighbour only
    assert seen(5) == {0, 1, 2, 3, 4, 5}  # row 1, col 1: row above cols 0..3, own row left part
    assert seen(8) == {4, 5, 6, 8}  # row 2, col 0: row above cols 0..2
    assert seen(10) == {5, 6, 7, 9, 10}  # row 2, col 2: row 0 too far up, col 0 too far left
    assert seen(12) == {8, 9, 10, 12}  # row 3, col 0
    m = window_mask(2, 64, 8, rows_above=2, cols_left=3, cols_right=5)  # brute force the rule at hawk-like numbers
    for t in range(64):
        for s in range(64):
            rule = s <= t and t // 8 - s // 8 <= 2 and -3 <= s % 8 - t % 8 <= 5
            assert bool(m[2 + t, 2 + s]) == rule
    assert torch.equal(m[:2, :2], torch.ones(2, 2, dtype=torch.bool).tril())


def test_ablation_mask_is_causal_and_positions():
    L = 2 + 16
    assert torch.equal(window_mask(2, 16, 4), torch.ones(L, L, dtype=torch.bool).tril())
    _, hawk = tiny(spatial=True)
    _, abl = tiny(spatial=False)
    assert torch.equal(abl.mask(16), torch.ones(L, L, dtype=torch.bool).tril())
    r, c = hawk.positions(16)
    assert r[2:].tolist() == [t // 4 for t in range(16)] and c[2:].tolist() == [t % 4 for t in range(16)]
    r, c = abl.positions(16)
    assert r[2:].tolist() == list(range(16)) and torch.equal(r, c) and r[:2].tolist() == [0, 0]


def test_outputs_respect_window_and_causality():
    for spatial in (True, False):
        target, draft = tiny(spatial)
        prefix, toks, h, _ = inputs(target)
        g = draft.features(target, prefix, h, toks)
        changed, h2 = toks.clone(), h.clone()
        changed[:, 5] = (changed[:, 5] + 1) % 32
        h2[:, 5] += 1.0
        g2 = draft.features(target, prefix, h2, changed)
        assert torch.allclose(g[:, :5], g2[:, :5], atol=1e-6)  # causal
        assert not torch.allclose(g[:, 6], g2[:, 6], atol=1e-4)
        h2 = h.clone()
        h2[:, 0] += 1.0  # t = 0 is 3 rows above t = 12..15 (> rows_above = 2): invisible to the hawk draft, visible to the ablation
        g2 = draft.features(target, prefix, h2, toks)
        assert torch.allclose(g[:, 12:], g2[:, 12:], atol=1e-6) == spatial


def test_above_input_reads_the_token_above_the_predicted_one():
    assert [above_index(5, k, 4) for k in (1, 2, 3, 4, 8)] == [2, 3, 4, 5, 5]  # grid 4: (row - 1, col) of t + k; 2 rows up for 8
    assert above_index(0, 1, 16) < 0 and above_index(15, 1, 16) == 0
    target, draft = tiny()
    torch.nn.init.normal_(draft.w_above.weight, std=0.05)  # starts at zero (then the heads ignore it)
    prefix, toks, h, _ = inputs(target)
    g = draft.features(target, prefix, h, toks)
    t = torch.tensor([6])
    for k, a in zip(draft.args.offsets, (3, 4, 5, 6, 6)):
        logits = lambda x: draft.head_logits(target, g, k, x, t)
        for s in range(16):
            changed = toks.clone()
            changed[:, s] = (changed[:, s] + 1) % 32
            assert torch.allclose(logits(toks), logits(changed)) == (s != a), (k, s)  # g fixed: only token a matters
    torch.nn.init.normal_(draft.w_above_features.weight, std=0.05)
    for k, a in zip(draft.args.offsets, (3, 4, 5, 6, 6)):  # the draft's own features at a, besides its features at t = 6
        for s in range(16):
            changed = g.clone()
            changed[:, s] += 1
            same = torch.allclose(draft.head_logits(target, g, k, toks, t), draft.head_logits(target, changed, k, toks, t))
            assert same == (s not in (a, 6)), (k, s)
    # up and to the right of t + k: (1, 3) is the last column (none), (2, 0) -> (1, 1), (2, 1) -> (1, 2) = t; vertical: none
    assert [above_right_index(6, k, 4) for k in draft.args.offsets] == [-1, 5, 6, -1, -1]
    assert [above_right_index(t, 1, 4) for t in (0, 2, 3, 7)] == [-1, -1, 1, 5]  # first row, last column, (1, 0), (2, 0)
    assert above_right_index(torch.tensor([0, 2, 3, 7]), 1, 4).tolist() == [-1, -1, 1, 5]
    torch.nn.init.normal_(draft.w_above_right.weight, std=0.05)
    for k, a, b in zip(draft.args.offsets, (3, 4, 5, 6, 6), (-1, 5, 6, -1, -1)):
        for s in range(16):
            changed = g.clone()
            changed[:, s] += 1
            same = torch.allclose(draft.head_logits(target, g, k, toks, t), draft.head_logits(target, changed, k, toks, t))
            assert same == (s not in (a, b, 6)), (k, s)
    first_row = draft.head_logits(target, g, 1, toks, torch.tensor([0]))  # (0, 1) has nothing above
    plain = target.output(target.norm(draft.heads["k1"](g[:, 0:1])))
    assert torch.equal(first_row, plain)
    _, abl = tiny(spatial=False)
    assert abl.w_above is None and abl.w_above_features is None and abl.w_above_right is None


def test_distillation_lowers_loss():
    target, draft = tiny()
    prefix, toks, h, logits = inputs(target, B=4)
    opt = torch.optim.AdamW(draft.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss, kls, agree = distill_loss(draft, target, prefix, h, logits, toks)
        opt.zero_grad(), loss.backward(), opt.step()
        losses.append(loss.item())
    assert len(kls) == len(agree) == 5
    assert losses[-1] < 0.7 * losses[0]


def test_export_round_trip(tmp_path):
    for spatial in (True, False):
        target, draft = tiny(spatial, n_layers=2)
        for p in draft.parameters():
            torch.nn.init.normal_(p, std=0.05)
        path = str(tmp_path / f"d{spatial}.safetensors")
        arch = export_draft(dict(args=asdict(draft.args), draft=draft.state_dict(), step=3, elapsed=60.0), path)
        assert arch["spatial"] == spatial and arch["n_layers"] == 2 and arch["horizontal_offsets"] == [1, 2, 3]
        # the ablation: horizontal heads only, each wider, no above input (as many parameters, up to rounding the width down:
        # 5 heads x 2 x 64 x 256 + the three above maps 3 x 64 x 64 = 176,128 ~ 3 heads x 2 x 64 x 458 = 175,872)
        assert (arch["offsets"], arch["vertical_offsets"], arch["head_hidden"], arch["above"], arch["above_features"], arch["above_right"]) == (
            ([1, 2, 3, 4, 8], [4, 8], 256, True, True, True) if spatial else ([1, 2, 3], [], 458, False, False, False))
        n_other = sum(p.numel() for p in tiny(not spatial, n_layers=2)[1].parameters())
        assert abs(sum(p.numel() for p in draft.parameters()) - n_other) < 2 * 64 * 3
        assert (arch["window"] == dict(rows_above=2, cols_left=15, cols_right=15)) == spatial
        draft2, arch2 = load_draft_f16(path)
        assert draft2.args == draft.args
        for (n, a), (_, b) in zip(draft.state_dict().items(), draft2.state_dict().items()):
            assert torch.equal(a.half().float(), b), n
        prefix, toks, h, _ = inputs(target)
        assert torch.allclose(draft(target, prefix, h, toks), draft2(target, prefix, h, toks), atol=5e-2)


def test_batches_mix_training_and_generated_images():
    import random
    _, _, _, meta, ids = tiny_setup()
    train_idx = [i for i, m in enumerate(meta) if m["split"] == "train"]
    pool = (torch.full((5, ids.shape[1]), 7), [f"generated {i}" for i in range(5)])
    captions, toks = draw_batch(random.Random(0), meta, ids, train_idx, 8, pool, 3)
    assert len(captions) == 8 and toks.shape == (8, ids.shape[1])
    assert all(c.startswith("generated") for c in captions[5:]) and (toks[5:] == 7).all()  # captions stay with their images
    assert not any(c.startswith("generated") for c in captions[:5])
    for c, t in zip(captions[:5], toks[:5]):  # training images keep their own captions
        assert any(torch.equal(t, ids[i]) and c.startswith(meta[i]["label"]) for i in train_idx)
    captions, toks = draw_batch(random.Random(0), meta, ids, train_idx, 8)  # no pool: teacher-forced only
    assert len(captions) == 8 and not any(c.startswith("generated") for c in captions)


def test_drafts_learn_on_the_images_their_target_learnt(tmp_path):
    import json
    from training.train_draft import target_training_items
    meta = [dict(label="sun", concept="2600", split="train", src="NotoColorEmoji.ttf:uni2600"),
            dict(label="sun", concept="2600", split="train", src="@iconify-json/noto-v1:sun"),
            dict(label="moon", concept="1F319", split="train", src="NotoColorEmoji.ttf:u1F319"),
            dict(label="moon", concept="1F319", split="val", src="NotoColorEmoji.ttf:u1F319")]
    ck = tmp_path / "target.pt"
    torch.save(dict(train=dict(icons=True, labels=("sun",), core_only=True)), ck)
    assert target_training_items(str(ck), meta) == [0]
    torch.save(dict(train=dict(icons=True, labels=(), core_only=False)), ck)  # a target trained on everything
    assert target_training_items(str(ck), meta) == [0, 1, 2]
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "manifest.json").write_text(json.dumps(dict(concepts=["moon"])))
    assert target_training_items(str(shipped), meta) == [2]
    (shipped / "manifest.json").write_text(json.dumps(dict(name="an older model, trained on everything")))
    assert target_training_items(str(shipped), meta) == [0, 2]


def test_new_draft_is_fresh_or_the_shipped_one(tmp_path):
    target, _ = tiny(True, n_layers=1)
    shipped = Draft(DraftArgs.from_target(target.args))  # the current architecture: started as it is
    for p in shipped.parameters():
        torch.nn.init.normal_(p, std=0.05)
    export_draft(dict(args=asdict(shipped.args), draft=shipped.state_dict(), step=3, elapsed=60.0), str(tmp_path / "draft_hawk.safetensors"))
    started = new_draft("hawk", target.args, init=str(tmp_path))
    assert started.args == shipped.args and all(p.requires_grad for p in started.parameters())
    for (n, a), (_, b) in zip(shipped.state_dict().items(), started.state_dict().items()):
        assert torch.equal(a.half().float(), b), n
    assert new_draft("ablation", target.args).args == DraftArgs.from_target(target.args, spatial=False)


def test_a_shipped_draft_older_than_the_architecture_grows_into_it_computing_the_same():
    target, _ = tiny(True, n_layers=1)
    prefix, toks, h, _ = inputs(target)
    for spatial in (True, False):
        old_args = replace(DraftArgs.from_target(target.args, spatial=spatial), above_features=False, above_right=False,
                           head_hidden=256 if spatial else 437)  # as exported before w_above_features existed
        old = Draft(old_args)
        for p in old.parameters():
            torch.nn.init.normal_(p, std=0.05)
        new = grown(old, target.args)
        assert new.args == DraftArgs.from_target(target.args, spatial=spatial)
        assert sum(p.numel() for p in new.parameters()) > sum(p.numel() for p in old.parameters())
        assert torch.allclose(new(target, prefix, h, toks), old(target, prefix, h, toks), atol=1e-5)
        assert grown(new, target.args) is new
    narrow = Draft(replace(DraftArgs.from_target(target.args), cols_left=1, cols_right=1))  # an older, narrower window
    assert (grown(narrow, target.args).args.cols_left, grown(narrow, target.args).args.cols_right) == (15, 15)
