"""eval_draft's temperature-1 chain metrics: the acceptance of each head against a brute-force recomputation (full target
pass, draft decoding at one position) and the chain expectation against its closed form (tiny config, fast)."""
import pytest
import torch
import torch.nn.functional as F

from training.draft import Draft, DraftArgs, target_features
from training.eval_draft import acceptance, chain_tokens_per_forward, sampled_chains
from training.train_draft import tiny_setup

CFG = 3.0
pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py: tiny ops, one thread


def random_draft(target, spatial, seed):
    """A draft with every part non-zero (a fresh one starts its above maps at zero), so each input is exercised."""
    torch.manual_seed(seed)
    d = Draft(DraftArgs.from_target(target.args, spatial=spatial, **(dict(rows_above=2) if spatial else {})))
    with torch.no_grad():
        for p in d.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return d.eval()


def test_chain_expectation_closed_form():
    a = torch.full((2, 5, 4), 0.5)
    assert torch.allclose(chain_tokens_per_forward(a), torch.tensor([1.5, 1.75, 1.875, 1.9375]).expand(2, 4))
    a[:, :, 1] = 0  # head 2 never accepted: longer chains gain nothing past head 1
    assert torch.allclose(chain_tokens_per_forward(a), torch.tensor(1.5).expand(2, 4))
    a = torch.tensor([[[1.0, 1.0], [0.0, 1.0]]])  # position-wise: (1 + 1 + 1) and (1 + 0 + 0), averaged
    assert torch.allclose(chain_tokens_per_forward(a), torch.tensor([[1.5, 2.0]]))


@torch.no_grad()
def test_acceptance_matches_brute_force():
    text, target, tok, meta, ids = tiny_setup()
    draft = random_draft(target, spatial=True, seed=3)
    toks, caps = ids[:2], ["w1 w2", "w3"]
    pc, pu = text(tok.batch(caps)), text.null_prefix.expand(2, -1, -1)
    (hc, lc), (hu, lu) = target_features(target, pc, toks), target_features(target, pu, toks)
    p = F.softmax(lu + CFG * (lc - lu), -1)
    ks, pos = [1, 2, 3], torch.arange(13)
    alpha, hits = acceptance(draft, target, (pc, pu), (hc, hu), p, toks, ks, pos, CFG)
    assert alpha.shape == hits.shape == (2, 13, 3)
    for t in (0, 5, 6, 12):  # first token, mid-row, where +2 and +3 wrap into the next row, the last row
        for j, k in enumerate(ks):
            guided = lambda cond, uncond: uncond + CFG * (cond - uncond)
            pt = F.softmax(guided(target(pc, toks[:, :t + k])[:, -1], target(pu, toks[:, :t + k])[:, -1]), -1)
            head = draft.args.offsets.index(k)
            dq = [draft(target, pre, h[:, :t + 1], toks[:, :t + 1], last_only=True)[:, head] for pre, h in ((pc, hc), (pu, hu))]
            q = F.softmax(guided(*dq), -1)
            assert torch.allclose(alpha[:, t, j], torch.minimum(pt, q).sum(-1), atol=1e-5)
            assert torch.equal(hits[:, t, j], q.argmax(-1) == pt.argmax(-1))


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
        assert tpf[0] == pytest.approx(1 + r["overlap"][1], abs=2e-3)  # a chain of 1 carries its head's acceptance
    assert "ahead_on_images" in out["hawk"] and "ahead_on_images" not in out["ablation"]
    assert all(0 <= x <= 1 for x in out["hawk"]["ahead_on_images"].values())
    same = sampled_chains({"a": hawk, "b": hawk}, text, target, tok, caps, CFG, bs=2)  # the same images for both
    assert {k: v for k, v in same["a"].items() if k != "ahead_on_images"} == same["b"]
    assert set(same["a"]["ahead_on_images"].values()) == {0.0}  # ties are not "ahead"
