/**
 * Hawk's dual-direction drafting. Each step the draft model appends the newly committed tokens and,
 * from the newest position T, proposes:
 *   - horizontal candidates for T+1 … T+n (head k; the first one of each offset forms the main chain,
 *     `width − 1` more per offset become sibling leaves), and
 *   - vertical guesses for T+W·d, d = 1 … vsd, kept in the speculation cache until decoding reaches
 *     that row, where they join the horizontal candidates of the same position (the sampling pool).
 * With CFG the draft runs the cond and uncond sequences and guides its logits like the target (the
 * same scale and plausibility cut, so that q stays close to p).
 * Greedy mode proposes argmax / top-w tokens; sampling mode draws independent samples from the
 * processed draft distribution q, which lossless acceptance needs.
 * Candidates are drawn on the device and spliced into the target's input there, so a step is one
 * submit and one readback; greedy trees (top-w of a head) and top-p read the heads back and draw on the host.
 */
import type { Backend, Tensor } from '../backend/backend';
import type { DraftCache, DraftModel } from '../model/draft';
import { sampleIndex } from './acceptance';
import type { DraftCandidate, DraftRequest, Drafter, Proposal } from './decoder';
import { type Guidance, type SamplingSettings, guideRow, guidedSequences, needsGuiding, processLogits } from './logitsProcessing';

export interface HawkSettings {
  /** Tokens per row proposed along the row (≤ the number of horizontal heads). */
  n: number;
  /** Vertical speculation depth: rows below that get a guess (0 = none). */
  vsd: number;
  /** Candidates per horizontal offset (1 = a chain). */
  width: number;
  sampling: SamplingSettings;
  guidance: Guidance;
  /**
   * Draw the candidates on the device where the settings allow (no top-p; trees only when sampling): draft and target
   * verification then share one submit and one readback per step. Default true; false forces the
   * host path (tests compare the two).
   */
  sampleOnDevice?: boolean;
}

export class HawkDrafter implements Drafter {
  private readonly cache: DraftCache;
  /** Tokens whose z is in the draft's cache. */
  private fed = 0;
  /** Vertical guesses by image position. */
  private readonly speculation = new Map<number, DraftCandidate>();

  constructor(
    readonly draft: DraftModel,
    readonly settings: HawkSettings,
    private readonly uniform: () => number,
  ) {
    this.cache = draft.newCache(guidedSequences(settings.guidance));
  }

  private get backend(): Backend {
    return this.draft.backend;
  }

  /** Runs the draft over the text prefixes (cond, and uncond when guided). */
  start(prefixCond: Tensor, prefixUncond: Tensor | null): void {
    const b = this.backend, P = this.draft.cfg.prefixLen;
    if (this.cache.batch === 1) return this.draft.prefill(this.cache, prefixCond);
    const x = b.zeros([2 * P, this.draft.cfg.dim]);
    b.writeRows(x, prefixCond, 0);
    b.writeRows(x, prefixUncond!, P);
    this.draft.prefill(this.cache, x);
    b.release(x);
  }

  async propose(req: DraftRequest): Promise<Proposal> {
    const b = this.backend, cfg = this.draft.cfg, S = this.cache.batch;
    const first = this.fed, last = req.tokens.length - 1;
    const rowOf = new Map(req.hidden.rows.map((r) => [r.input, r.row]));
    const rows = Array.from({ length: last - first + 1 }, (_, i) => {
      const row = rowOf.get(first + i - 1);
      if (row === undefined) throw new Error(`HawkDrafter: no target hidden state for input ${first + i - 1}`);
      return row;
    });
    // Both sequences' rows in one gather: sequence s's rows start at s · perSequence.
    const m = rows.length, per = req.hidden.perSequence;
    const rowIds = b.upload(Uint32Array.from({ length: S * m }, (_, i) => Math.floor(i / m) * per + rows[i % m]), [S * m]);
    const newTokens = req.tokens.slice(first);
    const ids = b.upload(Uint32Array.from({ length: S * m }, (_, i) => newTokens[i % m]), [S * m]);
    const h = b.embedding(req.hidden.tensor, rowIds);
    const g = this.draft.extend(this.cache, h, ids, first);
    for (const t of [rowIds, ids, h]) b.release(t);
    this.fed = last + 1;

    // The heads this step needs: T+1 … T+n along the row (a gap in the heads ends the chain), and
    // each row below not guessed yet.
    const chain: number[] = [];
    while (chain.length < Math.min(req.maxDepth, this.settings.n) && cfg.offsets.includes(chain.length + 1)) chain.push(chain.length + 1);
    for (const at of this.speculation.keys()) if (at <= last) this.speculation.delete(at);
    const vertical = Array.from({ length: this.settings.vsd }, (_, i) => cfg.grid * (i + 1))
      .filter((k) => cfg.offsets.includes(k) && last + k < cfg.grid ** 2 && !this.speculation.has(last + k));
    const wanted = [...chain, ...vertical];
    const logitsT = this.draft.heads(g, { position: last, tokens: req.tokens, cache: this.cache }, wanted);
    b.release(g);
    return this.onDevice ? this.proposeOnDevice(logitsT, chain, vertical, last) : this.proposeOnHost(logitsT, chain, vertical, last);
  }

  /**
   * Whether drafted tokens are drawn on the device: from a softmax with optional top-k (no top-p); greedy trees (the
   * top-w tokens of a head) stay on the host.
   */
  get onDevice(): boolean {
    const { sampleOnDevice, width, sampling } = this.settings;
    return sampleOnDevice !== false && sampling.topP >= 1 && (width === 1 || sampling.temperature > 0);
  }

