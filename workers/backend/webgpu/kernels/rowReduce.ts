/**
 * Shared by the kernels that give one workgroup to each row (rmsnorm, softmax, argmax, sample): prepends
 * shaders/rowreduce.wgsl (`wg_sum`, `wg_max_u32`, `wg_min_u32`, `order_key`, `row_index`, `NONE`), builds
 * the row grid, and picks the workgroup shape per device.
 */
import reduce from '../../../../shaders/rowreduce.wgsl?raw';
import { type Dispatch, type GpuRuntime, flatGrid } from '../gpuRuntime';

export function withRowReduce(code: string): string {
  return `${reduce}\n${code}`;
}

/** One workgroup per row; rows beyond 65535 fold into y, and the shader's `row_index` unfolds them. */
export function rowGrid(rows: number): { workgroups: [number, number]; stride: number } {
  return flatGrid(rows, 1);
}

/**
 * Records a kernel that gives one workgroup to each of `rows` rows (argmax, softmax, sample): `WG` is this device's
 * row workgroup size, and the grid's row stride is appended to `params` (their Params end with `row_stride`).
 */
export function dispatchPerRow(rt: GpuRuntime, rows: number, d: Pick<Dispatch, 'label' | 'code' | 'params' | 'buffers'>): void {
  const grid = rowGrid(rows);
  rt.dispatch({ ...d, constants: { WG: rowConfig(rt).workgroupSize }, params: [...d.params, grid.stride], workgroups: grid.workgroups });
}

export interface RowConfig {
  /** Invocations that share a row (the WGSL override `WG`). */
  workgroupSize: number;
  /** rmsnorm: one invocation per row (no barrier) instead of one workgroup per row. */
  rmsnormPerInvocation: boolean;
}

/**
 * SwiftShader (a fallback adapter) runs a workgroup's invocations 4 at a time on one CPU core and
 * pays dearly for each barrier. Measured in Node/Dawn on 2 cores shared with other jobs (µs per
 * dispatch, best of 5; repeat runs vary up to 2×):
 * rmsnorm D=1024, M=1 / 4 / 20 / 128 rows — one invocation per row 216 / 174 / 340 / 3596,
 * one workgroup of 16 per row 199 / 111 / 1216 / 2815, of 64: 244 / 193 / 1158 / 6297;
 * softmax V=16384 one row — WG 16: 582, 64: 1278, 256: 1379; 8 rows with top-50 — 26.8k, 31.1k, 61.6k.
 */
const CPU_EMULATED: RowConfig = { workgroupSize: 16, rmsnormPerInvocation: true };
/** Real GPUs (not measurable here): a full workgroup per row, the usual choice for row reductions. */
const HARDWARE: RowConfig = { workgroupSize: 256, rmsnormPerInvocation: false };

const overrides = new WeakMap<GPUDevice, RowConfig>();

export function rowConfig(rt: GpuRuntime): RowConfig {
  const info = (rt.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return overrides.get(rt.device) ?? (info?.isFallbackAdapter ? CPU_EMULATED : HARDWARE);
}

/** Forces a configuration on one device (tests cover both shapes; benchmarks compare them); undefined restores the default. */
export function setRowConfig(device: GPUDevice, config: RowConfig | undefined): void {
  if (config) overrides.set(device, config);
  else overrides.delete(device);
}

export const ROW_CONFIGS = { cpuEmulated: CPU_EMULATED, hardware: HARDWARE } as const;
