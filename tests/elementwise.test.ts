import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { both, cpu, diff, gpuBackend, randomF32 } from './harness';

let gpu: WebGpuBackend;
beforeAll(async () => { gpu = await gpuBackend(); });
afterAll(() => gpu.destroy());

describe('elementwise kernels match the CPU oracle', () => {
  it.each([[1, 1], [3, 7], [17, 333], [2, 1024]])('add [%i, %i]', async (M, N) => {
    const [ca, ga] = both(gpu, randomF32(M * N, 1), [M, N]);
    const [cb, gb] = both(gpu, randomF32(M * N, 2), [M, N]);
    const d = diff(await gpu.read(gpu.add(ga, gb)), await cpu.read(cpu.add(ca, cb)));
    expect(d.maxRel).toBeLessThanOrEqual(1e-6);
  });

  it.each([[1, 1], [3, 7], [2, 1024]])('silu [%i, %i]', async (M, N) => {
    const [c, g] = both(gpu, randomF32(M * N, 7, 8), [M, N]);
    const d = diff(await gpu.read(gpu.silu(g)), await cpu.read(cpu.silu(c)));
    expect(d.maxRel).toBeLessThanOrEqual(1e-5);
  });

  it.each([[1, 2], [3, 14], [5, 1366]])('swiglu [%i, %i]', async (M, F2) => {
    const [c, g] = both(gpu, randomF32(M * F2, 3, 6), [M, F2]);
    const d = diff(await gpu.read(gpu.swiglu(g)), await cpu.read(cpu.swiglu(c)));
    expect(d.maxRel).toBeLessThanOrEqual(1e-5);
  });

  it('rejects mismatched shapes with a message', () => {
    const [, a] = both(gpu, randomF32(6, 5), [2, 3]);
    const [, b] = both(gpu, randomF32(6, 6), [3, 2]);
    expect(() => gpu.add(a, b)).toThrow(/expected shape \[2, 3\]/);
  });
});
