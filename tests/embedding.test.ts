import { describe, expect, it } from 'vitest';
import type { DType } from '../workers/backend/backend';
import { both, cpu, randomF32, randomU32, weightData, widenF16 } from './harness';
import { expectMatch, useGpu } from './kernelCheck';

const gpu = useGpu();

describe('embedding matches the CPU oracle', () => {
  const cases = [[1, 1, 1], [7, 3, 5], [1000, 333, 20], [1000, 64, 1], [5, 1024, 3]];
  describe.each<DType>(['f32', 'f16'])('%s table', (dtype) => {
    it.each(cases)('V=%i D=%i M=%i', async (V, D, M) => {
      const [ct, gt] = both(gpu(), weightData(randomF32(V * D, V + D), dtype), [V, D], dtype);
      const [ci, gi] = both(gpu(), randomU32(M, M, V), [M]);
      // A gather copies values: the error must be exactly zero.
      await expectMatch(gpu(), `embedding ${dtype}`, gpu().embedding(gt, gi), cpu.embedding(ct, ci), 0);
    });

    it('ids ≥ V give zero rows on the GPU (the CPU backend throws)', async () => {
      const V = 7, D = 3;
      const table = weightData(randomF32(V * D, 11), dtype);
      const [ct, gt] = both(gpu(), table, [V, D], dtype);
      const ids = new Uint32Array([6, 7, 0, 0xffffffff, 1000]);
      const [ci, gi] = both(gpu(), ids, [ids.length]);
      const out = await gpu().read(gpu().embedding(gt, gi));
      const rows = table instanceof Uint16Array ? widenF16(table) : table;
      const expected = Array.from(ids, (id) => (id < V ? Array.from(rows.subarray(id * D, (id + 1) * D)) : [0, 0, 0])).flat();
      expect(Array.from(out)).toEqual(expected);
      expect(() => cpu.embedding(ct, ci)).toThrow(/outside vocabulary/);
    });
  });
});
