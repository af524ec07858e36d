/**
 * The TS target against PyTorch on the fixtures of `python -m training.fixtures` (tiny random
 * model, f16 weights): logits and last hidden states (before the final norm) == golden on the
 * CPU oracle, WebGPU == CPU, and text encoder → target end to end. The draft section of
 * golden.json is there for the draft parity test.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Tensor } from '../workers/backend/backend';
import type { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { parseSafetensors } from '../workers/model/safetensors';
import { type TargetConfig, TargetModel, uploadTargetWeights } from '../workers/model/target';
import { TextEncoder, type TextConfig, uploadTextWeights } from '../workers/model/textEncoder';
import { causalMask, positions } from './sequenceInputs';
import { cpu, diff, errorTable, gpuBackend, record } from './harness';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const weights = (name: string) => { const b = fixture(name); return parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };

interface Golden {
  text: { config: Record<string, number>; prompts: { word_ids: number[] }[] };
  target: { config: Record<string, number>; prefix: number[][]; tokens: number[]; logits: number[][]; hidden: number[][] };
}
const golden = JSON.parse(fixture('golden.json').toString()) as Golden;
const g = golden.target;
const tc = g.config;
const cfg: TargetConfig = {
  dim: tc.dim, nLayers: tc.n_layers, nHeads: tc.n_heads, hidden: tc.hidden, vocab: tc.vocab, grid: tc.grid,
  prefixLen: tc.prefix_len, ropeBase: tc.rope_base, normEps: tc.norm_eps,
};
const xc = golden.text.config;
const textCfg: TextConfig = {
  dim: xc.dim, nLayers: xc.n_layers, nHeads: xc.n_heads, hidden: xc.hidden, prefixLen: xc.prefix_len,
  maxWords: xc.max_words, wordDim: xc.word_dim, vocabSize: xc.vocab_size, normEps: xc.norm_eps,
};
const P = cfg.prefixLen;
const N = g.tokens.length;


/**
 * PyTorch's teacher-forced pass: prefix, then tokens[0..N-2] in one verification call. Returns the
 * N rows at sequence indices P-1 … P+N-2 (row j predicts tokens[j]) of logits and hidden.
 */
async function targetRows(b: Backend, prefix: Tensor): Promise<{ logits: Float32Array; hidden: Float32Array }> {
  const model = new TargetModel(b, cfg, uploadTargetWeights(b, cfg, weights('target.safetensors')));
  const cache = model.newCache();
  const first = model.forward(cache, prefix, 0, positions(b, cfg, 0, P), causalMask(b, 0, P));
  const x = model.embed(b.upload(Uint32Array.from(g.tokens.slice(0, N - 1)), [N - 1]));
  const rest = model.forward(cache, x, P, positions(b, cfg, P, N - 1), causalMask(b, P, N - 1));
  const rows = async (a: Tensor, c: Tensor, width: number) =>
    Float32Array.from([...((await b.read(a)) as Float32Array).subarray((P - 1) * width), ...((await b.read(c)) as Float32Array)]);
  return { logits: await rows(first.logits, rest.logits, cfg.vocab), hidden: await rows(first.hidden, rest.hidden, cfg.dim) };
}

const goldenPrefix = (b: Backend) => b.upload(Float32Array.from(g.prefix.flat()), [P, cfg.dim]);

afterAll(() => {
  console.log(`parity max abs error:\n${[...errorTable].map(([k, e]) => `  ${k.padEnd(32)} ${e.toExponential(2)}`).join('\n')}`);
});

describe('target parity with PyTorch', () => {
  it('CPU logits and hidden states equal the golden ones', async () => {
    const { logits, hidden } = await targetRows(cpu, goldenPrefix(cpu));
    const dl = diff(logits, g.logits.flat()), dh = diff(hidden, g.hidden.flat());
    record('target logits CPU vs PyTorch', dl);
    record('target hidden CPU vs PyTorch', dh);
    expect(dl.maxAbs).toBeLessThan(1e-4);
    expect(dh.maxAbs).toBeLessThan(1e-4);
  });

  it('text encoder prefix → target, end to end (the golden prefix is prompt 0\'s)', async () => {
    const enc = new TextEncoder(cpu, textCfg, uploadTextWeights(cpu, textCfg, weights('text.safetensors')));
    const { logits } = await targetRows(cpu, enc.encode(golden.text.prompts[0].word_ids));
    const d = diff(logits, g.logits.flat());
    record('text→target logits CPU vs PyTorch', d);
    expect(d.maxAbs).toBeLessThan(1e-4);
  });

  describe('on WebGPU', () => {
    let gpu: WebGpuBackend;
    beforeAll(async () => { gpu = await gpuBackend(); });
    afterAll(() => gpu.destroy());

    it('equals the CPU oracle', async () => {
      const onCpu = await targetRows(cpu, goldenPrefix(cpu));
      const onGpu = await targetRows(gpu, goldenPrefix(gpu));
      const dl = diff(onGpu.logits, onCpu.logits), dh = diff(onGpu.hidden, onCpu.hidden);
      record('target logits WebGPU vs CPU', dl);
      record('target hidden WebGPU vs CPU', dh);
      record('target logits WebGPU vs PyTorch', diff(onGpu.logits, g.logits.flat()));
      expect(dl.maxAbs).toBeLessThan(1e-3);
      expect(dh.maxAbs).toBeLessThan(1e-3);
    });
  });
});
