import { describe, expect, it } from 'vitest';
import type { DType } from '../workers/backend/backend';
import { both, cpu, randomF32, weightData } from './harness';
import { describeRowConfigs, expectMatch, useGpu } from './kernelCheck';

const gpu = useGpu();

describeRowConfigs(gpu, 'rmsnorm matches the CPU oracle', () => {
  const shapes = [[1, 1], [3, 3], [20, 333], [2, 1024], [5, 64], [7, 65]];
  describe.each<DType>(['f32', 'f16'])('%s weight', (dtype) => {
    it.each(shapes)('[%i, %i]', async (M, D) => {
      const [cx, gx] = both(gpu(), randomF32(M * D, M + D, 3), [M, D]);
      const [cw, gw] = both(gpu(), weightData(randomF32(D, 7 * D, 2), dtype), [D], dtype);
      await expectMatch(gpu(), `rmsnorm ${dtype}`, gpu().rmsnorm(gx, gw, 1e-5), cpu.rmsnorm(cx, cw, 1e-5));
    });
  });

  it('eps dominates a zero row (no NaN)', async () => {
    const [cx, gx] = both(gpu(), new Float32Array(6), [2, 3]);
    const [cw, gw] = both(gpu(), new Float32Array([1, 2, 3]), [3]);
    const out = await gpu().read(gpu().rmsnorm(gx, gw, 1e-6));
    expect(Array.from(out)).toEqual(Array.from(await cpu.read(cpu.rmsnorm(cx, cw, 1e-6))));
  });

  it('large magnitudes do not overflow to a wrong scale', async () => {
    const [cx, gx] = both(gpu(), randomF32(4 * 100, 9, 1e15), [4, 100]);
    const [cw, gw] = both(gpu(), randomF32(100, 10), [100]);
    await expectMatch(gpu(), 'rmsnorm f32', gpu().rmsnorm(gx, gw, 1e-5), cpu.rmsnorm(cx, cw, 1e-5));
  });

  it('rejects a weight of the wrong length', () => {
    const [, gx] = both(gpu(), randomF32(6, 1), [2, 3]);
    const [, gw] = both(gpu(), randomF32(4, 2), [4]);
    expect(() => gpu().rmsnorm(gx, gw, 1e-5)).toThrow(/expected shape \[3\]/);
  });
});
