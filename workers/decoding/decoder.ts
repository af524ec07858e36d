/**
 * The decoding loop, plain AR and speculative, in the shape of gpt-fast's `speculative_decode`:
 * each step feeds the committed-but-unfed tokens plus a candidate tree to the target in ONE forward
 * pass, walks the tree with lossless acceptance, and commits the accepted path plus one more token.
 * Without a drafter (or with n = 0) the tree is empty and every step is one AR token.
 *
 * KV cache consistency: the main chain of the tree (the drafter's first candidate at offsets
 * 1, 2, …) occupies cache slots right after the root, so an accepted main-chain prefix is already in
 * place. Accepted tokens that sat elsewhere in the tree (siblings) are simply fed again, as a chain,
 * at the start of the next step's forward; every slot beyond the fed length is masked until rewritten.
 *
 * One submit, one readback per step: a drafter may draw its candidates on the device (`Proposal.onDevice`); their
 * tokens are spliced into the target's input ids there, and come back with the target's logits.
 */
import type { RowSlice, Tensor } from '../backend/backend';
import type { Candidate, Neighbourhoods } from './acceptance';
import { sampleIndex } from './acceptance';
import { seededUniform } from './prng';
import type { GuidedTarget } from './guidedTarget';
import { type SamplingSettings, argmaxOf, processLogits } from './logitsProcessing';
import { type TreeNode, walkTree } from './tokenTree';

export type CandidateSource = 'horizontal' | 'vertical';

export interface DraftCandidate extends Candidate {
  source: CandidateSource;
  /** For a candidate drawn on the device: its row of `Proposal.onDevice.tokens` (its token is −1 until `resolve`). */
  deviceRow?: number;
}

/** Target hidden states of committed inputs, from the last forward pass. */
export interface HiddenRows {
  /** Final hidden states `[batch·perSequence, dim]`: sequence b (cond, then uncond) from row b·perSequence. */
  tensor: Tensor;
  batch: number;
  perSequence: number;
  /** Rows (within a sequence) that belong to committed inputs, with each input's image index (−1: last prefix position). */
  rows: { row: number; input: number }[];
}

export interface DraftRequest {
  /** Every committed token so far; the last one is the root of the next tree. */
  tokens: readonly number[];
  /** Hidden states new since the previous request (each committed input appears exactly once over a generation). */
  hidden: HiddenRows;
  /** Longest chain the drafter may propose (clipped at the end of the grid). */
  maxDepth: number;
}

/** What a drafter proposes for offsets k = 1 … ≤ maxDepth after the root. */
export interface Proposal {
  /** Candidate lists per offset; the first of each list forms the main chain. */
  candidates: DraftCandidate[][];
  /**
   * Set when candidates were drawn on the device: their tokens never travel to the host before the
   * target's forward (one submit, one readback per step). Until `resolve`, those candidates are
   * placeholders (token −1) that name their row of `tokens`.
   */
  onDevice?: DeviceDraws;
}

export interface DeviceDraws {
  /** `[R]` u32 drawn tokens. */
  tokens: Tensor;
  /** Tensors to read back together with the target's logits. */
  reads: Tensor[];
  /** Receives their contents: fills in the placeholders' tokens and proposal distributions. */
  resolve(values: (Float32Array | Uint32Array)[]): void;
}

export interface Drafter {
  propose(req: DraftRequest): Promise<Proposal>;
}

export interface StepStats {
  /** Image index of the first token committed in this step. */
  first: number;
  tokens: number[];
  /** How each committed token was produced (accepted draft candidates by direction, else the target). */
  sources: (CandidateSource | 'target')[];
  /** Speculation length used in this step. */
  n: number;
  drafted: number;
  /** Accepted draft tokens (the emitted extra token not counted). */
  accepted: number;
  acceptedBySource: Record<CandidateSource, number>;
  /** For each accepted token, its depth (1-based) in the tree. */
  acceptedDepths: number[];
  /** Target forward passes in this step (always 1). */
  targetForwards: number;
  ms: number;
  /** Of ms, the time until the drafter's proposal was ready (candidates drawn on the device are only recorded by then). */
  draftMs: number;
}

