/**
 * generateImage on tiny random models (CPU): streamed step events cover the grid exactly once,
 * plain AR takes one target forward per token, statistics add up, and a cancelled generation leaves
 * everything reusable.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../src/settings';
import { newRun, stepUpdate } from '../src/store';
import type { GenerateEvent, StepEvent } from '../src/types';
import { type LoadedModels, generateImage } from '../workers/engine/generation';
import { DraftModel, uploadDraftWeights } from '../workers/model/draft';
import { TargetModel, uploadTargetWeights } from '../workers/model/target';
import { cpu, randomF32 } from './harness';
import { tinyConfig, tinyDraftConfig, tinyDraftWeights, tinyWeights } from './tinyTarget';

const N = tinyConfig.grid ** 2;
const target = new TargetModel(cpu, tinyConfig, uploadTargetWeights(cpu, tinyConfig, tinyWeights(tinyConfig, 1, 0.8)));
const dc = tinyDraftConfig(true);
const models: LoadedModels = {
  backend: cpu,
  target,
  drafts: { hawk: new DraftModel(cpu, dc, uploadDraftWeights(cpu, dc, tinyDraftWeights(dc)), target) },
  encodePrompt: (prompt) => cpu.upload(randomF32(tinyConfig.prefixLen * tinyConfig.dim, prompt.length), [tinyConfig.prefixLen, tinyConfig.dim]),
  nullPrefix: cpu.upload(randomF32(tinyConfig.prefixLen * tinyConfig.dim, 999), [tinyConfig.prefixLen, tinyConfig.dim]),
};

async function run(settings: Partial<typeof DEFAULT_SETTINGS>, signal?: AbortSignal) {
  const events: GenerateEvent[] = [];
  const summary = await generateImage(models, 'a red apple', { ...DEFAULT_SETTINGS, ...settings }, (e) => events.push(e), signal);
  return { summary, steps: events.filter((e): e is StepEvent => e.kind === 'step') };
}

describe('generateImage', () => {
  it('plain AR: one target forward per token, every grid position streamed once, in order', async () => {
    const { summary, steps } = await run({ n: 0 });
    expect(summary.targetForwards).toBe(N);
    expect(summary.tokensPerForward).toBe(1);
    expect(steps.flatMap((s) => s.tokens)).toEqual(summary.tokens);
    expect(steps.map((s) => s.first)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(summary.sources.every((s) => s === 'target')).toBe(true);
  });

  it('Hawk: fewer or equal forwards, sources and acceptance statistics consistent with the steps', async () => {
    const { summary, steps } = await run({ n: 4, vsd: 1, treeWidth: 2, temperature: 0 });
    const ar = await run({ n: 0, temperature: 0 });
    expect(summary.tokens).toEqual(ar.summary.tokens);
    expect(summary.targetForwards).toBe(steps.length);
    expect(summary.sources.length).toBe(N);
    const accepted = steps.reduce((a, s) => a + s.accepted, 0);
    expect(summary.sources.filter((s) => s !== 'target').length).toBe(accepted);
    expect(summary.acceptedByDepth.reduce((a, b) => a + b, 0)).toBe(accepted);
    summary.acceptedByDepth.forEach((a, d) => expect(a).toBeLessThanOrEqual(summary.draftedByDepth[d]));
  });

  it('the page’s acceptance chart holds, at every step, the per-depth counts of the step events so far, and the summary’s at the end', async () => {
    const settings = { ...DEFAULT_SETTINGS, n: 4, vsd: 1, treeWidth: 2, temperature: 1, autoSpeculation: true };
    const { summary, steps } = await run(settings);
    let view = newRun('main', 'Hawk', 'a red apple', settings);
    const accepted: number[] = [], drafted: number[] = [];
    for (const step of steps) {
      expect(step.acceptedDepths).toHaveLength(step.accepted);
      for (let d = 0; d < step.n; d++) drafted[d] = (drafted[d] ?? 0) + 1;
      for (const depth of step.acceptedDepths) accepted[depth - 1] = (accepted[depth - 1] ?? 0) + 1;
      view = { ...view, ...stepUpdate(view, step) }; // what the page's store does with a step event
      expect(view.depths.drafted).toEqual(drafted);
      expect(view.depths.accepted).toEqual(drafted.map((_, d) => accepted[d] ?? 0));
    }
    expect(new Set(steps.map((s) => s.n)).size).toBeGreaterThan(2); // automatic speculation varied n
    expect(accepted.reduce((a, b) => a + b, 0)).toBeLessThan(drafted.reduce((a, b) => a + b, 0)); // some were rejected
    expect(view.depths).toEqual({ accepted: summary.acceptedByDepth, drafted: summary.draftedByDepth });
  });

  it('a cancelled generation rejects, and the next one runs normally', async () => {
    const controller = new AbortController();
    const events: GenerateEvent[] = [];
    const cancelled = generateImage(models, 'a red apple', { ...DEFAULT_SETTINGS, n: 2 }, (e) => {
      events.push(e);
      if (events.length === 3) controller.abort();
    }, controller.signal);
    await expect(cancelled).rejects.toThrow();
    expect(events.length).toBe(3); // stopped within one step
    const again = await run({ n: 2 });
    expect(again.summary.tokens.length).toBe(N);
  });

  it('refuses speculation without a loaded draft', async () => {
    await expect(run({ n: 2, draft: 'ablation' })).rejects.toThrow(/ablation draft model is not loaded/);
  });
});
