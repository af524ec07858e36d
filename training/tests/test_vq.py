"""VQ: a tiny model learns, and its ONNX decoder equals PyTorch on full and partial grids."""
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
