"""VQ: a tiny model learns, its ONNX decoder equals PyTorch on full and partial grids, and the token file reads back."""
import numpy as np
import torch
import torch.nn.functional as F

from training.vq import VQConfig, VQModel, export_decoder_onnx, onnx_decode

TINY = VQConfig(codebook_size=32, code_dim=4, channels=(8, 8, 16), res_blocks=1)


def test_tiny_vq_loss_drops():
    torch.manual_seed(0)
    vq = VQModel(TINY)
    x = torch.rand(8, 3, 64, 64).round()  # flat two-level images, like emoji
    opt = torch.optim.Adam(vq.parameters(), 3e-3)
    losses = []
    for _ in range(30):
        y, ids, vq_loss = vq(x)
        loss = F.mse_loss(y, x) + vq_loss
        opt.zero_grad(), loss.backward(), opt.step()
        losses.append(loss.item())
    assert ids.shape == (8, 16, 16)
    assert losses[-1] < 0.8 * losses[0]


def test_onnx_decoder_matches_torch(tmp_path):
    torch.manual_seed(0)
    vq = VQModel(TINY).eval()
    path = str(tmp_path / "decoder.onnx")
    export_decoder_onnx(vq, path)
    ids = torch.randint(0, TINY.codebook_size, (1, 16, 16))
    for rows in (1, 5, 16):  # dynamic rows axis: partial grids decode too
        ref = vq.decode_ids(ids[:, :rows]).detach().numpy()
        out = onnx_decode(path, ids[:, :rows].numpy())
        assert out.shape == (1, 3, rows * 4, 64)
        assert np.abs(out - ref).max() < 1e-4


def test_load_tokens_reads_meta_ids_and_optional_mirror_and_shifts(tmp_path, monkeypatch):
    import json

    from training import tokenize
    monkeypatch.setattr(tokenize, "OUT", str(tmp_path))
    (tmp_path / "data").mkdir()
    meta = [dict(label="red apple", split="train"), dict(label="sun", split="val")]
    json.dump(meta, open(tmp_path / "data" / "meta.json", "w"))
    ids = np.arange(512, dtype=np.int16).reshape(2, 256)
    np.savez(tmp_path / "tokens.npz", ids=ids)  # written before mirroring existed
    got_meta, got_ids, got_flip = tokenize.load_tokens()
    assert got_meta == meta and got_flip is None
    assert got_ids.dtype == torch.int64 and torch.equal(got_ids, torch.from_numpy(ids.astype(np.int64)))
    assert tokenize.load_shifted_tokens() is None
    np.savez(tmp_path / "tokens.npz", ids=ids, ids_flip=ids[:, ::-1], ids_shift=np.stack([ids + k for k in range(8)]))
    _, _, got_flip = tokenize.load_tokens()
    assert torch.equal(got_flip, torch.from_numpy(ids[:, ::-1].astype(np.int64)))
    got_shift = tokenize.load_shifted_tokens()
    assert got_shift.shape == (8, 2, 256) and got_shift.dtype == torch.int64 and torch.equal(got_shift[3], got_ids + 3)


def test_committed_encoder_speaks_the_shipped_decoder(one_thread):
    from training.train_vq_encoder import ENCODER, PUBLIC, shipped_vq
    vq = shipped_vq(encoder=ENCODER).eval()
    ids = torch.randint(0, vq.cfg.codebook_size, (1, 16, 16))
    ref = onnx_decode(f"{PUBLIC}/decoder.onnx", ids[:, :7].numpy())  # the decoder is the app's, weight for weight
    assert np.abs(vq.decode_ids(ids[:, :7]).detach().numpy() - ref).max() < 1e-4
    # An emoji-like image (a red disc on white) goes through the committed encoder and the shipped decoder intact.
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    disc = ((yy - 32) ** 2 + (xx - 32) ** 2 < 20 ** 2).float()
    x = torch.stack([torch.ones_like(disc), 1 - disc * 0.9, 1 - disc * 0.9])[None]
    with torch.no_grad():
        y = vq.decode_ids(vq.encode(x))
    assert 10 * torch.log10(1 / ((y - x) ** 2).mean()) > 22  # dB; a random encoder gives noise
