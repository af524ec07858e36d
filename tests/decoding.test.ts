/**
 * The decoding loop on a tiny random target (CPU backend, so batched and single-row forwards are
 * bit-identical): greedy speculative decoding reproduces greedy AR exactly for every speculation
 * shape, sampling is reproducible from the seed, and speculative sampling has AR's token marginals.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../workers/backend/backend';
import { type DraftCandidate, type DraftRequest, type Drafter, type Proposal, type StepStats, decode } from '../workers/decoding/decoder';
import { GuidedTarget } from '../workers/decoding/guidedTarget';
import { sampleIndex } from '../workers/decoding/acceptance';
import { CUT_LOGIT } from '../workers/decoding/logitsProcessing';
import { TargetModel, uploadTargetWeights } from '../workers/model/target';
import { cpu, randomF32, rng } from './harness';
import { tinyConfig, tinyWeights } from './tinyTarget';

const cfg = tinyConfig;
const N = cfg.grid ** 2;
const model = new TargetModel(cpu, cfg, uploadTargetWeights(cpu, cfg, tinyWeights(cfg, 1, 0.8)));
/** No guidance, the plausibility cut alone (one sequence): some of the 6 tokens get probability 0. */
const CUT_ONLY = { scale: 1, plausibility: 0.2 };

function prefixes(seed: number): [Tensor, Tensor] {
  return [cpu.upload(randomF32(cfg.prefixLen * cfg.dim, seed), [cfg.prefixLen, cfg.dim]), cpu.upload(randomF32(cfg.prefixLen * cfg.dim, seed + 1000), [cfg.prefixLen, cfg.dim])];
}

/**
 * Greedy test drafter: proposes the known AR continuation, corrupted at random, with extra wrong
 * siblings (width) and a "vertical" guess — so chains are accepted partly, siblings sometimes.
 */
class NoisyOracleDrafter implements Drafter {
  private readonly r = rng(5);
  constructor(private readonly truth: readonly number[], private readonly width: number) {}
  async propose(req: DraftRequest): Promise<Proposal> {
    const root = req.tokens.length - 1;
    return { candidates: Array.from({ length: req.maxDepth }, (_, k) => {
      const right = this.truth[root + k + 1];
      const wrong = (right + 1 + Math.floor(this.r() * (cfg.vocab - 1))) % cfg.vocab;
      const main = this.r() < 0.75 ? right : wrong;
      const others = Array.from({ length: this.width - 1 }, (_, w) => (w === 0 && main !== right && this.r() < 0.5 ? right : (wrong + w + 1) % cfg.vocab));
      return [{ token: main, q: null, source: 'horizontal' as const }, ...others.map((token) => ({ token, q: null, source: 'vertical' as const }))];
    }) };
  }
}

/**
 * Sampling test drafter: independent draws from fixed random proposal distributions. With a backend,
 * it hands every candidate over as a row of a device tensor, with placeholders, as a drafter that
 * samples on the GPU does (resolved from the step's readback).
 */
class RandomDrafter implements Drafter {
  private readonly qs: Float32Array[];
  constructor(private readonly uniform: () => number, private readonly width: number, qs?: Float32Array[], private readonly device?: Backend) {
    this.qs = qs ?? Array.from({ length: 8 }, () => {
      const q = Float32Array.from({ length: cfg.vocab }, () => uniform() ** 3);
      const s = q.reduce((a, b) => a + b, 0);
      return q.map((x) => x / s);
    });
  }
  async propose(req: DraftRequest): Promise<Proposal> {
    const candidates: DraftCandidate[][] = Array.from({ length: req.maxDepth }, (_, k) =>
      Array.from({ length: this.width }, (_, w) => {
        const q = this.qs[(k + w) % this.qs.length];
        return { token: sampleIndex(q, this.uniform()), q, source: 'horizontal' as const };
      }));
    if (!this.device) return { candidates };
    // Every candidate goes over as a device row: the first candidates first, then the siblings.
    const all = [...candidates.map((c) => c[0]), ...candidates.flatMap((c) => c.slice(1))];
    const tokens = this.device.upload(Uint32Array.from(all.map((c) => c.token)), [all.length]);
    const placeholders = candidates.map((pool) => pool.map((c) => ({ ...c, token: -1, q: null, deviceRow: all.indexOf(c) })));
    return {
      candidates: placeholders,
      onDevice: {
        tokens,
        reads: [tokens],
        resolve: ([ids]) => placeholders.flat().forEach((p) => {
          expect(ids[p.deviceRow]).toBe(all[p.deviceRow].token);
          Object.assign(p, { token: ids[p.deviceRow], q: all[p.deviceRow].q });
        }),
      },
    };
  }
}

