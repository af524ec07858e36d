/**
 * Records kernel dispatches into one command encoder and submits them together on `read` or
 * `flush`: a decoding step is one submit and one small readback however many kernels it runs.
 *
 * Uniform parameters of all dispatches of a submit live in one arena: each dispatch gets a
 * 256-byte slot, the whole arena is written with a single `writeBuffer` just before the submit.
 *
 * Out of memory: everything recorded between two reads (allocations, uploads, dispatches) runs
 * inside one 'out-of-memory' error scope, popped by the read that ends it, so detection costs no
 * await per buffer. A failed allocation makes that read throw `GpuOutOfMemoryError`; an exception
 * thrown by `createBuffer` (a size out of range) becomes one at once.
 */
import { type DType, type Tensor, numel } from '../backend';
import { BindGroupCache } from './bindGroupCache';
import { BufferPool } from './bufferPool';
import { PipelineCache } from './pipelineCache';

export class GpuTensor implements Tensor {
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly buffer: GPUBuffer,
    /** True for buffers owned by the pool (kernel outputs, uploads); false for caller-owned ones. */
    readonly pooled: boolean,
  ) {}

  get byteLength(): number {
    return bytesOf(this.shape, this.dtype);
  }
}

export function bytesOf(shape: readonly number[], dtype: DType): number {
  const n = numel(shape);
  return dtype === 'f16' ? Math.ceil(n / 2) * 4 : n * 4;
}

/** A uniform parameter written as f32; plain numbers are written as u32. */
export class F32 {
  constructor(readonly value: number) {}
}
export const f32 = (value: number): F32 => new F32(value);
export type Param = number | F32;

export interface Dispatch {
  /** Pipeline cache key prefix and debug label. */
  label: string;
  code: string;
  entryPoint?: string;
  constants?: Record<string, number>;
  /** Uniform struct at @binding(0), 4-byte scalars in declaration order (at most 64). */
  params: Param[];
  /** Storage buffers at @binding(1), @binding(2), … in this order; null skips a binding the entry point does not use. */
  buffers: (GPUBuffer | null)[];
  workgroups: [number, number?, number?];
}

/** The GPU could not allocate memory for the work of a step (or its uploads); the backend should be dropped. */
export class GpuOutOfMemoryError extends Error {
  override name = 'GpuOutOfMemoryError';
}

/**
 * Test hook, shared by every runtime of a worker so that it outlives a device: the next
 * `outOfMemory` scopes report out-of-memory as if the device had, whatever the device says.
 */
export interface FaultInjection {
  outOfMemory: number;
}

const SLOT_BYTES = 256;
const ARENA_SLOTS = 256;

export interface RuntimeStats {
  dispatches: number;
  submits: number;
  readbacks: number;
}

export class GpuRuntime {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly bindGroups: BindGroupCache;
  readonly stats: RuntimeStats = { dispatches: 0, submits: 0, readbacks: 0 };

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Uniform arenas: GPU buffers reused across submits, and the host copy of the current one. */
  private readonly arenas: GPUBuffer[] = [];
  private readonly arenaHost = new ArrayBuffer(SLOT_BYTES * ARENA_SLOTS);
  private arenaIndex = 0;
  private slot = 0;
  private readonly stagingFree: GPUBuffer[] = [];
  /** True while an 'out-of-memory' error scope is pushed for the work since the last read. */
  private scopeOpen = false;

  constructor(
    readonly device: GPUDevice,
    private readonly faults: FaultInjection = { outOfMemory: 0 },
  ) {
    this.pool = new BufferPool(device);
    this.pipelines = new PipelineCache(device);
    this.bindGroups = new BindGroupCache(device);
  }

  /** A new pooled tensor whose contents the next kernel will write. */
  output(shape: readonly number[], dtype: DType = 'f32'): GpuTensor {
    return new GpuTensor(shape, dtype, this.allocate(() => this.pool.acquire(bytesOf(shape, dtype), false)), true);
  }

  /** A pooled tensor filled from the host now (ordered before everything recorded but not yet submitted). */
  uploadTensor(data: ArrayBufferView, shape: readonly number[], dtype: DType): GpuTensor {
    const t = new GpuTensor(shape, dtype, this.allocate(() => this.pool.acquire(bytesOf(shape, dtype), true)), true);
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    // writeBuffer wants a multiple of 4 bytes: an odd count of halves gets one zero half of padding.
    if (bytes.byteLength % 4) {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      this.device.queue.writeBuffer(t.buffer, 0, padded);
    } else {
      this.device.queue.writeBuffer(t.buffer, 0, bytes);
    }
    return t;
  }

  release(t: GpuTensor): void {
    if (t.pooled) this.pool.release(t.buffer);
    else t.buffer.destroy();
  }

