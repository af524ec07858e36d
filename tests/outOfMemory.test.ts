/**
 * Out-of-memory detection in the WebGPU runtime, on Dawn: every buffer is created inside an
 * 'out-of-memory' error scope that the next read pops (one scope per step, not per buffer), an error
 * in that scope or a throwing createBuffer becomes GpuOutOfMemoryError, and simulated errors take
 * the same path. Dawn cannot be made to run out of memory safely, so the device's answer is stubbed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GpuOutOfMemoryError } from '../workers/backend/webgpu/gpuRuntime';
import { WebGpuBackend } from '../workers/backend/webgpu/webgpuBackend';
import { gpuBackend } from './harness';

let gpu: WebGpuBackend;
let device: GPUDevice;
/** The device's own popErrorScope, which the spies below wrap. */
let pop: () => Promise<GPUError | null>;

beforeEach(async () => {
  gpu = await gpuBackend();
  device = gpu.runtime.device;
  pop = device.popErrorScope.bind(device);
});

afterEach(() => {
  vi.restoreAllMocks();
  gpu.destroy();
  device.destroy();
});

const filled = (n: number, v: number) => new Float32Array(n).fill(v);

/** True when the runtime left no scope open: popping one more fails. */
const noScopeLeft = () => pop().then(() => false, () => true);

describe('GpuRuntime out-of-memory detection', () => {
  it('creates every buffer inside a scope, pushing and popping one scope per read', async () => {
    let depth = 0, pushes = 0;
    const outside: number[] = [];
    const push = device.pushErrorScope.bind(device), create = device.createBuffer.bind(device);
    vi.spyOn(device, 'pushErrorScope').mockImplementation((filter) => { depth++; pushes++; push(filter); });
    vi.spyOn(device, 'popErrorScope').mockImplementation(() => { depth--; return pop(); });
    vi.spyOn(device, 'createBuffer').mockImplementation((d) => {
      if (depth === 0) outside.push(d.size);
      return create(d);
    });

    const w = gpu.upload(filled(5000, 1), [5000]); // a "weight": uploaded long before the first read
    for (let step = 1; step <= 3; step++) {
      let x = gpu.upload(filled(5000, step), [5000]);
      for (let i = 0; i < 300; i++) x = gpu.add(x, w); // more than one uniform arena
      expect((await gpu.read(x))[4999]).toBe(step + 300);
    }
    expect(outside).toEqual([]);
    expect(pushes).toBe(gpu.runtime.stats.readbacks);
    expect(depth).toBe(0);
    expect(await noScopeLeft()).toBe(true);
  });

  it('an out-of-memory error in a step’s scope rejects that step’s read; the next step runs', async () => {
    vi.spyOn(device, 'popErrorScope').mockImplementationOnce(async () => {
      await pop();
      return new GPUOutOfMemoryError('cannot allocate the KV cache');
    });
    const x = gpu.upload(filled(64, 3), [64]);
    const failed = gpu.read(gpu.add(x, x));
    await expect(failed).rejects.toThrow(GpuOutOfMemoryError);
    await expect(failed).rejects.toThrow(/cannot allocate the KV cache/);
    expect(Array.from(new Set(await gpu.read(gpu.add(x, x))))).toEqual([6]);
    expect(await noScopeLeft()).toBe(true);
  });

  it('a createBuffer that throws is an out-of-memory error at once, and the scope still closes', async () => {
    // 2^54 bytes: over the range WebGPU sizes may take, so Dawn's createBuffer throws (a TypeError).
    let thrown: unknown;
    try {
      gpu.runtime.output([2 ** 52]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GpuOutOfMemoryError);
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    const x = gpu.upload(filled(64, 2), [64]);
    expect(Array.from(new Set(await gpu.read(x)))).toEqual([2]);
    expect(await noScopeLeft()).toBe(true);
  });

  it('simulated errors fail exactly the next N reads, through the same path', async () => {
    const faults = { outOfMemory: 2 };
    const g = new WebGpuBackend(device, false, faults);
    const x = g.upload(filled(64, 5), [64]);
    await expect(g.read(x)).rejects.toThrow(GpuOutOfMemoryError);
    await expect(g.read(g.add(x, x))).rejects.toThrow(GpuOutOfMemoryError);
    expect(faults.outOfMemory).toBe(0);
    expect(Array.from(new Set(await g.read(g.add(x, x))))).toEqual([10]);
    expect(await noScopeLeft()).toBe(true);
    g.destroy();
  });
});
