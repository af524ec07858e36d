import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import type { GpuTensor } from '../workers/backend/webgpu/gpuRuntime';
import { type MatmulVariant, matmul, pickVariant } from '../workers/backend/webgpu/kernels/matmul';
import type { DType } from '../workers/backend/backend';
import { both, cpu, diff, errorTable, gpuBackend, randomF32, record, weightData } from './harness';

let gpu: WebGpuBackend;
beforeAll(async () => { gpu = await gpuBackend(); });
afterAll(() => {
  console.log(`matmul max abs error per kernel:\n${[...errorTable].map(([k, e]) => `  ${k.padEnd(22)} ${e.toExponential(2)}`).join('\n')}`);
  gpu.destroy();
});

/** Runs one variant (auto = what the backend picks) on random data and compares with the CPU oracle. */
async function check(M: number, N: number, K: number, dtype: DType, withBias: boolean, variant: MatmulVariant = 'auto', tileRows?: number) {
  const seed = M * 7919 + N * 31 + K;
  const [cx, gx] = both(gpu, randomF32(M * K, seed), [M, K]);
  const [cw, gw] = both(gpu, weightData(randomF32(N * K, seed + 1), dtype), [N, K], dtype);
  const [cb, gb] = withBias ? both(gpu, randomF32(N, seed + 2, 3), [N]) : [undefined, undefined];
  const got = await gpu.read(matmul(gpu.runtime, gx as GpuTensor, gw as GpuTensor, gb as GpuTensor | undefined, variant, tileRows));
  const d = diff(got, await cpu.read(cpu.matmul(cx, cw, cb)));
  const name = variant === 'auto' ? pickVariant(M, K, dtype) : variant;
  record(`${name}${tileRows ? ` ${tileRows}×8` : ''} ${dtype}`, d);
  expect(d.maxRel).toBeLessThanOrEqual(1e-4);
}

// [M, N, K]: odd K and N, K = 1, shapes with vec4 K but not vec8 K (f16 falls back), and model shapes.
const gemvShapes = [[1, 1, 1], [1, 5, 7], [2, 5, 33], [1, 1000, 333], [2, 7, 12], [1, 384, 256], [2, 1000, 8], [2, 1536, 512], [1, 256, 1024], [2, 4096, 1024]];
const gemmShapes = [[3, 1, 1], [3, 5, 7], [5, 1000, 333], [4, 7, 12], [8, 256, 384], [16, 512, 512], [17, 33, 64], [6, 1024, 16], [16, 1536, 1024]];
const cases = (shapes: number[][]) =>
  shapes.flatMap(([M, N, K]) => (['f32', 'f16'] as const).flatMap((dtype) => [false, true].map((bias) => [M, N, K, dtype, bias] as const)));

describe('matmul matches the CPU oracle', () => {
  it.each(cases(gemvShapes))('M ≤ 2 (GEMV, GEMM 2×8) [%i, %i, %i] %s bias %s', async (M, N, K, dtype, bias) => {
    await check(M, N, K, dtype, bias);
  });

  it.each(cases(gemmShapes))('M ≥ 3 (GEMM) [%i, %i, %i] %s bias %s', async (M, N, K, dtype, bias) => {
    await check(M, N, K, dtype, bias);
  });

  // Every entry point on shapes auto would not send it: the baseline, the scalar tile, and the GEMM
  // tile on M ≤ 2 (rows clamped at the edge).
  it.each([
    ['gemv-naive', 3, 17, 40], ['gemv-naive', 1, 1000, 256],
    ['gemm-scalar', 2, 9, 64], ['gemm-scalar', 16, 100, 1024],
    ['gemm', 1, 9, 64], ['gemm', 2, 1000, 256],
  ] as const)('variant %s [%i, %i, %i]', async (variant, M, N, K) => {
    for (const dtype of ['f32', 'f16'] as const) await check(M, N, K, dtype, true, variant);
  });

  // Each GEMM tile height on M and N that leave partial tiles (clamped rows and columns).
  it.each([
    [2, 1, 8, 8], [2, 3, 13, 64], [4, 2, 9, 16], [4, 7, 1000, 384], [6, 6, 1152, 384], [6, 11, 17, 24], [8, 3, 17, 24], [8, 13, 30, 1024], [8, 16, 384, 1024],
  ] as const)('gemm tile %i×8 [%i, %i, %i]', async (tileRows, M, N, K) => {
    for (const dtype of ['f32', 'f16'] as const) await check(M, N, K, dtype, true, 'gemm', tileRows);
  });

  // Zero, −0, the smallest and largest subnormals, the smallest normal, 1, −2, the largest half:
  // the vec4 kernels widen f16 with their own bit arithmetic, which must be exact for all of them.
  it('widens special f16 values exactly', async () => {
    const halves = Uint16Array.from([0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x3c00, 0xc000, 0x7bff]);
    const K = 8, N = 4;
    const bits = Uint16Array.from({ length: N * K }, (_, i) => halves[(i * 3 + (i >> 3)) % 8]);
    const [cw, gw] = both(gpu, bits, [N, K], 'f16');
    const expected = await cpu.read(cw);
    for (const [variant, M] of [['gemv', 1], ['gemv', 2], ['gemm', 2], ['gemm', 4], ['gemm', 8]] as const) {
      // x[m, k] = 1 where k = k0 + m: y[m, n] = w[n, k0 + m] with no rounding (−0 sums to +0, as on the CPU).
      for (let k0 = 0; k0 < K; k0 += M) {
        const xs = Float32Array.from({ length: M * K }, (_, i) => (i % K === k0 + Math.floor(i / K) ? 1 : 0));
        const [, gx] = both(gpu, xs, [M, K]);
        const got = await gpu.read(matmul(gpu.runtime, gx as GpuTensor, gw as GpuTensor, undefined, variant));
        for (let m = 0; m < M && k0 + m < K; m++) {
          for (let n = 0; n < N; n++) expect(got[m * N + n]).toBe(expected[n * K + k0 + m] + 0);
        }
      }
    }
  });

  it('rejects mismatched shapes with a message', () => {
    const [, x] = both(gpu, randomF32(6, 1), [2, 3]);
    const [, w] = both(gpu, randomF32(8, 2), [2, 4]);
    expect(() => gpu.matmul(x, w)).toThrow(/matmul weight: expected shape \[\*, 3\], got \[2, 4\]/);
    const [, w3] = both(gpu, randomF32(12, 3), [4, 3]);
    const [, b] = both(gpu, randomF32(5, 4), [5]);
    expect(() => gpu.matmul(x, w3, b)).toThrow(/matmul bias: expected shape \[4\], got \[5\]/);
  });

  it('rejects a vec4 variant on a K it cannot read', () => {
    const [, x] = both(gpu, randomF32(7, 1), [1, 7]);
    const [, w] = both(gpu, randomF32(14, 2), [2, 7]);
    expect(() => matmul(gpu.runtime, x as GpuTensor, w as GpuTensor, undefined, 'gemv')).toThrow(/K % 4 == 0/);
  });
});
