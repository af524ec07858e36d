/**
 * Node setup shared by the Node benchmarks (bench/node-bench.ts, bench/step-costs.ts): the command-line options, a
 * backend (npm `webgpu` = Dawn, or the CPU reference) and the shipped models read from public/ with their checksums.
 */
import { readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import type { Backend } from '../../workers/backend/backend';
import { CpuBackend } from '../../workers/backend/cpu/cpuBackend';
import { acquireGpu } from '../../workers/backend/webgpu/device';
import { WebGpuBackend } from '../../workers/backend/webgpu/webgpuBackend';
import { buildModels } from '../../workers/engine/buildModels';
import type { LoadedModels } from '../../workers/engine/generation';
import { MemoryModelCache } from '../../workers/loading/modelCache';
import { loadModelFiles } from '../../workers/loading/modelStore';
import { describeAdapter } from '../pageResult';

export const root = new URL('../..', import.meta.url);
/** The Dawn instance must outlive every device made from it: held here for the whole process. */
let dawn: GPU | undefined;

/** `key=value` arguments as URL search parameters (the bench page's option format). */
export function commandLineOptions(argv = process.argv.slice(2)): URLSearchParams {
  return new URLSearchParams(argv.map((a) => a.split(/=(.*)/s, 2).map(encodeURIComponent).join('=')).join('&'));
}

export async function backendOf(kind: string): Promise<{ backend: Backend; adapter: string }> {
  if (kind === 'cpu') return { backend: new CpuBackend(), adapter: 'cpu (TypeScript reference backend)' };
  if (kind !== 'webgpu') throw new Error(`backend must be webgpu or cpu, got ${kind}`);
  Object.assign(globalThis, globals); // GPUBufferUsage and friends, as a browser defines them
  dawn = create([]) as unknown as GPU;
  const got = await acquireGpu(dawn);
  if ('reason' in got) throw new Error(`no WebGPU device in Node: ${got.reason}`);
  got.device.addEventListener('uncapturederror', (e) => { throw new Error(`WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`); });
  // The app's backend for this adapter (f32 weights where it is CPU-emulated), so the numbers are the app's.
  const backend = WebGpuBackend.forAdapter(got.device, got.capabilities);
  return { backend, adapter: `${describeAdapter(got.capabilities.adapter)} (Node webgpu ${readPackageVersion('webgpu')})` };
}

function readPackageVersion(name: string): string {
  return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, root), 'utf8')).version;
}

// Node's fetch has no file: URLs; the loader's own checks (size, sha256) still run on every file.
const fileFetch = (async (url: string | URL) => new Response(readFileSync(new URL(url)))) as typeof fetch;

/** The shipped hawk-emoji models on `backend`, checksums verified. */
export async function shippedModels(backend: Backend): Promise<LoadedModels> {
  const loaded = await loadModelFiles(new URL('public/models/hawk-emoji/', root).href, 'manifest.json', undefined, { cache: new MemoryModelCache(), fetch: fileFetch });
  return buildModels(backend, loaded);
}
