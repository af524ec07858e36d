/**
 * Recycles GPU buffers by size class, so a decoding step allocates nothing after the first one.
 *
 * A buffer released while commands that read it are still being recorded may be handed out again
 * as a kernel output at once (the queue runs dispatches in recording order), but not as the target
 * of `queue.writeBuffer`, which would run before those recorded commands. Such buffers wait in
 * `pending` until the recorded work is submitted.
 */
/** Size classes: multiples of 256 bytes below 64 KiB, then steps of 1/8 of a power of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 256) * 256);
  if (b <= 65536) return b;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  private bytesAllocated = 0;

  constructor(private readonly device: GPUDevice) {}

  /** A storage buffer of at least `bytes`; `forHostWrite` excludes buffers still read by recorded work. */
  acquire(bytes: number, forHostWrite: boolean): GPUBuffer {
    const size = sizeClass(bytes);
    const ready = this.free.get(size);
    if (ready?.length) return ready.pop()!;
    if (!forHostWrite) {
      const i = this.pending.findIndex((b) => b.size === size);
      if (i >= 0) return this.pending.splice(i, 1)[0];
    }
    this.bytesAllocated += size;
    return this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  }

  release(buffer: GPUBuffer): void {
    this.pending.push(buffer);
  }

  /** Called after each submit: everything released so far may be written by the host again. */
  submitted(): void {
    for (const b of this.pending) {
      const list = this.free.get(b.size) ?? [];
      list.push(b);
      this.free.set(b.size, list);
    }
    this.pending = [];
  }

  get allocatedBytes(): number {
    return this.bytesAllocated;
  }

  destroy(): void {
    for (const list of this.free.values()) list.forEach((b) => b.destroy());
    this.pending.forEach((b) => b.destroy());
    this.free.clear();
    this.pending = [];
  }
}
