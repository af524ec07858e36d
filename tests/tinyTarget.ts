/** A tiny random target (f16 weights) shared by the model and decoding tests. */
import type { RawTensor } from '../workers/model/safetensors';
import type { TargetConfig } from '../workers/model/target';
import type { DraftConfig } from '../workers/model/draft';
import { narrowToF16 } from '../workers/backend/f16';
import { randomF32 } from './harness';

export const tinyConfig: TargetConfig = { dim: 32, nLayers: 2, nHeads: 2, hidden: 48, vocab: 40, grid: 4, prefixLen: 2, ropeBase: 10000, normEps: 1e-5 };

/** Random weights in the layout of training/target.py's state dict; `scale` sharpens the logits. */
export function tinyWeights(cfg: TargetConfig = tinyConfig, seed = 1, scale = 0.3): Map<string, RawTensor> {
  const C = cfg.dim, F = cfg.hidden;
  const t = (shape: number[], s = scale, offset = 0): RawTensor => {
    const v = randomF32(shape.reduce((a, b) => a * b), seed++, s).map((x) => x + offset);
    return { dtype: 'F16', shape, data: narrowToF16(v) };
  };
  const raw = new Map<string, RawTensor>([['tok_emb.weight', t([cfg.vocab, C], 1)], ['norm.weight', t([C], 0.2, 1)], ['output.weight', t([cfg.vocab, C])]]);
  addBlocks(raw, cfg.nLayers, C, F, t);
  return raw;
}

/** A draft block narrower than the target's (SwiGLU 24 vs 48), as `train_draft --hidden` builds. */
export const tinyDraftConfig = (spatial: boolean): DraftConfig => ({
  dim: tinyConfig.dim, nLayers: 1, nHeads: 2, hidden: 24, headHidden: 16, vocab: tinyConfig.vocab, grid: tinyConfig.grid,
  prefixLen: tinyConfig.prefixLen, offsets: [1, 2, 3, 4, 8], spatial, rowsAbove: 1, colsLeft: 1, colsRight: 2, ropeBase: 10000, normEps: 1e-5,
  above: spatial, aboveFeatures: spatial, aboveRight: spatial,
});

/** Random draft weights in the layout of training/draft.py's state dict. */
export function tinyDraftWeights(cfg: DraftConfig, seed = 500): Map<string, RawTensor> {
  const C = cfg.dim, F = cfg.hidden, Hh = cfg.headHidden;
  const t = (shape: number[], s = 0.3, offset = 0): RawTensor => {
    const v = randomF32(shape.reduce((a, b) => a * b), seed++, s).map((x) => x + offset);
    return { dtype: 'F16', shape, data: narrowToF16(v) };
  };
  const raw = new Map<string, RawTensor>([['in_norm.weight', t([C], 0.2, 1)], ['w_in.weight', t([C, 2 * C])], ['w_prefix.weight', t([C, C])]]);
  addBlocks(raw, cfg.nLayers, C, F, t);
  for (const k of cfg.offsets) {
    raw.set(`heads.k${k}.w1.weight`, t([Hh, C]));
    raw.set(`heads.k${k}.w2.weight`, t([C, Hh]));
  }
  if (cfg.above) raw.set('w_above.weight', t([C, C]));
  if (cfg.aboveFeatures) raw.set('w_above_features.weight', t([C, C]));
  if (cfg.aboveRight) raw.set('w_above_right.weight', t([C, C]));
  return raw;
}

/** Random pre-norm blocks `layers.{i}.*` (training/target.py Block); `t(shape, scale, offset)` draws a tensor. */
function addBlocks(raw: Map<string, RawTensor>, layers: number, C: number, F: number, t: (shape: number[], s?: number, offset?: number) => RawTensor): void {
  for (let i = 0; i < layers; i++) {
    raw.set(`layers.${i}.attn_norm.weight`, t([C], 0.2, 1));
    raw.set(`layers.${i}.attn.wqkv.weight`, t([3 * C, C]));
    raw.set(`layers.${i}.attn.wo.weight`, t([C, C]));
    raw.set(`layers.${i}.ffn_norm.weight`, t([C], 0.2, 1));
    raw.set(`layers.${i}.ffn.w13.weight`, t([2 * F, C]));
    raw.set(`layers.${i}.ffn.w2.weight`, t([C, F]));
  }
}
