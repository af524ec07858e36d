/**
 * The benchmark sweep, shared by the browser page (bench/bench.ts, `npm run bench`) and the Node driver
 * (bench/node-bench.ts, `npm run bench:node`): plain AR, Hawk lossless over n, VSD and tree width, Hawk relaxed and
 * the 1D ablation draft. Every configuration generates the same prompts with the same seeds, interleaved with a
 * rotating order, so machine load hits all alike. Every run's summary (token grid, token sources, acceptance by
 * depth, forwards, time, draft time) is kept: training/score_bench.py decodes and scores the grids, bench/report.mjs
 * draws the chart and the README table.
 *
 * Options (query string or key=value arguments): reps (seeds per prompt, default 3), temperature (default 1, lossless
 * sampling; 0 = greedy), topK (default 0 = the whole vocabulary), configs (comma-separated, default SWEEP), promptSet (vocabulary|heldout|composed|all or a comma-separated
 * list, default all: bench/prompts.json; vocabulary = concepts the shipped target learnt, what the app asks for), prompts (|-separated, replaces the set), minutes (a time budget for the timed rounds, default none:
 * the sweep stops after the prompt round in which it ran out, so every config keeps the same prompts and seeds — for
 * machines lent for a few minutes).
 * Configs: ar = plain AR; ar2 = plain AR on other seeds (the noise floor of the fidelity scores);
 * nXvY[wZ] = Hawk, n X, VSD Y, tree width Z; rXvY[wZ] = the same with relaxed acceptance; aXvY[wZ] = the ablation draft.
 */
import { validateSettings } from '../src/settings';
import type { GenerateSettings, GenerationSummary } from '../src/types';
import type { PageResult } from './pageResult';
import promptSets from './prompts.json';

// The ablation draft's vertical heads are not part of the comparison: it is the 1D baseline along the row.
export const SWEEP = 'ar,ar2,n1v0,n1v1,n2v0,n2v1,n4v0,n4v1,n4v2,n6v1,n8v0,n8v1,n4v1w2,r4v1,a2v0,a4v0,a8v0';
/** ar2's seeds start here, far from the others' 1…reps. */
const SECOND_SEEDS = 1000;
/** Side of the square token blocks whose draft share is reported (4×4 blocks of the 16×16 grid). */
const BLOCK = 4;

export interface SweepOptions {
  reps: number;
  temperature: number;
  topK: number;
  configs: string[];
  prompts: { prompt: string; set: string }[];
  /** Time budget of the timed rounds in minutes (Infinity: none). */
  minutes: number;
}

/** Where the sweep runs: a description of the device and a way to generate one image. */
export interface SweepRunner {
  adapter: string;
  /** Browser or runtime and core count, for the result's header. */
  platform: string;
  cores: number;
  generate(prompt: string, settings: GenerateSettings): Promise<GenerationSummary>;
}

interface BenchRun extends GenerationSummary { config: string; rep: number; set: string }

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const sum = (a: number[]) => a.reduce((p, q) => p + q, 0);

export function sweepOptions(params: URLSearchParams): SweepOptions {
  const promptSet = params.get('promptSet') ?? 'all';
  const configs = (params.get('configs') ?? SWEEP).split(',');
  if (!configs.includes('ar')) throw new Error('configs must include ar: every ratio is to plain AR');
  for (const c of configs) settingsOf(c, 0, 1); // a bad config fails now, not hours into the run
  const minutes = Number(params.get('minutes') ?? Infinity);
  if (!(minutes > 0)) throw new Error(`minutes must be a positive number, got ${params.get('minutes')}`);
  return {
    reps: Number(params.get('reps') ?? 3),
    temperature: Number(params.get('temperature') ?? 1),
    topK: Number(params.get('topK') ?? 0),
    configs,
    minutes,
    prompts: params.get('prompts')
      ? params.get('prompts')!.split('|').map((prompt) => ({ prompt, set: 'given' }))
      : promptsOf(promptSet),
  };
}

