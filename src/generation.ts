/**
 * Runs generations for the page: validates, loads the models once, streams events into the store,
 * and files finished runs in the history. One generation at a time: compare mode runs plain AR and
 * then Hawk one after the other, so neither slows the other down and the timings compare fairly.
 */
import { Comlink, type Engine } from './engineClient';
import { getEngine, onEngineCrash } from './engineHost';
import { entryFromSummary } from './history';
import { validatePrompt } from './prompt';
import { validateSettings } from './settings';
import { GRID, IMAGE_PX, type RunKey, type RunView, emptyProgress, newRun, stepUpdate, useHawk } from './store';
import type { GenerateEvent, GenerateSettings, LoadEvent } from './types';
import { formatMs } from './format';

/** Set by Cancel so a compare sequence does not start its second run. */
let cancelRequested = false;

/** A readable message, naming the method when the worker does not offer it yet. */
export function describeError(err: unknown, method: string): string {
  const message = err instanceof Error ? err.message : String(err);
  // Comlink calling a missing worker method fails inside the worker with a TypeError like this.
  if (/not a function|reading 'apply'|undefined \(reading/i.test(message)) {
    return `The engine does not offer ${method}() yet (the worker API is still being built): ${message}`;
  }
  return message;
}

function isCancelled(err: unknown): boolean {
  return err instanceof Error ? /cancel|abort/i.test(err.message) : false;
}

/** Rejects when the worker crashes, so a call waiting on the dead worker does not hang forever. */
function untilCrash(): { promise: Promise<never>; dispose(): void } {
  let dispose = () => {};
  const promise = new Promise<never>((_, reject) => {
    dispose = onEngineCrash((m) => reject(new Error(`The engine crashed (${m}).`)));
  });
  promise.catch(() => {}); // the race below handles it; never an unhandled rejection
  return { promise, dispose };
}

async function raceCrash<T>(call: Promise<T>): Promise<T> {
  const crash = untilCrash();
  try {
    return await Promise.race([call, crash.promise]);
  } finally {
    crash.dispose();
  }
}

function onLoadEvent(e: LoadEvent): void {
  const { load, set } = useHawk.getState();
  set({ load: { active: true, files: { ...load.files, [e.file]: { loaded: e.loaded, total: e.total, fromCache: e.fromCache } } } });
}

async function ensureModels(engine: Engine): Promise<void> {
  const { modelsReady, set } = useHawk.getState();
  if (modelsReady) return;
  set({ load: { files: {}, active: true } });
  try {
    await raceCrash(engine.load(Comlink.proxy(onLoadEvent)));
    set({ modelsReady: true });
  } catch (err) {
    throw new Error(`The models could not be loaded. ${describeError(err, 'load')}`);
  } finally {
    set({ load: { ...useHawk.getState().load, active: false } });
  }
}

function handleEvent(id: number, e: GenerateEvent): void {
  const { updateRun, set } = useHawk.getState();
  switch (e.kind) {
    case 'step':
      updateRun(id, (run) => stepUpdate(run, e));
      break;
    case 'rows':
      updateRun(id, (run) => {
        // Rows from y down; the buffer is the full 64×64 image, so copy at the right offset.
        const offset = e.y * e.width * 4;
        run.pixels.set(e.rgba.subarray(0, Math.min(e.rgba.length, run.pixels.length - offset)), offset);
        return { frame: run.frame + 1 };
      });
      break;
    case 'load':
      onLoadEvent(e);
      break;
    case 'notice':
      set({ status: e.message });
      break;
    case 'retry':
      // The banner stays after the run: it explains a slower backend or a GPU that may fail again.
      set({ banner: e.message, status: e.message, capabilities: e.capabilities });
      updateRun(id, () => ({ ...emptyProgress(), startedAt: performance.now() }));
      break;
  }
}

function thumbnailOf(pixels: Uint8ClampedArray): string {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = IMAGE_PX;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(pixels), IMAGE_PX, IMAGE_PX), 0, 0);
  return canvas.toDataURL('image/png');
}

