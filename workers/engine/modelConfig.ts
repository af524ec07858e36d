/**
 * Reads model architectures out of a manifest (public/models/<name>/manifest.json, written by
 * training/export.py) into the engine's config types, with a clear error for a malformed manifest.
 */
import type { DraftConfig } from '../model/draft';
import type { TargetConfig } from '../model/target';

type Json = Record<string, unknown>;

function section(m: Json, key: string): Json {
  const s = m[key];
  if (typeof s !== 'object' || s === null) throw new Error(`manifest: section "${key}" is missing`);
  return s as Json;
}

function num(s: Json, key: string, where: string): number {
  const v = s[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`manifest: ${where}.${key} must be a number`);
  return v;
}

export function targetConfigOf(manifest: Json): TargetConfig {
  const t = section(manifest, 'target');
  const grid = section(manifest, 'grid');
  return {
    dim: num(t, 'dim', 'target'), nLayers: num(t, 'n_layers', 'target'), nHeads: num(t, 'n_heads', 'target'), hidden: num(t, 'hidden', 'target'),
    vocab: num(t, 'vocab', 'target'), grid: num(grid, 'cols', 'grid'), prefixLen: num(t, 'prefix_len', 'target'),
    ropeBase: num(t, 'rope_base', 'target'), normEps: num(t, 'norm_eps', 'target'),
  };
}

export interface DraftEntry {
  config: DraftConfig;
  weights: string;
}

/**
 * The drafts listed under `drafts` (hawk, ablation; entries as training/train_draft.py `arch_dict`
 * writes them), sized from the target where the draft follows it.
 */
export function draftEntriesOf(manifest: Json, target: TargetConfig): Record<string, DraftEntry> {
  const drafts = (manifest.drafts ?? {}) as Record<string, Json>;
  const entries: Record<string, DraftEntry> = {};
  for (const [name, d] of Object.entries(drafts)) {
    const where = `drafts.${name}`;
    if (!Array.isArray(d.offsets)) throw new Error(`manifest: ${where}.offsets must be a list`);
    if (typeof d.weights !== 'string') throw new Error(`manifest: ${where}.weights must name a file`);
    const window = (d.window ?? null) as Json | null;
    if (d.spatial === true && !window) throw new Error(`manifest: ${where}.window is missing for a spatial draft`);
    entries[name] = {
      weights: d.weights,
      config: {
        dim: target.dim, nLayers: num(d, 'n_layers', where), nHeads: target.nHeads, hidden: num(d, 'hidden', where),
        headHidden: num(d, 'head_hidden', where), vocab: target.vocab, grid: target.grid, prefixLen: target.prefixLen,
        offsets: d.offsets as number[], spatial: d.spatial === true, rowsAbove: window ? num(window, 'rows_above', `${where}.window`) : 0,
        colsLeft: window ? num(window, 'cols_left', `${where}.window`) : 0,
        colsRight: window ? num(window, 'cols_right', `${where}.window`) : 0, ropeBase: target.ropeBase, normEps: target.normEps,
        above: d.above === true, aboveFeatures: d.above_features === true, aboveRight: d.above_right === true,
      },
    };
  }
  return entries;
}
