/**
 * The shipped model (public/models/hawk-emoji) on the CPU backend equals PyTorch's golden outputs
 * (training/export.py, computed from the same f16 files): word ids, text prefixes, conditional,
 * unconditional and guided logits, through the engine's own loading path (manifest → configs).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GuidedTarget } from '../workers/decoding/guidedTarget';
import { targetConfigOf } from '../workers/engine/modelConfig';
import { parseSafetensors } from '../workers/model/safetensors';
import { TargetModel, uploadTargetWeights } from '../workers/model/target';
import { TextEncoder, WordTokenizer, uploadTextWeights } from '../workers/model/textEncoder';
import { cpu, diff } from './harness';

const dir = new URL('../public/models/hawk-emoji/', import.meta.url);
const json = (name: string) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const tensors = (name: string) => parseSafetensors(readFileSync(new URL(name, dir)).buffer as ArrayBuffer);
const manifest = json('manifest.json');
const golden = json('golden.json');

const targetCfg = targetConfigOf(manifest);
const t = manifest.text_encoder;
const textCfg = { dim: t.dim, nLayers: t.n_layers, nHeads: t.n_heads, hidden: t.hidden, prefixLen: t.prefix_len, maxWords: t.max_words, wordDim: t.word_dim, vocabSize: t.vocab_size, normEps: t.norm_eps };
const text = new TextEncoder(cpu, textCfg, uploadTextWeights(cpu, textCfg, tensors(t.weights)));
const tokenizer = new WordTokenizer(json(t.vocab), textCfg.maxWords);
const target = new TargetModel(cpu, targetCfg, uploadTargetWeights(cpu, targetCfg, tensors(manifest.target.weights)));
const V = targetCfg.vocab, P = targetCfg.prefixLen;
const head = (row: Float32Array, n: number) => Array.from(row.subarray(0, n));

/** Logits rows predicting each image token 0 … fixed.length (cond and uncond batched under CFG scale s). */
async function logitRows(prefixCond: import('../workers/backend/backend').Tensor, prefixUncond: import('../workers/backend/backend').Tensor | null, s: number) {
  const guided = new GuidedTarget(target, { scale: s, plausibility: 0 }); // golden.json: guidance without the cut
  const first = await guided.prefill(prefixCond, prefixUncond);
  const fixed: number[] = golden.fixed_tokens;
  const rest = await guided.score(fixed, fixed.map((_, i) => i), P, (i, j) => j <= i);
  return (j: number) => (j === 0 ? first.logits : rest.logits.subarray((j - 1) * V, j * V));
}

describe('shipped model parity with PyTorch', () => {
  for (const [i, g] of (golden.prompts as { prompt: string; word_ids: number[]; prefix: number[][]; logits_cond: number[][]; logits_guided: number[][] }[]).entries()) {
    it(`prompt ${i}: "${g.prompt}"`, async () => {
      const ids = tokenizer.encode(g.prompt);
      expect(ids).toEqual(g.word_ids);
      const prefix = text.encode(ids);
      const values = (await cpu.read(prefix)) as Float32Array;
      const firstValues = Array.from({ length: P }, (_, p) => head(values.subarray(p * textCfg.dim), golden.values_per_vector));
      expect(diff(firstValues.flat(), g.prefix.flat()).maxAbs, 'prefix').toBeLessThan(1e-4);
      const cond = await logitRows(prefix, null, 1);
      const guided = await logitRows(prefix, text.nullPrefix, golden.cfg_scale ?? manifest.cfg.default_scale);
      (golden.logit_rows as number[]).forEach((j, r) => {
        expect(diff(head(cond(j), golden.values_per_logits), g.logits_cond[r]).maxAbs, `cond logits row ${j}`).toBeLessThan(1e-4);
        expect(diff(head(guided(j), golden.values_per_logits), g.logits_guided[r]).maxAbs, `guided logits row ${j}`).toBeLessThan(1e-4);
      });
    }, 60_000);
  }
});
