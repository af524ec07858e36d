/**
 * The one engine the page uses, and its recovery: when the worker crashes, every call in flight on
 * it is dead, so we stop it, start a fresh one and tell whoever was waiting (see `onEngineCrash`).
 */
import { Comlink, type Engine, startEngine, stopEngine, workerOf } from './engineClient';
import { useHawk } from './store';
import type { Capabilities, EngineNotice } from './types';

let engine: Engine | null = null;

/** Status lines that the backend probe's answer replaces (anything else is newer news). */
const STARTING = ['Starting the engine…', 'Restarting the engine…'];
const crashListeners = new Set<(message: string) => void>();

export function describeCapabilities(c: Capabilities): string {
  if (c.backend === 'cpu') return `CPU backend (slower): ${c.reason}`;
  const a = c.gpu.adapter;
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter';
  return `WebGPU on ${name}${a.isFallbackAdapter ? ' (software fallback adapter)' : ''}`;
}

export function getEngine(): Engine {
  if (!engine) {
    const e = startEngine((message) => handleCrash(e, message));
    engine = e;
    // The e2e tests reach the worker API directly (device-loss recovery, crash simulation) in development.
    if (import.meta.env.DEV) Object.assign(window, { hawkEngine: e, hawkCrashWorker: () => simulateCrash(e) });
    wire(e);
  }
  return engine;
}

/** Called with the crash message; calls waiting on the old worker should give up. */
export function onEngineCrash(listener: (message: string) => void): () => void {
  crashListeners.add(listener);
  return () => crashListeners.delete(listener);
}

function handleCrash(crashed: Engine, message: string): void {
  if (crashed !== engine) return; // an old worker's late error
  engine = null;
  stopEngine(crashed);
  const { set } = useHawk.getState();
  set({
    banner: `The engine stopped unexpectedly (${message}). It has been restarted; the models are loaded again on the next generation.`,
    modelsReady: false,
    busy: false,
    status: 'Restarting the engine…',
  });
  crashListeners.forEach((l) => l(message));
  getEngine();
}

/** Listens for device notices, applies the stored backend choice, and reports what the engine runs on. */
function wire(e: Engine): void {
  const { set, prefs } = useHawk.getState();
  void e.onNotice(Comlink.proxy((n: EngineNotice) => {
    if (n.kind === 'device-restored') set({ capabilities: n.capabilities, status: `GPU device re-created. ${describeCapabilities(n.capabilities)}` });
    else set({ status: n.message, error: n.kind === 'device-unrecoverable' ? n.message : null });
  }));
  // Only to guide the prompt: a failure here shows again, with its reason, when the models load.
  e.concepts().then((concepts) => set({ concepts }), () => {});
  const ready = prefs.backend === 'auto' ? Promise.resolve() : e.chooseBackend(prefs.backend);
  ready.then((): Promise<Capabilities> => e.capabilities()).then(
    // The probe may answer after the user already pressed Generate: keep that request's status then.
    (c) => set(STARTING.includes(useHawk.getState().status) ? { capabilities: c, status: describeCapabilities(c) } : { capabilities: c }),
    (err: Error) => set({ error: err.message, status: 'The engine failed to start.' }),
  );
}

/** Re-chooses the backend and reports the result (the worker falls back to the CPU if WebGPU fails). */
export async function chooseBackend(choice: 'auto' | 'webgpu' | 'cpu'): Promise<void> {
  const { set } = useHawk.getState();
  const e = getEngine();
  try {
    await e.chooseBackend(choice);
    const c: Capabilities = await e.capabilities();
    set({ capabilities: c, status: describeCapabilities(c), modelsReady: false });
  } catch (err) {
    set({ error: `Could not switch the backend: ${(err as Error).message}` });
  }
}

/** A worker 'error' event as the browser would fire it, for the crash-recovery e2e test. */
function simulateCrash(e: Engine): void {
  workerOf(e)?.dispatchEvent(new ErrorEvent('error', { message: 'simulated crash' }));
}
