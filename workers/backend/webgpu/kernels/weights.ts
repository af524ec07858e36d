/** Prepends shaders/weights.wgsl (`load_w`) to kernels that read model weights, and picks the variant. */
import weights from '../../../../shaders/weights.wgsl?raw';
import type { GpuTensor } from '../gpuRuntime';

export function withWeights(code: string): string {
  return `${weights}\n${code}`;
}

/** Override constants selecting how `load_w` reads `w`. */
export function weightConstants(w: GpuTensor): Record<string, number> {
  if (w.dtype === 'u32') throw new Error('weights must be f32 or f16, got u32');
  return { W_F16: w.dtype === 'f16' ? 1 : 0 };
}
