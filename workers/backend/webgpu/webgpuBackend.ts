/**
 * WebGPU backend: each operation records one (rarely two) WGSL dispatches through the runtime;
 * `read` is the only place that waits for the GPU. The kernels live in shaders/, bound by the small
 * modules in ./kernels.
 */
import type { GpuCapabilities } from '../../../src/types';
import type { Guidance } from '../../decoding/logitsProcessing';
import { type Backend, type DType, type HostData, type LocalWindow, type RowSlice, type Tensor, concatPlan, numel } from '../backend';
import { type FaultInjection, GpuRuntime, GpuTensor, bytesOf } from './gpuRuntime';
import { add, silu, swiglu } from './kernels/elementwise';
import { cfg } from './kernels/guidance';
import { matmul } from './kernels/matmul';
import { rmsnorm } from './kernels/rmsnorm';
import { qkvRope, rope2d } from './kernels/rope2d';
import { embedding } from './kernels/embedding';
import { attention, windowAttention } from './kernels/attention';
import { softmax } from './kernels/softmax';
import { argmax } from './kernels/argmax';
import { sample } from './kernels/sample';
import { f16ToF32, widenF16 } from '../f16';
import { writeRows } from './kernels/writeRows';

function gpu(t: Tensor): GpuTensor {
  if (!(t instanceof GpuTensor)) throw new Error('WebGpuBackend: tensor belongs to another backend');
  return t;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly runtime: GpuRuntime;

  /**
   * `widenWeights`: store f16 weights as f32. On CPU-emulated adapters (SwiftShader) converting
   * halves costs more instructions than the bytes it saves: f32 GEMV streams 23% more parameters per
   * second there (bench/KERNELS.md). Real GPUs are bandwidth-bound and keep f16.
   * `faults`: simulated out-of-memory errors (see GpuRuntime), shared across the worker's devices.
   */
  constructor(device: GPUDevice, readonly widenWeights = false, faults?: FaultInjection) {
    this.runtime = new GpuRuntime(device, faults);
  }

  /** The backend the app runs on this adapter: f32 weights where it is CPU-emulated (see `widenWeights`). */
  static forAdapter(device: GPUDevice, capabilities: GpuCapabilities, faults?: FaultInjection): WebGpuBackend {
    return new WebGpuBackend(device, capabilities.adapter.isFallbackAdapter, faults);
  }

  upload(data: HostData, shape: readonly number[], dtype: DType = data instanceof Uint32Array ? 'u32' : 'f32'): Tensor {
    if (data.length !== numel(shape)) throw new Error(`upload: ${data.length} values for shape [${shape.join(', ')}]`);
    if (dtype === 'f16' && !(data instanceof Uint16Array)) throw new Error('upload: f16 tensors take a Uint16Array of half bits');
    if (dtype !== 'f16' && data instanceof Uint16Array) throw new Error(`upload: a Uint16Array is only valid for f16, not ${dtype}`);
    if (dtype === 'f16' && this.widenWeights) return this.runtime.uploadTensor(widenF16(data as Uint16Array), shape, 'f32');
    const typed = dtype === 'u32' && !(data instanceof Uint32Array) ? Uint32Array.from(data) : dtype === 'f32' && !(data instanceof Float32Array) ? Float32Array.from(data) : data;
    return this.runtime.uploadTensor(typed, shape, dtype);
  }

  zeros(shape: readonly number[]): Tensor {
    return this.runtime.uploadTensor(new Float32Array(numel(shape)), shape, 'f32');
  }

  async read(t: Tensor): Promise<Float32Array | Uint32Array> {
    return (await this.readAll([t]))[0];
  }

  async readAll(ts: readonly Tensor[]): Promise<(Float32Array | Uint32Array)[]> {
    const gs = ts.map(gpu);
    const bytes = await this.runtime.readBuffers(gs.map((g) => ({ buffer: g.buffer, bytes: bytesOf(g.shape, g.dtype) })));
    return gs.map((g, i) => {
      if (g.dtype === 'u32') return new Uint32Array(bytes[i]);
      if (g.dtype === 'f32') return new Float32Array(bytes[i]);
      return Float32Array.from(new Uint16Array(bytes[i], 0, numel(g.shape)), f16ToF32);
    });
  }

  release(t: Tensor): void {
    this.runtime.release(gpu(t));
  }

  matmul(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
    return matmul(this.runtime, gpu(x), gpu(w), bias ? gpu(bias) : undefined);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return add(this.runtime, gpu(a), gpu(b));
  }

  rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor {
    return rmsnorm(this.runtime, gpu(x), gpu(weight), eps);
  }

  silu(x: Tensor): Tensor {
    return silu(this.runtime, gpu(x));
  }

  swiglu(gateUp: Tensor): Tensor {
    return swiglu(this.runtime, gpu(gateUp));
  }

  rope2d(x: Tensor, pos: Tensor, heads: number, base: number): Tensor {
    return rope2d(this.runtime, gpu(x), gpu(pos), heads, base);
  }

  qkvRope(qkv: Tensor, pos: Tensor | null, heads: number, base: number, kCache: Tensor, vCache: Tensor, start: number, batch = 1): Tensor {
    return qkvRope(this.runtime, gpu(qkv), pos ? gpu(pos) : null, heads, base, gpu(kCache), gpu(vCache), start, batch);
  }

  /** Buffer-to-buffer copies, no dispatch. */
  concat(parts: readonly RowSlice[]): Tensor {
    const plan = concatPlan(parts);
    const out = this.runtime.output(plan.shape, plan.dtype);
    let at = 0;
    parts.forEach(({ tensor }, i) => {
      const bytes = plan.rows[i].count * plan.width * 4;
      if (bytes) this.runtime.copy(gpu(tensor).buffer, plan.rows[i].from * plan.width * 4, out.buffer, at, bytes);
      at += bytes;
    });
    return out;
  }

  embedding(table: Tensor, ids: Tensor): Tensor {
    return embedding(this.runtime, gpu(table), gpu(ids));
  }

  writeRows(dst: Tensor, src: Tensor, offset: number, batch = 1): void {
    writeRows(this.runtime, gpu(dst), gpu(src), offset, batch);
  }

  attention(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, mask: Tensor, heads: number, batch = 1): Tensor {
    return attention(this.runtime, gpu(q), gpu(kCache), gpu(vCache), kvLen, gpu(mask), heads, batch);
  }

  windowAttention(q: Tensor, kCache: Tensor, vCache: Tensor, kvLen: number, qPos: Tensor, heads: number, window: LocalWindow, batch = 1): Tensor {
    return windowAttention(this.runtime, gpu(q), gpu(kCache), gpu(vCache), kvLen, gpu(qPos), heads, window, batch);
  }

  cfg(logits: Tensor, guidance: Guidance): Tensor {
    return cfg(this.runtime, gpu(logits), guidance);
  }

  softmax(logits: Tensor, temperature: number, topK: number): Tensor {
    if (!(temperature > 0)) throw new Error(`softmax: temperature must be > 0, got ${temperature}`);
    return softmax(this.runtime, gpu(logits), temperature, topK);
  }

  argmax(x: Tensor): Tensor {
    return argmax(this.runtime, gpu(x));
  }

  sample(weights: Tensor, uniforms: Tensor): Tensor {
    return sample(this.runtime, gpu(weights), gpu(uniforms));
  }

  destroy(): void {
    this.runtime.destroy();
  }
}
