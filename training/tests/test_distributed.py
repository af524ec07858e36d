"""torchrun with 2 processes (gloo on CPU) trains the tiny target for a few steps: both ranks finish the same
steps with identical weights (DDP averaged the gradients), and rank 0 alone writes the checkpoint."""
import os
import re
import subprocess
import sys

import torch

from training.train_target import build_models, tiny_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_ddp_two_processes_gloo(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "training.train_target", "--tiny", "--steps", "6", "--out", str(tmp_path)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    ranks = dict(re.findall(r"rank (\d)/2 step 6 param checksum ([-+.e0-9]+)", r.stdout))  # the ranks share stdout: lines may run together
    assert set(ranks) == {"0", "1"}, r.stdout
    assert ranks["0"] == ranks["1"]
    assert "2 process(es)" in r.stdout
    ck = torch.load(tmp_path / "target.pt", weights_only=False)
    assert ck["step"] == 6 and ck["history"][-1]["full_val"]
    # The ranks drew different batches (seeded by rank), so equal weights mean the gradients were averaged;
    # and the weights did train: they moved away from the shared initialisation.
    torch.manual_seed(0)
    _, fresh = build_models(tiny_data()[3], "tiny")
    moved = [not torch.equal(v, fresh.state_dict()[k]) for k, v in ck["target"].items()]
    assert sum(moved) > len(moved) // 2
