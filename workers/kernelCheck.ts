/**
 * Runs one kernel on the worker's backend and on the CPU oracle with the same seeded random inputs
 * and reports the largest difference: the self-test the UI's diagnostics and the e2e tests use.
 */
import type { KernelCheck } from '../src/types';
import type { Backend, Tensor } from './backend/backend';
import { CpuBackend } from './backend/cpu/cpuBackend';
import { seededUniform } from './decoding/prng';

/** Deterministic inputs in [-1, 1), from the engine's seeded PRNG. */
function random(n: number, seed: number): Float32Array {
  const uniform = seededUniform(seed);
  return Float32Array.from({ length: n }, () => uniform() * 2 - 1);
}

/** Each check builds its inputs on a backend and returns the one tensor to compare. */
const CHECKS: Record<string, (b: Backend) => Tensor> = {
  // CFG batch 2 GEMV on a 1024 × 384 f32 weight: the shape of a target's output projection.
  matmul: (b) => b.matmul(b.upload(random(2 * 384, 1), [2, 384]), b.upload(random(1024 * 384, 2), [1024, 384])),
  // Eight draft queries over an 8-token prefix and three rows of a 16-wide grid.
  windowAttention: (b) => {
    const C = 4 * 16, T = 8 + 48;
    return b.windowAttention(
      b.upload(random(8 * C, 3), [8, C]), b.upload(random(T * C, 4), [T, C]), b.upload(random(T * C, 5), [T, C]), T,
      b.upload(Uint32Array.from([40, 41, 42, 43, 44, 45, 46, 47]), [8]), 4, { prefixLen: 8, gridWidth: 16, rowsAbove: 1, colsLeft: 3, colsRight: 8 },
    );
  },
  softmax: (b) => b.softmax(b.upload(random(3 * 1024, 6), [3, 1024]), 0.8, 50),
  // Drafted tokens drawn on the device from 4 draft distributions over the 1024 codes: the same tokens as the host's draw.
  sample: (b) => b.sample(b.softmax(b.upload(random(4 * 1024, 7), [4, 1024]), 1, 0), b.upload(random(4, 8).map((u) => (u + 1) / 2), [4])),
};

export const KERNEL_CHECKS = Object.keys(CHECKS);

export async function checkKernel(backend: Backend, kernel: string): Promise<KernelCheck> {
  const run = CHECKS[kernel];
  if (!run) throw new Error(`Unknown kernel "${kernel}"; known: ${KERNEL_CHECKS.join(', ')}`);
  const oracle = new CpuBackend();
  const expected = await oracle.read(run(oracle));
  const start = performance.now();
  const actual = await backend.read(run(backend));
  const ms = performance.now() - start;
  let maxAbsError = 0;
  for (let i = 0; i < expected.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(actual[i] - expected[i]));
  return { kernel, backend: backend.name, maxAbsError, ms };
}