/** The last rows event may arrive just after the summary (separate message ports): wait briefly for it. */
async function settleRows(id: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const run = useHawk.getState().runs.find((r) => r.id === id);
    if (!run || run.pixels[run.pixels.length - 1] !== 0) return; // last pixel's alpha is set
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function runOne(engine: Engine, view: RunView): Promise<'done' | 'cancelled' | 'failed'> {
  const { updateRun, set } = useHawk.getState();
  const { id, label, prompt, settings } = view;
  updateRun(id, () => ({ phase: 'running', startedAt: performance.now() }));
  set({ status: `Generating “${prompt}” (${label}, n = ${settings.n})…` });
  try {
    const summary = await raceCrash(engine.generate(prompt, settings, Comlink.proxy((e: GenerateEvent) => handleEvent(id, e))));
    await settleRows(id);
    updateRun(id, (run) => ({
      phase: 'done', summary, elapsedMs: summary.totalMs, targetForwards: summary.targetForwards, committed: summary.tokens.length,
      sources: summary.sources.length === GRID * GRID ? summary.sources : run.sources,
    }));
    const run = useHawk.getState().runs.find((r) => r.id === id)!;
    useHawk.getState().addHistory(entryFromSummary(summary, thumbnailOf(run.pixels)));
    return 'done';
  } catch (err) {
    if (cancelRequested || isCancelled(err)) {
      updateRun(id, () => ({ phase: 'cancelled' }));
      return 'cancelled';
    }
    const message = describeError(err, 'generate');
    updateRun(id, () => ({ phase: 'failed', error: message }));
    set({ error: message });
    return 'failed';
  }
}

/** Generate (or compare) with the prompt and settings in the store. */
export async function generate(): Promise<void> {
  const state = useHawk.getState();
  const { set } = state;
  if (state.busy) return;
  let text: string;
  try {
    text = validatePrompt(state.prompt).text;
  } catch (err) {
    set({ error: (err as Error).message });
    return;
  }
  let settings: GenerateSettings;
  try {
    settings = validateSettings(state.settings);
  } catch (err) {
    set({ error: `Fix the settings first: ${(err as Error).message}` });
    return;
  }

  cancelRequested = false;
  const plan: [RunKey, string, GenerateSettings][] = state.prefs.compare
    ? [['ar', 'Plain AR', { ...settings, n: 0 }], ['hawk', `Hawk (n = ${settings.n})`, settings]]
    : [['main', settings.n === 0 ? 'Plain AR' : 'Hawk', settings]];
  const views = plan.map(([key, label, s]) => newRun(key, label, text, s));
  set({
    busy: true, error: null, runs: views,
    status: state.modelsReady ? `Generating “${text}”…` : `Loading the models for “${text}”…`,
  });

  const engine = getEngine();
  try {
    await ensureModels(engine);
    let outcome: 'done' | 'cancelled' | 'failed' = 'done';
    for (const view of views) {
      if (cancelRequested) { outcome = 'cancelled'; break; }
      outcome = await runOne(engine, view);
      if (outcome !== 'done') break;
    }
    const runs = useHawk.getState().runs;
    if (outcome === 'done') {
      set({ status: `Done: “${text}” in ${runs.map((r) => `${r.label} ${formatMs(r.summary?.totalMs ?? 0)}`).join(', ')} on ${runs[0].summary?.backend}.` });
    } else if (outcome === 'cancelled') {
      set({ status: `Cancelled “${text}”.` });
    } else {
      set({ status: `Generating “${text}” failed.` });
    }
    // Runs that never started (after a cancel or failure) are marked so the panel does not wait forever.
    set({ runs: runs.map((r) => (r.phase === 'waiting' ? { ...r, phase: 'cancelled' } : r)) });
  } catch (err) {
    const message = (err as Error).message;
    set({ error: message, status: `Generating “${text}” failed.`, runs: useHawk.getState().runs.map((r) => ({ ...r, phase: 'failed', error: message })) });
  } finally {
    set({ busy: false });
  }
}

/** Stops the running generation; the worker rejects its promise, which marks the run cancelled. */
export async function cancel(): Promise<void> {
  if (!useHawk.getState().busy) return;
  cancelRequested = true;
  useHawk.getState().set({ status: 'Cancelling…' });
  try {
    await getEngine().cancel();
  } catch (err) {
    useHawk.getState().set({ error: `Cancel failed: ${describeError(err, 'cancel')}` });
  }
}
