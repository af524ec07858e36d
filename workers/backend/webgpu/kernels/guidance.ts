/** Binds shaders/guidance.wgsl: classifier-free guidance with the plausibility cut, one workgroup per row. */
import code from '../../../../shaders/guidance.wgsl?raw';
import { type Guidance, guidedShape, logPlausibility } from '../../../decoding/logitsProcessing';
import { type GpuRuntime, type GpuTensor, f32 } from '../gpuRuntime';
import { dispatchPerRow, withRowReduce } from './rowReduce';

const shader = withRowReduce(code);

export function cfg(rt: GpuRuntime, logits: GpuTensor, g: Guidance): GpuTensor {
  const { M, V, S } = guidedShape(logits.shape, g), lnP = logPlausibility(g.plausibility);
  const out = rt.output([M, V]);
  dispatchPerRow(rt, M, {
    label: 'guidance',
    code: shader,
    params: [M, V, S === 2 ? M * V : 0, lnP === null ? 0 : 1, f32(g.scale), f32(lnP ?? 0)],
    buffers: [logits.buffer, out.buffer],
  });
  return out;
}
