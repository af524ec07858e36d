/**
 * The one backend interface of the engine. Two implementations: `CpuBackend` (TypeScript on
 * Float32Array, the oracle for every kernel and the fallback without WebGPU) and `WebGpuBackend`
 * (our WGSL kernels). Operations are functional: they return new tensors and never change their
 * inputs, except `writeRows`, which updates a KV cache in place.
 *
 * On WebGPU, operations are only *recorded* into the current command encoder; `read` submits
 * everything recorded so far and maps one result back. A decoding step therefore costs one submit and
 * one small readback, whatever the number of dispatches.
 *
 * Layout conventions (row-major everywhere):
 * - activations: f32 `[rows, cols]`; heads are `[rows, heads * headDim]` viewed as `[rows, heads, headDim]`.
 * - weights of a linear layer: `[out, in]` (PyTorch `nn.Linear.weight`), dtype f32 or f16.
 *   f16 weights are stored as IEEE half bit patterns (Uint16Array) and widened to f32 when loaded.
 * - token ids and positions: u32.
 */
import type { Guidance } from '../decoding/logitsProcessing';

export type DType = 'f32' | 'f16' | 'u32';

export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type HostData = Float32Array | Uint16Array | Uint32Array;

/** Which keys of a KV cache a query may see, for `attention` (explicit mask) or `windowAttention`. */
export interface LocalWindow {
  /** Number of prefix (text) positions at the start of the cache; always visible. */
  prefixLen: number;
  /** Image width in tokens (tokens per row of the grid). */
  gridWidth: number;
  /** How many rows above the query's row are visible (0 = own row only). */
  rowsAbove: number;
  /** Visible columns left of the query's column (col(key) ≥ col − colsLeft). */
  colsLeft: number;
  /**
   * Visible columns right of the query's column (col(key) ≤ col + colsRight); only rows above have
   * keys there. The window leans right because draft head +k predicts (row, col + k).
   */
  colsRight: number;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';

  /** Copies host data into a new tensor. `f16` takes half bit patterns, `u32` a Uint32Array. */
  upload(data: HostData, shape: readonly number[], dtype?: DType): Tensor;
  /** A zero-filled f32 tensor (KV caches). */
  zeros(shape: readonly number[]): Tensor;
  /** Runs everything recorded and returns the tensor's contents (f16 tensors come back widened). */
  read(t: Tensor): Promise<Float32Array | Uint32Array>;
  /** `read` of several tensors in one submit and one readback (a speculative step's logits, drafted tokens and their q). */
  readAll(ts: readonly Tensor[]): Promise<(Float32Array | Uint32Array)[]>;
  /** Returns the tensor's memory to the backend; the handle must not be used afterwards. */
  release(t: Tensor): void;

