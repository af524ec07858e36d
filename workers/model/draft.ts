/**
 * The Hawk draft (training/draft.py) on the Backend interface. For image position t it reads
 * z_t = w_in[in_norm(h_{t−1}); tok_emb(x_t)] (h from the target, tok_emb the target's), runs its
 * block(s) over the draft's own KV cache — 2D RoPE and local 2D window attention in the spatial
 * variant, 1D RoPE and causal attention in the ablation — and turns the features g_t of the newest
 * position into logits for t + k for every head offset k via u + w2_k(silu(w1_k u)) and the target's
 * final norm and output head, where u = g, plus in the Hawk draft w_above·tok_emb(x_a) and
 * w_above_features·g_a: the token straight above the predicted one (`aboveIndex`) and the draft's own
 * features there, and for the horizontal heads w_above_right·g_b, the features up and to the right of
 * it (`aboveRightIndex`) — neighbours only a draft that knows the grid can name.
 */
import type { Backend, Tensor } from '../backend/backend';
import type { RawTensor } from './safetensors';
import { type BlockWeights, blockForward, tensorOf, uploadBlock, uploadRaw } from './block';
import { type KvCache, type TargetModel, batchedPositions } from './target';

/** The draft's KV cache, plus its features g of every image position so far when the heads read them (`aboveFeatures`, `aboveRight`). */
export interface DraftCache extends KvCache {
  /** `[batch·W², dim]`: sequence s's position t in row s·W² + t; null when the heads read no features. */
  features: Tensor | null;
}

export interface DraftConfig {
  dim: number;
  nLayers: number;
  nHeads: number;
  hidden: number;
  headHidden: number;
  vocab: number;
  grid: number;
  prefixLen: number;
  /** Head j predicts image token t + offsets[j]: 1…8 along the row, then W·d below. */
  offsets: number[];
  /** Hawk (2D RoPE + local window) or the ablation (1D RoPE + causal attention). */
  spatial: boolean;
  rowsAbove: number;
  colsLeft: number;
  colsRight: number;
  ropeBase: number;
  normEps: number;
  /** The heads read the token above the one they predict (Hawk; the ablation has no such input). */
  above: boolean;
  /** The heads read the draft's own features at the position above the one they predict (Hawk). */
  aboveFeatures: boolean;
  /** The horizontal heads read the draft's own features up and to the right of the one they predict (Hawk). */
  aboveRight: boolean;
}

/** What the heads read besides the features: the image tokens so far, the position t of the features, the draft's cache. */
export interface HeadContext {
  position: number;
  tokens: ArrayLike<number>;
  cache: DraftCache;
}

/**
 * Image position of the token straight above position t + k (k ≤ W), or two rows above (W < k ≤ 2W): never after
 * t, so already generated when head k runs; negative where t + k lies in the first row(s), and the term is left out.
 */
export function aboveIndex(t: number, k: number, grid: number): number {
  return t + k - grid * Math.ceil(k / grid);
}

/**
 * Image position up and to the right of position t + k for a horizontal head (k < W): aboveIndex + 1 ≤ t, so already
 * generated; −1 where there is none yet or none at all: vertical heads (it would be t + 1), t + k in the last column
 * (the position would wrap into the next row) or in the first row.
 */
export function aboveRightIndex(t: number, k: number, grid: number): number {
  const p = t + k;
  return k < grid && p >= grid && p % grid < grid - 1 ? aboveIndex(t, k, grid) + 1 : -1;
}

export interface DraftWeights {
  inNorm: Tensor;
  /** w_in split by input columns: the half that reads in_norm(h), the half that reads tok_emb(x). */
  wInHidden: Tensor;
  wInToken: Tensor;
  wPrefix: Tensor;
  layers: BlockWeights[];
  heads: { w1: Tensor; w2: Tensor }[];
  /** `[dim, dim]` projection of the above token's embedding; null when the config has no above input. */
  wAbove: Tensor | null;
  /** `[dim, dim]` projection of the draft's features at the position above; null without `aboveFeatures`. */
  wAboveFeatures: Tensor | null;
  /** `[dim, dim]` projection of the draft's features up and to the right; null without `aboveRight`. */
  wAboveRight: Tensor | null;
}

