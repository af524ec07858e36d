import { expect, it } from 'vitest';
import { both, cpu, diff, randomF32, record } from './harness';
import { describeRowConfigs, useGpu } from './kernelCheck';

const gpu = useGpu();

async function expectSameIds(values: Float32Array, M: number, V: number): Promise<Uint32Array> {
  const [c, g] = both(gpu(), values, [M, V]);
  const actual = await gpu().read(gpu().argmax(g));
  const expected = await cpu.read(cpu.argmax(c));
  expect(actual).toBeInstanceOf(Uint32Array);
  record('argmax (ids)', diff(actual, expected));
  expect(Array.from(actual)).toEqual(Array.from(expected));
  return actual as Uint32Array;
}

describeRowConfigs(gpu, 'argmax matches the CPU oracle exactly', () => {
  it.each([[1, 1], [1, 7], [3, 1000], [20, 333], [2, 16384], [4, 63], [4, 65]])('[%i, %i]', async (M, V) => {
    await expectSameIds(randomF32(M * V, M * 31 + V, 10), M, V);
  });

  it('takes the first index on ties, within and across invocations', async () => {
    const V = 1000;
    const rows = [
      [7, 130],   // different invocations (lid 7 and 2), first is the smaller
      [64, 1],    // same invocation (lid 0) would see 64 first without the index rule
      [999, 998],
      [500, 70, 6], // 70 and 6 share lid 6
    ];
    const x = new Float32Array(rows.length * V).fill(-1);
    rows.forEach((at, m) => at.forEach((i) => (x[m * V + i] = 5)));
    const ids = await expectSameIds(x, rows.length, V);
    expect(Array.from(ids)).toEqual([7, 1, 998, 6]);
  });

  it('constant, all -Infinity and all-negative rows', async () => {
    const V = 333;
    const x = new Float32Array(3 * V);
    x.fill(2.5, 0, V);
    x.fill(-Infinity, V, 2 * V);
    x.set(randomF32(V, 3, 1).map((v) => v - 10), 2 * V);
    const ids = await expectSameIds(x, 3, V);
    expect(ids[0]).toBe(0);
    expect(ids[1]).toBe(0);
  });
});

it('more than 65535 rows fold into a second grid dimension', async () => {
  const M = 65536 + 5, V = 3;
  const x = new Float32Array(M * V);
  for (let m = 0; m < M; m++) x[m * V + (m % V)] = 1;
  const ids = await expectSameIds(x, M, V);
  expect(ids[M - 1]).toBe((M - 1) % V);
});
