/**
 * Tokenizer and text encoder against PyTorch (tests/fixtures, made by `python -m training.fixtures`
 * from f16 weights): CPU forward == golden prefix, WebGPU == CPU.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../workers/backend/backend';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { parseSafetensors } from '../workers/model/safetensors';
import { PAD, TextEncoder, type TextConfig, WordTokenizer, promptWords, uploadTextWeights } from '../workers/model/textEncoder';
import { cpu, diff, errorTable, gpuBackend, record } from './harness';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
interface GoldenText {
  config: { dim: number; n_layers: number; n_heads: number; hidden: number; prefix_len: number; max_words: number; norm_eps: number; word_dim: number; vocab_size: number };
  prompts: { prompt: string; words: string[]; word_ids: number[]; prefix: number[][] }[];
  tokenizer: { prompt: string; word_ids: number[] }[];
  null_prefix: number[][];
}
const golden = (JSON.parse(fixture('golden.json').toString()) as { text: GoldenText }).text;
const vocab = JSON.parse(fixture('vocab.json').toString()) as string[];
const c = golden.config;
const cfg: TextConfig = {
  dim: c.dim, nLayers: c.n_layers, nHeads: c.n_heads, hidden: c.hidden, prefixLen: c.prefix_len,
  maxWords: c.max_words, wordDim: c.word_dim, vocabSize: c.vocab_size, normEps: c.norm_eps,
};
const raw = () => { const b = fixture('text.safetensors'); return parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };
const tokenizer = new WordTokenizer(vocab, cfg.maxWords);

async function prefixOf(b: Backend, enc: TextEncoder, ids: number[]): Promise<Float32Array> {
  const t = enc.encode(ids);
  const out = (await b.read(t)) as Float32Array;
  b.release(t);
  return out;
}

afterAll(() => {
  console.log(`text encoder max abs error:\n${[...errorTable].map(([k, e]) => `  ${k.padEnd(26)} ${e.toExponential(2)}`).join('\n')}`);
});

describe('word tokenizer', () => {
  it('matches training/text.py on every golden prompt', () => {
    for (const p of [...golden.prompts, ...golden.tokenizer]) expect(tokenizer.encode(p.prompt), p.prompt).toEqual(p.word_ids);
    for (const p of golden.prompts) expect(promptWords(p.prompt)).toEqual(p.words);
  });

  it('gives zero words for emoji-only and non-Latin prompts', () => {
    expect(tokenizer.encode('😀🎉 東京')).toEqual([]);
  });
});

describe('text encoder', () => {
  const enc = new TextEncoder(cpu, cfg, uploadTextWeights(cpu, cfg, raw()));

  it('CPU prefix equals PyTorch (incl. the empty prompt and unknown words)', async () => {
    for (const p of golden.prompts) {
      const d = diff(await prefixOf(cpu, enc, p.word_ids), p.prefix.flat());
      record('text encoder vs PyTorch', d);
      expect(d.maxAbs, p.prompt).toBeLessThan(1e-4);
    }
  });

  it('null prefix is the stored one', async () => {
    expect(diff((await cpu.read(enc.nullPrefix)) as Float32Array, golden.null_prefix.flat()).maxAbs).toBeLessThan(1e-6);
  });

  it('padding ids are masked out like a padded batch row', async () => {
    const ids = golden.prompts[0].word_ids;
    const padded = await prefixOf(cpu, enc, [...ids, PAD, PAD]);
    expect(diff(padded, golden.prompts[0].prefix.flat()).maxAbs).toBeLessThan(1e-4);
  });

  it('rejects more than maxWords ids and weights of the wrong shape', () => {
    expect(() => enc.encode(new Array(cfg.maxWords + 1).fill(2))).toThrow(/at most/);
    const bad = raw();
    bad.set('wkv.weight', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
    expect(() => uploadTextWeights(cpu, cfg, bad)).toThrow(/wkv.weight has shape \[3\]/);
  });

  describe('on WebGPU', () => {
    let gpu: WebGpuBackend;
    beforeAll(async () => { gpu = await gpuBackend(); });
    afterAll(() => gpu.destroy());

    it('equals the CPU oracle', async () => {
      const onGpu = new TextEncoder(gpu, cfg, uploadTextWeights(gpu, cfg, raw()));
      for (const p of golden.prompts) {
        const d = diff(await prefixOf(gpu, onGpu, p.word_ids), await prefixOf(cpu, enc, p.word_ids));
        record('text encoder', d);
        expect(d.maxAbs, p.prompt).toBeLessThan(1e-3);
      }
    });
  });
});
