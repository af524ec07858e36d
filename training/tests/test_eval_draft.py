"""eval_draft's temperature-1 chain metrics: the acceptance of each head and the chains' tokens per forward against
brute-force recomputations (full target passes, draft decoding at one position), the draws against their distribution
(tiny config, fast)."""
import pytest
import torch
import torch.nn.functional as F

from training.draft import Draft, DraftArgs, target_features
from training import eval_draft
from training.eval_draft import acceptance, chain_tokens, draw, guided_heads, sampled_chains
from training.guidance import Guidance
from training.text import caption
from training.train_draft import tiny_setup

CFG = Guidance(3.0, 0.7)  # the tiny models are nearly flat: a cut this high removes part of the vocabulary (checked below)
pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py: tiny ops, one thread


def random_draft(target, spatial, seed):
    """A draft with every part non-zero (a fresh one starts its above maps at zero), so each input is exercised."""
    torch.manual_seed(seed)
    d = Draft(DraftArgs.from_target(target.args, spatial=spatial, **(dict(rows_above=2) if spatial else {})))
    with torch.no_grad():
        for p in d.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return d.eval()


def setup(n_images=2, seed=3):
    """Tiny models, a spatial draft with every part non-zero, and the guided target along n_images training grids."""
    text, target, tok, meta, ids = tiny_setup()
    toks = ids[:n_images]
    prefixes = text(tok.batch([f"w{i}" for i in range(n_images)])), text.null_prefix.expand(n_images, -1, -1)
    (hc, lc), (hu, lu) = (target_features(target, pre, toks) for pre in prefixes)
    return target, random_draft(target, True, seed), toks, prefixes, (hc, hu), F.softmax(CFG(lc, lu), -1)


def test_draw_follows_the_distribution():
    q = torch.tensor([0.0, 0.25, 0.0, 0.5, 0.25, 0.0])
    M = 4000
    got = draw(q.expand(M, -1), (torch.arange(M) + 0.5) / M)
    assert torch.allclose(torch.bincount(got, minlength=6) / M, q, atol=1 / M)  # zero-mass tokens never come out
    assert draw(q, torch.tensor(1 - 1e-7)).item() == 4 and draw(q, torch.tensor(0.0)).item() == 1


@torch.no_grad()
def test_acceptance_matches_brute_force():
    target, draft, toks, (pc, pu), (hc, hu), p = setup()
    ks, pos = [1, 2, 3], torch.arange(13)
    q = guided_heads(draft, target, (pc, pu), (hc, hu), toks, ks, pos, CFG)
    alpha, hits = acceptance(q, p, ks, pos)
    assert q.shape == (2, 13, 3, 32) and alpha.shape == hits.shape == (2, 13, 3)
    assert 0.2 < (q == 0).float().mean() < 0.8 and 0.2 < (p == 0).float().mean() < 0.8  # the cut is exercised
    for t in (0, 5, 6, 12):  # first token, mid-row, where +2 and +3 wrap into the next row, the last row
        for j, k in enumerate(ks):
            pt = F.softmax(CFG(target(pc, toks[:, :t + k])[:, -1], target(pu, toks[:, :t + k])[:, -1]), -1)
            head = draft.args.offsets.index(k)
            dq = [draft(target, pre, h[:, :t + 1], toks[:, :t + 1], last_only=True)[:, head] for pre, h in ((pc, hc), (pu, hu))]
            qt = F.softmax(CFG(*dq), -1)
            assert torch.allclose(q[:, t, j], qt, atol=1e-5)
            assert torch.allclose(alpha[:, t, j], torch.minimum(pt, qt).sum(-1), atol=1e-5)
            assert torch.equal(hits[:, t, j], qt.argmax(-1) == pt.argmax(-1))


@torch.no_grad()
def test_chain_tokens_match_brute_force():
    """The target judges each drafted token after the drafted ones before it (full passes here, a KV cache restored
    after every position there), and the expectation over the accept draws is 1 + sum_k prod_{j<=k} min(1, p/q)."""
    target, draft, toks, (pc, pu), hidden, p = setup()
    pos = torch.arange(13)
    q = guided_heads(draft, target, (pc, pu), hidden, toks, [1, 2, 3], pos, CFG)
    u = torch.rand(2, 13, 3, generator=torch.Generator().manual_seed(0))
    got, = chain_tokens(target, (pc, pu), toks, p, [q], pos, CFG, u)
    assert got.shape == (2, 13, 3) and all(layer.attn.kv_cache is None for layer in target.layers)
    for t in (0, 5, 6, 12):
        d = draw(q[:, t], u[:, t])  # (2, 3)
        ratio = []
        for j in range(3):
            ctx = torch.cat([toks[:, :t + 1], d[:, :j]], 1)
            pj = F.softmax(CFG(target(pc, ctx)[:, -1], target(pu, ctx)[:, -1]), -1)
            qd = q[:, t, j].gather(-1, d[:, j:j + 1])[:, 0]
            ratio.append((pj.gather(-1, d[:, j:j + 1])[:, 0] / qd).clamp(max=1))
        assert torch.allclose(got[:, t], 1 + torch.stack(ratio, 1).cumprod(-1).cumsum(-1), atol=1e-5)