  private get greedy(): boolean {
    return !(this.settings.sampling.temperature > 0);
  }

  /** The host path: heads' logits read back now, guided and drawn on the host (any tree width, top-p). */
  private async proposeOnHost(logitsT: Tensor, chain: readonly number[], vertical: readonly number[], last: number): Promise<Proposal> {
    const b = this.backend, V = this.draft.cfg.vocab, S = this.cache.batch;
    const logits = (await b.read(logitsT)) as Float32Array;
    b.release(logitsT);
    const wanted = [...chain, ...vertical];
    const guided = (head: number): Float32Array => {
      const cond = logits.subarray(head * S * V, (head * S + 1) * V);
      if (!needsGuiding(this.settings.guidance)) return cond;
      return guideRow(cond, S === 1 ? cond : logits.subarray((head * S + 1) * V, (head * S + 2) * V), this.settings.guidance);
    };
    const greedy = this.greedy;
    const draw = (row: Float32Array, count: number, source: DraftCandidate['source']): DraftCandidate[] => {
      if (greedy) {
        const order = Array.from(row.keys()).sort((a, c) => row[c] - row[a] || a - c);
        return order.slice(0, count).map((token) => ({ token, q: null, source }));
      }
      const q = processLogits(row, this.settings.sampling);
      return Array.from({ length: count }, () => ({ token: sampleIndex(q, this.uniform()), q, source }));
    };

    // Vertical guesses for the rows below, kept until the frontier gets there.
    for (const k of vertical) this.speculation.set(last + k, draw(guided(wanted.indexOf(k)), 1, 'vertical')[0]);
    const candidates = chain.map((k) => {
      const pool = draw(guided(wanted.indexOf(k)), this.settings.width, 'horizontal');
      const guess = this.speculation.get(last + k);
      if (guess && !(greedy && pool.some((c) => c.token === guess.token))) pool.push(guess);
      return pool;
    });
    return { candidates };
  }

  /**
   * The device path: the heads are guided, turned into distributions and drawn on the GPU, and the
   * drawn tokens feed the target's forward in the same submit. Tokens and distributions
   * come back with the target's logits (`resolve`); the uniforms are drawn on the host in the host
   * path's order, so on the CPU backend both paths propose the same tokens.
   */
  private proposeOnDevice(logitsT: Tensor, chain: readonly number[], vertical: readonly number[], last: number): Proposal {
    const b = this.backend, V = this.draft.cfg.vocab, S = this.cache.batch, K = chain.length + vertical.length;
    let guided = logitsT;
    if (S === 2) {
      // Head-major rows (head k: cond, uncond) → cond rows, then uncond rows, as `cfg` takes them.
      const order = b.upload(Uint32Array.from({ length: 2 * K }, (_, i) => 2 * (i % K) + Math.floor(i / K)), [2 * K]);
      const bySequence = b.embedding(logitsT, order);
      guided = b.cfg(bySequence, this.settings.guidance);
      for (const t of [order, bySequence, logitsT]) b.release(t);
    } else if (needsGuiding(this.settings.guidance)) {
      guided = b.cfg(logitsT, this.settings.guidance);
      b.release(logitsT);
    }
    // Token rows: the chain's first candidates (row i for head i), the vertical guesses, then candidate c ≥ 1 of
    // chain head i at d + vertical + (c − 1)·d + i.
    const d = chain.length, w = this.settings.width, rowsN = K + (w - 1) * d;
    const headOf = (row: number): number => (row < K ? row : (row - K) % d);
    let tokens: Tensor, q: Tensor | null = null;
    if (this.greedy) {
      tokens = b.argmax(guided);
    } else {
      q = b.softmax(guided, this.settings.sampling.temperature, this.settings.sampling.topK);
      // Uniforms in the host path's order: the vertical guesses, then each chain head's w candidates.
      const u = new Float32Array(rowsN);
      vertical.forEach((_, j) => { u[d + j] = this.uniform(); });
      chain.forEach((_, i) => { for (let c = 0; c < w; c++) u[c === 0 ? i : K + (c - 1) * d + i] = this.uniform(); });
      const uT = b.upload(u, [rowsN]);
      let weights = q;
      if (w > 1) {
        const heads = b.upload(Uint32Array.from({ length: rowsN }, (_, r) => headOf(r)), [rowsN]);
        weights = b.embedding(q, heads);
        b.release(heads);
      }
      tokens = b.sample(weights, uT);
      for (const t of [uT, ...(weights !== q ? [weights] : [])]) b.release(t);
    }
    b.release(guided);

    const placeholder = (deviceRow: number): DraftCandidate => ({ token: -1, q: null, source: 'horizontal', deviceRow });
    const candidates: DraftCandidate[][] = chain.map((k, i) => {
      const guess = this.speculation.get(last + k);
      return [placeholder(i), ...Array.from({ length: w - 1 }, (_, c) => placeholder(K + c * d + i)), ...(guess ? [guess] : [])];
    });
    const resolve = (values: (Float32Array | Uint32Array)[]): void => {
      const [ids, probs] = values;
      const qs = Array.from({ length: K }, (_, head) => (probs ? (probs as Float32Array).slice(head * V, (head + 1) * V) : null));
      for (const pool of candidates) for (const c of pool) if (c.deviceRow !== undefined) Object.assign(c, { token: ids[c.deviceRow], q: qs[headOf(c.deviceRow)] });
      vertical.forEach((k, j) => this.speculation.set(last + k, { token: ids[d + j], q: qs[d + j], source: 'vertical' }));
      b.release(tokens);
      if (q) b.release(q);
    };
    return { candidates, onDevice: { tokens, reads: q ? [tokens, q] : [tokens], resolve } };
  }
}
