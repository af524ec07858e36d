/** Binds shaders/softmax.wgsl: softmax(logits / T) per row, restricted to the top k (ties kept). */
import code from '../../../../shaders/softmax.wgsl?raw';
import { expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, f32 } from '../gpuRuntime';
import { rowConfig, rowGrid, withRowReduce } from './rowReduce';

const shader = withRowReduce(code);

export function softmax(rt: GpuRuntime, logits: GpuTensor, temperature: number, topK: number): GpuTensor {
  const [M, V] = logits.shape;
  expectShape('softmax logits', logits.shape, [M, V]);
  if (!(temperature > 0)) throw new Error(`softmax: temperature must be > 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`softmax: topK must be an integer ≥ 0, got ${topK}`);
  const out = rt.output([M, V]);
  const grid = rowGrid(M);
  rt.dispatch({
    label: 'softmax',
    code: shader,
    // k ≥ V keeps every value, like k = 0: skip the selection passes.
    constants: { WG: rowConfig(rt).workgroupSize },
    params: [M, V, topK >= V ? 0 : topK, f32(temperature), grid.stride],
    buffers: [logits.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
