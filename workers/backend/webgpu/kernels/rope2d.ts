/**
 * Binds shaders/rope2d.wgsl: 2D rotary embedding, first half of each head by row, second by col;
 * and the fused q | k | v step of a block (rotate, split, append K/V to the caches).
 */
import code from '../../../../shaders/rope2d.wgsl?raw';
import { expectShape, writeRowsPlan } from '../../backend';
import { type GpuRuntime, type GpuTensor, f32, flatGrid } from '../gpuRuntime';

/** Checks the shapes both entry points share; returns the head dim. */
function check(what: string, rows: number, C: number, pos: GpuTensor | null, heads: number, base: number): number {
  if (pos) {
    expectShape(`${what} pos`, pos.shape, [rows, 2]);
    if (pos.dtype !== 'u32') throw new Error(`${what}: pos must be u32, got ${pos.dtype}`);
  }
  const Dh = C / heads;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(Dh)) throw new Error(`${what}: ${C} columns do not split into ${heads} heads`);
  // Each half rotates whole pairs: Dh/2 must be even.
  if (Dh % 4) throw new Error(`${what}: head dim ${Dh} must be a multiple of 4`);
  if (pos && !(base > 0)) throw new Error(`${what}: base must be > 0, got ${base}`);
  return Dh;
}

export function rope2d(rt: GpuRuntime, x: GpuTensor, pos: GpuTensor, heads: number, base: number): GpuTensor {
  const [M, C] = x.shape;
  expectShape('rope2d x', x.shape, [M, C]);
  const Dh = check('rope2d', M, C, pos, heads, base);
  const out = rt.output([M, C]);
  const pairs = (M * C) / 2;
  const grid = flatGrid(pairs, 256);
  rt.dispatch({
    label: 'rope2d',
    code,
    params: [pairs, C, Dh, f32(Math.log2(base)), grid.stride, 0, 0, 0],
    buffers: [x.buffer, pos.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}

/** `Backend.qkvRope`: one dispatch for the q | k | v step of a block. */
export function qkvRope(rt: GpuRuntime, qkv: GpuTensor, pos: GpuTensor | null, heads: number, base: number, kCache: GpuTensor, vCache: GpuTensor, start: number, batch = 1): GpuTensor {
  const [R, C3] = qkv.shape;
  expectShape('qkvRope qkv', qkv.shape, [R, C3]);
  const C = C3 / 3;
  if (!Number.isInteger(C)) throw new Error(`qkvRope: ${C3} columns are not q | k | v`);
  const Dh = check('qkvRope', R, C, pos, heads, base);
  const [{ rows }] = writeRowsPlan(kCache.shape, [R, C], start, batch); // validates the cache slots
  expectShape('qkvRope vCache', vCache.shape, [...kCache.shape]);
  const out = rt.output([R, C]);
  const pairs = (R * C3) / 2;
  const grid = flatGrid(pairs, 256);
  rt.dispatch({
    label: 'qkvRope',
    code,
    entryPoint: 'qkv_rope',
    constants: { ROTATE: pos ? 1 : 0 },
    params: [pairs, C, Dh, f32(Math.log2(base)), grid.stride, rows, kCache.shape[0] / batch, start],
    // Without pos the shader never reads binding 2, but `layout: 'auto'` still declares it: bind qkv.
    buffers: [qkv.buffer, (pos ?? qkv).buffer, out.buffer, kCache.buffer, vCache.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
