/**
 * The target forward on the Backend interface: step-by-step decoding and one batched verification
 * pass give the same logits (the KV cache and mask logic), and WebGPU equals the CPU oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../workers/backend/backend';
import { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { TargetModel, uploadTargetWeights } from '../workers/model/target';
import { tinyConfig, tinyWeights } from './tinyTarget';
import { causalMask, positions } from './sequenceInputs';
import { cpu, diff, gpuBackend, randomF32, record } from './harness';

const cfg = tinyConfig;
const randomWeights = () => tinyWeights();

const tokens = [5, 17, 3, 39, 0, 22];



/** Prefix of P random vectors, then the image tokens one call each; returns every logits row. */
async function stepwise(b: Backend, model: TargetModel): Promise<Float32Array[]> {
  const cache = model.newCache();
  const prefix = b.upload(randomF32(cfg.prefixLen * cfg.dim, 77), [cfg.prefixLen, cfg.dim]);
  const rows = [(await b.read(model.forward(cache, prefix, 0, positions(b, cfg, 0, cfg.prefixLen), causalMask(b, 0, cfg.prefixLen)).logits)) as Float32Array];
  for (let i = 0; i < tokens.length; i++) {
    const start = cfg.prefixLen + i;
    const x = model.embed(b.upload(Uint32Array.of(tokens[i]), [1]));
    rows.push((await b.read(model.forward(cache, x, start, positions(b, cfg, start, 1), causalMask(b, start, 1)).logits)) as Float32Array);
  }
  return rows;
}

/** The same sequence with all image tokens verified in one forward pass. */
async function batched(b: Backend, model: TargetModel): Promise<Float32Array> {
  const cache = model.newCache();
  const P = cfg.prefixLen;
  const prefix = b.upload(randomF32(P * cfg.dim, 77), [P, cfg.dim]);
  const first = model.forward(cache, prefix, 0, positions(b, cfg, 0, P), causalMask(b, 0, P));
  const x = model.embed(b.upload(Uint32Array.from(tokens), [tokens.length]));
  const { logits } = model.forward(cache, x, P, positions(b, cfg, P, tokens.length), causalMask(b, P, tokens.length));
  const head = (await b.read(first.logits)) as Float32Array;
  const rest = (await b.read(logits)) as Float32Array;
  return Float32Array.from([...head.subarray((P - 1) * cfg.vocab), ...rest]);
}

describe('target forward', () => {
  it('one batched verification pass equals step-by-step decoding (CPU)', async () => {
    const model = new TargetModel(cpu, cfg, uploadTargetWeights(cpu, cfg, randomWeights()));
    const steps = await stepwise(cpu, model);
    const stepRows = Float32Array.from([...steps[0].subarray((cfg.prefixLen - 1) * cfg.vocab), ...steps.slice(1).flatMap((r) => [...r])]);
    expect(diff(await batched(cpu, model), stepRows).maxAbs).toBeLessThan(1e-4);
  });

  it('rejects weights of the wrong shape with the tensor name', () => {
    const raw = randomWeights();
    raw.set('norm.weight', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
    expect(() => uploadTargetWeights(cpu, cfg, raw)).toThrow(/norm.weight has shape \[3\]/);
  });

  describe('on WebGPU', () => {
    let gpu: WebGpuBackend;
    beforeAll(async () => { gpu = await gpuBackend(); });
    afterAll(() => gpu.destroy());

    it('equals the CPU oracle (f16 weights, prefill + batched verification)', async () => {
      const raw = randomWeights();
      const onCpu = await batched(cpu, new TargetModel(cpu, cfg, uploadTargetWeights(cpu, cfg, raw)));
      const onGpu = await batched(gpu, new TargetModel(gpu, cfg, uploadTargetWeights(gpu, cfg, raw)));
      const d = diff(onGpu, onCpu);
      record('target forward', d);
      expect(d.maxAbs).toBeLessThan(1e-3);
    });
  });
});

describe('f16 weights widened at upload (CPU-emulated adapters)', () => {
  it('gives exactly the logits of the packed-f16 kernels', async () => {
    const packed = await gpuBackend();
    const widened = new WebGpuBackend(packed.runtime.device, true);
    const a = await batched(packed, new TargetModel(packed, cfg, uploadTargetWeights(packed, cfg, randomWeights())));
    const b = await batched(widened, new TargetModel(widened, cfg, uploadTargetWeights(widened, cfg, randomWeights())));
    expect(diff(a, b).maxAbs).toBeLessThan(1e-5);
    packed.destroy();
  });
});