/** The prompts of bench/prompts.json's sets, named as in the promptSet option, in that file's order. */
function promptsOf(promptSet: string): { prompt: string; set: string }[] {
  const sets = { vocabulary: promptSets.vocabulary, heldout: promptSets.heldOut, composed: promptSets.composed };
  const names = promptSet === 'all' ? Object.keys(sets) : promptSet.split(',');
  for (const name of names) if (!(name in sets)) throw new Error(`promptSet: unknown set ${name} (vocabulary, heldout, composed or all)`);
  return Object.entries(sets)
    .filter(([name]) => names.includes(name))
    .flatMap(([name, prompts]) => prompts.map((prompt) => ({ prompt, set: name === 'heldout' ? 'held-out' : name })));
}

export function settingsOf(config: string, rep: number, temperature: number, topK = 0): GenerateSettings {
  const base = { temperature, topK, seed: 1 + rep, n: 0, vsd: 0 };
  if (config === 'ar') return validateSettings(base);
  if (config === 'ar2') return validateSettings({ ...base, seed: SECOND_SEEDS + 1 + rep });
  const m = /^([nra])(\d)v(\d)(?:w(\d))?$/.exec(config);
  if (!m) throw new Error(`bad config ${config}: ar, ar2 or [nra]<n>v<vsd>[w<width>]`);
  return validateSettings({
    ...base, n: Number(m[2]), vsd: Number(m[3]), treeWidth: Number(m[4] ?? 1),
    acceptance: m[1] === 'r' ? 'relaxed' : 'lossless', draft: m[1] === 'a' ? 'ablation' : 'hawk',
  });
}

function describe(config: string): string {
  if (config === 'ar') return 'plain AR';
  if (config === 'ar2') return 'plain AR, other seeds';
  const s = settingsOf(config, 0, 1);
  const kind = s.draft === 'ablation' ? 'ablation draft' : s.acceptance === 'relaxed' ? 'Hawk relaxed' : 'Hawk';
  return `${kind} n = ${s.n}, VSD ${s.vsd}${s.treeWidth > 1 ? `, width ${s.treeWidth}` : ''}`;
}

/** Share of the tokens in each BLOCK×BLOCK block of the grid that the draft supplied (horizontal or vertical). */
function draftShareByBlock(rs: BenchRun[]): number[][] {
  const grid = Math.sqrt(rs[0].tokens.length), blocks = grid / BLOCK;
  return Array.from({ length: blocks }, (_, by) => Array.from({ length: blocks }, (_, bx) => {
    let drafted = 0;
    for (const r of rs) {
      for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) {
        for (let x = bx * BLOCK; x < (bx + 1) * BLOCK; x++) if (r.sources[y * grid + x] !== 'target') drafted++;
      }
    }
    return drafted / (rs.length * BLOCK * BLOCK);
  }));
}

function statsOf(config: string, rs: BenchRun[], arMs: number) {
  const ms = median(rs.map((r) => r.totalMs));
  const depths = Math.max(0, ...rs.map((r) => r.draftedByDepth.length));
  const blocks = draftShareByBlock(rs);
  const inner = (i: number) => i > 0 && i < blocks.length - 1;
  const shares = (centre: boolean) => blocks.flatMap((row, y) => row.filter((_, x) => (inner(x) && inner(y)) === centre));
  return {
    config,
    label: describe(config),
    images: rs.length,
    msMedian: ms,
    speedup: arMs / ms,
    forwardsMedian: median(rs.map((r) => r.targetForwards)),
    tokensPerForward: sum(rs.map((r) => r.tokens.length)) / sum(rs.map((r) => r.targetForwards)),
    /** Per image: time in the VQ decoder (concurrent with token decoding) and the wait for it after the last token. */
    decodeMsMedian: median(rs.map((r) => r.decodeMs)),
    decodeTailMsMedian: median(rs.map((r) => r.decodeTailMs)),
    /** Share of the wall-clock spent in the draft model (proposing), over all runs. */
    draftTimeShare: sum(rs.map((r) => r.draftMs)) / sum(rs.map((r) => r.totalMs)),
    /** Accepted / drafted at draft position d + 1, over all runs. */
    acceptanceByDepth: Array.from({ length: depths }, (_, d) =>
      sum(rs.map((r) => r.acceptedByDepth[d] ?? 0)) / sum(rs.map((r) => r.draftedByDepth[d] ?? 0))),
    draftShareByBlock: blocks,
    /** Mean draft share of the outer ring of blocks (mostly white background) and of the inner ones. */
    draftShareBorder: sum(shares(false)) / shares(false).length,
    draftShareCentre: sum(shares(true)) / shares(true).length,
  };
}

