/** Binds shaders/softmax.wgsl: softmax(logits / T) per row, restricted to the top k (ties kept). */
import code from '../../../../shaders/softmax.wgsl?raw';
import { expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, f32 } from '../gpuRuntime';
import { dispatchPerRow, withRowReduce } from './rowReduce';

const shader = withRowReduce(code);

export function softmax(rt: GpuRuntime, logits: GpuTensor, temperature: number, topK: number): GpuTensor {
  const [M, V] = logits.shape;
  expectShape('softmax logits', logits.shape, [M, V]);
  if (!(temperature > 0)) throw new Error(`softmax: temperature must be > 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`softmax: topK must be an integer ≥ 0, got ${topK}`);
  const out = rt.output([M, V]);
  // k ≥ V keeps every value, like k = 0: skip the selection passes.
  dispatchPerRow(rt, M, { label: 'softmax', code: shader, params: [M, V, topK >= V ? 0 : topK, f32(temperature)], buffers: [logits.buffer, out.buffer] });
  return out;
}
