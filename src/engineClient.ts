/** The page's handle on the generation worker: one typed comlink proxy. */
import * as Comlink from 'comlink';
import type { EngineApi } from '../workers/engine.worker';

export type Engine = Comlink.Remote<EngineApi>;

const workers = new WeakMap<Engine, Worker>();

/**
 * Starts a worker. `onCrash` hears the worker's 'error' event (an uncaught error in the worker or a
 * script that failed to load): calls in flight on that worker will never answer after it.
 */
export function startEngine(onCrash?: (message: string) => void): Engine {
  const worker = new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'hawk-engine' });
  if (onCrash) worker.addEventListener('error', (e) => onCrash(e.message || 'the worker stopped with an unknown error'));
  const engine = Comlink.wrap<EngineApi>(worker);
  workers.set(engine, worker);
  return engine;
}

/** Ends a worker started by startEngine (after a crash, so it cannot keep a GPU device alive). */
export function stopEngine(engine: Engine): void {
  engine[Comlink.releaseProxy]();
  workers.get(engine)?.terminate();
  workers.delete(engine);
}

/** The worker behind an engine, for tests that simulate a crash. */
export function workerOf(engine: Engine): Worker | undefined {
  return workers.get(engine);
}

export { Comlink };
