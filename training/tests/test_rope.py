"""2D RoPE convention, checked against hand-computed numbers (the WGSL engine must match these)."""
import math

import torch

from training.target import ModelArgs, apply_rope, image_positions, rope_angles


def test_angles_rows_then_cols():
    # head_dim 8 -> halves of h=4 -> 2 pairs per half, freqs base^(-0/4)=1 and base^(-2/4)=0.01
    a = rope_angles(torch.tensor([3]), torch.tensor([5]), head_dim=8, base=10000.0)[0]
    assert torch.allclose(a, torch.tensor([3.0, 0.03, 5.0, 0.05]))


def test_rotation_of_pairs():
    x = torch.arange(1.0, 9.0).view(1, 1, 1, 8)  # (x0,x1)=(1,2), (3,4), (5,6), (7,8)
    y = apply_rope(x, rope_angles(torch.tensor([3]), torch.tensor([5]), 8, 10000.0)).flatten()
    expect = []
    for (x0, x1), t in zip([(1, 2), (3, 4), (5, 6), (7, 8)], [3.0, 0.03, 5.0, 0.05]):
        expect += [x0 * math.cos(t) - x1 * math.sin(t), x0 * math.sin(t) + x1 * math.cos(t)]
    assert torch.allclose(y, torch.tensor(expect), atol=1e-6)


def test_positions_prefix_zero_then_raster():
    rows, cols = image_positions(ModelArgs(prefix_len=8, grid=16), 255)
    assert rows[:8].tolist() == [0] * 8 and cols[:8].tolist() == [0] * 8
    assert (rows[8 + 17].item(), cols[8 + 17].item()) == (1, 1)
    assert (rows[-1].item(), cols[-1].item()) == (15, 14)  # token 254 is the last input


def test_prefix_positions_are_not_rotated():
    x = torch.randn(1, 2, 3, 64)
    assert torch.equal(apply_rope(x, rope_angles(torch.zeros(3), torch.zeros(3), 64, 10000.0)), x)
