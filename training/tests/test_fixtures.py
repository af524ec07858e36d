"""The committed TS parity fixtures (tests/fixtures) are what training.fixtures makes from the current model code."""
import json
import os

import numpy as np
import torch
from safetensors.torch import load_file

from training.fixtures import FIXTURES, write

FILES = ["text.safetensors", "target.safetensors", "draft_spatial.safetensors", "draft_ablation.safetensors", "vocab.json", "golden.json"]


def numbers_close(a, b, path="golden"):
    """Same structure and strings/ints; floats within 1e-5 (summation order may differ across machines)."""
    assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} vs {sorted(b)}"
        for k in a:
            numbers_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        if a and all(isinstance(x, (int, float)) for x in a) and any(isinstance(x, float) for x in a):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-5, err_msg=path)
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                numbers_close(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def test_committed_fixtures_are_fresh(tmp_path):
    fresh = write(str(tmp_path))
    committed = json.load(open(os.path.join(FIXTURES, "golden.json")))
    numbers_close(committed, json.loads(json.dumps(fresh)))  # through JSON, as committed
    for name in FILES[:4]:
        a, b = load_file(os.path.join(FIXTURES, name)), load_file(str(tmp_path / name))
        assert a.keys() == b.keys(), name
        for k in a:
            assert torch.equal(a[k], b[k]), f"{name}: {k} differs; rerun python -m training.fixtures"
    assert json.load(open(os.path.join(FIXTURES, "vocab.json"))) == json.load(open(tmp_path / "vocab.json"))
    total = sum(os.path.getsize(os.path.join(FIXTURES, f)) for f in FILES)
    assert total < 300_000, f"fixtures are {total} bytes; keep them small"


def test_export_tensor_names():
    """The fixtures use the real writers, so the names are the export's (what the TS loaders expect)."""
    text = load_file(os.path.join(FIXTURES, "text.safetensors"))
    target = load_file(os.path.join(FIXTURES, "target.safetensors"))
    draft = load_file(os.path.join(FIXTURES, "draft_spatial.safetensors"))
    assert {"embed.weight", "proj.weight", "bos", "pos_emb", "queries", "wq.weight", "wkv.weight", "wo.weight",
            "null_prefix", "norm.weight", "layers.0.attn.wqkv.weight"} <= text.keys()
    assert {"tok_emb.weight", "norm.weight", "output.weight", "layers.1.ffn.w13.weight"} <= target.keys()
    assert {"in_norm.weight", "w_in.weight", "w_prefix.weight", "layers.0.attn.wo.weight", "heads.k8.w2.weight"} <= draft.keys()
    assert all(t.dtype == torch.float16 for d in (text, target, draft) for t in d.values())
