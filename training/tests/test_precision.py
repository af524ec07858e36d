"""precision.bf16_pays: bf16 autocast only where the measured matmul is no slower than fp32."""
from training.precision import bf16_pays


def fake_timer(bf16_seconds, fp32_seconds):
    calls = iter([bf16_seconds, fp32_seconds])  # bf16_pays times the bf16 matmul first, then the fp32 one
    return lambda fn: (fn(), next(calls))[1]


def test_bf16_used_only_where_it_is_not_slower():
    assert bf16_pays("cpu", timer=fake_timer(0.001, 0.002))
    assert bf16_pays("cpu", timer=fake_timer(0.002, 0.002))
    assert not bf16_pays("cpu", timer=fake_timer(0.014, 0.0018))  # emulated bf16 on an AVX2-only CPU, as measured