@torch.no_grad()
def test_chain_of_one_averages_to_its_acceptance():
    """Over the draft's draws, E[min(1, p/q)] = sum_v min(p, q): the chain of one head carries 1 + alpha_1 per forward."""
    target, draft, toks, prefixes, hidden, p = setup(n_images=1)
    R, pos = 3000, torch.arange(13)  # the image repeated R times, each with its own draws
    rep = lambda x: x.expand(R, *x.shape[1:])
    q = guided_heads(draft, target, prefixes, hidden, toks, [1], pos, CFG)
    alpha, _ = acceptance(q, p, [1], pos)
    tokens, = chain_tokens(target, tuple(map(rep, prefixes)), rep(toks), rep(p), [rep(q)], pos, CFG,
                           torch.rand(R, 13, 1, generator=torch.Generator().manual_seed(1)))
    assert torch.allclose(tokens.mean(0)[:, 0] - 1, alpha[0, :, 0], atol=0.04)  # ~4 standard errors at R = 3000


@torch.no_grad()
def test_sampled_chains_paired():
    text, target, tok, meta, ids = tiny_setup()
    hawk, ablation = random_draft(target, True, 1), random_draft(target, False, 2)
    caps = ["w1 w2", "w3", "w4 w5 w6"]
    out = sampled_chains({"hawk": hawk, "ablation": ablation}, text, target, tok, caps, CFG, bs=2)
    for v, r in out.items():  # grid 4: chains of 1..3, heads +1..+3 stay in the row
        assert r["images"] == 3 and list(r["overlap"]) == list(r["tokens_per_forward"]) == [1, 2, 3]
        assert all(0 <= x <= 1 for x in r["overlap"].values())
        tpf = list(r["tokens_per_forward"].values())
        assert all(1 <= x <= n + 1 for n, x in enumerate(tpf, 1)) and tpf == sorted(tpf)  # longer chains never lose
    assert "ahead_on_images" in out["hawk"] and "ahead_on_images" not in out["ablation"]
    assert all(0 <= x <= 1 for x in out["hawk"]["ahead_on_images"].values())
    lead = out["hawk"]["lead"]
    assert [m for m, _ in lead.values()] == pytest.approx(
        [h - a for h, a in zip(out["hawk"]["tokens_per_forward"].values(), out["ablation"]["tokens_per_forward"].values())], abs=2e-3)
    same = sampled_chains({"a": hawk, "b": hawk}, text, target, tok, caps, CFG, bs=2)  # the same images for both
    assert {k: v for k, v in same["a"].items() if k not in ("ahead_on_images", "lead")} == same["b"]
    assert set(same["a"]["ahead_on_images"].values()) == {0.0}  # ties are not "ahead"
    assert all(x == [0.0, 0.0] for x in same["a"]["lead"].values())  # the same draws for both


def test_parts_two_and_three_decode_the_given_captions(monkeypatch):
    """--decode learnt: teacher forcing stays on validation images, the greedy and T 1 decodes take decode_idx's captions."""
    text, target, tok, meta, ids = tiny_setup()
    seen, real_decode = [], eval_draft.decode
    monkeypatch.setattr(eval_draft, "decode", lambda text, target, tok, captions, *a, **k:
                        seen.append(captions) or real_decode(text, target, tok, captions, *a, **k))
    monkeypatch.setattr(eval_draft, "sampled_chains", lambda drafts, text, target, tok, captions, g:
                        seen.append(captions) or {v: {} for v in drafts})
    val, learnt = [0, 8], [1, 2, 3]
    out = eval_draft.evaluate({"hawk": random_draft(target, True, 0)}, text, target, tok, meta, ids, val, 2, CFG, 3,
                              decode_idx=learnt)
    assert seen == [[caption(meta[j]) for j in learnt[:2]], [caption(meta[j]) for j in learnt]]
    assert out["hawk"]["greedy"]["images"] == 2