async function run(opts: { seed: number; temperature: number; drafter: Drafter | null; n: number; cfgScale?: number; prefixSeed?: number; steps?: StepStats[] }): Promise<number[]> {
  const [c, u] = prefixes(opts.prefixSeed ?? 3);
  const target = new GuidedTarget(model, { scale: opts.cfgScale ?? 2, plausibility: 0.05 });
  return decode(target, c, u, {
    sampling: { temperature: opts.temperature, topK: 0, topP: 1 }, seed: opts.seed, length: N, drafter: opts.drafter, n: opts.n,
    onStep: (s) => opts.steps?.push(s),
  });
}

describe('greedy speculative decoding reproduces greedy AR exactly', () => {
  for (const prefixSeed of [3, 11]) {
    it(`prompt ${prefixSeed}: n ∈ {1, 4, 8}, tree width 1 and 3`, async () => {
      const steps: StepStats[] = [];
      const ar = await run({ seed: 0, temperature: 0, drafter: null, n: 0, prefixSeed, steps });
      expect(steps.length).toBe(N); // plain AR: one target forward per token
      for (const n of [1, 4, 8]) {
        for (const width of [1, 3]) {
          const specSteps: StepStats[] = [];
          const spec = await run({ seed: 0, temperature: 0, drafter: new NoisyOracleDrafter(ar, width), n, prefixSeed, steps: specSteps });
          expect(spec).toEqual(ar);
          expect(specSteps.length).toBeLessThan(N); // some drafts were accepted
          if (width > 1) expect(specSteps.some((s) => s.acceptedBySource.vertical > 0)).toBe(true); // a sibling was accepted
        }
      }
    });
  }
});

describe('sampling', () => {
  it('the same seed and settings give the same tokens; another seed does not', async () => {
    const a = await run({ seed: 42, temperature: 1, drafter: new RandomDrafter(rng(1), 2), n: 4 });
    const b = await run({ seed: 42, temperature: 1, drafter: new RandomDrafter(rng(1), 2), n: 4 });
    const c = await run({ seed: 43, temperature: 1, drafter: new RandomDrafter(rng(1), 2), n: 4 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it.each(['host', 'device'])('speculative sampling has the token marginals of AR sampling (chi-square over 600 runs each; chain on the %s)', async (where) => {
    // A small vocabulary and peaked proposals make a biased acceptance rule visible: accepting 1.5×
    // too often fails this test (checked by mutating acceptance.ts).
    const small = { ...cfg, vocab: 6, grid: 3 };
    const m = new TargetModel(cpu, small, uploadTargetWeights(cpu, small, tinyWeights(small, 9, 1.5)));
    const prefix = cpu.upload(randomF32(small.prefixLen * small.dim, 3), [small.prefixLen, small.dim]);
    const runs = 600, positions = Array.from({ length: small.grid ** 2 }, (_, i) => i);
    const counts = { ar: positions.map(() => new Float64Array(small.vocab)), spec: positions.map(() => new Float64Array(small.vocab)) };
    // Proposals with 70% of their mass on a token the target likes too, the same in every run.
    const peaked = Array.from({ length: 8 }, (_, k) => {
      const q = new Float32Array(small.vocab).fill(0.3 / small.vocab);
      q[k % 2 === 0 ? 1 : 4] += 0.7;
      return q;
    });
    // The cut removes tokens here (the first token's distribution has some), so proposals of cut tokens get rejected.
    expect((await new GuidedTarget(m, CUT_ONLY).prefill(prefix, null)).logits.includes(CUT_LOGIT)).toBe(true);
    for (let s = 0; s < runs; s++) {
      const opts = { sampling: { temperature: 1, topK: 0, topP: 1 }, length: small.grid ** 2 };
      const ar = await decode(new GuidedTarget(m, CUT_ONLY), prefix, null, { ...opts, seed: 10_000 + s, drafter: null, n: 0 });
      const drafter = new RandomDrafter(rng(s), 2, peaked, where === 'device' ? cpu : undefined);
      const spec = await decode(new GuidedTarget(m, CUT_ONLY), prefix, null, { ...opts, seed: 20_000 + s, drafter, n: 4 });
      positions.forEach((p, i) => { counts.ar[i][ar[p]]++; counts.spec[i][spec[p]]++; });
    }
    // Two-sample chi-square summed over positions (bins with < 10 draws pooled), against the p = 0.001
    // critical value (Wilson–Hilferty approximation).
    let chi2 = 0, df = 0;
    positions.forEach((_, i) => {
      let bins = 0, restA = 0, restB = 0;
      for (let v = 0; v < small.vocab; v++) {
        const a = counts.ar[i][v], b = counts.spec[i][v];
        if (a + b < 10) { restA += a; restB += b; continue; }
        chi2 += (a - b) ** 2 / (a + b);
        bins++;
      }
      if (restA + restB > 0) { chi2 += (restA - restB) ** 2 / (restA + restB); bins++; }
      df += bins - 1;
    });
    const critical = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
    expect(chi2).toBeLessThan(critical);
  }, 300_000);
});
