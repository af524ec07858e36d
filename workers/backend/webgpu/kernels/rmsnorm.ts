/** Binds shaders/rmsnorm.wgsl: RMSNorm over the last dim with an f32 or f16 weight. */
import code from '../../../../shaders/rmsnorm.wgsl?raw';
import { expectShape } from '../../backend';
import { type GpuRuntime, type GpuTensor, f32, flatGrid } from '../gpuRuntime';
import { rowConfig, rowGrid, withRowReduce } from './rowReduce';
import { weightConstants, withWeights } from './weights';

const shader = withWeights(withRowReduce(code));

export function rmsnorm(rt: GpuRuntime, x: GpuTensor, weight: GpuTensor, eps: number): GpuTensor {
  const [M, D] = x.shape;
  expectShape('rmsnorm x', x.shape, [M, D]);
  expectShape('rmsnorm weight', weight.shape, [D]);
  const out = rt.output([M, D]);
  // Barrier-free invocations per row on CPU-emulated adapters, a workgroup per row elsewhere (rowReduce.ts).
  const config = rowConfig(rt);
  const grid = config.rmsnormPerInvocation ? flatGrid(M, 64) : rowGrid(M);
  rt.dispatch({
    label: 'rmsnorm',
    code: shader,
    entryPoint: config.rmsnormPerInvocation ? 'per_invocation' : 'per_workgroup',
    constants: { ...weightConstants(weight), WG: config.workgroupSize },
    params: [M, D, f32(eps), grid.stride],
    buffers: [x.buffer, weight.buffer, out.buffer],
    workgroups: grid.workgroups,
  });
  return out;
}
