"""Whether bf16 autocast pays on this machine, measured rather than assumed.

On a CPU with native bf16 (avx512_bf16 or AMX) autocast made training steps 2-3x faster; on one without (an AVX2-only
AMD EPYC vCPU here) PyTorch emulates bf16 and a target step took 69 s instead of 2.4 s in fp32. So the trainers ask
this probe instead of defaulting to bf16: one small matmul under autocast against the same in fp32.
"""
import time

import torch


def _best_seconds(fn, reps=3):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bf16_pays(device: str = "cpu", timer=_best_seconds) -> bool:
    """True when bf16 autocast is supported and a CPU matmul under it is no slower than in fp32."""
    if device == "cuda":
        return torch.cuda.is_bf16_supported()
    x, layer = torch.randn(256, 512), torch.nn.Linear(512, 512)

    def matmul(bf16):
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            layer(x)

    matmul(True)  # first call builds the kernels
    return timer(lambda: matmul(True)) <= timer(lambda: matmul(False))