export function uploadDraftWeights(backend: Backend, cfg: DraftConfig, raw: Map<string, RawTensor>): DraftWeights {
  const C = cfg.dim;
  const get = (name: string, shape: number[]) => tensorOf(raw, name, shape, 'draft');
  const wIn = get('w_in.weight', [C, 2 * C]);
  const half = (h: number) => {
    const data = wIn.data instanceof Float32Array ? new Float32Array(C * C) : new Uint16Array(C * C);
    for (let r = 0; r < C; r++) data.set(wIn.data.subarray(r * 2 * C + h * C, r * 2 * C + (h + 1) * C), r * C);
    return uploadRaw(backend, wIn, [C, C], data);
  };
  return {
    inNorm: uploadRaw(backend, get('in_norm.weight', [C])),
    wInHidden: half(0),
    wInToken: half(1),
    wPrefix: uploadRaw(backend, get('w_prefix.weight', [C, C])),
    layers: Array.from({ length: cfg.nLayers }, (_, i) => uploadBlock(backend, raw, `layers.${i}.`, cfg, 'draft')),
    heads: cfg.offsets.map((k) => ({
      w1: uploadRaw(backend, get(`heads.k${k}.w1.weight`, [cfg.headHidden, C])),
      w2: uploadRaw(backend, get(`heads.k${k}.w2.weight`, [C, cfg.headHidden])),
    })),
    wAbove: cfg.above ? uploadRaw(backend, get('w_above.weight', [C, C])) : null,
    wAboveFeatures: cfg.aboveFeatures ? uploadRaw(backend, get('w_above_features.weight', [C, C])) : null,
    wAboveRight: cfg.aboveRight ? uploadRaw(backend, get('w_above_right.weight', [C, C])) : null,
  };
}

export class DraftModel {
  constructor(
    readonly backend: Backend,
    readonly cfg: DraftConfig,
    readonly weights: DraftWeights,
    /** The frozen target whose token table, final norm and output head the draft shares. */
    readonly target: TargetModel,
  ) {}

  /** A zeroed cache for `batch` sequences (cond and uncond under CFG). */
  newCache(batch = 1): DraftCache {
    const b = this.backend, C = this.cfg.dim, N = this.cfg.grid ** 2;
    const shape = [batch * (this.cfg.prefixLen + N), C];
    return {
      k: this.weights.layers.map(() => b.zeros(shape)), v: this.weights.layers.map(() => b.zeros(shape)), batch,
      features: this.cfg.aboveFeatures || this.cfg.aboveRight ? b.zeros([batch * N, C]) : null,
    };
  }

  /** Runs the text prefix vectors `[batch·P, dim]` into the cache (position (0, 0), causal among themselves). */
  prefill(cache: DraftCache, prefix: Tensor): void {
    const b = this.backend, P = this.cfg.prefixLen, B = cache.batch;
    const x = b.matmul(prefix, this.weights.wPrefix);
    const mask = new Uint32Array(P * P);
    for (let i = 0; i < P; i++) mask.fill(1, i * P, i * P + i + 1);
    const out = this.run(cache, x, 0, new Uint32Array(2 * B * P), (q, k, v) => {
      const m = b.upload(mask, [P, P]);
      const r = b.attention(q, k, v, P, m, this.cfg.nHeads, B);
      b.release(m);
      return r;
    });
    b.release(x);
    b.release(out);
  }

  /**
   * Appends image positions first … first+m−1 of each sequence: h `[batch·m, dim]` are the target
   * hidden states that predicted those tokens, ids `[batch·m]` the tokens (repeated per sequence).
   * Returns the features of each sequence's last position `[batch, dim]` (and keeps all of them in `cache.features`).
   */
  extend(cache: DraftCache, h: Tensor, ids: Tensor, first: number): Tensor {
    const b = this.backend, cfg = this.cfg, w = this.weights, B = cache.batch;
    const m = ids.shape[0] / B;
    const normed = b.rmsnorm(h, w.inNorm, cfg.normEps);
    const fromHidden = b.matmul(normed, w.wInHidden);
    const emb = this.target.embed(ids);
    const fromToken = b.matmul(emb, w.wInToken);
    const z = b.add(fromHidden, fromToken);
    for (const t of [normed, fromHidden, emb, fromToken]) b.release(t);

    const pos = batchedPositions(Array.from({ length: m }, (_, i) => {
      const t = first + i;
      return cfg.spatial ? [Math.floor(t / cfg.grid), t % cfg.grid] as const : [t, t] as const;
    }), B);
    const start = cfg.prefixLen + first, kvLen = start + m;
    const g = this.run(cache, z, start, pos, (q, k, v) => {
      if (cfg.spatial) {
        const qPos = b.upload(Uint32Array.from({ length: m }, (_, i) => first + i), [m]);
        const r = b.windowAttention(q, k, v, kvLen, qPos, cfg.nHeads, { prefixLen: cfg.prefixLen, gridWidth: cfg.grid, rowsAbove: cfg.rowsAbove, colsLeft: cfg.colsLeft, colsRight: cfg.colsRight }, B);
        b.release(qPos);
        return r;
      }
      const mask = new Uint32Array(m * kvLen);
      for (let i = 0; i < m; i++) mask.fill(1, i * kvLen, i * kvLen + start + i + 1);
      const mt = b.upload(mask, [m, kvLen]);
      const r = b.attention(q, k, v, kvLen, mt, cfg.nHeads, B);
      b.release(mt);
      return r;
    });
    b.release(z);
    if (cache.features) b.writeRows(cache.features, g, first, B);
    if (m === 1) return g;
    const lastIds = b.upload(Uint32Array.from({ length: B }, (_, s) => s * m + m - 1), [B]);
    const last = b.embedding(g, lastIds);
    b.release(lastIds);
    b.release(g);
    return last;
  }

