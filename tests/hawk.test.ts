/**
 * The Hawk draft and drafter on tiny random models: WebGPU equals the CPU oracle, and greedy Hawk
 * decoding (horizontal + vertical speculation, chains and trees, spatial and ablation drafts)
 * reproduces greedy AR exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../workers/backend/backend';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { type StepStats, decode } from '../workers/decoding/decoder';
import { GuidedTarget } from '../workers/decoding/guidedTarget';
import { HawkDrafter } from '../workers/decoding/hawkDrafter';
import { CUT_LOGIT } from '../workers/decoding/logitsProcessing';
import { seededUniform } from '../workers/decoding/prng';
import { DraftModel, uploadDraftWeights } from '../workers/model/draft';
import { TargetModel, uploadTargetWeights } from '../workers/model/target';
import { cpu, diff, gpuBackend, randomF32, record } from './harness';
import { tinyConfig, tinyDraftConfig, tinyDraftWeights, tinyWeights } from './tinyTarget';

const N = tinyConfig.grid ** 2;
/** Guidance as the app runs it: scale and plausibility cut (the cut removes some of the tiny vocabulary's tokens). */
const GUIDANCE = { scale: 2, plausibility: 0.05 };

function models(b: Backend, spatial: boolean) {
  const target = new TargetModel(b, tinyConfig, uploadTargetWeights(b, tinyConfig, tinyWeights(tinyConfig, 1, 0.8)));
  const dc = tinyDraftConfig(spatial);
  return { target, draft: new DraftModel(b, dc, uploadDraftWeights(b, dc, tinyDraftWeights(dc)), target) };
}

function prefixes(b: Backend, seed: number): [Tensor, Tensor] {
  const P = tinyConfig.prefixLen, C = tinyConfig.dim;
  return [b.upload(randomF32(P * C, seed), [P, C]), b.upload(randomF32(P * C, seed + 1000), [P, C])];
}

interface Run { n: number; vsd: number; width: number; prefixSeed: number; temperature?: number; topK?: number; sampleOnDevice?: boolean; steps?: StepStats[] }

async function generate(b: Backend, spatial: boolean, o: Run) {
  const { target, draft } = models(b, spatial);
  const sampling = { temperature: o.temperature ?? 0, topK: o.topK ?? 0, topP: 1 };
  const [c, u] = prefixes(b, o.prefixSeed);
  const drafter = o.n > 0 ? new HawkDrafter(draft, { n: o.n, vsd: o.vsd, width: o.width, sampling, guidance: GUIDANCE, sampleOnDevice: o.sampleOnDevice }, seededUniform(7)) : null;
  drafter?.start(c, u);
  return decode(new GuidedTarget(target, GUIDANCE), c, u, { sampling, seed: 1, length: N, drafter, n: o.n, onStep: (s) => o.steps?.push(s) });
}

describe('greedy Hawk reproduces greedy AR', () => {
  for (const spatial of [true, false]) {
    it(`${spatial ? 'spatial' : 'ablation'} draft: n ∈ {1, 4, 8}, VSD ∈ {0, 1, 2}, width 1 and 2`, async () => {
      for (const prefixSeed of [3, 11]) {
        const ar = await generate(cpu, spatial, { n: 0, vsd: 0, width: 1, prefixSeed });
        for (const n of [1, 4, 8]) for (const vsd of [0, 1, 2]) for (const width of [1, 2]) {
          if (n === 8 && vsd === 1) continue; // keep the sweep short: covered by n = 4
          const spec = await generate(cpu, spatial, { n, vsd, width, prefixSeed });
          expect(spec, `n=${n} vsd=${vsd} width=${width}`).toEqual(ar);
        }
      }
    }, 120_000);
  }
});

describe('drafting on the device', () => {
  it('samples exactly the host path\'s tokens on the CPU oracle (temperature 1, top-k 0 and 5, n ∈ {1, 4}, VSD ∈ {0, 1}, width 1 and 2)', async () => {
    for (const topK of [0, 5]) for (const n of [1, 4]) for (const vsd of [0, 1]) for (const width of [1, 2]) {
      const o = { n, vsd, width, prefixSeed: 3, temperature: 1, topK };
      const host = await generate(cpu, true, { ...o, sampleOnDevice: false });
      expect(await generate(cpu, true, { ...o, sampleOnDevice: true }), `topK=${topK} n=${n} vsd=${vsd} width=${width}`).toEqual(host);
    }
  }, 60_000);

  it('on WebGPU: greedy Hawk reproduces greedy AR with one readback per step; sampled chains and trees draw valid tokens, one readback per step', async () => {
    const gpu = await gpuBackend();
    try {
      for (const prefixSeed of [3, 11]) {
        const ar = await generate(gpu, true, { n: 0, vsd: 0, width: 1, prefixSeed });
        const steps: StepStats[] = [];
        const before = gpu.runtime.stats.readbacks;
        const spec = await generate(gpu, true, { n: 4, vsd: 1, width: 1, prefixSeed, steps });
        expect(spec).toEqual(ar);
        expect(gpu.runtime.stats.readbacks - before).toBe(steps.length); // one per target forward, the prefill included
      }
      for (const width of [1, 2]) {
        const steps: StepStats[] = [];
        const before = gpu.runtime.stats.readbacks;
        const sampled = await generate(gpu, true, { n: 4, vsd: 1, width, prefixSeed: 3, temperature: 1, topK: 20, steps });
        expect(sampled.length).toBe(N);
        expect(sampled.every((t) => Number.isInteger(t) && t >= 0 && t < tinyConfig.vocab)).toBe(true);
        expect(gpu.runtime.stats.readbacks - before, `width ${width}`).toBe(steps.length);
      }
    } finally {
      gpu.destroy();
    }
  }, 60_000);
});

