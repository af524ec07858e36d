/**
 * The target transformer (training/target.py) on the Backend interface: LlamaGen-style pre-norm
 * decoder with RMSNorm, SwiGLU, 2D RoPE, a text prefix of P vectors and an untied output head.
 * `forward` runs M new positions of one sequence against its KV cache, with an explicit attention
 * mask, so the same call serves prefill, a single AR step, and chain/tree verification.
 */
import type { Backend, Tensor } from '../backend/backend';
import type { RawTensor } from './safetensors';
import { type BlockWeights, blockForward, tensorOf, uploadBlock, uploadRaw } from './block';

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

export interface TargetWeights {
  tokEmb: Tensor;
  layers: BlockWeights[];
  norm: Tensor;
  output: Tensor;
}

/** Keys and values per layer of `batch` sequences (cond and uncond under CFG): `[batch · rows, dim]`. */
export interface KvCache {
  k: Tensor[];
  v: Tensor[];
  batch: number;
}

/** Repeats every row of `pos` (`[M][2]` as pairs) for each of `batch` sequences: `[batch·M, 2]` u32. */
export function batchedPositions(pairs: readonly (readonly [number, number])[], batch: number): Uint32Array {
  const out = new Uint32Array(2 * pairs.length * batch);
  for (let b = 0; b < batch; b++) pairs.forEach((p, i) => out.set(p, 2 * (b * pairs.length + i)));
  return out;
}

/** Uploads the weights of training/target.py's state dict. */
export function uploadTargetWeights(backend: Backend, cfg: TargetConfig, raw: Map<string, RawTensor>): TargetWeights {
  const get = (name: string, shape: number[]) => uploadRaw(backend, tensorOf(raw, name, shape, 'target'));
  const C = cfg.dim;
  return {
    tokEmb: get('tok_emb.weight', [cfg.vocab, C]),
    layers: Array.from({ length: cfg.nLayers }, (_, i) => uploadBlock(backend, raw, `layers.${i}.`, cfg, 'target')),
    norm: get('norm.weight', [C]),
    output: get('output.weight', [cfg.vocab, C]),
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

  /** A zeroed cache for `batch` sequences; `scratch` extra rows hold speculative tree nodes near the end of the grid. */
  newCache(scratch = 0, batch = 1): KvCache {
    const shape = [batch * (this.maxLen + scratch), this.cfg.dim];
    return {
      k: this.weights.layers.map(() => this.backend.zeros(shape)),
      v: this.weights.layers.map(() => this.backend.zeros(shape)),
      batch,
    };
  }

  /** Image token embeddings `[M, dim]` for ids `[M]` (u32). */
  embed(ids: Tensor): Tensor {
    return this.backend.embedding(this.weights.tokEmb, ids);
  }

  /**
   * Runs inputs x `[B·M, dim]` (B = cache.batch sequences of M rows) placed at sequence indices
   * start … start+M−1 (their K/V are written there), with pos `[B·M, 2]` u32 and mask
   * `[M, start + M]` u32 shared by the sequences. Returns the final hidden states (before the last
   * norm, what the draft reads) and the logits `[B·M, vocab]`.
   */
  forward(cache: KvCache, x: Tensor, start: number, pos: Tensor, mask: Tensor): { hidden: Tensor; logits: Tensor } {
    const b = this.backend, cfg = this.cfg, B = cache.batch;
    const M = x.shape[0] / B;
    let h = x;
    this.weights.layers.forEach((L, i) => {
      const next = blockForward(b, cfg, L, h, cache.k[i], cache.v[i], start, pos, (q, k, v) => b.attention(q, k, v, start + M, mask, cfg.nHeads, B), B);
      if (h !== x) b.release(h);
      h = next;
    });
    const normed = b.rmsnorm(h, this.weights.norm, cfg.normEps);
    const logits = b.matmul(normed, this.weights.output);
    b.release(normed);
    return { hidden: h, logits };
  }
}
