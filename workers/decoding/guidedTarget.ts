/**
 * The target with classifier-free guidance: a conditional and an unconditional sequence, each with
 * its own KV cache, scored together; the host receives guided logits uncond + s·(cond − uncond) in a
 * single readback. With s = 1 the unconditional sequence is skipped (guided = cond).
 */
import type { Backend, Tensor } from '../backend/backend';
import { type KvCache, type TargetModel, positionOf } from '../model/target';

/** Which of the M new rows row i may attend to (besides every cached position before them). */
export type NewRowVisibility = (i: number, j: number) => boolean;

export class GuidedTarget {
  private readonly caches: KvCache[];

  constructor(
    readonly model: TargetModel,
    readonly cfgScale: number,
    /** Most rows one forward may add past the grid's last position (tree nodes beyond the end). */
    readonly scratchRows = 64,
  ) {
    this.caches = Array.from({ length: this.guided ? 2 : 1 }, () => model.newCache(scratchRows));
  }

  private get guided(): boolean {
    return this.cfgScale !== 1;
  }

  private get backend(): Backend {
    return this.model.backend;
  }

  /**
   * Runs the text prefixes `[P, dim]` (cond, and uncond when guided); returns the guided logits
   * predicting image token 0 and the prefix hidden states per sequence (the caller releases them).
   */
  async prefill(prefixCond: Tensor, prefixUncond: Tensor | null): Promise<{ logits: Float32Array; hidden: Tensor[] }> {
    if (this.guided && !prefixUncond) throw new Error('prefill: classifier-free guidance needs the unconditional prefix');
    const P = this.model.cfg.prefixLen;
    const seqIndex = Array.from({ length: P }, (_, i) => i);
    const { logits, hidden } = await this.run([prefixCond, prefixUncond], 0, seqIndex, (i, j) => j <= i);
    return { logits: logits.subarray((P - 1) * this.model.cfg.vocab), hidden };
  }

  /**
   * Scores M image tokens written at cache slots start … start+M−1. `imageIndex[i]` is the grid index
   * of token i (its RoPE position); `visible` says which of the new rows each row sees. Returns the
   * guided logits `[M·V]` and the final hidden states per sequence (cond first), which the caller releases.
   */
  async score(tokens: readonly number[], imageIndex: readonly number[], start: number, visible: NewRowVisibility): Promise<{ logits: Float32Array; hidden: Tensor[] }> {
    const ids = this.backend.upload(Uint32Array.from(tokens), [tokens.length]);
    const x = this.model.embed(ids);
    this.backend.release(ids);
    if (start + tokens.length > this.model.maxLen + this.scratchRows) {
      throw new Error(`score: ${tokens.length} rows at slot ${start} exceed the cache (${this.model.maxLen} + ${this.scratchRows} scratch rows)`);
    }
    const seqIndex = imageIndex.map((t) => t + this.model.cfg.prefixLen);
    const result = this.run([x, x], start, seqIndex, visible);
    this.backend.release(x);
    return result;
  }

  private async run(inputs: (Tensor | null)[], start: number, seqIndex: readonly number[], visible: NewRowVisibility): Promise<{ logits: Float32Array; hidden: Tensor[] }> {
    const b = this.backend, cfg = this.model.cfg;
    const M = seqIndex.length;
    const pos = new Uint32Array(2 * M);
    seqIndex.forEach((s, i) => pos.set(positionOf(cfg, s), 2 * i));
    const mask = new Uint32Array(M * (start + M));
    for (let i = 0; i < M; i++) {
      mask.fill(1, i * (start + M), i * (start + M) + start);
      for (let j = 0; j < M; j++) if (visible(i, j)) mask[i * (start + M) + start + j] = 1;
    }
    const posT = b.upload(pos, [M, 2]);
    const maskT = b.upload(mask, [M, start + M]);
    const outs = this.caches.map((cache, s) => this.model.forward(cache, inputs[s]!, start, posT, maskT));
    b.release(posT);
    b.release(maskT);
    let guided: Tensor;
    if (this.guided) {
      const both = b.zeros([2 * M, cfg.vocab]);
      b.writeRows(both, outs[0].logits, 0);
      b.writeRows(both, outs[1].logits, M);
      guided = b.cfg(both, this.cfgScale);
      b.release(both);
    } else {
      guided = outs[0].logits;
    }
    const logits = (await b.read(guided)) as Float32Array;
    b.release(guided);
    if (this.guided) outs.forEach((o) => b.release(o.logits));
    return { logits, hidden: outs.map((o) => o.hidden) };
  }
}
