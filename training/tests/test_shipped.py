"""The shipped model reads back for training tools (export.load_shipped) and reproduces the golden outputs export
computed from it, so --target public/models/hawk-emoji measures exactly what the app runs."""
import json
import os

import numpy as np

from training.export import PUBLIC, golden, load_shipped


def flat_numbers(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in flat_numbers(x[k])]
    if isinstance(x, list):
        return [v for item in x for v in flat_numbers(item)]
    return [x] if isinstance(x, (int, float)) else []


def test_shipped_model_reproduces_its_golden_outputs(one_thread):
    d = os.path.join(PUBLIC, "hawk-emoji")
    committed = json.load(open(os.path.join(d, "golden.json")))
    text, target, tok, step = load_shipped(d)
    assert step == json.load(open(os.path.join(d, "manifest.json")))["metrics"]["target_steps"]
    fresh = json.loads(json.dumps(golden(text, target, tok, committed["fixed_tokens"])))
    assert [p["word_ids"] for p in fresh["prompts"]] == [p["word_ids"] for p in committed["prompts"]]
    assert [p["argmax_cond"] for p in fresh["prompts"]] == [p["argmax_cond"] for p in committed["prompts"]]
    a, b = flat_numbers(fresh), flat_numbers(committed)
    assert len(a) == len(b) > 400
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)  # golden.json rounds to 5-6 decimals


def test_export_takes_the_vq_metrics_from_the_manifest_without_a_vq_run(tmp_path, monkeypatch):
    from training import export
    monkeypatch.setattr(export, "OUT", str(tmp_path))  # a fresh clone: no training/out/vq_metrics.json
    manifest = json.load(open(os.path.join(PUBLIC, "hawk-emoji", "manifest.json")))
    got = export.load_vq_metrics()
    assert got["test_psnr_db"] == manifest["metrics"]["vq_test_psnr_db"]
    assert got["config"]["codebook_size"] == manifest["vq"]["codebook_size"] == 1024


def test_the_shipped_manifest_names_the_vocabulary_its_target_learnt():
    from training.vocabulary import VOCABULARY
    manifest = json.load(open(os.path.join(PUBLIC, "hawk-emoji", "manifest.json")))
    assert manifest["concepts"] == list(VOCABULARY)


def test_what_the_app_downloads_fits_the_budget():
    """Issue 3's contract: the files the app loads (the manifest's, VQ decoder and codebook included) at most 60 MB, each
    present with its listed size. The evaluator (public/models/evaluator) is for the benchmark only."""
    d = os.path.join(PUBLIC, "hawk-emoji")
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    sizes = [os.path.getsize(os.path.normpath(os.path.join(d, f["path"]))) for f in manifest["files"]]
    assert sizes == [f["bytes"] for f in manifest["files"]] and sum(sizes) == manifest["total_bytes"] <= 60e6
