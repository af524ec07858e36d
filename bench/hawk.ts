/**
 * Hawk vs plain AR, side by side in one run, through the real engine worker (the app's path):
 * every configuration generates the same prompts with the same seeds, interleaved so that machine
 * load hits all alike; we report per-image wall-clock medians, the ratio to AR, target forwards per
 * image and mean tokens per target forward.
 *
 * Query: reps (default 3), temperature (default 1), configs (default "ar,n4v1,n8v2"; nXvY[wZ] = n X,
 * VSD Y, tree width Z), draft (hawk|ablation), prompts (|-separated).
 */
import { Comlink, startEngine } from '../src/engineClient';
import { validateSettings } from '../src/settings';
import type { GenerateSettings, GenerationSummary } from '../src/types';
import type { PageResult } from './pageResult';


const out = document.getElementById('out')!;
const log = (line: string) => { out.textContent = out.textContent === 'running…' ? line : `${out.textContent}\n${line}`; console.log(line); };
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

const params = new URLSearchParams(location.search);
const reps = Number(params.get('reps') ?? 3);
const temperature = Number(params.get('temperature') ?? 1);
const prompts = (params.get('prompts') ?? 'red apple, fluent|grinning face, twemoji|blue heart, noto').split('|');
const configs = (params.get('configs') ?? 'ar,n4v1,n8v2').split(',');

function settingsOf(config: string, seed: number): GenerateSettings {
  const base = { temperature, seed, draft: (params.get('draft') ?? 'hawk') as GenerateSettings['draft'] };
  if (config === 'ar') return validateSettings({ ...base, n: 0, vsd: 0 });
  const m = /^n(\d)v(\d)(?:w(\d))?$/.exec(config);
  if (!m) throw new Error(`bad config ${config}`);
  return validateSettings({ ...base, n: Number(m[1]), vsd: Number(m[2]), treeWidth: Number(m[3] ?? 1) });
}

async function main(): Promise<PageResult> {
  const engine = startEngine();
  const caps = await engine.capabilities();
  const adapter = caps.backend === 'webgpu' ? `${caps.gpu.adapter.vendor} ${caps.gpu.adapter.description}`.trim() : `cpu (${caps.reason})`;
  log(`adapter: ${adapter}`);
  await engine.load(Comlink.proxy(() => {}));
  const runs: (GenerationSummary & { config: string; rep: number })[] = [];
  // Warm-up: pipelines compile on first use.
  for (const config of configs) await engine.generate(prompts[0], settingsOf(config, 999), Comlink.proxy(() => {}));
  for (let rep = 0; rep < reps; rep++) {
    for (const prompt of prompts) {
      for (const config of configs) {
        const s = await engine.generate(prompt, settingsOf(config, 1 + rep), Comlink.proxy(() => {}));
        runs.push({ ...s, config, rep });
        log(`${config.padEnd(8)} ${prompt.padEnd(28)} seed ${1 + rep}: ${s.totalMs.toFixed(0)} ms, ${s.targetForwards} forwards, ${s.tokensPerForward.toFixed(2)} tokens/forward`);
      }
    }
  }
  const arMs = median(runs.filter((r) => r.config === 'ar').map((r) => r.totalMs));
  const table = configs.map((config) => {
    const rs = runs.filter((r) => r.config === config);
    const ms = median(rs.map((r) => r.totalMs));
    return {
      config,
      images: rs.length,
      'ms/image (median)': Math.round(ms),
      'speed-up vs AR': Number((arMs / ms).toFixed(2)),
      'target forwards/image': Math.round(median(rs.map((r) => r.targetForwards))),
      'tokens/forward (mean)': Number((rs.reduce((a, r) => a + r.tokensPerForward, 0) / rs.length).toFixed(2)),
    };
  });
  return { adapter, table, lines: [`temperature ${temperature}, ${prompts.length} prompts × ${reps} seeds, draft ${params.get('draft') ?? 'hawk'}`], data: runs };
}

main()
  .catch((e: unknown): PageResult => ({ adapter: 'unknown', table: [], error: String((e as Error)?.stack ?? e) }))
  .then((r) => {
    if (r.error) log(`error: ${r.error}`);
    window.benchResult = r;
  });
