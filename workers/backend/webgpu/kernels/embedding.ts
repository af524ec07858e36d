/**
 * Binds shaders/embedding.wgsl: gathers rows of an f32 or f16 table by u32 ids.
 * The ids live on the GPU, so unlike the CPU backend this cannot throw for an id ≥ V: such a row
 * comes out as zeros (never a read outside the table). Validate ids on the host where they are known.
 */
import code from '../../../../shaders/embedding.wgsl?raw';
import { expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, flatGrid } from '../gpuRuntime';
import { weightConstants, withWeights } from './weights';

const shader = withWeights(code);

export function embedding(rt: GpuRuntime, table: GpuTensor, ids: GpuTensor): GpuTensor {
  const [V, D] = table.shape;
  expectShape('embedding table', table.shape, [V, D]);
  const [M] = ids.shape;
  expectShape('embedding ids', ids.shape, [M]);
  if (ids.dtype !== 'u32') throw new Error(`embedding: ids must be u32, got ${ids.dtype}`);
  const out = rt.output([M, D]);
  const grid = flatGrid(M * D, 256);
  rt.dispatch({
    label: 'embedding',
    code: shader,
    constants: weightConstants(table),
    params: [M * D, D, V, grid.stride],
    buffers: [table.buffer, ids.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
