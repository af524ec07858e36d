/**
 * The benchmark sweep's bookkeeping (bench/sweep.ts), with a fake runner: options and configs parse as documented,
 * every config runs every prompt and seed in a rotating order, and the table's ratios and shares are the ones the
 * runs imply; a time budget ends the sweep at a whole prompt round.
 */
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS } from '../src/settings';
import type { GenerateSettings, GenerationSummary } from '../src/types';
import promptSets from '../bench/prompts.json';
import { runSweep, settingsOf, sweepOptions } from '../bench/sweep';

describe('benchmark sweep', () => {
  it('parses configs into settings', () => {
    expect(settingsOf('ar', 0, 1)).toMatchObject({ n: 0, vsd: 0, seed: 1, temperature: 1, topK: 0 });
    expect(settingsOf('n2v0', 0, 1, 20)).toMatchObject({ n: 2, topK: 20 });
    expect(settingsOf('ar2', 1, 0).seed).toBe(1002);
    expect(settingsOf('n4v2w3', 2, 1)).toMatchObject({ n: 4, vsd: 2, treeWidth: 3, seed: 3, draft: 'hawk', acceptance: 'lossless' });
    expect(settingsOf('r4v1', 0, 1)).toMatchObject({ acceptance: 'relaxed', draft: 'hawk' });
    expect(settingsOf('a8v0', 0, 1)).toMatchObject({ n: 8, draft: 'ablation' });
    expect(() => settingsOf('x4', 0, 1)).toThrow(/bad config x4/);
  });

  it('rejects a sweep without plain AR or with a bad config before running anything', () => {
    expect(() => sweepOptions(new URLSearchParams('configs=n4v1'))).toThrow(/must include ar/);
    expect(() => sweepOptions(new URLSearchParams('configs=ar,n9v9'))).toThrow();
    const o = sweepOptions(new URLSearchParams('reps=2&temperature=0&configs=ar,n2v0&prompts=a|b'));
    expect(o).toMatchObject({ reps: 2, temperature: 0, topK: 0, configs: ['ar', 'n2v0'] });
    expect(sweepOptions(new URLSearchParams('topK=20')).topK).toBe(20);
    expect(o.prompts).toEqual([{ prompt: 'a', set: 'given' }, { prompt: 'b', set: 'given' }]);
    expect(sweepOptions(new URLSearchParams('promptSet=heldout')).prompts.every((p) => p.set === 'held-out')).toBe(true);
    const some = sweepOptions(new URLSearchParams('promptSet=vocabulary,composed')).prompts;
    expect([...new Set(some.map((p) => p.set))]).toEqual(['vocabulary', 'composed']);
    const all = sweepOptions(new URLSearchParams()).prompts;
    expect([...new Set(all.map((p) => p.set))]).toEqual(['vocabulary', 'held-out', 'composed']); // what the app is for first
    expect(all.length).toBe(promptSets.vocabulary.length + promptSets.heldOut.length + promptSets.composed.length);
    expect(() => sweepOptions(new URLSearchParams('promptSet=heldOut'))).toThrow(/unknown set heldOut/);
  });

  it('runs every config on every prompt and seed, rotating the order, and reports ratios to AR', async () => {
    const calls: { prompt: string; s: GenerateSettings }[] = [];
    // Fake timings: AR 1000 ms; Hawk n = 2 takes 500 ms, 100 of them drafting, with 128 forwards.
    const generate = async (prompt: string, s: GenerateSettings): Promise<GenerationSummary> => {
      calls.push({ prompt, s });
      const hawk = s.n > 0;
      const tokens = Array.from({ length: 256 }, (_, i) => i % 7);
      return {
        prompt, settings: { ...DEFAULT_SETTINGS, ...s }, backend: 'cpu', tokens, sources: tokens.map((_, i) => (hawk && i % 2 ? 'horizontal' : 'target')),
        totalMs: hawk ? 500 : 1000, draftMs: hawk ? 100 : 0, decodeMs: 300, decodeTailMs: 20, targetForwards: hawk ? 128 : 256, tokensPerForward: hawk ? 2 : 1,
        acceptedByDepth: hawk ? [100, 28] : [], draftedByDepth: hawk ? [128, 100] : [],
      };
    };
    const result = await runSweep(sweepOptions(new URLSearchParams('reps=2&configs=ar,n2v0&prompts=p|q')), { adapter: 'fake', platform: 'test', cores: 1, generate }, () => {});
    const timed = calls.slice(2); // after one warm-up per config
    expect(timed).toHaveLength(2 * 2 * 2);
    expect(timed.map((c) => `${c.prompt}${c.s.n}${c.s.seed}`)).toEqual(['p01', 'p21', 'q21', 'q01', 'p02', 'p22', 'q22', 'q02']);
    expect(result.table[1]).toMatchObject({ config: 'n2v0', images: 4, 'ms/image': 500, 'vs AR': 2, 'forwards/image': 128, 'tokens/forward': 2, 'draft time': '20%', 'VQ decode (tail) ms': '300 (20)', 'acceptance by depth': '0.78 0.28' });
  });

  it('stops at the prompt round in which its time budget runs out, every config on the same prompts', async () => {
    expect(() => sweepOptions(new URLSearchParams('minutes=0'))).toThrow(/minutes/);
    expect(() => sweepOptions(new URLSearchParams('minutes=soon'))).toThrow(/minutes/);
    expect(sweepOptions(new URLSearchParams('')).minutes).toBe(Infinity);
    const calls: string[] = [];
    let now = 0; // fake clock: every image takes 20 s
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const generate = async (prompt: string, s: GenerateSettings): Promise<GenerationSummary> => {
      calls.push(`${prompt}${s.n}`);
      now += 20_000;
      const tokens = Array.from({ length: 256 }, () => 0);
      return {
        prompt, settings: { ...DEFAULT_SETTINGS, ...s }, backend: 'cpu', tokens, sources: tokens.map(() => 'target'),
        totalMs: 1000, draftMs: 0, decodeMs: 0, decodeTailMs: 0, targetForwards: 256, tokensPerForward: 1, acceptedByDepth: [], draftedByDepth: [],
      };
    };
    try {
      // Budget 1 min from after the warm-up: rounds of 2 images (40 s) start at 0 s and 40 s, none at 80 s.
      const result = await runSweep(sweepOptions(new URLSearchParams('reps=3&minutes=1&configs=ar,n2v0&prompts=p|q')), { adapter: 'fake', platform: 'test', cores: 1, generate }, () => {});
      expect(calls.slice(2)).toEqual(['p0', 'p2', 'q2', 'q0']);
      expect(result.table.map((r) => r.images)).toEqual([2, 2]);
      expect(result.lines?.[0]).toMatch(/stopped by the 1-minute budget after 2 of 6 prompt rounds/);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
