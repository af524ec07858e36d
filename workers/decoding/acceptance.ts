/**
 * Lossless multi-candidate speculative sampling (recursive rejection sampling, as in SpecInfer's
 * multi-step speculative sampling and EAGLE's tree verification).
 *
 * At one position the target's distribution is p. Candidates x₁…x_k were proposed, each drawn
 * independently from its own proposal q_i (a horizontal head, a vertical guess from the speculation
 * cache, …). Candidate i is accepted with probability min(1, pᵢ(xᵢ)/qᵢ(xᵢ)), where p₁ = p and, after
 * each rejection, pᵢ₊₁ = normalize(max(0, pᵢ − qᵢ)). If every candidate is rejected the token is drawn
 * from the last residual. The token that comes out is distributed exactly as p.
 *
 * Greedy decoding (temperature 0) is the limit where p and every q are one-hot: a candidate is
 * accepted iff it equals the target's argmax, and the fallback is the argmax itself.
 *
 * Relaxed acceptance (opt-in, NOT lossless; after LANTERN): a candidate x is judged by the target
 * mass of its latent neighbourhood A(x) — the VQ codes nearest to x's code, which decode to nearly
 * the same pixels — accepting with min(1, pᵢ(A(x))/qᵢ(x)). The neighbourhood size k and radius δ
 * bound how far the output distribution may drift from the target's.
 */

/** For relaxed acceptance: `neighbours[x]` lists the codes in x's latent neighbourhood, x included. */
export type Neighbourhoods = readonly (readonly number[])[];

export interface Candidate {
  token: number;
  /** The proposal distribution the token was drawn from (null in greedy mode). */
  q: Float32Array | null;
}

/** Draws an index from an unnormalized non-negative distribution with a uniform u ∈ [0, 1). */
export function sampleIndex(weights: ArrayLike<number>, u: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  let acc = 0;
  const target = u * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] <= 0) continue;
    acc += weights[i];
    last = i;
    if (target < acc) return i;
  }
  if (last < 0) throw new Error('sampleIndex: all weights are zero');
  return last; // rounding left u·total at the very end
}

/** normalize(max(0, p − q)); when p ≤ q everywhere (p = q), p itself, as the math has no mass left to correct. */
export function residual(p: Float32Array, q: Float32Array): Float32Array {
  const r = new Float32Array(p.length);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += r[i] = Math.max(0, p[i] - q[i]);
  if (sum <= 0) return p;
  for (let i = 0; i < r.length; i++) r[i] /= sum;
  return r;
}

/**
 * The exact law of one verification step: accept[i] is the probability that candidate i is
 * accepted given that all before it were rejected, and fallback is the distribution sampled when
 * all are rejected. Shared by the sampler and by the tests that prove losslessness.
 */
export function acceptanceLaw(p: Float32Array, candidates: readonly Candidate[], relaxed?: Neighbourhoods): { accept: number[]; fallback: Float32Array } {
  let current = p;
  const accept: number[] = [];
  for (const c of candidates) {
    if (!c.q) throw new Error('acceptanceLaw: sampling mode needs the proposal distribution of every candidate');
    const qx = c.q[c.token];
    let px = current[c.token];
    if (relaxed) for (const y of relaxed[c.token]) if (y !== c.token) px += current[y];
    accept.push(qx <= 0 ? (px > 0 ? 1 : 0) : Math.min(1, px / qx));
    current = residual(current, c.q);
  }
  return { accept, fallback: current };
}

export interface StepOutcome {
  /** Index of the accepted candidate, or -1 when all were rejected. */
  accepted: number;
  /** The token emitted at this position (the accepted candidate's or one drawn from the residual). */
  token: number;
}

/** One verification step in sampling mode; `uniform` yields independent uniforms in [0, 1). */
export function verifySampled(p: Float32Array, candidates: readonly Candidate[], uniform: () => number, relaxed?: Neighbourhoods): StepOutcome {
  const { accept, fallback } = acceptanceLaw(p, candidates, relaxed);
  for (let i = 0; i < candidates.length; i++) {
    if (uniform() < accept[i]) return { accepted: i, token: candidates[i].token };
  }
  return { accepted: -1, token: sampleIndex(fallback, uniform()) };
}

/**
 * One verification step in greedy mode: `best` is the target's argmax at this position. Relaxed,
 * a candidate in the argmax's latent neighbourhood is accepted as it is.
 */
export function verifyGreedy(best: number, candidates: readonly Candidate[], relaxed?: Neighbourhoods): StepOutcome {
  const near = relaxed ? new Set(relaxed[best]) : new Set([best]);
  const i = candidates.findIndex((c) => near.has(c.token));
  return { accepted: i, token: i >= 0 ? candidates[i].token : best };
}

/**
 * The k nearest codes of every code within Euclidean distance `radius` (itself first), from a
 * codebook `[V, D]` row-major: the latent neighbourhoods of relaxed acceptance.
 */
export function latentNeighbourhoods(codebook: Float32Array, V: number, k: number, radius: number): number[][] {
  const D = codebook.length / V;
  return Array.from({ length: V }, (_, x) => {
    const dist = Array.from({ length: V }, (_, y) => {
      let s = 0;
      for (let d = 0; d < D; d++) s += (codebook[x * D + d] - codebook[y * D + d]) ** 2;
      return [Math.sqrt(s), y] as const;
    });
    dist.sort((a, b) => a[0] - b[0] || (a[1] === x ? -1 : b[1] === x ? 1 : a[1] - b[1]));
    return dist.slice(0, k).filter(([d]) => d <= radius).map(([, y]) => y);
  });
}
