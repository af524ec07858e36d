/** Binds shaders/argmax.wgsl: first index of the maximum of each row. */
import code from '../../../../shaders/argmax.wgsl?raw';
import { expectShape } from '../../backend';
import type { GpuRuntime, GpuTensor } from '../gpuRuntime';
import { dispatchPerRow, withRowReduce } from './rowReduce';

const shader = withRowReduce(code);

export function argmax(rt: GpuRuntime, x: GpuTensor): GpuTensor {
  const [M, V] = x.shape;
  expectShape('argmax x', x.shape, [M, V]);
  if (V < 1) throw new Error('argmax: rows are empty');
  const out = rt.output([M], 'u32');
  dispatchPerRow(rt, M, { label: 'argmax', code: shader, params: [M, V], buffers: [x.buffer, out.buffer] });
  return out;
}
