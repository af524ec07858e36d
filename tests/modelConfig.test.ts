import { describe, expect, it } from 'vitest';
import { draftEntriesOf, targetConfigOf } from '../workers/engine/modelConfig';

const manifest = {
  grid: { rows: 16, cols: 16 },
  target: { dim: 384, n_layers: 6, n_heads: 6, hidden: 1024, vocab: 1024, prefix_len: 8, rope_base: 10000, norm_eps: 1e-5 },
  drafts: {
    hawk: { weights: 'draft_hawk.safetensors', spatial: true, n_layers: 1, hidden: 1024, head_hidden: 256, offsets: [1, 2, 16], window: { rows_above: 2, cols_left: 3, cols_right: 8 }, above: true, above_features: true, above_right: true },
    ablation: { weights: 'draft_ablation.safetensors', spatial: false, n_layers: 1, hidden: 1024, head_hidden: 256, offsets: [1, 2, 16], window: null },
  },
};

describe('manifest → engine configs', () => {
  it('reads the target and both drafts', () => {
    const t = targetConfigOf(manifest);
    expect(t).toEqual({ dim: 384, nLayers: 6, nHeads: 6, hidden: 1024, vocab: 1024, grid: 16, prefixLen: 8, ropeBase: 10000, normEps: 1e-5 });
    const d = draftEntriesOf(manifest, t);
    expect(d.hawk.config).toMatchObject({ spatial: true, rowsAbove: 2, colsLeft: 3, colsRight: 8, offsets: [1, 2, 16], headHidden: 256, nHeads: 6, above: true, aboveFeatures: true, aboveRight: true });
    expect(d.ablation.config).toMatchObject({ spatial: false, rowsAbove: 0, colsLeft: 0, colsRight: 0, above: false, aboveFeatures: false, aboveRight: false }); // a draft exported before `above` existed reads none
    expect(d.hawk.weights).toBe('draft_hawk.safetensors');
  });

  it('names what is missing or malformed', () => {
    expect(() => targetConfigOf({ grid: { cols: 16 } })).toThrow('manifest: section "target" is missing');
    expect(() => targetConfigOf({ ...manifest, target: { ...manifest.target, dim: '384' } })).toThrow('manifest: target.dim must be a number');
    const t = targetConfigOf(manifest);
    expect(() => draftEntriesOf({ drafts: { hawk: { ...manifest.drafts.hawk, window: null } } }, t)).toThrow('drafts.hawk.window is missing');
    expect(draftEntriesOf({}, t)).toEqual({});
  });
});
