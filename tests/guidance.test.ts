/**
 * Classifier-free guidance with the plausibility cut: `guideRow` against the exact math (the same example as
 * training/tests/test_guidance.py), and the WGSL kernel (shaders/guidance.wgsl) against the CPU oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { CUT_LOGIT, type Guidance, guideRow } from '../workers/decoding/logitsProcessing';
import { both, cpu, diff, gpuBackend, randomF32 } from './harness';

describe('guideRow', () => {
  const cond = [2, 0, -1, -3.5, 1.5], uncond = [1, 1, -2, -6, 1.5];

  it('is uncond + scale·(cond − uncond) without the cut', () => {
    expect(Array.from(guideRow(cond, uncond, { scale: 3, plausibility: 0 }))).toEqual([4, -2, 1, 1.5, 1.5]);
  });

  it('cuts the tokens whose cond logit is below max + ln(plausibility), however guidance would rank them', () => {
    // ln(e^-3) → threshold 2 − 3 = −1: token 3 (−3.5) is cut although guidance lifts it above token 1; token 2 sits on the threshold and stays.
    expect(Array.from(guideRow(cond, uncond, { scale: 3, plausibility: Math.exp(-3) }))).toEqual([4, -2, 1, CUT_LOGIT, 1.5]);
    // Scale 1 without an unconditional sequence: the cut alone (min-p on cond).
    expect(Array.from(guideRow(cond, cond, { scale: 1, plausibility: Math.exp(-2.5) }))).toEqual([2, 0, CUT_LOGIT, CUT_LOGIT, 1.5]);
    // Plausibility 1 keeps only the maximum (and its ties).
    expect(Array.from(guideRow([1, 3, 3], [0, 0, 0], { scale: 2, plausibility: 1 }))).toEqual([CUT_LOGIT, 6, 6]);
  });
});

let gpu: WebGpuBackend;
beforeAll(async () => { gpu = await gpuBackend(); });
afterAll(() => gpu.destroy());

describe('the guidance kernel matches the CPU oracle', () => {
  const cases: [number, number, Guidance][] = [
    [2, 5, { scale: 1.5, plausibility: 0 }], [4, 1024, { scale: 3.5, plausibility: 0.02 }], [6, 77, { scale: 0, plausibility: 0.3 }],
    [3, 1024, { scale: 1, plausibility: 0.1 }], [6, 1024, { scale: 3, plausibility: 1 }],
  ];
  it.each(cases)('rows %i, V %i, %o', async (rows, V, g) => {
    const [c, gp] = both(gpu, randomF32(rows * V, 4, 5), [rows, V]);
    const got = await gpu.read(gpu.cfg(gp, g)) as Float32Array, want = await cpu.read(cpu.cfg(c, g)) as Float32Array;
    expect(got.length).toBe((g.scale === 1 ? rows : rows / 2) * V);
    const cut = (x: Float32Array) => Array.from(x, (v) => v === CUT_LOGIT);
    // The same tokens cut (the threshold is the same f32 sum on both), the kept values equal within rounding.
    expect(cut(got)).toEqual(cut(want));
    if (g.plausibility > 0) expect(cut(want).some(Boolean)).toBe(true);
    const kept = (x: Float32Array) => x.filter((v) => v !== CUT_LOGIT);
    expect(diff(kept(got), kept(want)).maxRel).toBeLessThanOrEqual(1e-5);
  });

  it('rejects an odd number of rows when guiding', () => {
    const [c] = both(gpu, randomF32(3 * 4, 1), [3, 4]);
    expect(() => cpu.cfg(c, { scale: 2, plausibility: 0 })).toThrow(/cond and uncond rows/);
  });
});
