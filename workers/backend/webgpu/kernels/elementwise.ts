/** Binds shaders/elementwise.wgsl: residual add, SiLU, SwiGLU on a fused gate|up tensor. */
import code from '../../../../shaders/elementwise.wgsl?raw';
import { expectShape, numel } from '../../backend';
import { type GpuRuntime, type GpuTensor, flatGrid } from '../gpuRuntime';

function run(rt: GpuRuntime, entryPoint: string, out: GpuTensor, a: GpuTensor, b: GpuTensor | null, cols: number): GpuTensor {
  const n = numel(out.shape);
  const grid = flatGrid(n, 256);
  rt.dispatch({
    label: 'elementwise',
    code,
    entryPoint,
    params: [n, cols, grid.stride],
    buffers: [a.buffer, b?.buffer ?? null, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}

export function add(rt: GpuRuntime, a: GpuTensor, b: GpuTensor): GpuTensor {
  expectShape('add', b.shape, [...a.shape]);
  return run(rt, 'add', rt.output(a.shape), a, b, 0);
}

export function silu(rt: GpuRuntime, x: GpuTensor): GpuTensor {
  return run(rt, 'silu', rt.output(x.shape), x, null, 0);
}

export function swiglu(rt: GpuRuntime, gateUp: GpuTensor): GpuTensor {
  const [M, F2] = gateUp.shape;
  if (F2 % 2) throw new Error(`swiglu: last dim ${F2} is odd`);
  return run(rt, 'swiglu', rt.output([M, F2 / 2]), gateUp, null, F2 / 2);
}