  /** y = x · wᵀ (+ bias): x `[M, K]` f32, w `[N, K]` f32|f16, bias `[N]` → `[M, N]`. GEMV for M ≤ 2, GEMM above. */
  matmul(x: Tensor, w: Tensor, bias?: Tensor): Tensor;
  /** a + b, same shape (residual connections). */
  add(a: Tensor, b: Tensor): Tensor;
  /** RMSNorm over the last dim: x `[M, D]`, weight `[D]` f32|f16 → x · rsqrt(mean(x²) + eps) · weight. */
  rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor;
  /** silu(x) = x · sigmoid(x), elementwise (the draft's Medusa heads). */
  silu(x: Tensor): Tensor;
  /** SwiGLU on a fused gate|up tensor `[M, 2F]` (gate = first F columns) → silu(gate) · up `[M, F]`. */
  swiglu(gateUp: Tensor): Tensor;
  /**
   * 2D rotary embedding. x `[M, H·Dh]` (Dh divisible by 4), pos `[M, 2]` u32 (row, col). The first
   * half of each head rotates by row, the second by col; within a half of size h, the pair
   * (2i, 2i+1) rotates by pos · base^(−2i/h).
   */
  rope2d(x: Tensor, pos: Tensor, heads: number, base: number): Tensor;
  /**
   * A block's attention inputs from its fused projection qkv `[B·M, 3C]` (columns q | k | v): q and k
   * rotated by `rope2d` at pos `[B·M, 2]` (or not rotated when pos is null), rotated k and v appended
   * to kCache/vCache `[B·T, C]` at slot `start` of each sequence (as `writeRows`), rotated q returned
   * `[B·M, C]`. One kernel on the GPU instead of two rotations and two copies per layer.
   */
  qkvRope(qkv: Tensor, pos: Tensor | null, heads: number, base: number, kCache: Tensor, vCache: Tensor, start: number, batch?: number): Tensor;
  /**
   * Rows of several f32 or u32 tensors of the same dtype and row width, one after another: part i
   * contributes rows [from, from + count) of its tensor (default: all). A 1-D tensor `[M]` is M rows
   * of one value, and so is the result then. Used to splice drafted tokens that never left the
   * device into the target's input ids.
   */
  concat(parts: readonly RowSlice[]): Tensor;
  /** Gathers rows of a table `[V, D]` f32|f16 by ids `[M]` u32 → `[M, D]`. */
  embedding(table: Tensor, ids: Tensor): Tensor;
  /**
   * Copies src `[M, C]` into rows `[offset, offset + M)` of dst `[T, C]`, in place (KV cache append).
   * With batch B: dst `[B·T, C]` and src `[B·M, C]` hold B sequences; sequence b's rows go to b·T + offset.
   */
  writeRows(dst: Tensor, src: Tensor, offset: number, batch?: number): void;
  /**
   * Multi-query attention over a KV cache with an explicit mask (chain or tree verification).
   * q `[M, H·Dh]`, kCache/vCache `[T, H·Dh]` (the first kvLen rows are valid), mask `[M, kvLen]` u32
   * (1 = may attend). Scale 1/√Dh. → `[M, H·Dh]`. A query that sees no key gets zeros.
   * With batch B (classifier-free guidance: cond and uncond in one call): q `[B·M, H·Dh]`, caches
   * `[B·T, H·Dh]` (sequence b in rows b·T …), the mask shared → `[B·M, H·Dh]`.
   */
  attention(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, mask: Tensor, heads: number, batch?: number): Tensor;
  /**
   * 2D local-window attention. Query m stands at image token index qPos[m] (u32 `[M]`). Cache row j
   * < prefixLen is a prefix key, always visible; row j ≥ prefixLen is image token t = j − prefixLen at
   * (t / W, t % W), visible iff t ≤ qPos[m], its row is at most rowsAbove above the query's row, and
   * its column within [col − colsLeft, col + colsRight]. Only rows < kvLen exist. Scale 1/√Dh. → `[M, H·Dh]`. Batched as
   * `attention` (qPos shared by the sequences).
   */
  windowAttention(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, qPos: Tensor, heads: number, window: LocalWindow, batch?: number): Tensor;
  /**
   * Classifier-free guidance with the plausibility cut, row by row as `guideRow` (decoding/logitsProcessing.ts):
   * logits `[2M, V]` (cond rows then uncond rows) → uncond + scale·(cond − uncond) `[M, V]`, CUT_LOGIT where cond is
   * below its row's max + ln(plausibility). With scale 1 there is no unconditional sequence (`guidedSequences`):
   * logits `[M, V]` are the cond rows, and only the cut applies.
   */
  cfg(logits: Tensor, guidance: Guidance): Tensor;
  /**
   * softmax(logits / temperature) per row, keeping only values ≥ the k-th largest logit (ties kept;
   * topK 0 = all). logits `[M, V]` → probabilities `[M, V]`. temperature > 0.
   */
  softmax(logits: Tensor, temperature: number, topK: number): Tensor;
  /** Index of the largest value per row (first on ties): `[M, V]` → `[M]` u32. */
  argmax(x: Tensor): Tensor;
  /**
   * One draw per row from non-negative weights `[M, V]` (a `softmax` output) with the uniform
   * u[m] ∈ [0, 1) of `[M]` f32, exactly as `sampleIndex` (decoding/acceptance.ts) → `[M]` u32. Sums
   * run in another order on the GPU, so a draw within rounding of a boundary may pick the neighbour.
   * A row without positive weight gives `NO_TOKEN`.
   */
  sample(weights: Tensor, uniforms: Tensor): Tensor;
}

