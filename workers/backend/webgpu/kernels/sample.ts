/** Binds shaders/sample.wgsl: one token per row by inverse-CDF sampling with a given uniform. */
import code from '../../../../shaders/sample.wgsl?raw';
import { expectShape } from '../../backend';
import type { GpuRuntime, GpuTensor } from '../gpuRuntime';
import { dispatchPerRow, withRowReduce } from './rowReduce';

const shader = withRowReduce(code);

export function sample(rt: GpuRuntime, weights: GpuTensor, uniforms: GpuTensor): GpuTensor {
  const [M, V] = weights.shape;
  expectShape('sample weights', weights.shape, [M, V]);
  expectShape('sample uniforms', uniforms.shape, [M]);
  if (weights.dtype !== 'f32' || uniforms.dtype !== 'f32') throw new Error('sample: weights and uniforms must be f32');
  const out = rt.output([M], 'u32');
  dispatchPerRow(rt, M, { label: 'sample', code: shader, params: [M, V], buffers: [weights.buffer, uniforms.buffer, out.buffer] });
  return out;
}
