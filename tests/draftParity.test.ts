/**
 * The TypeScript Hawk draft equals PyTorch (training/draft.py) on the tiny fixture models of
 * tests/fixtures (made by `python -m training.fixtures`), for the spatial draft and the ablation,
 * extending its cache in several chunks as decoding does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DraftModel, aboveIndex, aboveRightIndex, uploadDraftWeights } from '../workers/model/draft';
import { parseSafetensors } from '../workers/model/safetensors';
import { type TargetConfig, TargetModel, uploadTargetWeights } from '../workers/model/target';
import { cpu, diff } from './harness';

const dir = new URL('./fixtures/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('golden.json', dir), 'utf8'));
const load = (name: string) => parseSafetensors(readFileSync(new URL(name, dir)).buffer as ArrayBuffer);

const t = golden.target.config;
const targetCfg: TargetConfig = { dim: t.dim, nLayers: t.n_layers, nHeads: t.n_heads, hidden: t.hidden, vocab: t.vocab, grid: t.grid, prefixLen: t.prefix_len, ropeBase: t.rope_base, normEps: t.norm_eps };
const target = new TargetModel(cpu, targetCfg, uploadTargetWeights(cpu, targetCfg, load(golden.target.weights)));

describe('draft parity with PyTorch', () => {
  it('names the token above the one each head predicts as training/draft.py above_index does', () => {
    expect([1, 2, 3, 4, 8].map((k) => aboveIndex(5, k, 4))).toEqual([2, 3, 4, 5, 5]); // grid 4; two rows up for 8
    expect(aboveIndex(0, 1, 16)).toBeLessThan(0); // the first row has nothing above
    expect(aboveIndex(15, 1, 16)).toBe(0); // (1, 0) sits below (0, 0)
  });

  it('names the position up and to the right as training/draft.py above_right_index does', () => {
    expect([1, 2, 3, 4, 8].map((k) => aboveRightIndex(5, k, 4))).toEqual([3, -1, 5, -1, -1]); // (1, 2) -> (0, 3); (1, 3) is the last column; vertical heads: none
    expect([0, 2, 3, 6, 7].map((t) => aboveRightIndex(t, 1, 4))).toEqual([-1, -1, 1, -1, 5]); // first row, last column, (1, 0) -> (0, 1), (2, 0) -> (1, 1)
  });

  for (const variant of ['spatial', 'ablation'] as const) {
    it(`${variant}: features and every head's logits at positions ${golden.draft.positions.join(', ')}`, async () => {
      const g = golden.draft[variant];
      expect(g.above, 'the Hawk draft reads the token above, the ablation does not').toBe(variant === 'spatial');
      expect(g.above_features, 'and its own features there').toBe(variant === 'spatial');
      expect(g.above_right, 'and up to the right').toBe(variant === 'spatial');
      const cfg = {
        dim: t.dim, nLayers: g.n_layers, nHeads: t.n_heads, hidden: t.hidden, headHidden: g.head_hidden, vocab: t.vocab, grid: t.grid,
        prefixLen: t.prefix_len, offsets: g.offsets, spatial: g.spatial, rowsAbove: g.window?.rows_above ?? 0, colsLeft: g.window?.cols_left ?? 0, colsRight: g.window?.cols_right ?? 0,
        ropeBase: t.rope_base, normEps: t.norm_eps, above: g.above === true, aboveFeatures: g.above_features === true, aboveRight: g.above_right === true,
      };
      const draft = new DraftModel(cpu, cfg, uploadDraftWeights(cpu, cfg, load(g.weights)), target);
      const cache = draft.newCache();
      draft.prefill(cache, cpu.upload(Float32Array.from(golden.target.prefix.flat()), [t.prefix_len, t.dim]));
      const hidden: number[][] = golden.target.hidden, tokens: number[] = golden.target.tokens;
      let done = 0;
      for (const [i, p] of (golden.draft.positions as number[]).entries()) {
        const m = p + 1 - done;
        const feat = draft.extend(cache, cpu.upload(Float32Array.from(hidden.slice(done, p + 1).flat()), [m, t.dim]), cpu.upload(Uint32Array.from(tokens.slice(done, p + 1)), [m]), done);
        done = p + 1;
        const features = await cpu.read(feat);
        expect(diff(features, g.features[i]).maxAbs, 'features').toBeLessThan(1e-4);
        const logits = await cpu.read(draft.heads(feat, { position: p, tokens: tokens.slice(0, p + 1), cache }));
        expect(diff(logits, (g.logits[i] as number[][]).flat()).maxAbs, 'head logits').toBeLessThan(1e-4);
      }
    });
  }
});
