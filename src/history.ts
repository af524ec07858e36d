/** Recent results: small enough for localStorage (a 64×64 PNG thumbnail and a 256-letter source map). */
import { KEYS, readJson, writeJson } from './persist';
import type { GenerateSettings, GenerationSummary, TokenSource } from './types';

export interface HistoryEntry {
  id: string;
  prompt: string;
  settings: GenerateSettings;
  backend: 'webgpu' | 'cpu';
  totalMs: number;
  targetForwards: number;
  tokensPerForward: number;
  /** One letter per token (h, v, t), raster order. */
  sources: string;
  /** data:image/png of the 64×64 image. */
  thumbnail: string;
  createdAt: number;
}

export const MAX_HISTORY = 12;

const LETTER: Record<TokenSource, string> = { horizontal: 'h', vertical: 'v', target: 't' };
const SOURCE: Record<string, TokenSource> = { h: 'horizontal', v: 'vertical', t: 'target' };

export function encodeSources(sources: readonly TokenSource[]): string {
  return sources.map((s) => LETTER[s]).join('');
}

export function decodeSources(letters: string): TokenSource[] {
  return [...letters].map((c) => SOURCE[c] ?? 'target');
}

export function entryFromSummary(summary: GenerationSummary, thumbnail: string): HistoryEntry {
  return {
    id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
    prompt: summary.prompt,
    settings: summary.settings,
    backend: summary.backend,
    totalMs: summary.totalMs,
    targetForwards: summary.targetForwards,
    tokensPerForward: summary.tokensPerForward,
    sources: encodeSources(summary.sources),
    thumbnail,
    createdAt: Date.now(),
  };
}

/** Same image distribution: a plain-AR run only counts as a baseline if these all match. */
export function sameSampling(a: { prompt: string; settings: GenerateSettings }, b: { prompt: string; settings: GenerateSettings }): boolean {
  const x = a.settings, y = b.settings;
  return a.prompt === b.prompt && x.seed === y.seed && x.temperature === y.temperature && x.topK === y.topK && x.topP === y.topP && x.cfgScale === y.cfgScale && x.plausibility === y.plausibility;
}

/** The newest plain-AR (n = 0) run of the same prompt, seed and sampling on the same backend. */
export function findArBaseline(history: readonly HistoryEntry[], run: { prompt: string; settings: GenerateSettings; backend: string }): HistoryEntry | null {
  return history.find((h) => h.settings.n === 0 && h.backend === run.backend && sameSampling(h, run)) ?? null;
}

/** Entries saved before the plausibility cut existed were generated without it: restoring one must not add it. */
function withoutCutIfOlder(h: HistoryEntry): HistoryEntry {
  return typeof h.settings?.plausibility === 'number' ? h : { ...h, settings: { ...h.settings, plausibility: 0 } };
}

export function loadHistory(): HistoryEntry[] {
  const raw = readJson<HistoryEntry[]>(KEYS.history);
  return Array.isArray(raw) ? raw.filter((h) => h && typeof h.prompt === 'string' && typeof h.thumbnail === 'string').slice(0, MAX_HISTORY).map(withoutCutIfOlder) : [];
}

/** Drops the oldest entries until the browser accepts the write. */
export function saveHistory(history: readonly HistoryEntry[]): void {
  for (let n = history.length; n >= 0; n--) if (writeJson(KEYS.history, history.slice(0, n))) return;
}
