/**
 * The target with classifier-free guidance: a conditional and an unconditional sequence run as one
 * batch of 2 (every weight is read once for both, attention handles the two caches in one
 * dispatch); the host receives guided logits uncond + s·(cond − uncond), the plausibility cut
 * applied (`guideRow`), in a single readback. With s = 1 the unconditional sequence is skipped.
 */
import type { Backend, Tensor } from '../backend/backend';
import { type KvCache, type TargetModel, batchedPositions, positionOf } from '../model/target';
import { type Guidance, guidedSequences, needsGuiding } from './logitsProcessing';

/** Which of the M new rows row i may attend to (besides every cached position before them). */
export type NewRowVisibility = (i: number, j: number) => boolean;

/** What a forward returns: guided logits (host), final hidden states (device), and any tensors read with them. */
export interface Scored {
  logits: Float32Array;
  hidden: Tensor;
  also: (Float32Array | Uint32Array)[];
}

export class GuidedTarget {
  private readonly cache: KvCache;

  constructor(
    readonly model: TargetModel,
    readonly guidance: Guidance,
    /** Most rows one forward may add past the grid's last position (tree nodes beyond the end). */
    readonly scratchRows = 64,
  ) {
    this.cache = model.newCache(scratchRows, guidedSequences(guidance));
  }

  /** Sequences per forward: 2 with guidance (cond, uncond), else 1. */
  get batch(): number {
    return this.cache.batch;
  }

  private get guided(): boolean {
    return this.batch === 2;
  }

  private get backend(): Backend {
    return this.model.backend;
  }

  /**
   * Runs the text prefixes `[P, dim]` (cond, and uncond when guided); returns the guided logits
   * predicting image token 0 and the prefix hidden states `[batch·P, dim]` (the caller releases them).
   */
  async prefill(prefixCond: Tensor, prefixUncond: Tensor | null): Promise<Scored> {
    if (this.guided && !prefixUncond) throw new Error('prefill: classifier-free guidance needs the unconditional prefix');
    const b = this.backend, P = this.model.cfg.prefixLen;
    let x = prefixCond;
    if (this.guided) {
      x = b.zeros([2 * P, this.model.cfg.dim]);
      b.writeRows(x, prefixCond, 0);
      b.writeRows(x, prefixUncond!, P);
    }
    const seqIndex = Array.from({ length: P }, (_, i) => i);
    const { logits, hidden } = await this.run(x, 0, seqIndex, (i, j) => j <= i);
    if (x !== prefixCond) b.release(x);
    return { logits: logits.subarray((P - 1) * this.model.cfg.vocab), hidden, also: [] };
  }

  /**
   * Scores M image tokens written at cache slots start … start+M−1. `tokens` are the M ids, or the
   * input ids already on the device `[batch·M]` u32 (each sequence's M ids, cond first), which the
   * caller releases. `imageIndex[i]` is the grid index of token i (its RoPE position); `visible` says
   * which of the new rows each row sees. Returns the guided logits `[M·V]`, the final hidden states
   * `[batch·M, dim]` (cond rows first; the caller releases them) and the contents of `alsoRead`,
   * read back in the same readback as the logits.
   */
  async score(tokens: readonly number[] | Tensor, imageIndex: readonly number[], start: number, visible: NewRowVisibility, alsoRead: readonly Tensor[] = []): Promise<Scored> {
    const M = imageIndex.length;
    const ids = Array.isArray(tokens) ? this.backend.upload(Uint32Array.from({ length: this.batch * M }, (_, i) => tokens[i % M]), [this.batch * M]) : tokens as Tensor;
    if (ids.shape[0] !== this.batch * M) throw new Error(`score: ${ids.shape[0]} input ids for ${M} tokens × ${this.batch} sequences`);
    const x = this.model.embed(ids);
    if (ids !== tokens) this.backend.release(ids);
    if (start + M > this.model.maxLen + this.scratchRows) {
      throw new Error(`score: ${M} rows at slot ${start} exceed the cache (${this.model.maxLen} + ${this.scratchRows} scratch rows)`);
    }
    const seqIndex = imageIndex.map((t) => t + this.model.cfg.prefixLen);
    const result = this.run(x, start, seqIndex, visible, alsoRead);
    this.backend.release(x);
    return result;
  }

  /** One batched forward of x `[batch·M, dim]`; guided logits read back, hidden states kept on the device. */
  private async run(x: Tensor, start: number, seqIndex: readonly number[], visible: NewRowVisibility, alsoRead: readonly Tensor[] = []): Promise<Scored> {
    const b = this.backend, cfg = this.model.cfg;
    const M = seqIndex.length;
    const mask = new Uint32Array(M * (start + M));
    for (let i = 0; i < M; i++) {
      mask.fill(1, i * (start + M), i * (start + M) + start);
      for (let j = 0; j < M; j++) if (visible(i, j)) mask[i * (start + M) + start + j] = 1;
    }
    const posT = b.upload(batchedPositions(seqIndex.map((s) => positionOf(cfg, s)), this.batch), [this.batch * M, 2]);
    const maskT = b.upload(mask, [M, start + M]);
    const out = this.model.forward(this.cache, x, start, posT, maskT);
    b.release(posT);
    b.release(maskT);
    const guided = needsGuiding(this.guidance) ? b.cfg(out.logits, this.guidance) : out.logits;
    if (guided !== out.logits) b.release(out.logits);
    const [logits, ...also] = await b.readAll([guided, ...alsoRead]);
    b.release(guided);
    return { logits: logits as Float32Array, hidden: out.hidden, also };
  }
}
