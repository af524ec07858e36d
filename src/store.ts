/**
 * UI state (zustand): engine status, prompt, settings, the runs on screen, model loading, history.
 * Settings, preferences and history persist in localStorage; everything else lives for the page.
 */
import { create } from 'zustand';
import { type DepthCounts, NO_DEPTHS, addStepDepths } from './acceptance';
import { type HistoryEntry, MAX_HISTORY, loadHistory, saveHistory } from './history';
import { KEYS, readJson, removeKey, writeJson } from './persist';
import { DEFAULT_SETTINGS } from './settings';
import type { Capabilities, GenerateSettings, GenerationSummary, KernelCheck, LoadEvent, StepEvent, TokenSource } from './types';

/** Image size in pixels the models produce (16×16 tokens of 4×4 pixels). */
export const IMAGE_PX = 64;
export const GRID = 16;

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';
export type RunKey = 'main' | 'ar' | 'hawk';
export type RunPhase = 'waiting' | 'running' | 'done' | 'cancelled' | 'failed';

/** One generation on screen: the live picture and counters, then the worker's summary. */
export interface RunView {
  /** Unique per request, so late events of a cancelled run never paint into the next one. */
  id: number;
  key: RunKey;
  label: string;
  prompt: string;
  settings: GenerateSettings;
  phase: RunPhase;
  /** performance.now() when the request was sent, for a ticking clock between steps. */
  startedAt: number;
  elapsedMs: number;
  committed: number;
  targetForwards: number;
  /** Per grid cell, how its token was produced; null until committed. */
  sources: (TokenSource | null)[];
  /** Acceptance by draft position so far, added up from the step events (the summary's, once it arrives). */
  depths: DepthCounts;
  /** RGBA of the 64×64 image; rows not yet decoded stay transparent. Mutated in place, see `frame`. */
  pixels: Uint8ClampedArray;
  /** Bumped on every painted rows event so the canvas knows to repaint. */
  frame: number;
  summary: GenerationSummary | null;
  error: string | null;
}

export interface LoadProgress {
  files: Record<string, Omit<LoadEvent, 'kind' | 'file'>>;
  active: boolean;
}

export interface Prefs {
  backend: BackendChoice;
  compare: boolean;
  overlay: boolean;
}

export interface HawkState {
  capabilities: Capabilities | null;
  prompt: string;
  status: string;
  busy: boolean;
  error: string | null;
  /** Something the user must know that outlives one request (worker restarted, device lost). */
  banner: string | null;
  kernelChecks: KernelCheck[];
  settings: GenerateSettings;
  prefs: Prefs;
  runs: RunView[];
  load: LoadProgress;
  modelsReady: boolean;
  /** What the model was trained to draw (src/concepts.ts); empty until the manifest is read, or when not limited. */
  concepts: string[];
  history: HistoryEntry[];
  setPrompt(prompt: string): void;
  set(partial: Partial<Pick<HawkState, 'capabilities' | 'status' | 'busy' | 'error' | 'banner' | 'kernelChecks' | 'runs' | 'load' | 'modelsReady' | 'concepts'>>): void;
  setSetting<K extends keyof GenerateSettings>(key: K, value: GenerateSettings[K]): void;
  setSettings(settings: GenerateSettings): void;
  resetSettings(): void;
  setPref<K extends keyof Prefs>(key: K, value: Prefs[K]): void;
  updateRun(id: number, update: (run: RunView) => Partial<RunView>): void;
  addHistory(entry: HistoryEntry): void;
  clearHistory(): void;
}

let lastRunId = 0;

export function newRun(key: RunKey, label: string, prompt: string, settings: GenerateSettings): RunView {
  return { id: ++lastRunId, key, label, prompt, settings, phase: 'waiting', startedAt: 0, ...emptyProgress(), summary: null, error: null };
}

/** What a run streams in, as before its first event; a generation that starts over returns to this. */
export function emptyProgress(): Pick<RunView, 'elapsedMs' | 'committed' | 'targetForwards' | 'sources' | 'depths' | 'pixels' | 'frame'> {
  return {
    elapsedMs: 0, committed: 0, targetForwards: 0, sources: new Array(GRID * GRID).fill(null), depths: NO_DEPTHS,
    pixels: new Uint8ClampedArray(IMAGE_PX * IMAGE_PX * 4), frame: 0,
  };
}

/** What one step event changes in a run: its tokens' sources, the counters, and acceptance by draft position. */
export function stepUpdate(run: RunView, e: StepEvent): Pick<RunView, 'sources' | 'committed' | 'targetForwards' | 'elapsedMs' | 'depths'> {
  const sources = [...run.sources];
  e.sources.forEach((s, i) => { sources[e.first + i] = s; });
  return {
    sources, committed: Math.max(run.committed, e.first + e.tokens.length), targetForwards: e.targetForwards,
    elapsedMs: e.elapsedMs, depths: addStepDepths(run.depths, e),
  };
}

const DEFAULT_PREFS: Prefs = { backend: 'auto', compare: false, overlay: false };

/** Stored settings merged over the defaults, so a field added later gets its default; null when none are stored. */
function storedSettings(): GenerateSettings | null {
  const s = readJson<Partial<GenerateSettings>>(KEYS.settings);
  return s && typeof s === 'object' ? { ...DEFAULT_SETTINGS, ...s } : null;
}
const initialSettings = storedSettings();

function storedPrefs(): Prefs {
  const p = readJson<Partial<Prefs>>(KEYS.prefs);
  return p && typeof p === 'object' ? { ...DEFAULT_PREFS, ...p } : { ...DEFAULT_PREFS };
}

export const useHawk = create<HawkState>((set, get) => ({
  capabilities: null,
  prompt: '',
  status: 'Starting the engine…',
  busy: false,
  error: null,
  banner: null,
  kernelChecks: [],
  settings: initialSettings ?? { ...DEFAULT_SETTINGS },
  prefs: storedPrefs(),
  runs: [],
  load: { files: {}, active: false },
  modelsReady: false,
  concepts: [],
  history: loadHistory(),
  setPrompt: (prompt) => set({ prompt }),
  set: (partial) => set(partial),
  setSetting: (key, value) => {
    const settings = { ...get().settings, [key]: value };
    set({ settings });
    // Stored even while invalid: after a reload the field shows the same value and the same message.
    writeJson(KEYS.settings, settings);
  },
  setSettings: (settings) => {
    set({ settings: { ...settings } });
    writeJson(KEYS.settings, settings);
  },
  resetSettings: () => {
    set({ settings: { ...DEFAULT_SETTINGS } });
    removeKey(KEYS.settings);
  },
  setPref: (key, value) => {
    const prefs = { ...get().prefs, [key]: value };
    set({ prefs });
    writeJson(KEYS.prefs, prefs);
  },
  updateRun: (id, update) =>
    set({ runs: get().runs.map((r) => (r.id === id ? { ...r, ...update(r) } : r)) }),
  addHistory: (entry) => {
    const history = [entry, ...get().history].slice(0, MAX_HISTORY);
    set({ history });
    saveHistory(history);
  },
  clearHistory: () => {
    set({ history: [] });
    saveHistory([]);
  },
}));
