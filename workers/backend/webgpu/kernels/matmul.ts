/**
 * Binds shaders/gemv.wgsl (M = 1) and shaders/gemm.wgsl (M ≥ 2): y = x · wᵀ (+ bias).
 * The vec4 entry points need whole vec4s per row (K % 4 == 0 for f32 weights, K % 8 == 0 for f16);
 * any other K takes a scalar entry point. The model's shapes all take the vec4 path.
 */
import gemvCode from '../../../../shaders/gemv.wgsl?raw';
import gemmCode from '../../../../shaders/gemm.wgsl?raw';
import { type DType, expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, flatGrid } from '../gpuRuntime';
import { weightConstants } from './weights';

/**
 * Which kernel runs. `auto` picks by M and K; the others are for the bench and tests:
 * gemv (4 columns per invocation, M ≤ 2, vec4 K), gemv-naive (one output per invocation, scalar),
 * gemm (TILE_ROWS × 8 register tile, vec4 K), gemm-scalar (4×4 tile, any K).
 */
export type MatmulVariant = 'auto' | 'gemv' | 'gemv-naive' | 'gemm' | 'gemm-scalar';

/** Whether the vec4 entry points can read this K: whole vec4<u32> words per weight row. */
export function vec4Ok(K: number, wDtype: DType): boolean {
  return K % (wDtype === 'f16' ? 8 : 4) === 0;
}

/** The kernel `auto` picks for these shapes. */
export function pickVariant(M: number, K: number, wDtype: DType): Exclude<MatmulVariant, 'auto'> {
  const vec = vec4Ok(K, wDtype);
  if (M === 1) return vec ? 'gemv' : 'gemv-naive';
  if (M === 2 && !vec) return 'gemv-naive';
  return vec ? 'gemm' : 'gemm-scalar';
}

/**
 * Rows of x per invocation of the vec4 GEMM: the largest tile (more FMAs per loaded value) that
 * does not compute many clamped rows past M. Measured on SwiftShader in bench/KERNELS.md; at M = 6
 * (two verified tokens under CFG) a 6-row tile beat 8 rows by 13–29 % and two 4-row tiles by 20 %.
 */
export function gemmTileRows(M: number): 2 | 4 | 6 | 8 {
  if (M <= 2) return 2;
  if (M <= 4) return 4;
  if (M <= 6) return 6;
  return Math.ceil(M / 8) * 8 - M <= 2 ? 8 : 4;
}

export function matmul(rt: GpuRuntime, x: GpuTensor, w: GpuTensor, bias?: GpuTensor, variant: MatmulVariant = 'auto', tileRows: number = gemmTileRows(x.shape[0])): GpuTensor {
  expectShape('matmul x', x.shape, [null, null]);
  const [M, K] = x.shape;
  expectShape('matmul weight', w.shape, [null, K]);
  const N = w.shape[0];
  if (bias) expectShape('matmul bias', bias.shape, [N]);
  if (x.dtype !== 'f32') throw new Error(`matmul: x must be f32, got ${x.dtype}`);
  if (bias && bias.dtype !== 'f32') throw new Error(`matmul: bias must be f32, got ${bias.dtype}`);
  const v = variant === 'auto' ? pickVariant(M, K, w.dtype) : variant;
  if ((v === 'gemv' || v === 'gemm') && !vec4Ok(K, w.dtype)) throw new Error(`matmul: ${v} needs K % ${w.dtype === 'f16' ? 8 : 4} == 0, got K = ${K}`);
  if (v === 'gemv' && M > 2) throw new Error(`matmul: gemv takes M ≤ 2, got M = ${M}`);

  if (v === 'gemm' && ![2, 4, 6, 8].includes(tileRows)) throw new Error(`matmul: gemm tile rows must be 2, 4, 6 or 8, got ${tileRows}`);
  // [label, shader, entry point, invocations, workgroup size] as in the shaders' headers.
  const [label, code, entryPoint, invocations, workgroupSize] =
    v === 'gemv' ? ['gemv', gemvCode, 'main', Math.ceil(N / 4), 16]
    : v === 'gemv-naive' ? ['gemv', gemvCode, 'naive', M * N, 64]
    : v === 'gemm' ? ['gemm', gemmCode, 'main', Math.ceil(M / tileRows) * Math.ceil(N / 8), 16]
    : ['gemm', gemmCode, 'scalar', Math.ceil(M / 4) * Math.ceil(N / 4), 64];
  const out = rt.output([M, N]);
  const grid = flatGrid(invocations, workgroupSize);
  rt.dispatch({
    label,
    code,
    entryPoint,
    constants: { ...weightConstants(w), HAS_BIAS: bias ? 1 : 0, ...(v === 'gemm' ? { TILE_ROWS: tileRows } : {}) },
    params: [M, N, K, grid.stride],
    // Without a bias the shader never reads binding 3, but `layout: 'auto'` still declares it: bind x.
    buffers: [x.buffer, w.buffer, bias?.buffer ?? x.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
