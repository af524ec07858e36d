/**
 * Speculative sampling is lossless: the exact law of what a verification step emits equals the
 * target distribution (enumerating every possible draft), for chains and trees, and the sampler that
 * draws with uniforms follows that law (chi-square).
 */
import { describe, expect, it } from 'vitest';
import { type Candidate, acceptanceLaw, latentNeighbourhoods, sampleIndex, verifyGreedy, verifySampled } from '../workers/decoding/acceptance';
import { type TreeNode, ancestorMask, walkTree } from '../workers/decoding/tokenTree';
import { rng } from './harness';

const V = 5;

/** sparse: some zeros; floor: no probability below ~floor/V (chi-square needs expected counts ≥ 5). */
function randomDist(r: () => number, sparse = false, floor = 0): Float32Array {
  const d = Float32Array.from({ length: V }, () => (sparse && r() < 0.4 ? 0 : floor + r() ** 2));
  if (d.every((x) => x === 0)) d[0] = 1;
  const s = d.reduce((a, b) => a + b, 0);
  return d.map((x) => x / s);
}

/** Exact distribution of the token one verification step emits, averaged over the drafts. */
function exactStepLaw(p: Float32Array, qs: Float32Array[]): Float64Array {
  const law = new Float64Array(V);
  const draft = (i: number, tokens: number[], weight: number) => {
    if (i === qs.length) {
      const cands: Candidate[] = tokens.map((token, j) => ({ token, q: qs[j] }));
      const { accept, fallback } = acceptanceLaw(p, cands);
      let reach = weight;
      cands.forEach((c, j) => { law[c.token] += reach * accept[j]; reach *= 1 - accept[j]; });
      fallback.forEach((f, y) => { law[y] += reach * f; });
      return;
    }
    for (let x = 0; x < V; x++) if (qs[i][x] > 0) draft(i + 1, [...tokens, x], weight * qs[i][x]);
  };
  draft(0, [], 1);
  return law;
}

describe('one verification step emits exactly the target distribution', () => {
  for (const k of [1, 2, 3]) {
    it(`${k} candidate(s), 200 random (p, q) sets including sparse ones`, () => {
      const r = rng(100 + k);
      for (let trial = 0; trial < 200; trial++) {
        const p = randomDist(r, trial % 2 === 0);
        const qs = Array.from({ length: k }, () => randomDist(r, trial % 3 === 0));
        const law = exactStepLaw(p, qs);
        for (let y = 0; y < V; y++) expect(law[y]).toBeCloseTo(p[y], 6);
      }
    });
  }
});

describe('a two-level tree emits exactly the target joint distribution', () => {
  it('root with two candidates, each child with its own candidates', () => {
    const r = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const p1 = randomDist(r);
      const p2 = Array.from({ length: V }, () => randomDist(r)); // target after token y1
      const qRoot = [randomDist(r), randomDist(r)];
      const qChild = Array.from({ length: V }, () => [randomDist(r), randomDist(r)]); // proposals after y1
      const joint = new Float64Array(V * V);
      // Enumerate root drafts, then each child's drafts; a step that stops after one token leaves the
      // second to the next step, which draws it from p2 (itself lossless by the test above).
      for (let a = 0; a < V; a++) for (let b = 0; b < V; b++) {
        const wRoot = qRoot[0][a] * qRoot[1][b];
        const roots: Candidate[] = [{ token: a, q: qRoot[0] }, { token: b, q: qRoot[1] }];
        const { accept, fallback } = acceptanceLaw(p1, roots);
        let reach = wRoot;
        roots.forEach((c, j) => {
          const w = reach * accept[j];
          reach *= 1 - accept[j];
          const second = exactStepLaw(p2[c.token], qChild[c.token]);
          second.forEach((s, y2) => { joint[c.token * V + y2] += w * s; });
        });
        fallback.forEach((f, y1) => p2[y1].forEach((s, y2) => { joint[y1 * V + y2] += reach * f * s; }));
      }
      for (let y1 = 0; y1 < V; y1++) for (let y2 = 0; y2 < V; y2++) expect(joint[y1 * V + y2]).toBeCloseTo(p1[y1] * p2[y1][y2], 6);
    }
  });
});