/** One proposal of a fresh drafter after the prefill (n = 4, VSD 1): the main chain and the vertical guess, resolved. */
async function firstProposal(b: Backend, temperature: number, sampleOnDevice: boolean) {
  const { target, draft } = models(b, true);
  const sampling = { temperature, topK: 0, topP: 1 };
  const drafter = new HawkDrafter(draft, { n: 4, vsd: 1, width: 1, sampling, guidance: GUIDANCE, sampleOnDevice }, seededUniform(7));
  const [c, u] = prefixes(b, 3);
  drafter.start(c, u);
  const P = tinyConfig.prefixLen;
  const { hidden } = await new GuidedTarget(target, GUIDANCE).prefill(c, u);
  const proposal = await drafter.propose({ tokens: [5], hidden: { tensor: hidden, batch: 2, perSequence: P, rows: [{ row: P - 1, input: -1 }] }, maxDepth: 4 });
  if (proposal.onDevice) proposal.onDevice.resolve(await b.readAll(proposal.onDevice.reads));
  return proposal.candidates.map((pool) => pool[0]);
}

describe('the drafter on WebGPU proposes what the CPU oracle does', () => {
  it('greedy: the device path\'s chain equals the host path\'s on the CPU', async () => {
    const gpu = await gpuBackend();
    try {
      const device = await firstProposal(gpu, 0, true);
      expect(device.map((c) => c.token)).toEqual((await firstProposal(cpu, 0, false)).map((c) => c.token));
    } finally {
      gpu.destroy();
    }
  });

  it('sampled: the same tokens and distributions as the CPU device path', async () => {
    const gpu = await gpuBackend();
    try {
      const device = await firstProposal(gpu, 1, true), oracle = await firstProposal(cpu, 1, true);
      expect(device.map((c) => c.token)).toEqual(oracle.map((c) => c.token));
      device.forEach((c, k) => expect(diff(c.q!, oracle[k].q!).maxAbs).toBeLessThan(1e-5));
    } finally {
      gpu.destroy();
    }
  });
});

describe('the draft on WebGPU equals the CPU oracle', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => { gpu = await gpuBackend(); });
  afterAll(() => gpu.destroy());

  it('the guided target (cond + uncond as one batch) equals the CPU oracle', async () => {
    const run = async (b: Backend) => {
      const { target } = models(b, true);
      const guided = new GuidedTarget(target, { scale: 2.5, plausibility: 0.05 });
      const [c, u] = prefixes(b, 3);
      const first = await guided.prefill(c, u);
      const next = await guided.score([4, 9, 13], [0, 1, 2], tinyConfig.prefixLen, (i, j) => j <= i);
      return Float32Array.from([...first.logits, ...next.logits, ...(await b.read(next.hidden))]);
    };
    const oracle = await run(cpu);
    expect(oracle.includes(CUT_LOGIT)).toBe(true); // the cut is exercised (cut on one side only would fail maxAbs)
    const d = diff(await run(gpu), oracle);
    record('guided target (batch 2)', d);
    expect(d.maxAbs).toBeLessThan(1e-3);
  });

  for (const spatial of [true, false]) {
    it(`${spatial ? 'spatial' : 'ablation'}: prefill, extend by 5 then 2 positions, all heads`, async () => {
      const run = async (b: Backend) => {
        const { draft } = models(b, spatial);
        const cache = draft.newCache();
        draft.prefill(cache, prefixes(b, 3)[0]);
        const C = tinyConfig.dim;
        const g1 = draft.extend(cache, b.upload(randomF32(5 * C, 40), [5, C]), b.upload(Uint32Array.of(1, 7, 3, 39, 0), [5]), 0);
        const g2 = draft.extend(cache, b.upload(randomF32(2 * C, 41), [2, C]), b.upload(Uint32Array.of(12, 5), [2]), 5);
        const tokens = [1, 7, 3, 39, 0, 12, 5];
        const first = (await b.read(draft.heads(g1, { position: 4, tokens: tokens.slice(0, 5), cache }))) as Float32Array;
        return Float32Array.from([...first, ...(await b.read(draft.heads(g2, { position: 6, tokens, cache })))]);
      };
      const d = diff(await run(gpu), await run(cpu));
      record('draft heads', d);
      expect(d.maxAbs).toBeLessThan(1e-3);
    });
  }
});
