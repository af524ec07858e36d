/**
 * CPU backend: every operation of `Backend` written plainly on Float32Array. It is the oracle the
 * WGSL kernels are tested against and the fallback when WebGPU is missing, so clarity beats speed.
 * Accumulation is f32-by-f32 in JavaScript doubles; the GPU's f32 sums differ by rounding only.
 */
import { type Backend, type DType, type HostData, type LocalWindow, NO_TOKEN, type RowSlice, type Tensor, concatPlan, expectShape, numel, writeRowsPlan } from '../backend';
import { sampleIndex } from '../../decoding/acceptance';
import { type Guidance, guideRow, guidedShape } from '../../decoding/logitsProcessing';
import { widenF16 } from '../f16';

export class CpuTensor implements Tensor {
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** f16 tensors keep their values widened to f32: exactly the values a kernel sees. */
    readonly data: Float32Array | Uint32Array,
  ) {}
}

function cpu(t: Tensor): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new Error('CpuBackend: tensor belongs to another backend');
  return t;
}
function f(t: Tensor): Float32Array {
  const d = cpu(t).data;
  if (!(d instanceof Float32Array)) throw new Error('CpuBackend: expected a float tensor');
  return d;
}
function u(t: Tensor): Uint32Array {
  const d = cpu(t).data;
  if (!(d instanceof Uint32Array)) throw new Error('CpuBackend: expected a u32 tensor');
  return d;
}
function out(shape: readonly number[]): CpuTensor {
  return new CpuTensor(shape, 'f32', new Float32Array(numel(shape)));
}

