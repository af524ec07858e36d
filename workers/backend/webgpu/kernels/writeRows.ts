/** Binds shaders/write_rows.wgsl: `Backend.writeRows` as one dispatch inside the step's compute pass. */
import code from '../../../../shaders/write_rows.wgsl?raw';
import { writeRowsPlan } from '../../backend';
import { type GpuRuntime, type GpuTensor, flatGrid } from '../gpuRuntime';

export function writeRows(rt: GpuRuntime, dst: GpuTensor, src: GpuTensor, offset: number, batch: number): void {
  const [{ rows, cols }] = writeRowsPlan(dst.shape, src.shape, offset, batch); // validates the call
  if (dst.dtype !== 'f32' || src.dtype !== 'f32') throw new Error(`writeRows: f32 tensors only, got ${src.dtype} → ${dst.dtype}`);
  const n = batch * rows * cols;
  if (n === 0) return;
  const grid = flatGrid(n, 256);
  rt.dispatch({
    label: 'writeRows',
    code,
    params: [n, cols, rows, dst.shape[0] / batch, offset, grid.stride],
    buffers: [src.buffer, dst.buffer],
    workgroups: grid.workgroups,
  });
}
