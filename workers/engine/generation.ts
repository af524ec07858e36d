/**
 * One text-to-image generation on loaded models: encode the prompt, decode the token grid (plain AR
 * or Hawk), and stream every step's tokens and every finished pixel row to the caller.
 */
import { NO_DEPTHS, addStepDepths } from '../../src/acceptance';
import type { GenerateEvent, GenerateSettings, GenerationSummary, TokenSource } from '../../src/types';
import type { Backend, Tensor } from '../backend/backend';
import type { Neighbourhoods } from '../decoding/acceptance';
import { decode } from '../decoding/decoder';
import { GuidedTarget } from '../decoding/guidedTarget';
import { HawkDrafter } from '../decoding/hawkDrafter';
import { guidedSequences } from '../decoding/logitsProcessing';
import { seededUniform } from '../decoding/prng';
import type { DraftModel } from '../model/draft';
import type { TargetModel } from '../model/target';

export interface DecodedRows {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export interface LoadedModels {
  backend: Backend;
  target: TargetModel;
  drafts: Partial<Record<GenerateSettings['draft'], DraftModel>>;
  /** Text prefix `[P, dim]` for a prompt (a new tensor the caller releases). */
  encodePrompt(prompt: string): Tensor;
  /** The unconditional prefix `[P, dim]` for classifier-free guidance (owned by the models). */
  nullPrefix: Tensor;
  /** Latent neighbourhoods of the VQ codes, for relaxed acceptance. */
  neighbourhoods?: Neighbourhoods;
  /** Pixels of the first `rows` token rows (the VQ decoder); absent in tests without one. */
  decodeRows?(tokens: readonly number[], rows: number): Promise<DecodedRows>;
}

export async function generateImage(
  m: LoadedModels,
  prompt: string,
  settings: GenerateSettings,
  onEvent: (e: GenerateEvent) => void,
  signal?: AbortSignal,
): Promise<GenerationSummary> {
  const cfg = m.target.cfg, W = cfg.grid;
  const sampling = { temperature: settings.temperature, topK: settings.topK, topP: settings.topP };
  const guidance = { scale: settings.cfgScale, plausibility: settings.plausibility };
  if (settings.acceptance === 'relaxed' && !m.neighbourhoods) throw new Error('Relaxed acceptance needs the VQ codebook, which is not loaded.');
  const cond = m.encodePrompt(prompt);
  const uncond = guidedSequences(guidance) === 2 ? m.nullPrefix : null;
  const draft = settings.n > 0 ? m.drafts[settings.draft] : undefined;
  if (settings.n > 0 && !draft) throw new Error(`The ${settings.draft} draft model is not loaded; set the speculation length to 0 for plain decoding.`);
  const drafter = draft
    ? new HawkDrafter(draft, { n: settings.n, vsd: settings.vsd, width: settings.treeWidth, sampling, guidance }, seededUniform(settings.seed ^ 0x9e3779b9))
    : null;
  drafter?.start(cond, uncond);

  const started = performance.now();
  const sources: TokenSource[] = [];
  let depths = NO_DEPTHS;
  let targetForwards = 0, rowsShown = 0, draftMs = 0, decodeMs = 0;
  let committed: number[] = [];
  // Row decodes run one after another, off the decoding loop's critical path until the end.
  let pending: Promise<void> = Promise.resolve();
  try {
    const tokens = await decode(new GuidedTarget(m.target, guidance), cond, uncond, {
      sampling, seed: settings.seed, length: W * W, drafter, n: drafter ? settings.n : 0, adaptive: settings.autoSpeculation, signal,
      relaxed: settings.acceptance === 'relaxed' ? m.neighbourhoods : undefined,
      onStep: (s) => {
        targetForwards += s.targetForwards;
        draftMs += s.draftMs;
        sources.push(...s.sources);
        committed = [...committed, ...s.tokens];
        depths = addStepDepths(depths, s);
        onEvent({
          kind: 'step', first: s.first, tokens: s.tokens, sources: s.sources, drafted: s.drafted, accepted: s.accepted,
          n: s.n, acceptedDepths: s.acceptedDepths, elapsedMs: performance.now() - started, stepMs: s.ms, draftMs: s.draftMs, targetForwards,
        });
        const rows = Math.floor(committed.length / W);
        if (m.decodeRows && rows > rowsShown) {
          rowsShown = rows;
          pending = pending.then(async () => {
            const t0 = performance.now();
            const img = await m.decodeRows!(committed.slice(0, rows * W), rows);
            decodeMs += performance.now() - t0;
            onEvent({ kind: 'rows', y: 0, height: img.height, width: img.width, rgba: img.rgba });
          });
        }
      },
    });
    const lastToken = performance.now();
    await pending;
    return {
      prompt, settings, backend: m.backend.name, tokens, sources, totalMs: performance.now() - started, draftMs, decodeMs, decodeTailMs: performance.now() - lastToken, targetForwards,
      tokensPerForward: tokens.length / targetForwards, acceptedByDepth: depths.accepted, draftedByDepth: depths.drafted,
    };
  } catch (err) {
    // Rows of a failed attempt must not reach the caller after it hears of the failure (and maybe retries).
    await pending.catch(() => {});
    throw err;
  } finally {
    m.backend.release(cond);
  }
}
