/**
 * Where a speculative step's time goes, in Node on the shipped models (npm `webgpu`): for each speculation length n,
 * the median time of one decoding step of
 *   - plain AR (one token per target forward),
 *   - verification only: a drafter that costs nothing on the device (it proposes the last token n times from the
 *     host, with a one-hot q so that sampling stays lossless), i.e. the target verifying n drafted tokens,
 *   - Hawk: the shipped Hawk draft (VSD 0, chain), drafting on the device in the same submit,
 * so that verification's cost = (verification only − AR) and the draft's = (Hawk − verification only).
 *
 *   npm run bench:steps -- n=1,2,4 reps=3 tokens=96 temperature=1 prompt="red apple, fluent"
 *
 * The first 8 steps of every run are warm-up and not counted; runs are interleaved per repeat. Prints a table.
 */
import { availableParallelism } from 'node:os';
import { type Drafter, decode } from '../workers/decoding/decoder';
import { GuidedTarget } from '../workers/decoding/guidedTarget';
import { HawkDrafter } from '../workers/decoding/hawkDrafter';
import type { SamplingSettings } from '../workers/decoding/logitsProcessing';
import { seededUniform } from '../workers/decoding/prng';
import type { LoadedModels } from '../workers/engine/generation';
import { DEFAULT_SETTINGS } from '../src/settings';
import { backendOf, commandLineOptions, shippedModels } from './node/shipped';

const args = commandLineOptions();
const WARM_UP = 8;
/** The app's guidance (scale and plausibility cut). */
const GUIDANCE = { scale: DEFAULT_SETTINGS.cfgScale, plausibility: DEFAULT_SETTINGS.plausibility };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A difference in ms with its sign ("+13.5", "-2.0"). */
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;

/** Proposes the last committed token at every offset, from the host: verification with no draft work. */
function repeatLastToken(depth: number, vocab: number): Drafter {
  return {
    propose: async (req) => {
      const token = req.tokens[req.tokens.length - 1];
      const q = new Float32Array(vocab);
      q[token] = 1;
      return { candidates: Array.from({ length: Math.min(depth, req.maxDepth) }, () => [{ token, q, source: 'horizontal' as const }]) };
    },
  };
}

/** Step times (ms) after the warm-up, and tokens per step, of one decode of `tokens` tokens. */
async function timeSteps(m: LoadedModels, drafter: Drafter | null, n: number, tokens: number, sampling: SamplingSettings, prompt: string): Promise<{ ms: number[]; perStep: number }> {
  const cond = m.encodePrompt(prompt);
  if (drafter instanceof HawkDrafter) drafter.start(cond, m.nullPrefix);
  const ms: number[] = [];
  let steps = 0;
  await decode(new GuidedTarget(m.target, GUIDANCE), cond, m.nullPrefix, {
    sampling, seed: 1, length: tokens, drafter, n,
    onStep: (s) => { if (steps++ >= WARM_UP) ms.push(s.ms); },
  });
  m.backend.release(cond);
  return { ms, perStep: tokens / steps };
}

async function main(): Promise<number> {
  const ns = (args.get('n') ?? '1,2,4').split(',').map(Number);
  const reps = Number(args.get('reps') ?? 3), tokens = Number(args.get('tokens') ?? 96);
  const temperature = Number(args.get('temperature') ?? 1), prompt = args.get('prompt') ?? 'red apple, fluent';
  if (ns.some((n) => !(n >= 1 && n <= 8)) || !(reps >= 1) || !(tokens > WARM_UP + 8)) throw new Error('n: 1..8 each; reps ≥ 1; tokens > 16');
  const { backend, adapter } = await backendOf(args.get('backend') ?? 'webgpu');
  const m = await shippedModels(backend);
  const hawk = m.drafts.hawk;
  if (!hawk) throw new Error('the shipped models have no Hawk draft');
  const V = m.target.cfg.vocab;
  const sampling = { temperature, topK: 0, topP: 1 };
  const runs = new Map<string, { ms: number[]; perStep: number[] }>();
  const record = (key: string, r: { ms: number[]; perStep: number }) => {
    const entry = runs.get(key) ?? { ms: [], perStep: [] };
    entry.ms.push(...r.ms);
    entry.perStep.push(r.perStep);
    runs.set(key, entry);
  };
  for (let rep = 0; rep < reps; rep++) {
    record('ar', await timeSteps(m, null, 0, tokens, sampling, prompt));
    for (const n of ns) {
      record(`verify${n}`, await timeSteps(m, repeatLastToken(n, V), n, tokens, sampling, prompt));
      record(`hawk${n}`, await timeSteps(m, new HawkDrafter(hawk, { n, vsd: 0, width: 1, sampling, guidance: GUIDANCE }, seededUniform(rep)), n, tokens, sampling, prompt));
    }
    console.error(`repeat ${rep + 1}/${reps} done`);
  }
  const ar = median(runs.get('ar')!.ms);
  console.log(`\n${adapter}, ${availableParallelism()} cores; "${prompt}", ${tokens} tokens, temperature ${temperature}, CFG ${GUIDANCE.scale} (cut ${GUIDANCE.plausibility}), ${reps} repeats; median ms per step`);
  console.table(ns.map((n) => {
    const verify = median(runs.get(`verify${n}`)!.ms), h = runs.get(`hawk${n}`)!, step = median(h.ms);
    return {
      n, 'AR step': ar.toFixed(1), 'verify only': verify.toFixed(1), 'verification cost': `${signed(verify - ar)} (${((verify / ar - 1) * 100).toFixed(0)} %)`,
      'Hawk step': step.toFixed(1), 'draft cost': `${signed(step - verify)} (${(((step - verify) / ar) * 100).toFixed(0)} % of AR)`,
      'Hawk tokens/step': median(h.perStep).toFixed(2),
    };
  }));
  return 0;
}

// Dawn keeps the process alive: exit explicitly.
main().then((code) => process.exit(code), (e: unknown) => { console.error(e); process.exit(1); });
