import { expect, it } from 'vitest';
import { both, cpu, randomF32 } from './harness';
import { describeRowConfigs, expectMatch, useGpu } from './kernelCheck';

const gpu = useGpu();

async function check(values: Float32Array, M: number, V: number, temperature: number, topK: number): Promise<Float32Array> {
  const [c, g] = both(gpu(), values, [M, V]);
  const actual = gpu().softmax(g, temperature, topK);
  await expectMatch(gpu(), 'softmax', actual, cpu.softmax(c, temperature, topK));
  return (await gpu().read(actual)) as Float32Array;
}

/** Kept entries (non-zero probabilities) per row. */
function keptPerRow(p: Float32Array, M: number, V: number): number[] {
  return Array.from({ length: M }, (_, m) => p.subarray(m * V, (m + 1) * V).filter((v) => v > 0).length);
}

describeRowConfigs(gpu, 'softmax with top-k matches the CPU oracle', () => {
  it.each([
    [1, 1, 1, 0], [3, 7, 1, 0], [3, 7, 1, 3], [2, 1000, 1, 50], [20, 333, 1.3, 7], [1, 16384, 1, 0], [2, 16384, 0.8, 100], [4, 65, 1, 64],
  ])('[%i, %i] T=%f topK=%i', async (M, V, T, k) => {
    await check(randomF32(M * V, M + V + k, 8), M, V, T, k);
  });

  it.each([0.01, 5])('temperature %f', async (T) => {
    await check(randomF32(3 * 1000, 17, 4), 3, 1000, T, 20);
  });

  it('topK = 1 keeps only the maximum', async () => {
    const p = await check(randomF32(5 * 333, 3, 5), 5, 333, 1, 1);
    expect(keptPerRow(p, 5, 333)).toEqual([1, 1, 1, 1, 1]);
  });

  it.each([7, 8, 100])('topK = %i ≥ V keeps everything', async (k) => {
    const p = await check(randomF32(2 * 7, 5, 1), 2, 7, 1, k);
    expect(keptPerRow(p, 2, 7)).toEqual([7, 7]);
  });

  it('keeps every tie of the k-th largest', async () => {
    const V = 1000;
    // Five levels only: the top level has ~200 values, so topK 3 keeps all of them.
    const x = randomF32(4 * V, 23, 1).map((v) => Math.round(v * 2));
    const p = await check(x, 4, V, 1, 3);
    const top = Array.from({ length: 4 }, (_, m) => x.subarray(m * V, (m + 1) * V).filter((v) => v === 2).length);
    expect(keptPerRow(p, 4, V)).toEqual(top);
  });

  it('a k-th largest that closes its radix bin (the search stops early)', async () => {
    // 5, 5, 5 fill the top bin of the first pass alone: k = 3 stops there, k = 2 goes on.
    const x = new Float32Array([1, 5, 1.5, 5, 5, -3, 1]);
    expect(keptPerRow(await check(x, 1, 7, 1, 3), 1, 7)).toEqual([3]);
    expect(keptPerRow(await check(x, 1, 7, 1, 2), 1, 7)).toEqual([3]);
    expect(keptPerRow(await check(x, 1, 7, 1, 4), 1, 7)).toEqual([4]);
  });

  it('−0 ties with +0', async () => {
    const p = await check(new Float32Array([-0, 0, -1, 0, -0, -2]), 1, 6, 1, 2);
    expect(keptPerRow(p, 1, 6)).toEqual([4]);
  });

  it('large-magnitude logits', async () => {
    const V = 777;
    const x = new Float32Array(3 * V);
    x.set(randomF32(V, 31, 1e4), 0);                         // huge spread: mostly exact zeros
    x.set(randomF32(V, 32, 20).map((v) => v + 1e7), V);      // large common offset
    x.set(randomF32(V, 33, 3e38), 2 * V);                    // x − max overflows to −Infinity
    await check(x, 3, V, 1, 0);
    await check(x, 3, V, 0.01, 10);
    await check(x, 3, V, 5, 500);
  });

  it('rejects a temperature ≤ 0 and a fractional topK', () => {
    const [, g] = both(gpu(), randomF32(4, 1), [1, 4]);
    expect(() => gpu().softmax(g, 0, 0)).toThrow(/temperature/);
    expect(() => gpu().softmax(g, 1, 1.5)).toThrow(/topK/);
  });
});