  /**
   * Logits of the heads for `offsets` (default all, in config order) for S feature rows g
   * `[S, dim]` (the sequences under CFG), all at image position `at.position`: `[K·S, vocab]`,
   * head-major (row k·S + s is the k-th requested head of row s).
   * Asking only for the heads a step uses keeps the draft cheap at short speculation lengths.
   */
  heads(g: Tensor, at: HeadContext, offsets: readonly number[] = this.cfg.offsets): Tensor {
    const b = this.backend, S = g.shape[0], K = offsets.length;
    const stacked = b.zeros([K * S, this.cfg.dim]);
    offsets.forEach((offset, k) => {
      const head = this.cfg.offsets.indexOf(offset);
      if (head < 0) throw new Error(`draft: no head for offset ${offset}`);
      const { w1, w2 } = this.weights.heads[head];
      const u = this.withAbove(g, at, offset);
      const a = b.matmul(u, w1);
      const s = b.silu(a);
      const o = b.matmul(s, w2);
      const r = b.add(u, o);
      b.writeRows(stacked, r, k * S);
      for (const t of [a, s, o, r, ...(u !== g ? [u] : [])]) b.release(t);
    });
    const t = this.target;
    const normed = b.rmsnorm(stacked, t.weights.norm, t.cfg.normEps);
    const logits = b.matmul(normed, t.weights.output);
    b.release(stacked);
    b.release(normed);
    return logits;
  }

  /**
   * g + w_above·tok_emb(x_a) + w_above_features·g_a + w_above_right·g_b on every row, a the position above
   * position + offset and b the one up and to the right of it (each term where the config has it and the position
   * exists), or g itself (no above input, or the first row).
   */
  private withAbove(g: Tensor, at: HeadContext, offset: number): Tensor {
    const { wAbove, wAboveFeatures, wAboveRight } = this.weights;
    const a = aboveIndex(at.position, offset, this.cfg.grid);
    const ar = aboveRightIndex(at.position, offset, this.cfg.grid);
    if ((!wAbove && !wAboveFeatures && !wAboveRight) || a < 0) return g;
    if (a >= at.tokens.length) throw new Error(`draft: token ${a} above position ${at.position} + ${offset} is not known yet`);
    const b = this.backend, S = g.shape[0];
    let u = g;
    const addProjected = (rows: Tensor, w: Tensor) => {
      const projected = b.matmul(rows, w);
      const next = b.add(u, projected);
      for (const t of [rows, projected, ...(u !== g ? [u] : [])]) b.release(t);
      u = next;
    };
    /** The cache's features of every sequence at image position p: `[S, dim]`. */
    const featuresAt = (p: number) => {
      if (!at.cache.features) throw new Error('draft: the heads read the features above, but the cache keeps none');
      const rowIds = b.upload(Uint32Array.from({ length: S }, (_, s) => s * this.cfg.grid ** 2 + p), [S]);
      const rows = b.embedding(at.cache.features, rowIds);
      b.release(rowIds);
      return rows;
    };
    if (wAbove) {
      const ids = b.upload(new Uint32Array(S).fill(at.tokens[a]), [S]);
      addProjected(this.target.embed(ids), wAbove);
      b.release(ids);
    }
    if (wAboveFeatures) addProjected(featuresAt(a), wAboveFeatures);
    if (wAboveRight && ar >= 0) addProjected(featuresAt(ar), wAboveRight);
    return u;
  }

  private run(cache: DraftCache, x: Tensor, start: number, pos: Uint32Array, attend: (q: Tensor, k: Tensor, v: Tensor) => Tensor): Tensor {
    const b = this.backend;
    const posT = b.upload(pos, [pos.length / 2, 2]);
    let h = x;
    this.weights.layers.forEach((L, i) => {
      const next = blockForward(b, this.cfg, L, h, cache.k[i], cache.v[i], start, posT, attend, cache.batch);
      if (h !== x) b.release(h);
      h = next;
    });
    b.release(posT);
    return h;
  }
}
