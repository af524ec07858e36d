/**
 * Batched attention (classifier-free guidance runs cond and uncond as one batch of 2): each
 * sequence's result equals an unbatched call on its own queries and cache, on CPU and WebGPU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, LocalWindow, Tensor } from '../workers/backend/backend';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { cpu, diff, gpuBackend, randomF32, record } from './harness';

const heads = 2, C = 16, T = 30, M = 5, kvLen = 27;
const window: LocalWindow = { prefixLen: 3, gridWidth: 5, rowsAbove: 1, colsLeft: 1, colsRight: 2 };

function inputs(b: Backend) {
  const q = [randomF32(M * C, 1), randomF32(M * C, 2)];
  const k = [randomF32(T * C, 3), randomF32(T * C, 4)];
  const v = [randomF32(T * C, 5), randomF32(T * C, 6)];
  const mask = Uint32Array.from({ length: M * kvLen }, (_, i) => Number((i % kvLen) <= 22 + Math.floor(i / kvLen) && (i * 7) % 5 !== 0));
  const qPos = Uint32Array.of(19, 20, 21, 22, 23);
  const up = (a: Float32Array[], rows: number) => b.upload(Float32Array.from([...a[0], ...a[1]]), [2 * rows, C]);
  return {
    batched: { q: up(q, M), k: up(k, T), v: up(v, T) },
    single: [0, 1].map((s) => ({ q: b.upload(q[s], [M, C]), k: b.upload(k[s], [T, C]), v: b.upload(v[s], [T, C]) })),
    mask: b.upload(mask, [M, kvLen]),
    qPos: b.upload(qPos, [M]),
  };
}

async function check(b: Backend): Promise<{ masked: [Float32Array, Float32Array]; windowed: [Float32Array, Float32Array] }> {
  const x = inputs(b);
  const read = async (t: Tensor) => (await b.read(t)) as Float32Array;
  const masked = await read(b.attention(x.batched.q, x.batched.k, x.batched.v, kvLen, x.mask, heads, 2));
  const windowed = await read(b.windowAttention(x.batched.q, x.batched.k, x.batched.v, kvLen, x.qPos, heads, window, 2));
  const maskedSingle = Float32Array.from([...await read(b.attention(x.single[0].q, x.single[0].k, x.single[0].v, kvLen, x.mask, heads)), ...await read(b.attention(x.single[1].q, x.single[1].k, x.single[1].v, kvLen, x.mask, heads))]);
  const windowSingle = Float32Array.from([...await read(b.windowAttention(x.single[0].q, x.single[0].k, x.single[0].v, kvLen, x.qPos, heads, window)), ...await read(b.windowAttention(x.single[1].q, x.single[1].k, x.single[1].v, kvLen, x.qPos, heads, window))]);
  return { masked: [masked, maskedSingle], windowed: [windowed, windowSingle] };
}

describe('batched attention', () => {
  it('CPU: a batch of 2 equals two single calls', async () => {
    const r = await check(cpu);
    expect(diff(r.masked[0], r.masked[1]).maxAbs).toBe(0);
    expect(diff(r.windowed[0], r.windowed[1]).maxAbs).toBe(0);
  });

  describe('WebGPU', () => {
    let gpu: WebGpuBackend;
    beforeAll(async () => { gpu = await gpuBackend(); });
    afterAll(() => gpu.destroy());
    it('a batch of 2 equals two single calls and the CPU oracle', async () => {
      const [g, c] = [await check(gpu), await check(cpu)];
      expect(diff(g.masked[0], g.masked[1]).maxAbs).toBe(0);
      expect(diff(g.windowed[0], g.windowed[1]).maxAbs).toBe(0);
      const dm = diff(g.masked[0], c.masked[0]), dw = diff(g.windowed[0], c.windowed[0]);
      record('attention batch 2', dm);
      record('windowAttention batch 2', dw);
      expect(dm.maxRel).toBeLessThan(1e-4);
      expect(dw.maxRel).toBeLessThan(1e-4);
    });
    it('batched writeRows puts each sequence at its own offset', async () => {
      const dst = gpu.zeros([2 * 4, 2]);
      gpu.writeRows(dst, gpu.upload(Float32Array.of(1, 2, 3, 4), [2, 2]), 2, 2);
      expect([...(await gpu.read(dst))]).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0]);
      expect(() => gpu.writeRows(dst, gpu.upload(Float32Array.of(1, 2, 3, 4), [2, 2]), 4, 2)).toThrow(/outside 4/);
    });
  });
});
