/**
 * Turns guided logits into the distribution tokens are sampled from, on the host: temperature, then
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
