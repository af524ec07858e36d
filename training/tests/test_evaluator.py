"""Evaluator: feature shapes and norms, the Frechet distance against closed forms, diversity, InfoNCE learns,
BatchNorm folding and the f16 export round trip, prompt retrieval. Untrained models with random word vectors: no data files needed."""
import numpy as np
import pytest
import torch

from training.evaluator import (EvalConfig, Evaluator, clip_score, diversity, export, frechet_distance,
                                image_features, load_exported, prompt_retrieval, text_features)

WORDS = ["<pad>", "<unk>", "red", "apple", "grinning", "face", "twemoji", "noto", "fluent", "cat", "dog", "blue"]


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(seed=0):
    torch.manual_seed(seed)
    cfg = EvalConfig(stem=8, channels=(16, 16, 32), dim=128, text_hidden=32, n_vocab=len(WORDS))
    return Evaluator(cfg, torch.randn(len(WORDS), 100), WORDS).eval()


def test_shapes_and_normalisation():
    m = tiny()
    imgs = np.random.RandomState(0).randint(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    caps = ["red apple, noto", "grinning face, twemoji", "cat", "zebra unknownword", ""]
    fi, ft = image_features(imgs, model=m), text_features(caps, model=m)
    assert fi.shape == (5, 128) and ft.shape == (5, 128)
    assert torch.allclose(fi.norm(dim=-1), torch.ones(5), atol=1e-5)
    assert torch.allclose(ft[:4].norm(dim=-1), torch.ones(4), atol=1e-5)
    assert torch.isfinite(ft).all()  # the empty caption is defined too
    s = clip_score(imgs, caps, model=m)
    assert s.shape == (5,) and torch.allclose(s, (fi * ft).sum(-1))
    assert image_features(torch.from_numpy(imgs), model=m).allclose(fi)  # numpy or torch input


def test_frechet_identical_is_zero():
    f = np.random.RandomState(1).randn(300, 16)
    assert abs(frechet_distance(f, f)) < 1e-6
    assert abs(frechet_distance(f, f[::-1].copy())) < 1e-6  # order does not matter


def test_frechet_closed_form_exact():
    # b = s * a + shift: mu_b = s mu_a + shift, S_b = s^2 S_a, so (S_a S_b)^(1/2) = s S_a and
    # FD = ||(s-1) mu_a + shift||^2 + (1-s)^2 tr(S_a), exactly, whatever a is.
    rng = np.random.RandomState(2)
    a = rng.randn(400, 8) @ rng.randn(8, 8) + rng.randn(8)
    shift, s = rng.randn(8), 1.7
    b = s * a + shift
    want = np.sum(((s - 1) * a.mean(0) + shift) ** 2) + (1 - s) ** 2 * np.trace(np.cov(a.T))
    assert abs(frechet_distance(a, b) - want) < 1e-6 * max(1, want)


def test_frechet_shifted_gaussians():
    # N(0, I) vs N(mu, 4I) in d dims: ||mu||^2 + d (1 + 4 - 2*2) = ||mu||^2 + d, up to sampling noise
    g = torch.Generator().manual_seed(3)
    d, n = 8, 20000
    mu = torch.full((d,), 0.5)
    a = torch.randn(n, d, generator=g, dtype=torch.float64)
    b = mu + 2 * torch.randn(n, d, generator=g, dtype=torch.float64)
    want = float((mu ** 2).sum()) + d
    assert abs(frechet_distance(a, b) - want) < 0.05 * want


def test_diversity():
    e = np.eye(4)
    assert abs(diversity(e) - 1.0) < 1e-9                 # orthogonal: cosine distance 1
    assert abs(diversity(np.ones((6, 3)))) < 1e-9        # identical directions: 0
    assert abs(diversity(np.stack([e[0], -e[0]])) - 2.0) < 1e-9


def test_infonce_steps_lower_loss():
    m = tiny().train()
    g = torch.Generator().manual_seed(4)
    x = torch.rand(8, 3, 32, 32, generator=g)  # any size pools to one vector; small keeps the test fast
    ids = torch.tensor([[2, 3], [4, 5], [9, 6], [10, 7], [11, 3], [2, 8], [4, 9], [10, 11]])
    opt = torch.optim.AdamW(m.parameters(), 3e-3)
    losses = []
    for _ in range(15):
        loss = m.loss(x, ids)
        opt.zero_grad(), loss.backward(), opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    m.eval()
    eye = torch.eye(8, dtype=torch.bool)
    assert abs(m.loss(x, ids, eye).item() - m.loss(x, ids).item()) < 1e-6  # the default mask is the diagonal
    # with a duplicate pair (0 and 1 both positive for each other) the target spreads over both
    pos = eye.clone()
    pos[0, 1] = pos[1, 0] = True
    assert m.loss(x, ids, pos).item() != m.loss(x, ids).item()


def test_fused_and_exported_match(tmp_path):
    m = tiny().train()
    x = torch.rand(16, 3, 64, 64)
    with torch.no_grad():
        for _ in range(3):  # give BatchNorm non-trivial running statistics
            m.encode_images(x)
    m.eval()
    f = m.fused()
    assert (f.encode_images(x) - m.encode_images(x)).abs().max() < 1e-5
    export(m, str(tmp_path))
    shipped = load_exported(str(tmp_path))
    assert shipped.cfg.fused
    assert (shipped.encode_images(x) - m.encode_images(x)).abs().max() < 5e-3
    caps = ["red apple, noto", "blue dog"]
    assert (shipped.encode_text(caps) - m.encode_text(caps)).abs().max() < 5e-3


class ColourModel:  # an evaluator whose image feature is the mean colour and whose prompt feature the colour named
    colours = {"red": [1.0, 0, 0], "green": [0, 1.0, 0], "blue": [0, 0, 1.0]}

    def encode_images(self, x):
        return torch.nn.functional.normalize(x.mean((2, 3)), dim=-1)

    def encode_text(self, prompts):
        return torch.tensor([self.colours[p] for p in prompts])


def solid(channels):
    imgs = np.zeros((len(channels), 64, 64, 3), np.uint8)
    for i, c in enumerate(channels):
        imgs[i, ..., c] = 255
    return imgs


def test_prompt_retrieval_counts_images_closest_to_their_own_prompt():
    imgs, prompts = solid([0, 1, 2, 0]), ["red", "green", "blue"]
    top1, cosine = prompt_retrieval(imgs, [0, 1, 2, 0], prompts, ColourModel())
    assert top1 == 1.0 and cosine == pytest.approx(1.0)
    top1, cosine = prompt_retrieval(imgs, [0, 1, 2, 1], prompts, ColourModel())  # the last one was asked to be green
    assert top1 == 0.75 and cosine == pytest.approx(0.75)


def test_model_card_scores_the_samples_per_prompt_and_the_real_images():
    from training.sample import model_card_scores

    prompts = ["red", "green", "blue"]
    samples = [solid([0, 0]), solid([1, 2]), solid([0, 0])]  # 2 per prompt: red right twice, green once, blue never
    scores = model_card_scores(samples, prompts, solid([0, 1, 2]), ColourModel())
    assert scores["samples"]["top1"] == pytest.approx(0.5) and scores["samples"]["cosine"] == pytest.approx(0.5)
    assert scores["real"]["top1"] == 1.0
    assert model_card_scores(samples, prompts, None, ColourModel())["real"] is None