describe('the sampler follows the law', () => {
  it('chi-square of 20,000 seeded verification steps against p', () => {
    const r = rng(99);
    const p = randomDist(r, false, 0.05), q1 = randomDist(r), q2 = randomDist(r);
    const counts = new Float64Array(V);
    const N = 20_000;
    for (let n = 0; n < N; n++) {
      const cands = [q1, q2].map((q) => ({ token: sampleIndex(q, r()), q }));
      counts[verifySampled(p, cands, r).token]++;
    }
    let chi2 = 0;
    for (let y = 0; y < V; y++) chi2 += (counts[y] - N * p[y]) ** 2 / (N * p[y]);
    expect(chi2).toBeLessThan(18.47); // p = 0.001 critical value for 4 degrees of freedom
  });
});

describe('tree walk', () => {
  // root → a(1) → c(3); root → b(2) → d(4), e(5)
  const tokens = [0, 10, 11, 12, 13, 14];
  const nodes: TreeNode[] = [-1, 0, 0, 1, 2, 2].map((parent, i) => ({ parent, token: tokens[i], q: null }));

  it('greedy follows the target argmax and appends its next token', () => {
    const best: Record<number, number> = { 0: 11, 2: 14, 5: 7 };
    expect(walkTree(nodes, { kind: 'greedy', argmax: (i) => best[i] })).toEqual({ path: [2, 5], next: 7 });
  });

  it('greedy with no matching candidate emits the argmax alone', () => {
    expect(walkTree(nodes, { kind: 'greedy', argmax: () => 3 })).toEqual({ path: [], next: 3 });
  });

  it('the tree mask lets a node see exactly its ancestors and itself', () => {
    expect(ancestorMask(nodes).map((row) => [...row])).toEqual([
      [0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0], [0, 0, 1, 0, 0, 1],
    ]);
  });

  it('rejects a node whose parent comes after it', () => {
    expect(() => walkTree([{ parent: -1, token: 0, q: null }, { parent: 2, token: 1, q: null }, { parent: 0, token: 2, q: null }], { kind: 'greedy', argmax: () => 0 })).toThrow(/parent/);
  });
});

describe('relaxed acceptance (not lossless)', () => {
  const neighbours = [[0, 1], [1, 0], [2], [3, 4], [4, 3]];
  it('with singleton neighbourhoods it is exactly lossless acceptance', () => {
    const r = rng(5);
    const p = randomDist(r), q = randomDist(r);
    const singletons = neighbours.map((_, x) => [x]);
    for (let x = 0; x < V; x++) {
      expect(acceptanceLaw(p, [{ token: x, q }], singletons)).toEqual(acceptanceLaw(p, [{ token: x, q }]));
    }
  });
  it('accepts at least as often, judging a token by its neighbourhood mass', () => {
    const r = rng(6);
    const p = randomDist(r), q = randomDist(r);
    for (let x = 0; x < V; x++) {
      const strict = acceptanceLaw(p, [{ token: x, q }]).accept[0];
      const relaxed = acceptanceLaw(p, [{ token: x, q }], neighbours).accept[0];
      expect(relaxed).toBeGreaterThanOrEqual(strict);
      expect(relaxed).toBeCloseTo(Math.min(1, neighbours[x].reduce((a, y) => a + p[y], 0) / q[x]), 6);
    }
  });
  it('greedy: a neighbour of the argmax is accepted as drafted', () => {
    expect(verifyGreedy(3, [{ token: 2, q: null }, { token: 4, q: null }], neighbours)).toEqual({ accepted: 1, token: 4 });
    expect(verifyGreedy(3, [{ token: 2, q: null }])).toEqual({ accepted: -1, token: 3 });
  });
  it('neighbourhoods: the k nearest codes within the radius, the code itself first', () => {
    const codebook = Float32Array.of(0, 0, 1, 0, 0.1, 0, 5, 5);
    expect(latentNeighbourhoods(codebook, 4, 2, 0.5)).toEqual([[0, 2], [1], [2, 0], [3]]);
  });
});