export interface DecodeOptions {
  sampling: SamplingSettings;
  seed: number;
  /** Total tokens to generate (grid²). */
  length: number;
  drafter: Drafter | null;
  /** Maximum speculation depth n (0 = plain AR). */
  n: number;
  /**
   * Adapt n per region: grow it by one after a step that accepted the whole main chain, shrink it
   * after a step that accepted nothing (long runs on flat background, short ones on detail).
   */
  adaptive?: boolean;
  /** Relaxed acceptance (not lossless): the latent neighbourhood of every code. */
  relaxed?: Neighbourhoods;
  onStep?: (s: StepStats) => void;
  /** Checked between steps; throwing there cancels cleanly. */
  signal?: AbortSignal;
}

export async function decode(target: GuidedTarget, prefixCond: Tensor, prefixUncond: Tensor | null, o: DecodeOptions): Promise<number[]> {
  const uniform = seededUniform(o.seed);
  const greedy = !(o.sampling.temperature > 0);
  const pick = (row: Float32Array): number => (greedy ? argmaxOf(row) : sampleIndex(processLogits(row, o.sampling), uniform()));
  const V = target.model.cfg.vocab;
  const P = target.model.cfg.prefixLen;

  const t0 = performance.now();
  const prefill = await target.prefill(prefixCond, prefixUncond);
  const tokens = [pick(prefill.logits)];
  o.onStep?.({ first: 0, tokens: [tokens[0]], sources: ['target'], n: 0, drafted: 0, accepted: 0, acceptedBySource: { horizontal: 0, vertical: 0 }, acceptedDepths: [], targetForwards: 1, ms: performance.now() - t0, draftMs: 0 });
  let fed = 0; // tokens whose K/V sit in their final cache slots
  let hidden: HiddenRows = { tensor: prefill.hidden, batch: target.batch, perSequence: P, rows: [{ row: P - 1, input: -1 }] };
  let n = o.n;

  while (tokens.length < o.length) {
    o.signal?.throwIfAborted();
    const start = performance.now();
    const root = tokens.length - 1;
    const maxDepth = Math.min(n, o.length - 1 - root);
    const proposal: Proposal = o.drafter && maxDepth > 0 ? await o.drafter.propose({ tokens, hidden, maxDepth }) : { candidates: [] };
    const proposals = proposal.candidates;
    const draftMs = performance.now() - start;
    target.model.backend.release(hidden.tensor);

    // Tree: node 0 = root, main chain at 1..d, then the other candidates as leaves of the chain.
    // Each node keeps its candidate, whose token a device draw fills in after the forward.
    type Node = TreeNode & { source?: CandidateSource; candidate?: DraftCandidate };
    const nodes: Node[] = [{ parent: -1, token: tokens[root], q: null }];
    const node = (parent: number, candidate: DraftCandidate): Node => ({ parent, token: candidate.token, q: candidate.q, source: candidate.source, candidate });
    const depths = Math.min(proposals.length, maxDepth);
    for (let k = 1; k <= depths && proposals[k - 1].length > 0; k++) nodes.push(node(k - 1, proposals[k - 1][0]));
    const chainLen = nodes.length - 1;
    for (let k = 1; k <= Math.min(depths, chainLen + 1); k++) {
      for (const c of proposals[k - 1].slice(1)) nodes.push(node(k - 1, c));
    }
    const depthOf = (i: number): number => (i === 0 ? 0 : depthOf(nodes[i].parent) + 1);

    // Forward rows: unfed committed tokens before the root (chain), the root, then the tree nodes.
    const chain = tokens.slice(fed, root);
    const rows = [...chain, ...nodes.map((n) => n.token)];
    const imageIndex = [...chain.map((_, i) => fed + i), ...nodes.map((_, i) => root + depthOf(i))];
    const c = chain.length;
    const isAncestorOrSelf = (i: number, j: number): boolean => {
      for (let a = i; a >= 0; a = nodes[a].parent) if (a === j) return true;
      return false;
    };
    const visible = (i: number, j: number): boolean => (j < c ? j <= i : i >= c && isAncestorOrSelf(i - c, j - c));
    const device = proposal.onDevice;
    const ids = device ? spliceIds(target, rows, [...chain.map(() => undefined), ...nodes.map((n) => n.candidate?.deviceRow)], device.tokens) : rows;
    const scored = await target.score(ids, imageIndex, P + fed, visible, device?.reads);
    if (device) {
      target.model.backend.release(ids as Tensor);
      device.resolve(scored.also);
      for (const node of nodes) if (node.candidate?.deviceRow !== undefined) Object.assign(node, { token: node.candidate.token, q: node.candidate.q });
    }
    const row = (node: number) => scored.logits.subarray((c + node) * V, (c + node + 1) * V);

    const walk = greedy
      ? walkTree(nodes, { kind: 'greedy', argmax: (i) => argmaxOf(row(i)) }, o.relaxed)
      : walkTree(nodes, { kind: 'sample', target: (i) => processLogits(row(i), o.sampling), uniform }, o.relaxed);
    const emitted = [...walk.path.map((i) => nodes[i].token), walk.next];
    const sources = [...walk.path.map((i) => nodes[i].source ?? 'horizontal'), 'target' as const];
    const acceptedBySource = { horizontal: 0, vertical: 0 };
    for (const i of walk.path) acceptedBySource[nodes[i].source ?? 'horizontal']++;

    // Hidden rows for the drafter: the committed chain and root, and the accepted path.
    const kept = [...chain.map((_, i) => i), c, ...walk.path.map((i) => c + i)];
    hidden = { tensor: scored.hidden, batch: target.batch, perSequence: rows.length, rows: kept.map((row) => ({ row, input: imageIndex[row] })) };

    let inPlace = 0;
    while (inPlace < walk.path.length && walk.path[inPlace] === inPlace + 1) inPlace++;
    fed = root + 1 + inPlace;
    const first = tokens.length;
    tokens.push(...emitted.slice(0, o.length - tokens.length));
    o.onStep?.({
      first, tokens: tokens.slice(first), sources: sources.slice(0, tokens.length - first), n: maxDepth, drafted: nodes.length - 1, accepted: walk.path.length, acceptedBySource,
      acceptedDepths: walk.path.map(depthOf), targetForwards: 1, ms: performance.now() - start, draftMs,
    });
    if (o.adaptive && chainLen > 0) n = inPlace === chainLen ? Math.min(o.n, n + 1) : walk.path.length === 0 ? Math.max(1, n - 1) : n;
  }
  target.model.backend.release(hidden.tensor);
  return tokens;
}

/**
 * The target's input ids `[batch·M]` on the device: `rows`, except where `deviceRows[i]` names a row of the
 * device-drawn `tokens`, repeated for each sequence of the batch. Runs of host rows and of consecutive device rows
 * become one copy each.
 */
function spliceIds(target: GuidedTarget, rows: readonly number[], deviceRows: readonly (number | undefined)[], tokens: Tensor): Tensor {
  const b = target.model.backend;
  const host = b.upload(Uint32Array.from(rows, (t, i) => (deviceRows[i] === undefined ? t : 0)), [rows.length]);
  const parts: RowSlice[] = [];
  for (let i = 0; i < rows.length;) {
    const d = deviceRows[i];
    let j = i + 1;
    if (d === undefined) {
      while (j < rows.length && deviceRows[j] === undefined) j++;
      parts.push({ tensor: host, from: i, count: j - i });
    } else {
      while (j < rows.length && deviceRows[j] === d + (j - i)) j++;
      parts.push({ tensor: tokens, from: d, count: j - i });
    }
    i = j;
  }
  const ids = b.concat(Array.from({ length: target.batch }, () => parts).flat());
  b.release(host);
  return ids;
}