/** Visibility rule of `windowAttention`, shared with the tests that build masks. */
export function windowVisible(j: number, qPos: number, w: LocalWindow): boolean {
  if (j < w.prefixLen) return true;
  const t = j - w.prefixLen;
  if (t > qPos) return false;
  const dr = Math.floor(qPos / w.gridWidth) - Math.floor(t / w.gridWidth);
  const dc = (t % w.gridWidth) - (qPos % w.gridWidth);
  return dr <= w.rowsAbove && dc >= -w.colsLeft && dc <= w.colsRight;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;

  upload(data: HostData, shape: readonly number[], dtype: DType = data instanceof Uint32Array ? 'u32' : 'f32'): Tensor {
    if (data.length !== numel(shape)) throw new Error(`upload: ${data.length} values for shape [${shape.join(', ')}]`);
    if (dtype === 'f16') {
      if (!(data instanceof Uint16Array)) throw new Error('upload: f16 tensors take a Uint16Array of half bits');
      return new CpuTensor(shape, 'f16', widenF16(data));
    }
    if (dtype === 'u32') return new CpuTensor(shape, 'u32', Uint32Array.from(data));
    return new CpuTensor(shape, 'f32', Float32Array.from(data));
  }

  zeros(shape: readonly number[]): Tensor {
    return out(shape);
  }

  async read(t: Tensor): Promise<Float32Array | Uint32Array> {
    return cpu(t).data.slice();
  }

  async readAll(ts: readonly Tensor[]): Promise<(Float32Array | Uint32Array)[]> {
    return ts.map((t) => cpu(t).data.slice());
  }

  release(): void {}

  concat(parts: readonly RowSlice[]): Tensor {
    const plan = concatPlan(parts);
    const data = plan.dtype === 'u32' ? new Uint32Array(numel(plan.shape)) : new Float32Array(numel(plan.shape));
    let at = 0;
    parts.forEach(({ tensor }, i) => {
      const { from, count } = plan.rows[i];
      data.set(cpu(tensor).data.subarray(from * plan.width, (from + count) * plan.width), at);
      at += count * plan.width;
    });
    return new CpuTensor(plan.shape, plan.dtype, data);
  }

  matmul(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
    const [M, K] = x.shape;
    const N = w.shape[0];
    expectShape('matmul weight', w.shape, [null, K]);
    if (bias) expectShape('matmul bias', bias.shape, [N]);
    const xs = f(x), ws = f(w), bs = bias ? f(bias) : null;
    const y = out([M, N]);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = bs ? bs[n] : 0;
        for (let k = 0; k < K; k++) s += xs[m * K + k] * ws[n * K + k];
        y.data[m * N + n] = s;
      }
    }
    return y;
  }

  add(a: Tensor, b: Tensor): Tensor {
    expectShape('add', b.shape, [...a.shape]);
    const as = f(a), bs = f(b);
    const y = out(a.shape);
    for (let i = 0; i < as.length; i++) y.data[i] = as[i] + bs[i];
    return y;
  }

  rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor {
    const [M, D] = x.shape;
    expectShape('rmsnorm weight', weight.shape, [D]);
    const xs = f(x), ws = f(weight);
    const y = out(x.shape);
    for (let m = 0; m < M; m++) {
      let ss = 0;
      for (let d = 0; d < D; d++) ss += xs[m * D + d] ** 2;
      const r = 1 / Math.sqrt(ss / D + eps);
      for (let d = 0; d < D; d++) y.data[m * D + d] = xs[m * D + d] * r * ws[d];
    }
    return y;
  }

  silu(x: Tensor): Tensor {
    const xs = f(x);
    const y = out(x.shape);
    for (let i = 0; i < xs.length; i++) y.data[i] = xs[i] / (1 + Math.exp(-xs[i]));
    return y;
  }

  swiglu(gateUp: Tensor): Tensor {
    const [M, F2] = gateUp.shape;
    if (F2 % 2) throw new Error(`swiglu: last dim ${F2} is odd`);
    const F = F2 / 2, xs = f(gateUp);
    const y = out([M, F]);
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < F; i++) {
        const g = xs[m * F2 + i];
        y.data[m * F + i] = (g / (1 + Math.exp(-g))) * xs[m * F2 + F + i];
      }
    }
    return y;
  }

  rope2d(x: Tensor, pos: Tensor, heads: number, base: number): Tensor {
    const [M, C] = x.shape;
    expectShape('rope2d pos', pos.shape, [M, 2]);
    const Dh = C / heads, half = Dh / 2;
    if (!Number.isInteger(Dh) || Dh % 4) throw new Error(`rope2d: head dim ${Dh} must be a multiple of 4`);
    const xs = f(x), ps = u(pos);
    const y = out(x.shape);
    for (let m = 0; m < M; m++) {
      for (let h = 0; h < heads; h++) {
        for (let axis = 0; axis < 2; axis++) {
          const p = ps[m * 2 + axis];
          for (let i = 0; i < half / 2; i++) {
            const angle = p * base ** ((-2 * i) / half);
            const c = Math.cos(angle), s = Math.sin(angle);
            const o = m * C + h * Dh + axis * half + 2 * i;
            const x0 = xs[o], x1 = xs[o + 1];
            y.data[o] = x0 * c - x1 * s;
            y.data[o + 1] = x0 * s + x1 * c;
          }
        }
      }
    }
    return y;
  }

  qkvRope(qkv: Tensor, pos: Tensor | null, heads: number, base: number, kCache: Tensor, vCache: Tensor, start: number, batch = 1): Tensor {
    const [R, C3] = qkv.shape, C = C3 / 3;
    if (!Number.isInteger(C)) throw new Error(`qkvRope: ${C3} columns are not q | k | v`);
    const part = (i: number): CpuTensor => {
      const t = out([R, C]), s = f(qkv);
      for (let r = 0; r < R; r++) t.data.set(s.subarray(r * C3 + i * C, r * C3 + (i + 1) * C), r * C);
      return t;
    };
    const rotate = (t: Tensor): Tensor => (pos ? this.rope2d(t, pos, heads, base) : t);
    this.writeRows(kCache, rotate(part(1)), start, batch);
    this.writeRows(vCache, part(2), start, batch);
    return rotate(part(0));
  }

  embedding(table: Tensor, ids: Tensor): Tensor {
    const [V, D] = table.shape;
    const ts = f(table), is = u(ids);
    const y = out([is.length, D]);
    is.forEach((id, m) => {
      if (id >= V) throw new Error(`embedding: id ${id} outside vocabulary of ${V}`);
      y.data.set(ts.subarray(id * D, (id + 1) * D), m * D);
    });
    return y;
  }

  writeRows(dst: Tensor, src: Tensor, offset: number, batch = 1): void {
    const d = f(dst), s = f(src);
    for (const c of writeRowsPlan(dst.shape, src.shape, offset, batch)) {
      d.set(s.subarray(c.srcRow * c.cols, (c.srcRow + c.rows) * c.cols), c.dstRow * c.cols);
    }
  }

  attention(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, mask: Tensor, heads: number, batch = 1): Tensor {
    const M = q.shape[0] / batch;
    expectShape('attention mask', mask.shape, [M, kvLen]);
    const ms = u(mask);
    return this.attend(q, kCache, vCache, kvLen, heads, batch, (m, j) => ms[m * kvLen + j] !== 0);
  }

  windowAttention(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, qPos: Tensor, heads: number, window: LocalWindow, batch = 1): Tensor {
    const M = q.shape[0] / batch;
    expectShape('windowAttention qPos', qPos.shape, [M]);
    const ps = u(qPos);
    return this.attend(q, kCache, vCache, kvLen, heads, batch, (m, j) => windowVisible(j, ps[m], window));
  }

  /** Softmax attention of every query of every sequence over the keys `visible` allows (m within its sequence). */
  private attend(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, heads: number, batch: number, visible: (m: number, j: number) => boolean): Tensor {
    const [rows, C] = q.shape;
    expectShape('attention kCache', kCache.shape, [null, C]);
    expectShape('attention vCache', vCache.shape, [...kCache.shape]);
    if (!Number.isInteger(batch) || batch < 1 || rows % batch || kCache.shape[0] % batch) {
      throw new Error(`attention: ${rows} query rows and ${kCache.shape[0]} cache rows do not split into ${batch} sequences`);
    }
    const M = rows / batch, T = kCache.shape[0] / batch;
    if (kvLen > T) throw new Error(`attention: kvLen ${kvLen} exceeds cache of ${T}`);
    const Dh = C / heads, scale = 1 / Math.sqrt(Dh);
    const qs = f(q), ks = f(kCache), vs = f(vCache);
    const y = out([rows, C]);
    const scores = new Float64Array(kvLen);
    for (let r = 0; r < rows; r++) {
      const m = r % M, kv0 = Math.floor(r / M) * T * C;
      for (let h = 0; h < heads; h++) {
        const qo = r * C + h * Dh;
        let max = -Infinity;
        for (let j = 0; j < kvLen; j++) {
          if (!visible(m, j)) { scores[j] = -Infinity; continue; }
          let s = 0;
          for (let d = 0; d < Dh; d++) s += qs[qo + d] * ks[kv0 + j * C + h * Dh + d];
          scores[j] = s * scale;
          max = Math.max(max, scores[j]);
        }
        if (max === -Infinity) continue;
        let sum = 0;
        for (let j = 0; j < kvLen; j++) sum += scores[j] = Math.exp(scores[j] - max);
        for (let j = 0; j < kvLen; j++) {
          if (scores[j] === 0) continue;
          const p = scores[j] / sum;
          for (let d = 0; d < Dh; d++) y.data[qo + d] += p * vs[kv0 + j * C + h * Dh + d];
        }
      }
    }
    return y;
  }

  cfg(logits: Tensor, g: Guidance): Tensor {
    const { M, V, S } = guidedShape(logits.shape, g), xs = f(logits);
    const y = out([M, V]);
    for (let m = 0; m < M; m++) {
      const cond = xs.subarray(m * V, (m + 1) * V);
      guideRow(cond, S === 1 ? cond : xs.subarray((M + m) * V, (M + m + 1) * V), g, f(y).subarray(m * V, (m + 1) * V));
    }
    return y;
  }

  softmax(logits: Tensor, temperature: number, topK: number): Tensor {
    if (!(temperature > 0)) throw new Error(`softmax: temperature must be > 0, got ${temperature}`);
    const [M, V] = logits.shape;
    const xs = f(logits);
    const y = out([M, V]);
    for (let m = 0; m < M; m++) {
      const row = xs.subarray(m * V, (m + 1) * V);
      const threshold = topK > 0 && topK < V ? Float32Array.from(row).sort().reverse()[topK - 1] : -Infinity;
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (let i = 0; i < V; i++) {
        const e = row[i] >= threshold ? Math.exp((row[i] - max) / temperature) : 0;
        y.data[m * V + i] = e;
        sum += e;
      }
      for (let i = 0; i < V; i++) y.data[m * V + i] /= sum;
    }
    return y;
  }

  sample(weights: Tensor, uniforms: Tensor): Tensor {
    const [M, V] = weights.shape;
    expectShape('sample uniforms', uniforms.shape, [M]);
    const w = f(weights), us = f(uniforms);
    return new CpuTensor([M], 'u32', Uint32Array.from({ length: M }, (_, m) => {
      const row = w.subarray(m * V, (m + 1) * V);
      return row.some((v) => v > 0) ? sampleIndex(row, us[m]) : NO_TOKEN;
    }));
  }

  argmax(x: Tensor): Tensor {
    const [M, V] = x.shape;
    const xs = f(x);
    const ids = new Uint32Array(M);
    for (let m = 0; m < M; m++) {
      let best = 0;
      for (let i = 1; i < V; i++) if (xs[m * V + i] > xs[m * V + best]) best = i;
      ids[m] = best;
    }
    return new CpuTensor([M], 'u32', ids);
  }
}
