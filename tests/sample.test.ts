/**
 * Sampling on the device (`Backend.sample`) against the host's `sampleIndex`, and the two
 * bookkeeping operations of a one-readback speculative step: `concat` and `readAll`.
 */
import { expect, it } from 'vitest';
import { NO_TOKEN } from '../workers/backend/backend';
import { sampleIndex } from '../workers/decoding/acceptance';
import { cpu, randomF32, randomU32, rng } from './harness';
import { describeRowConfigs, useGpu } from './kernelCheck';

const gpu = useGpu();

/** Exact-math check of a draw: index i has positive weight and its CDF interval holds u·Σw (within `tol` of Σw). */
function consistent(w: Float32Array, u: number, i: number, tol = 1e-5): boolean {
  if (!(w[i] > 0)) return false;
  let total = 0, before = 0;
  for (let j = 0; j < w.length; j++) { total += Math.max(0, w[j]); if (j < i) before += Math.max(0, w[j]); }
  const goal = u * total;
  return before <= goal + tol * total && goal < before + w[i] + tol * total;
}

async function draws(w: Float32Array, us: Float32Array, V: number): Promise<{ device: number[]; host: number[] }> {
  const M = us.length;
  const t = gpu().sample(gpu().upload(w, [M, V]), gpu().upload(us, [M]));
  const device = Array.from((await gpu().read(t)) as Uint32Array);
  const host = Array.from((await cpu.read(cpu.sample(cpu.upload(w, [M, V]), cpu.upload(us, [M])))) as Uint32Array);
  return { device, host };
}

describeRowConfigs(gpu, 'sample draws like sampleIndex', () => {
  it.each([[1, 7], [5, 65], [16, 1024], [3, 16384]])('[%i, %i] softmax rows, random uniforms', async (M, V) => {
    const w = (await cpu.read(cpu.softmax(cpu.upload(randomF32(M * V, M * V, 4), [M, V]), 1, 0))) as Float32Array;
    const u = rng(M + V);
    const us = Float32Array.from({ length: M }, () => u());
    const { device, host } = await draws(w, us, V);
    device.forEach((i, m) => expect(consistent(w.subarray(m * V, (m + 1) * V), us[m], i), `row ${m}: ${i}`).toBe(true));
    expect(device).toEqual(host); // away from boundaries both orders of summation agree
  });

  it('skips zero weights (top-k rows), and u = 0 and u → 1 hit the first and last positive index', async () => {
    const V = 300;
    const w = (await cpu.read(cpu.softmax(cpu.upload(randomF32(4 * V, 9, 3), [4, V]), 1, 5))) as Float32Array;
    const us = new Float32Array([0, 0.99999994, 0, 0.99999994]);
    const { device, host } = await draws(w, us, V);
    const positive = (m: number) => Array.from(w.subarray(m * V, (m + 1) * V).keys()).filter((i) => w[m * V + i] > 0);
    expect(device).toEqual([positive(0)[0], positive(1).at(-1), positive(2)[0], positive(3).at(-1)]);
    expect(device).toEqual(host);
  });

  it('integer weights: every uniform lands where the exact CDF says', async () => {
    // Weights 0…3 with boundaries at exact binary fractions: no rounding anywhere.
    const V = 64, M = 32;
    const w = Float32Array.from(randomU32(M * V, 5, 4));
    const us = Float32Array.from({ length: M }, (_, m) => m / M);
    const { device } = await draws(w, us, V);
    const expected = Array.from({ length: M }, (_, m) => {
      const row = w.subarray(m * V, (m + 1) * V);
      return row.some((v) => v > 0) ? sampleIndex(row, us[m]) : NO_TOKEN;
    });
    expect(device).toEqual(expected);
  });

  it('a row without positive weight gives NO_TOKEN', async () => {
    const w = new Float32Array([0, 0, 0, 0, 0.5, 0.5, 0, 0]);
    const { device, host } = await draws(w, new Float32Array([0.3, 0.7]), 4);
    expect(device).toEqual([NO_TOKEN, 1]);
    expect(host).toEqual(device);
  });
});

it('concat splices row ranges of u32 and f32 tensors, and readAll returns several tensors from one readback', async () => {
  const g = gpu();
  const before = g.runtime.stats.readbacks;
  const a = g.upload(Uint32Array.of(1, 2, 3), [3]);
  const b = g.upload(Uint32Array.of(7, 8, 9, 10), [4]);
  const ids = g.concat([{ tensor: a }, { tensor: b, from: 1, count: 2 }, { tensor: a, from: 0, count: 0 }, { tensor: a, from: 2 }]);
  const x = g.upload(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
  const rows = g.concat([{ tensor: x, from: 2 }, { tensor: x, count: 1 }]);
  const [i, r] = await g.readAll([ids, rows]);
  expect(Array.from(i)).toEqual([1, 2, 3, 8, 9, 3]);
  expect(Array.from(r)).toEqual([5, 6, 1, 2]);
  expect(g.runtime.stats.readbacks - before).toBe(1);
  const [ci, cr] = await cpu.readAll([
    cpu.concat([{ tensor: cpu.upload(Uint32Array.of(1, 2, 3), [3]) }, { tensor: cpu.upload(Uint32Array.of(7, 8, 9, 10), [4]), from: 1, count: 2 }]),
    cpu.concat([{ tensor: cpu.upload(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]), from: 2 }]),
  ]);
  expect(Array.from(ci)).toEqual([1, 2, 3, 8, 9]);
  expect(Array.from(cr)).toEqual([5, 6]);
  expect(() => g.concat([{ tensor: a }, { tensor: x }])).toThrow(/part 1/);
  expect(() => g.concat([{ tensor: a, from: 2, count: 2 }])).toThrow(/outside 3/);
});
