/** Shared by the kernel test files: compare a GPU result to the CPU oracle and keep the error table. */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Tensor } from '../workers/backend/backend';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { ROW_CONFIGS, setRowConfig } from '../workers/backend/webgpu/kernels/rowReduce';
import { cpu, diff, errorTable, gpuBackend, record } from './harness';

/** One GPU backend per test file, destroyed at the end; prints the max abs error of each kernel. */
export function useGpu(): () => WebGpuBackend {
  let gpu: WebGpuBackend | undefined;
  beforeAll(async () => { gpu = await gpuBackend(); });
  afterAll(() => {
    gpu?.destroy();
    for (const [kernel, maxAbs] of errorTable) console.log(`max abs error ${kernel}: ${maxAbs.toExponential(2)}`);
  });
  return () => gpu!;
}

/** Reads both results, records the error under `kernel`, and checks max abs / max |ref| ≤ tol. */
export async function expectMatch(gpu: WebGpuBackend, kernel: string, actual: Tensor, expected: Tensor, tol = 1e-4): Promise<void> {
  const d = diff(await gpu.read(actual), await cpu.read(expected));
  record(kernel, d);
  expect(d.maxRel, `${kernel}: max abs ${d.maxAbs}`).toBeLessThanOrEqual(tol);
}

/**
 * A describe block run once per row-kernel configuration (rowReduce.ts): the one a CPU-emulated
 * adapter gets and the one real GPUs get, so both are tested here on SwiftShader.
 */
export function describeRowConfigs(gpu: () => WebGpuBackend, title: string, body: () => void): void {
  describe.each(Object.entries(ROW_CONFIGS))(`${title} (%s layout)`, (_name, config) => {
    beforeAll(() => setRowConfig(gpu().runtime.device, config));
    afterAll(() => setRowConfig(gpu().runtime.device, undefined));
    body();
  });
}
