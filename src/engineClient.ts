/** The page's handle on the generation worker: one typed comlink proxy. */
import * as Comlink from 'comlink';
import type { EngineApi } from '../workers/engine.worker';

export type Engine = Comlink.Remote<EngineApi>;

export function startEngine(): Engine {
  const worker = new Worker(new URL('../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'hawk-engine' });
  return Comlink.wrap<EngineApi>(worker);
}

export { Comlink };