  dispatch(d: Dispatch): void {
    if (d.params.length > SLOT_BYTES / 4) throw new Error(`${d.label}: too many uniform parameters`);
    this.openScope();
    const pipeline = this.pipelines.get(d.label, d.code, d.constants, d.entryPoint);
    if (this.slot === ARENA_SLOTS) this.nextArena();
    const arena = this.arena();
    const view = new DataView(this.arenaHost, this.slot * SLOT_BYTES, SLOT_BYTES);
    d.params.forEach((p, i) => {
      if (p instanceof F32) view.setFloat32(i * 4, p.value, true);
      else view.setUint32(i * 4, p, true);
    });
    const bindGroup = this.bindGroups.get(pipeline, arena, this.slot * SLOT_BYTES, SLOT_BYTES, d.buffers);
    this.slot++;
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = d.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
  }

  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.openScope();
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.writeArena();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.arenaIndex = 0;
    this.slot = 0;
    this.pool.submitted();
    this.stats.submits++;
  }

  /**
   * Submits the recorded work and copies `bytes` of `buffer` back to the host. Throws
   * `GpuOutOfMemoryError` when anything since the previous read failed to allocate.
   */
  async readBuffer(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    return (await this.readBuffers([{ buffer, bytes }]))[0];
  }

  /** `readBuffer` of several buffers through one staging buffer: one submit, one map. */
  async readBuffers(parts: readonly { buffer: GPUBuffer; bytes: number }[]): Promise<ArrayBuffer[]> {
    const sizes = parts.map((p) => Math.ceil(p.bytes / 4) * 4);
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const size = Math.max(4, offsets[parts.length - 1] + sizes[parts.length - 1]);
    const staging = this.allocate(() => this.takeStaging(size));
    parts.forEach((p, i) => sizes[i] > 0 && this.copy(p.buffer, 0, staging, offsets[i], sizes[i]));
    this.flush();
    this.stats.readbacks++;
    const outOfMemory = this.closeScope();
    const mapped = staging.mapAsync(GPUMapMode.READ, 0, size);
    // Both settle when the GPU has finished this submit: waiting for the scope first adds no round trip.
    const message = await outOfMemory;
    if (message !== null) {
      void mapped.then(() => { staging.unmap(); this.stagingFree.push(staging); }, () => {});
      throw new GpuOutOfMemoryError(`The GPU ran out of memory: ${message}`);
    }
    await mapped;
    const range = staging.getMappedRange(0, size);
    const results = parts.map((p, i) => range.slice(offsets[i], offsets[i] + p.bytes));
    staging.unmap();
    this.stagingFree.push(staging);
    return results;
  }

  destroy(): void {
    this.pool.destroy();
    this.arenas.forEach((b) => b.destroy());
    this.stagingFree.forEach((b) => b.destroy());
  }

  private openScope(): void {
    if (this.scopeOpen) return;
    this.device.pushErrorScope('out-of-memory');
    this.scopeOpen = true;
  }

  /** Pops the scope of the work since the last read: the device's out-of-memory message, or null. */
  private async closeScope(): Promise<string | null> {
    this.scopeOpen = false;
    const popped = this.device.popErrorScope();
    // Decided now, not after the await, so that the N scopes after the request are the ones that fail.
    const injected = this.faults.outOfMemory > 0;
    if (injected) this.faults.outOfMemory--;
    const error = await popped;
    return error ? error.message : injected ? 'simulated out-of-memory error' : null;
  }

  /** Creates a buffer inside the open scope; an exception from `createBuffer` counts as out of memory too. */
  private allocate(create: () => GPUBuffer): GPUBuffer {
    this.openScope();
    try {
      return create();
    } catch (e) {
      throw new GpuOutOfMemoryError(`GPU buffer allocation failed: ${(e as Error).message}`, { cause: e });
    }
  }

  private takeStaging(size: number): GPUBuffer {
    const i = this.stagingFree.findIndex((b) => b.size >= size);
    if (i >= 0) return this.stagingFree.splice(i, 1)[0];
    const rounded = 2 ** Math.ceil(Math.log2(Math.max(size, 256)));
    return this.device.createBuffer({ size: rounded, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.commandEncoder().beginComputePass());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  private arena(): GPUBuffer {
    while (this.arenas.length <= this.arenaIndex) {
      this.arenas.push(this.allocate(() => this.device.createBuffer({ size: SLOT_BYTES * ARENA_SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST })));
    }
    return this.arenas[this.arenaIndex];
  }

  /** The arena is full: write it out (ordered before this submit) and continue in the next one. */
  private nextArena(): void {
    this.writeArena();
    this.arenaIndex++;
    this.slot = 0;
  }

  private writeArena(): void {
    if (this.slot > 0) this.device.queue.writeBuffer(this.arena(), 0, this.arenaHost, 0, this.slot * SLOT_BYTES);
  }
}

/**
 * Workgroup grid for one invocation per element: x up to 65535 workgroups, the rest folded into y.
 * The shader computes its flat index as `gid.x + gid.y * stride`.
 */
export function flatGrid(invocations: number, workgroupSize: number): { workgroups: [number, number]; stride: number } {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  const x = Math.min(groups, 65535);
  return { workgroups: [x, Math.ceil(groups / x)], stride: x * workgroupSize };
}
