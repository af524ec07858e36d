import { describe, expect, it } from 'vitest';
import type { GpuTensor } from '../workers/backend/webgpu/gpuRuntime';
import { useGpu } from './kernelCheck';

const gpu = useGpu();

const filled = (n: number, v: number) => new Float32Array(n).fill(v);

describe('GpuRuntime', () => {
  it('records many dispatches into one submit with one readback', async () => {
    const g = gpu();
    const one = g.upload(filled(333, 1), [333]);
    let x = g.upload(filled(333, 0), [333]);
    await g.read(x); // start from an empty encoder: only the chain below is counted
    const before = { ...g.runtime.stats };
    const steps = 300; // more than one uniform arena of 256 slots
    for (let i = 0; i < steps; i++) x = g.add(x, one);
    const out = await g.read(x);
    expect(g.runtime.stats.dispatches - before.dispatches).toBe(steps);
    expect(g.runtime.stats.submits - before.submits).toBe(1);
    expect(g.runtime.stats.readbacks - before.readbacks).toBe(1);
    expect(Array.from(new Set(out))).toEqual([steps]);
  });

  it('a repeated step reuses its bind groups; other buffers get their own', async () => {
    const g = gpu();
    const a = g.upload(filled(64, 1), [64]);
    const b = g.upload(filled(64, 2), [64]);
    const step = async (x: typeof a) => {
      const t = g.add(x, b);
      const out = await g.read(t);
      g.release(t);
      return out[0];
    };
    expect(await step(a)).toBe(3);
    const created = g.runtime.bindGroups.created;
    for (let i = 0; i < 5; i++) expect(await step(a)).toBe(3); // same pipeline, slot, inputs and pooled output
    expect(g.runtime.bindGroups.created).toBe(created);
    const c = g.upload(filled(64, 5), [64]);
    expect(await step(c)).toBe(7); // another input buffer: a new bind group, and the right result
    expect(g.runtime.bindGroups.created).toBe(created + 1);
  });

  it('the buffer pool reuses buffers: allocatedBytes stays flat over repeated steps', async () => {
    const g = gpu();
    const a = g.upload(filled(1000, 1), [1000]);
    const b = g.upload(filled(1000, 2), [1000]);
    const step = async () => {
      const t1 = g.add(a, b);
      const t2 = g.add(t1, b);
      g.release(t1);
      const out = await g.read(t2);
      g.release(t2);
      return out[999];
    };
    expect(await step()).toBe(5);
    const allocated = g.runtime.pool.allocatedBytes;
    for (let i = 0; i < 10; i++) expect(await step()).toBe(5);
    expect(g.runtime.pool.allocatedBytes).toBe(allocated);
  });

  it('an upload after releasing a buffer that recorded work still reads does not corrupt that work', async () => {
    const g = gpu();
    const n = 64;
    const x = g.upload(filled(n, 3), [n]);
    const y = g.upload(filled(n, 4), [n]);
    await g.read(y); // submit the uploads: from here on only `sum` is recorded, not submitted
    const sum = g.add(x, y); // recorded, reads x
    g.release(x);            // x's buffer is pending until that work is submitted
    // Same size class: if the pool handed x's buffer to this upload, queue.writeBuffer would run
    // before the recorded add and the sum would come out 9 + 4 instead of 3 + 4.
    const later = g.upload(filled(n, 9), [n]);
    expect((later as GpuTensor).buffer).not.toBe((x as GpuTensor).buffer);
    expect(Array.from(new Set(await g.read(sum)))).toEqual([7]);
    expect(Array.from(new Set(await g.read(later)))).toEqual([9]);
  });

  it('a kernel output may take a pending buffer at once (it runs in recording order)', async () => {
    const g = gpu();
    const n = 64;
    const x = g.upload(filled(n, 3), [n]);
    const y = g.upload(filled(n, 4), [n]);
    await g.read(y);
    const sum = g.add(x, y);
    g.release(x);
    const next = g.add(sum, y) as GpuTensor; // may reuse x's buffer: the add reading x runs first
    expect(Array.from(new Set(await g.read(next)))).toEqual([11]);
    expect(Array.from(new Set(await g.read(sum)))).toEqual([7]);
  });
});
