/**
 * Guidance, then the distribution tokens are sampled from. `guideRow` turns cond and uncond logits into
 * guided ones (the CPU backend's `cfg` and the draft's host path; shaders/guidance.wgsl on the GPU;
 * training/guidance.py is the reference). `processLogits` turns guided logits into the distribution on the host: temperature, then
 * top-k (values ≥ the k-th largest, ties kept, as the GPU softmax kernel), then top-p (the smallest
 * set of most likely tokens whose mass reaches p). Target and draft go through the same processing,
 * so speculative acceptance compares like with like.
 */
export interface SamplingSettings {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** 0 = no top-k. */
  topK: number;
  /** 1 = no top-p. */
  topP: number;
}

/** Classifier-free guidance: how strongly, and which tokens it may pick at all. */
export interface Guidance {
  /** uncond + scale·(cond − uncond); 1 = no guidance (and no unconditional sequence). */
  scale: number;
  /**
   * The plausibility cut: only tokens the conditional model finds at least this fraction as likely
   * as its favourite may be drawn; 0 = no cut. Guidance multiplies the cond/uncond log-ratio, which
   * in a small model's tail is noise: without the cut rare tokens outscore the background.
   */
  plausibility: number;
}

/** Sequences a guided forward runs: cond and uncond, or cond alone at scale 1. */
export function guidedSequences(g: Guidance): 1 | 2 {
  return g.scale === 1 ? 1 : 2;
}

/** The shape `Backend.cfg` reads: logits `[S·M, V]` of S = `guidedSequences` sequences → M guided rows of V. */
export function guidedShape(shape: readonly number[], g: Guidance): { M: number; V: number; S: 1 | 2 } {
  const [rows, V] = shape, S = guidedSequences(g);
  if (rows % S) throw new Error(`cfg: expected cond and uncond rows, got ${rows} rows`);
  return { M: rows / S, V, S };
}

/** Whether logits go through `cfg` at all: to combine the sequences, or for the cut alone. */
export function needsGuiding(g: Guidance): boolean {
  return g.scale !== 1 || g.plausibility > 0;
}

/** Logit of a token the plausibility cut removed: the lowest f32 (exp underflows to exactly 0, never an argmax). The WGSL kernel writes the same. */
export const CUT_LOGIT = -3.4028234663852886e38;

/** ln(plausibility) as the f32 the GPU kernel receives; null when there is no cut. */
export function logPlausibility(plausibility: number): number | null {
  return plausibility > 0 ? Math.fround(Math.log(plausibility)) : null;
}

/**
 * One row of guided logits: uncond + scale·(cond − uncond), except CUT_LOGIT where cond is below
 * max(cond) + ln(plausibility) (that sum rounded to f32, as the GPU adds). Without an unconditional
 * sequence (scale 1) pass cond as uncond: the cut alone.
 */
export function guideRow(cond: ArrayLike<number>, uncond: ArrayLike<number>, g: Guidance, out: Float32Array = new Float32Array(cond.length)): Float32Array {
  const lnP = logPlausibility(g.plausibility);
  let max = -Infinity;
  for (let i = 0; i < cond.length; i++) max = Math.max(max, cond[i]);
  const threshold = lnP === null ? -Infinity : Math.fround(max + lnP);
  for (let i = 0; i < cond.length; i++) out[i] = cond[i] < threshold ? CUT_LOGIT : uncond[i] + g.scale * (cond[i] - uncond[i]);
  return out;
}

export function argmaxOf(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

export function processLogits(row: Float32Array, s: SamplingSettings): Float32Array {
  if (!(s.temperature > 0)) throw new Error('processLogits: greedy decoding uses argmaxOf, not a distribution');
  const V = row.length;
  let threshold = -Infinity;
  if (s.topK > 0 && s.topK < V) threshold = Float32Array.from(row).sort()[V - s.topK];
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, row[i]);
  const p = new Float32Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) if (row[i] >= threshold) sum += p[i] = Math.exp((row[i] - max) / s.temperature);
  for (let i = 0; i < V; i++) p[i] /= sum;
  if (s.topP < 1) {
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
    let mass = 0, kept = 0;
    while (kept < V && mass < s.topP) mass += p[order[kept++]];
    for (let i = kept; i < V; i++) p[order[i]] = 0;
    for (let i = 0; i < V; i++) p[i] /= mass;
  }
  return p;
}
