"""The ONNX decode step (training/export_onnx_target.py) computes what Transformer + KVCache computes."""
import os

import onnx
import torch

from training.export_onnx_target import export_step, parity
from training.target import Transformer, configs


def test_onnx_decode_step_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    args = configs["tiny"]
    model = Transformer(args).eval()
    path = export_step(model, os.path.join(tmp_path, "step.onnx"))
    g = onnx.load(path).graph
    assert [i.name for i in g.input] == ["x", "pos", "past_k", "past_v"]
    assert [o.name for o in g.output] == ["logits", "present_k", "present_v"]
    # The prefix is fed one position at a time from an empty past, then 6 decode steps of image tokens (grid 4: the
    # last two sit on row 1, so both halves of the 2D RoPE are exercised).
    diffs, scale = parity(model, path, n_tokens=6)
    assert len(diffs) == 7
    assert scale > 0.01
    assert max(diffs) < 1e-4, diffs
