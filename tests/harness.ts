/**
 * Test harness for the kernels: a WebGPU device in Node (npm `webgpu`, Dawn on SwiftShader; run
 * through scripts/swiftshader-env.sh), seeded random data, and comparison against the CPU oracle.
 */
import { create } from 'webgpu';
import { acquireGpu } from '../workers/backend/webgpu/device';
import { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { CpuBackend } from '../workers/backend/cpu/cpuBackend';
import type { Backend, DType, Tensor } from '../workers/backend/backend';
import { narrowToF16, widenF16 } from '../workers/backend/f16';
import { seededUniform } from '../workers/decoding/prng';

/** One Dawn instance for the whole process: it must outlive every device made from it. */
let dawn: GPU | undefined;

export async function gpuBackend(): Promise<WebGpuBackend> {
  dawn ??= create([]) as unknown as GPU;
  const got = await acquireGpu(dawn);
  if ('reason' in got) throw new Error(`no WebGPU device in Node: ${got.reason} (run through scripts/swiftshader-env.sh)`);
  got.device.addEventListener('uncapturederror', (e) => {
    throw new Error(`WebGPU validation error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  return new WebGpuBackend(got.device);
}

export const cpu = new CpuBackend();

/** Seeded uniforms in [0, 1): the engine's own PRNG. */
export const rng = seededUniform;

/** Uniform values in [-scale, scale). */
export function randomF32(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

export function randomU32(n: number, seed: number, below: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(r() * below));
}

/** The same f32 values as a weight tensor of the given dtype (f16 rounds them). */
export function weightData(values: Float32Array, dtype: DType): Float32Array | Uint16Array {
  return dtype === 'f16' ? narrowToF16(values) : values;
}

export { widenF16 };

/** Uploads the same host data to both backends. */
export function both(gpu: Backend, data: Float32Array | Uint16Array | Uint32Array, shape: number[], dtype?: DType): [Tensor, Tensor] {
  return [cpu.upload(data, shape, dtype), gpu.upload(data, shape, dtype)];
}

export interface Diff {
  maxAbs: number;
  /** Max abs error over the largest reference magnitude (≥ 1e-30). */
  maxRel: number;
}

export function diff(actual: ArrayLike<number>, expected: ArrayLike<number>): Diff {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxAbs = 0, scale = 1e-30;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i] - expected[i]);
    maxAbs = Number.isNaN(e) ? Infinity : Math.max(maxAbs, e);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { maxAbs, maxRel: maxAbs / scale };
}

/** Collects the max abs error of each kernel so the suite can print one table at the end. */
export const errorTable = new Map<string, number>();
export function record(kernel: string, d: Diff): void {
  errorTable.set(kernel, Math.max(errorTable.get(kernel) ?? 0, d.maxAbs));
}
