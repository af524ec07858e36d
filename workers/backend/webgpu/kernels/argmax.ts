/** Binds shaders/argmax.wgsl: first index of the maximum of each row. */
import code from '../../../../shaders/argmax.wgsl?raw';
import { expectShape } from '../../backend';
import type { GpuRuntime, GpuTensor } from '../gpuRuntime';
import { rowConfig, rowGrid, withRowReduce } from './rowReduce';

const shader = withRowReduce(code);

export function argmax(rt: GpuRuntime, x: GpuTensor): GpuTensor {
  const [M, V] = x.shape;
  expectShape('argmax x', x.shape, [M, V]);
  if (V < 1) throw new Error('argmax: rows are empty');
  const out = rt.output([M], 'u32');
  const grid = rowGrid(M);
  rt.dispatch({
    label: 'argmax',
    code: shader,
    constants: { WG: rowConfig(rt).workgroupSize },
    params: [M, V, grid.stride],
    buffers: [x.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