/** What `sample` returns for a row without positive weight. */
export const NO_TOKEN = 0xffffffff;

/** A range of rows of a tensor, for `concat`. */
export interface RowSlice {
  tensor: Tensor;
  from?: number;
  count?: number;
}

/**
 * Validates a `concat` and returns, per part, its first row, row count and row width (values per
 * row), plus the result's shape. Shared by both backends so they refuse the same calls.
 */
export function concatPlan(parts: readonly RowSlice[]): { rows: { from: number; count: number }[]; width: number; dtype: DType; shape: number[] } {
  if (parts.length === 0) throw new Error('concat: no tensors');
  const { dtype, shape } = parts[0].tensor;
  const width = shape.length === 1 ? 1 : shape[1];
  if (dtype === 'f16') throw new Error('concat: f32 or u32 tensors only, got f16');
  const rows = parts.map(({ tensor, from = 0, count }, i) => {
    const n = tensor.shape[0];
    const w = tensor.shape.length === 1 ? 1 : tensor.shape[1];
    if (tensor.dtype !== dtype || tensor.shape.length !== shape.length || w !== width || tensor.shape.length > 2) {
      throw new Error(`concat: part ${i} is ${tensor.dtype} [${tensor.shape.join(', ')}], part 0 ${dtype} [${shape.join(', ')}]`);
    }
    const c = count ?? n - from;
    if (!Number.isInteger(from) || !Number.isInteger(c) || from < 0 || c < 0 || from + c > n) throw new Error(`concat: rows ${from}..${from + c} of part ${i} outside ${n}`);
    return { from, count: c };
  });
  const total = rows.reduce((a, r) => a + r.count, 0);
  return { rows, width, dtype, shape: shape.length === 1 ? [total] : [total, width] };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Validates a (batched) `writeRows` and returns its row copies: for each sequence b, `rows` rows
 * from src row `srcRow` to dst row `dstRow`. Shared by both backends so they refuse the same calls.
 */
export function writeRowsPlan(dst: readonly number[], src: readonly number[], offset: number, batch = 1): { srcRow: number; dstRow: number; rows: number; cols: number }[] {
  const [dstRows, C] = dst;
  expectShape('writeRows src', src, [null, C]);
  if (!Number.isInteger(batch) || batch < 1 || dstRows % batch || src[0] % batch) {
    throw new Error(`writeRows: ${src[0]} source rows and ${dstRows} destination rows do not split into ${batch} sequences`);
  }
  const T = dstRows / batch, M = src[0] / batch;
  if (offset < 0 || offset + M > T) throw new Error(`writeRows: rows ${offset}..${offset + M} outside ${T}`);
  return Array.from({ length: batch }, (_, b) => ({ srcRow: b * M, dstRow: b * T + offset, rows: M, cols: C }));
}

/** Throws a clear error when a shape does not match what an operation needs. */
export function expectShape(what: string, actual: readonly number[], expected: readonly (number | null)[]): void {
  const ok = actual.length === expected.length && expected.every((e, i) => e === null || e === actual[i]);
  if (!ok) {
    const want = expected.map((e) => (e === null ? '*' : String(e))).join(', ');
    throw new Error(`${what}: expected shape [${want}], got [${actual.join(', ')}]`);
  }
}
