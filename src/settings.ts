/**
 * Generation settings: defaults, limits and validation, shared by the settings panel (to refuse
 * bad input early, with the same words) and the worker (which never trusts the page).
 */
import type { Capabilities, GenerateSettings } from './types';

/**
 * The defaults, on every device: at temperature 1 (lossless sampling) the shortest speculation was the fastest setting
 * wherever it was measured — n = 1 without vertical candidates ran 1.13× plain decoding on SwiftShader in Chromium (n = 4
 * with VSD 1 0.57×) and 1.31× on an NVIDIA H200 (n = 4 with VSD 1 0.95×): acceptance falls off fast with depth (README.md,
 * Hawk vs plain AR; with the models shipped in stop 19, n = 1 1.02× and n = 2 1.03× on 8 images: a tie). Greedy decoding
 * accepts far more, so longer speculation pays there on a GPU (the settings' advice).
 */
export const DEFAULT_SETTINGS: GenerateSettings = {
  n: 1,
  vsd: 0,
  treeWidth: 1,
  autoSpeculation: false,
  temperature: 1,
  topK: 0,
  topP: 1,
  cfgScale: 3,
  plausibility: 0.02,
  seed: 1,
  acceptance: 'lossless',
  draft: 'hawk',
};

/**
 * Whether verifying k drafted tokens costs about k single-token steps: a CPU-emulated adapter (SwiftShader is
 * compute-bound: a forward pays for every row, where a GPU reads each weight once for all rows) or the CPU backend.
 * There even greedy decoding gains little from long speculation.
 */
export function isComputeBound(c: Capabilities | null): boolean {
  if (!c) return false;
  if (c.backend === 'cpu') return true;
  const a = c.gpu.adapter;
  return a.isFallbackAdapter || /swiftshader/i.test(`${a.architecture} ${a.description}`);
}

interface NumberRule {
  min: number;
  max: number;
  integer: boolean;
  label: string;
  help: string;
}

export const NUMBER_RULES: Record<'n' | 'vsd' | 'treeWidth' | 'temperature' | 'topK' | 'topP' | 'cfgScale' | 'plausibility' | 'seed', NumberRule> = {
  n: { min: 0, max: 8, integer: true, label: 'Speculation length', help: 'Tokens the draft proposes along the row per step; 0 is plain autoregressive decoding.' },
  vsd: { min: 0, max: 2, integer: true, label: 'Vertical depth', help: 'Rows below for which the draft keeps a guess, used when decoding reaches them.' },
  treeWidth: { min: 1, max: 4, integer: true, label: 'Tree width', help: 'Candidates per drafted position; more than 1 verifies a tree in one forward pass.' },
  temperature: { min: 0, max: 2, integer: false, label: 'Temperature', help: 'Randomness of sampling; 0 always takes the most likely token.' },
  topK: { min: 0, max: 1024, integer: true, label: 'Top-k', help: 'Sample only among the k most likely tokens; 0 turns it off.' },
  topP: { min: 0.01, max: 1, integer: false, label: 'Top-p', help: 'Sample only among the most likely tokens whose probabilities add up to p; 1 turns it off.' },
  cfgScale: { min: 1, max: 10, integer: false, label: 'Guidance scale', help: 'How strongly the image follows the prompt (classifier-free guidance); 1 turns it off.' },
  plausibility: { min: 0, max: 1, integer: false, label: 'Plausibility cut', help: 'Guidance may pick only tokens the prompt-conditioned model finds at least this fraction as likely as its favourite; stops it amplifying noise in rare tokens. 0 turns it off.' },
  seed: { min: 0, max: 2 ** 32 - 1, integer: true, label: 'Seed', help: 'The same seed and settings give the same image.' },
};

/** Checks every field; throws one message naming all the problems. */
export function validateSettings(input: unknown): GenerateSettings {
  if (typeof input !== 'object' || input === null) throw new Error('Settings must be an object.');
  const s = { ...DEFAULT_SETTINGS, ...(input as Partial<GenerateSettings>) };
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(NUMBER_RULES) as [keyof typeof NUMBER_RULES, NumberRule][]) {
    const v = s[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${rule.label} must be a number.`);
    else if (v < rule.min || v > rule.max) problems.push(`${rule.label} must be between ${rule.min} and ${rule.max}; got ${v}.`);
    else if (rule.integer && !Number.isInteger(v)) problems.push(`${rule.label} must be a whole number; got ${v}.`);
  }
  if (s.acceptance !== 'lossless' && s.acceptance !== 'relaxed') problems.push(`Acceptance must be "lossless" or "relaxed"; got ${String(s.acceptance)}.`);
  if (s.draft !== 'hawk' && s.draft !== 'ablation') problems.push(`Draft must be "hawk" or "ablation"; got ${String(s.draft)}.`);
  if (typeof s.autoSpeculation !== 'boolean') problems.push('Automatic speculation must be on or off.');
  if (problems.length) throw new Error(problems.join(' '));
  return s;
}
