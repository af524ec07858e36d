/**
 * The benchmark sweep (bench/sweep.ts) in Node, without a browser: the shipped models (checksums verified) on the
 * npm `webgpu` package (Dawn) or on the CPU backend, driven by the same generation code as the app's worker
 * (workers/engine/generation.ts), minus the VQ decoder (pixels are not part of the timing there either: rows decode
 * off the decoding loop's critical path). This is how real-GPU numbers are taken on a headless GPU machine, where
 * Dawn picks the system's Vulkan driver:
 *
 *   npm run bench:node -- configs=ar,n1v1,n4v1 reps=1            (here: SwiftShader, through scripts/swiftshader-env.sh)
 *   npx tsx --import ./bench/node/register.mjs bench/node-bench.ts configs=…   (a machine with a GPU)
 *
 * Options: those of bench/sweep.ts, plus backend=webgpu|cpu (default webgpu). Prints the table and writes
 * bench/results/node-<date>.json (the bench page's result format).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import type { Backend } from '../workers/backend/backend';
import { CpuBackend } from '../workers/backend/cpu/cpuBackend';
import { acquireGpu } from '../workers/backend/webgpu/device';
import { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { buildModels } from '../workers/engine/buildModels';
import { generateImage } from '../workers/engine/generation';
import { MemoryModelCache } from '../workers/loading/modelCache';
import { loadModelFiles } from '../workers/loading/modelStore';
import { describeAdapter } from './pageResult';
import { runSweep, sweepOptions } from './sweep';

const root = new URL('..', import.meta.url);
/** The Dawn instance must outlive every device made from it: held here for the whole process. */
let dawn: GPU | undefined;
const args = new URLSearchParams(process.argv.slice(2).map((a) => a.split(/=(.*)/s, 2).map(encodeURIComponent).join('=')).join('&'));

async function backendOf(kind: string): Promise<{ backend: Backend; adapter: string }> {
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

async function main(): Promise<number> {
  const options = sweepOptions(args);
  const loaded = await loadModelFiles(new URL('public/models/hawk-emoji/', root).href, 'manifest.json', undefined, { cache: new MemoryModelCache(), fetch: fileFetch });
  const { backend, adapter } = await backendOf(args.get('backend') ?? 'webgpu');
  const models = buildModels(backend, loaded);
  const result = await runSweep(options, {
    adapter, platform: `Node ${process.version}`, cores: (await import('node:os')).availableParallelism(),
    generate: (prompt, settings) => generateImage(models, prompt, settings, () => {}),
  }, (line) => console.error(line));
  console.log(`\nadapter: ${result.adapter}`);
  console.table(result.table);
  for (const line of result.lines ?? []) console.log(line);
  const dir = fileURLToPath(new URL('bench/results/', root));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}node-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ page: 'node', query: args.toString(), date: new Date().toISOString(), ...result }, null, 1));
  console.log(`results: ${file}`);
  return 0;
}

// Dawn keeps the process alive: exit explicitly.
main().then((code) => process.exit(code), (e: unknown) => { console.error(e); process.exit(1); });