export async function runSweep(o: SweepOptions, runner: SweepRunner, log: (line: string) => void): Promise<PageResult> {
  const { reps, temperature, topK, configs, prompts, minutes } = o;
  log(`adapter: ${runner.adapter}; ${runner.platform}, ${runner.cores} logical cores`);
  // Warm-up: pipelines compile on first use, for each shape a config verifies.
  for (const config of configs) await runner.generate(prompts[0].prompt, settingsOf(config, SECOND_SEEDS * 2, temperature, topK));
  const runs: BenchRun[] = [];
  const total = reps * prompts.length * configs.length;
  const deadline = performance.now() + minutes * 60_000;
  rounds: for (let rep = 0; rep < reps; rep++) {
    for (const [p, { prompt, set }] of prompts.entries()) {
      if (runs.length > 0 && performance.now() > deadline) break rounds; // at least one round, whatever the budget
      // The order rotates per prompt, so no config always runs first or right after the same other one.
      const shift = (rep * prompts.length + p) % configs.length;
      for (const config of [...configs.slice(shift), ...configs.slice(0, shift)]) {
        const s = await runner.generate(prompt, settingsOf(config, rep, temperature, topK));
        runs.push({ ...s, config, rep, set });
        log(`[${runs.length}/${total}] ${config.padEnd(7)} ${prompt.slice(0, 28).padEnd(28)} seed ${s.settings.seed}: ` +
          `${s.totalMs.toFixed(0)} ms (draft ${s.draftMs.toFixed(0)}), ${s.targetForwards} forwards, ${s.tokensPerForward.toFixed(2)} tokens/forward`);
      }
    }
  }
  const arMs = median(runs.filter((r) => r.config === 'ar').map((r) => r.totalMs));
  const stats = configs.map((config) => statsOf(config, runs.filter((r) => r.config === config), arMs));
  const table = stats.map((s) => ({
    config: s.config,
    images: s.images,
    'ms/image': Math.round(s.msMedian),
    'vs AR': Number(s.speedup.toFixed(2)),
    'forwards/image': s.forwardsMedian,
    'tokens/forward': Number(s.tokensPerForward.toFixed(2)),
    'draft time': `${Math.round(100 * s.draftTimeShare)}%`,
    'VQ decode (tail) ms': `${Math.round(s.decodeMsMedian)} (${Math.round(s.decodeTailMsMedian)})`,
    'acceptance by depth': s.acceptanceByDepth.map((a) => a.toFixed(2)).join(' '),
    'draft share border/centre': `${s.draftShareBorder.toFixed(2)}/${s.draftShareCentre.toFixed(2)}`,
  }));
  const sets = [...new Set(prompts.map((p) => p.set))].map((set) => `${prompts.filter((p) => p.set === set).length} ${set}`);
  const rounds = runs.length / configs.length;
  const stopped = rounds < reps * prompts.length ? `; stopped by the ${minutes}-minute budget after ${rounds} of ${reps * prompts.length} prompt rounds` : '';
  return {
    adapter: runner.adapter,
    table,
    lines: [`temperature ${temperature}${topK ? `, top-k ${topK}` : ''}, ${prompts.length} prompts (${sets.join(', ')}) × ${reps} seeds, configs interleaved${stopped}`],
    data: { browser: runner.platform, cores: runner.cores, temperature, topK, reps, prompts, configs: stats, runs },
  };
}
