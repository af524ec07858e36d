/** Binds shaders/rope2d.wgsl: 2D rotary embedding, first half of each head by row, second by col. */
import code from '../../../../shaders/rope2d.wgsl?raw';
import { expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, f32, flatGrid } from '../gpuRuntime';

export function rope2d(rt: GpuRuntime, x: GpuTensor, pos: GpuTensor, heads: number, base: number): GpuTensor {
  const [M, C] = x.shape;
  expectShape('rope2d x', x.shape, [M, C]);
  expectShape('rope2d pos', pos.shape, [M, 2]);
  if (pos.dtype !== 'u32') throw new Error(`rope2d: pos must be u32, got ${pos.dtype}`);
  const Dh = C / heads;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(Dh)) throw new Error(`rope2d: ${C} columns do not split into ${heads} heads`);
  // Each half rotates whole pairs: Dh/2 must be even.
  if (Dh % 4) throw new Error(`rope2d: head dim ${Dh} must be a multiple of 4`);
  if (!(base > 0)) throw new Error(`rope2d: base must be > 0, got ${base}`);
  const out = rt.output([M, C]);
  const pairs = (M * C) / 2;
  const grid = flatGrid(pairs, 256);
  rt.dispatch({
    label: 'rope2d',
    code,
    params: [pairs, C, Dh, f32(Math.log2(base)), grid.stride],
    buffers: [x.buffer, pos.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
