/**
 * Binds shaders/attention.wgsl (explicit mask: chain / tree verification) and
 * shaders/window_attention.wgsl (2D local window of the draft model). Both share
 * shaders/attention_common.wgsl, prepended here together with the head dim and the queries per
 * invocation as WGSL constants: they size the per-invocation query and accumulator arrays, and
 * each (head dim, tile) gets its own pipeline. The head dim must be a multiple of 4 (heads are
 * read as vec4s; rope2d needs it too).
 */
import commonCode from '../../../../shaders/attention_common.wgsl?raw';
import maskedCode from '../../../../shaders/attention.wgsl?raw';
import windowCode from '../../../../shaders/window_attention.wgsl?raw';
import { type LocalWindow, expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, f32, flatGrid } from '../gpuRuntime';

/** Invocations per workgroup; must match @workgroup_size in both shaders. */
const WORKGROUP = 4;

/**
 * Writes out the one-line loops marked `// unroll` (over the head's vec4 chunks, `< D4`, or the
 * tile's queries, `< QT`) as one statement per index with a constant (`c` → `0u`, `1u`, …).
 * Private arrays indexed by a loop variable become per-lane gathers on SwiftShader; constant
 * indices do not.
 */
const UNROLL = /for \(var (\w+) = 0u; \1 < (D4|QT); \1\+\+\) \{ (.*) \} \/\/ unroll/g;
function unroll(code: string, counts: { D4: number; QT: number }): string {
  const unrolled = code.replace(UNROLL, (_, name: string, bound: 'D4' | 'QT', body: string) =>
    Array.from({ length: counts[bound] }, (_, i) => body.replace(new RegExp(`\\b${name}\\b`, 'g'), `${i}u`)).join(' '));
  if (/\} \/\/ unroll/.test(unrolled)) throw new Error('attention: a `// unroll` loop in the WGSL no longer matches the unroller');
  return unrolled;
}

/**
 * Queries per invocation of the masked kernel: a tile reads each cache row once for all its
 * queries. On SwiftShader (H 8, Dh 64, kvLen 264) tiles of min(M, 4) ran 1.5× (M = 2) to 2.5×
 * (M = 16) faster than one query per invocation. 8 was ≈15% faster still at M = 16, but doubles
 * the private state (2·8·Dh floats), which spills registers on real GPUs.
 */
function queryTile(M: number): number {
  return Math.max(1, Math.min(M, 4));
}

/** Checks q/k/v, heads, batch and kvLen; returns the queries M and cache rows T per sequence. */
function checkInputs(op: string, q: GpuTensor, kCache: GpuTensor, vCache: GpuTensor, kvLen: number, heads: number, batch: number): { M: number; T: number } {
  if (q.shape.length !== 2) throw new Error(`${op}: q must be [batch·M, heads·headDim], got [${q.shape.join(', ')}]`);
  const [rows, C] = q.shape;
  if (!Number.isInteger(batch) || batch < 1 || rows % batch || kCache.shape[0] % batch) {
    throw new Error(`${op}: ${rows} query rows and ${kCache.shape[0]} cache rows do not split into ${batch} sequences`);
  }
  const M = rows / batch, T = kCache.shape[0] / batch;
  if (!Number.isInteger(heads) || heads < 1 || C < heads || C % heads !== 0) throw new Error(`${op}: ${C} columns do not split into ${heads} heads`);
  for (const [name, t] of [['q', q], ['kCache', kCache], ['vCache', vCache]] as const) {
    if (t.dtype !== 'f32') throw new Error(`${op}: ${name} must be f32, got ${t.dtype}`);
  }
  if ((C / heads) % 4 !== 0) throw new Error(`${op}: head dim ${C / heads} is not a multiple of 4`);
  expectShape(`${op} kCache`, kCache.shape, [null, C]);
  expectShape(`${op} vCache`, vCache.shape, [...kCache.shape]);
  if (!Number.isInteger(kvLen) || kvLen < 0 || kvLen > T) {
    throw new Error(`${op}: kvLen ${kvLen} outside the cache of ${T} rows`);
  }
  return { M, T };
}

/**
 * Records one dispatch of `tile` queries per invocation. Both shaders' Params start with (rows,
 * heads, kv_len, scale, stride); `extra` follows. `visibility` is the mask or the query positions
 * (binding 5).
 */
function run(rt: GpuRuntime, kind: 'attention' | 'windowAttention', code: string, tile: number, q: GpuTensor, k: GpuTensor, v: GpuTensor, kvLen: number, visibility: GpuTensor, heads: number, shape: { M: number; T: number }, extra: number[] = []): GpuTensor {
  const { M, T } = shape;
  const C = q.shape[1];
  const batch = q.shape[0] / M;
  const headDim = C / heads;
  const out = rt.output(q.shape);
  const grid = flatGrid(Math.ceil(M / tile) * heads, WORKGROUP);
  const source = `const DH: u32 = ${headDim}u;\nconst QT: u32 = ${tile}u;\n${commonCode}\n${code}`;
  rt.dispatch({
    // The pipeline cache keys on the label, and the code differs per head dim and tile.
    label: `${kind}_dh${headDim}_qt${tile}`,
    code: unroll(source, { D4: headDim / 4, QT: tile }),
    params: [M, heads, kvLen, f32(1 / Math.sqrt(headDim)), grid.stride, T, ...extra],
    buffers: [q.buffer, k.buffer, v.buffer, out.buffer, visibility.buffer],
    workgroups: [...grid.workgroups, batch],
  });
  return out;
}

/** Masked multi-query attention; see `Backend.attention`. */
export function attention(rt: GpuRuntime, q: GpuTensor, kCache: GpuTensor, vCache: GpuTensor, kvLen: number, mask: GpuTensor, heads: number, batch = 1): GpuTensor {
  const shape = checkInputs('attention', q, kCache, vCache, kvLen, heads, batch);
  expectShape('attention mask', mask.shape, [shape.M, kvLen]);
  if (mask.dtype !== 'u32') throw new Error(`attention: mask must be u32, got ${mask.dtype}`);
  return run(rt, 'attention', maskedCode, queryTile(shape.M), q, kCache, vCache, kvLen, mask, heads, shape);
}

/** 2D local-window attention; see `Backend.windowAttention` and `windowVisible`. */
export function windowAttention(rt: GpuRuntime, q: GpuTensor, kCache: GpuTensor, vCache: GpuTensor, kvLen: number, qPos: GpuTensor, heads: number, window: LocalWindow, batch = 1): GpuTensor {
  const shape = checkInputs('windowAttention', q, kCache, vCache, kvLen, heads, batch);
  expectShape('windowAttention qPos', qPos.shape, [shape.M]);
  if (qPos.dtype !== 'u32') throw new Error(`windowAttention: qPos must be u32, got ${qPos.dtype}`);
  const { prefixLen, gridWidth, rowsAbove, colsLeft, colsRight } = window;
  for (const [name, value, min] of [['prefixLen', prefixLen, 0], ['gridWidth', gridWidth, 1], ['rowsAbove', rowsAbove, 0], ['colsLeft', colsLeft, 0], ['colsRight', colsRight, 0]] as const) {
    if (!Number.isInteger(value) || value < min || value > 0xffffffff) throw new Error(`windowAttention: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return run(rt, 'windowAttention', windowCode, 1, q, kCache, vCache, kvLen, qPos, heads, shape, [prefixLen, gridWidth, rowsAbove, colsLeft, colsRight]);
}
