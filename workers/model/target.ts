/**
 * The target transformer (training/target.py) on the Backend interface: LlamaGen-style pre-norm
 * decoder with RMSNorm, SwiGLU, 2D RoPE, a text prefix of P vectors and an untied output head.
 * `forward` runs M new positions of one sequence against its KV cache, with an explicit attention
 * mask, so the same call serves prefill, a single AR step, and chain/tree verification.
 */
import type { Backend, Tensor } from '../backend/backend';
import type { RawTensor } from './safetensors';

export interface TargetConfig {
  dim: number;
  nLayers: number;
  nHeads: number;
  hidden: number;
  vocab: number;
  grid: number;
  prefixLen: number;
  ropeBase: number;
  normEps: number;
}

interface LayerWeights {
  attnNorm: Tensor;
  wq: Tensor;
  wk: Tensor;
  wv: Tensor;
  wo: Tensor;
  ffnNorm: Tensor;
  w13: Tensor;
  w2: Tensor;
}

export interface TargetWeights {
  tokEmb: Tensor;
  layers: LayerWeights[];
  norm: Tensor;
  output: Tensor;
}

/** Keys and values of one sequence, per layer: `[prefixLen + grid², dim]`. */
export interface KvCache {
  k: Tensor[];
  v: Tensor[];
}

/** Uploads the weights of training/target.py's state dict; wqkv is split into q, k, v row blocks. */
export function uploadTargetWeights(backend: Backend, cfg: TargetConfig, raw: Map<string, RawTensor>): TargetWeights {
  const get = (name: string, shape: number[]): RawTensor => {
    const t = raw.get(name);
    if (!t) throw new Error(`target weights: missing tensor ${name}`);
    if (t.shape.join() !== shape.join()) throw new Error(`target weights: ${name} has shape [${t.shape}], expected [${shape}]`);
    return t;
  };
  const up = (t: RawTensor, shape = t.shape, data = t.data) => backend.upload(data, shape, t.dtype === 'F16' ? 'f16' : 'f32');
  const { dim: C, hidden: F } = cfg;
  return {
    tokEmb: up(get('tok_emb.weight', [cfg.vocab, C])),
    layers: Array.from({ length: cfg.nLayers }, (_, i) => {
      const p = `layers.${i}.`;
      const wqkv = get(`${p}attn.wqkv.weight`, [3 * C, C]);
      const block = (b: number) => up(wqkv, [C, C], wqkv.data.subarray(b * C * C, (b + 1) * C * C));
      return {
        attnNorm: up(get(`${p}attn_norm.weight`, [C])),
        wq: block(0), wk: block(1), wv: block(2),
        wo: up(get(`${p}attn.wo.weight`, [C, C])),
        ffnNorm: up(get(`${p}ffn_norm.weight`, [C])),
        w13: up(get(`${p}ffn.w13.weight`, [2 * F, C])),
        w2: up(get(`${p}ffn.w2.weight`, [C, F])),
      };
    }),
    norm: up(get('norm.weight', [C])),
    output: up(get('output.weight', [cfg.vocab, C])),
  };
}

/** (row, col) of sequence index s: prefix positions sit at (0, 0), image token t at (t / W, t % W). */
export function positionOf(cfg: TargetConfig, s: number): [number, number] {
  const t = s - cfg.prefixLen;
  return t < 0 ? [0, 0] : [Math.floor(t / cfg.grid), t % cfg.grid];
}

export class TargetModel {
  constructor(
    readonly backend: Backend,
    readonly cfg: TargetConfig,
    readonly weights: TargetWeights,
  ) {}

  get maxLen(): number {
    return this.cfg.prefixLen + this.cfg.grid ** 2;
  }

  /** A zeroed cache for one sequence; `scratch` extra rows hold speculative tree nodes near the end of the grid. */
  newCache(scratch = 0): KvCache {
    const shape = [this.maxLen + scratch, this.cfg.dim];
    return {
      k: this.weights.layers.map(() => this.backend.zeros(shape)),
      v: this.weights.layers.map(() => this.backend.zeros(shape)),
    };
  }

  /** Image token embeddings `[M, dim]` for ids `[M]` (u32). */
  embed(ids: Tensor): Tensor {
    return this.backend.embedding(this.weights.tokEmb, ids);
  }

  /**
   * Runs inputs x `[M, dim]` placed at sequence indices start … start+M−1 (their K/V are written
   * there), with pos `[M, 2]` u32 and mask `[M, start + M]` u32. Returns the final hidden states
   * (before the last norm, what the draft reads) and the logits `[M, vocab]`.
   */
  forward(cache: KvCache, x: Tensor, start: number, pos: Tensor, mask: Tensor): { hidden: Tensor; logits: Tensor } {
    const b = this.backend, cfg = this.cfg;
    const M = x.shape[0];
    let h = x;
    this.weights.layers.forEach((L, i) => {
      const n1 = b.rmsnorm(h, L.attnNorm, cfg.normEps);
      const q = this.rotate(b.matmul(n1, L.wq), pos);
      const k = this.rotate(b.matmul(n1, L.wk), pos);
      const v = b.matmul(n1, L.wv);
      b.writeRows(cache.k[i], k, start);
      b.writeRows(cache.v[i], v, start);
      const att = b.attention(q, cache.k[i], cache.v[i], start + M, mask, cfg.nHeads);
      const proj = b.matmul(att, L.wo);
      const h1 = b.add(h, proj);
      const n2 = b.rmsnorm(h1, L.ffnNorm, cfg.normEps);
      const gu = b.matmul(n2, L.w13);
      const act = b.swiglu(gu);
      const down = b.matmul(act, L.w2);
      const h2 = b.add(h1, down);
      for (const t of [n1, q, k, v, att, proj, n2, gu, act, down]) b.release(t);
      if (h !== x) b.release(h);
      b.release(h1);
      h = h2;
    });
    const normed = b.rmsnorm(h, this.weights.norm, cfg.normEps);
    const logits = b.matmul(normed, this.weights.output);
    b.release(normed);
    return { hidden: h, logits };
  }

  private rotate(t: Tensor, pos: Tensor): Tensor {
    const r = this.backend.rope2d(t, pos, this.cfg.nHeads, this.cfg.ropeBase);
    this.backend.release(t);
    return r;
  }
}
