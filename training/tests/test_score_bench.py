"""score_bench on a tiny synthetic bench result: random token grids, the shipped VQ decoder and evaluator (no dataset
needed), the "fidelity" section's shape and keys, and distance ~0 between identical image sets."""
import json

import numpy as np
import pytest

from training import score_bench
from training.score_bench import bench_prompts, decode, score_file
from training.train_vq_encoder import shipped_vq


pytestmark = pytest.mark.usefixtures("one_thread")


def test_fidelity_section(tmp_path):
    rng = np.random.RandomState(0)
    prompts, reps = ["red apple, fluent", "two blue cars on the left"], 3
    ar = {(p, rep): rng.randint(0, 1024, 256).tolist() for p in prompts for rep in range(reps)}
    runs = [dict(config=config, prompt=p, rep=rep, tokens=tokens if config != "n4v1" else rng.randint(0, 1024, 256).tolist())
            for (p, rep), tokens in ar.items() for config in ("ar", "ar2", "n4v1")]  # ar2 = the very same grids as ar
    path = tmp_path / "bench-synthetic.json"
    path.write_text(json.dumps(dict(page="bench", data=dict(runs=runs))))
    real = decode(shipped_vq().eval(), list(ar.values()))  # the "real" set: exactly plain AR's images

    fidelity = score_file(str(path), (real, "test"))

    assert json.loads(path.read_text())["fidelity"]["configs"] == fidelity["configs"]
    assert fidelity["real"]["images"] == len(ar)
    by = {c["config"]: c for c in fidelity["configs"]}
    assert list(by) == ["ar", "ar2", "n4v1"]
    for c in by.values():
        assert set(c) == {"config", "images", "fdReal", "fdAr", "clipScore", "diversity"} and c["images"] == len(ar)
        assert -1 <= c["clipScore"] <= 1 and 0 <= c["diversity"] <= 2
    assert by["ar"]["fdAr"] is None
    assert abs(by["ar"]["fdReal"]) < 1e-6 and abs(by["ar2"]["fdAr"]) < 1e-6 and abs(by["ar2"]["fdReal"]) < 1e-6
    assert by["n4v1"]["fdAr"] > 1e-3
    assert by["ar2"]["clipScore"] == pytest.approx(by["ar"]["clipScore"])


def test_prompt_sets():
    meta = [dict(label=f"thing {i}", style="noto", tags=["tag"], concept=f"C{i}", split="test" if i % 2 else "train")
            for i in range(20)]
    meta += [dict(label=label, style=style, tags=[], concept=label, split="train", src=src)
             for label in ("dog face", "sun") for style, src in (("noto", "noto"), ("openmoji", "@iconify-json/openmoji"))]
    sets = bench_prompts(meta, n_vocabulary=3, n_held_out=4, n_composed=5)
    assert len(sets["heldOut"]) == 4 and all(p.endswith(", noto, tag") for p in sets["heldOut"])
    assert all(int(p.split()[1][:-1]) % 2 for p in sets["heldOut"])  # test-split concepts only
    assert len(set(sets["composed"])) == 5 and sets == bench_prompts(meta, n_vocabulary=3, n_held_out=4, n_composed=5)  # seeded
    assert sorted(sets["vocabulary"]) == ["dog face, noto", "sun, noto"]  # learnt concepts in a core design only
    assert {k: v for k, v in bench_prompts(meta[:20], n_held_out=4, n_composed=5).items() if k != "vocabulary"} == \
        {k: v for k, v in sets.items() if k != "vocabulary"}  # the older sets do not move


def test_real_images_follow_the_prompt_sets(tmp_path, monkeypatch):
    meta = [dict(label="dog face", style="noto", split="train"), dict(label="dog face", style="openmoji", split="train",
            src="@iconify-json/openmoji"), dict(label="thing", style="noto", split="train"), dict(label="x", style="noto", split="test")]
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    np.save(tmp_path / "images.npy", np.arange(4, dtype=np.uint8).reshape(4, 1, 1, 1) * np.ones((1, 64, 64, 3), np.uint8))
    monkeypatch.setattr(score_bench, "DATA", str(tmp_path))
    learnt, split = score_bench.real_images([dict(prompt="dog face, noto", set="vocabulary")])
    assert split == "learnt" and learnt[:, 0, 0, 0].tolist() == [0]  # the core-design image of a vocabulary concept
    mixed, split = score_bench.real_images([dict(prompt="dog face, noto", set="vocabulary"), dict(prompt="x", set="held-out")])
    assert split == "test" and mixed[:, 0, 0, 0].tolist() == [3]
