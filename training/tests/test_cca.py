import math

import torch

from training.text import Tokenizer, caption
from training.train_cca import CCAConfig, cca_loss, image_logp, train
from training.train_draft import models_from_checkpoint
from training.train_target import TrainConfig, tiny_data
from training.train_target import train as train_target


def test_cca_loss_is_the_papers_formula():
    gap, gap_neg = torch.tensor([10.0, -5.0]), torch.tensor([-20.0, 3.0])
    beta, lam = 0.1, 50.0
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    # pair 0 mismatched (pushed down with weight lam), pair 1 counts as positive on both sides (weight 1, pushed up)
    want = (-(math.log(sig(1.0)) + math.log(sig(-0.5))) / 2 - (lam * math.log(sig(2.0)) + math.log(sig(0.3))) / 2) / lam
    loss, acc = cca_loss(gap, gap_neg, torch.tensor([False, True]), beta, lam)
    assert abs(loss.item() - want) < 1e-6
    assert acc.item() == 0.5  # pair 0 ranks its own caption higher, pair 1 does not


def test_cca_makes_the_target_prefer_each_image_under_its_own_caption(tmp_path):
    """After a tiny target's pretraining, CCA widens the gap between own and mismatched captions on the training set."""
    train_target(TrainConfig(minutes=10, batch_size=4, eval_images=8, warmup=5, bf16=False), resume=False, device="cpu",
                 tiny=True, out=str(tmp_path / "t"), max_steps=60)
    meta, ids, vocab, *_ = tiny_data()
    tok = Tokenizer(vocab)
    b = [i for i, m in enumerate(meta) if m["split"] == "train"]
    caps = [caption(meta[i]) for i in b]
    words = tok.batch(caps + caps[1:] + caps[:1])
    toks, drop = ids[b].repeat(2, 1), torch.zeros(2 * len(b), dtype=torch.bool)

    def margin(text, target):  # mean over images of log p(x | own caption) - log p(x | the next image's caption)
        with torch.no_grad():
            logp = image_logp(text.eval(), target.eval(), toks, words, drop)
        return (logp[:len(b)] - logp[len(b):]).mean().item()

    before = margin(*models_from_checkpoint(torch.load(tmp_path / "t" / "target.pt", weights_only=False)))
    text, target = train(CCAConfig(batch_size=4, lr=1e-3, lam=1.0, beta=0.05, flip=0, shift=0), str(tmp_path / "t" / "target.pt"),
                         str(tmp_path / "c"), tiny=True, max_steps=30, log=lambda *a, **k: None)
    after = margin(text, target)
    assert after > before + 1.0, (before, after)
    ck = torch.load(tmp_path / "c" / "target.pt", weights_only=False)
    assert ck["step"] == 90 and ck["train"]["cca"]["lam"] == 1.0 and ck["history"][-1]["cca"]
