/**
 * Owns the worker's backend: WebGPU when the browser offers it, otherwise the CPU backend with the
 * reason. When the GPU device is lost it tells the UI, makes a new device, and tells the UI again.
 * After out-of-memory errors the engine can drop the device (`reset`) or give up on it (`fallBackToCpu`).
 */
import type { Capabilities, EngineNotice } from '../src/types';
import type { Backend } from './backend/backend';
import { CpuBackend } from './backend/cpu/cpuBackend';
import { acquireGpu } from './backend/webgpu/device';
import type { FaultInjection } from './backend/webgpu/gpuRuntime';
import { WebGpuBackend } from './backend/webgpu/webgpuBackend';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

/** How many lost devices are re-created in one worker's life before giving up on WebGPU. */
const MAX_RECOVERIES = 3;

export class BackendProvider {
  private ready: Promise<{ backend: Backend; capabilities: Capabilities }> | null = null;
  private recoveries = 0;
  /** Devices we destroyed ourselves: their loss is no accident. */
  private readonly forgotten = new WeakSet<GPUDevice>();
  /** Why the CPU backend replaced WebGPU without the user asking; null while the choice holds. */
  private fallback: string | null = null;
  /** Simulated out-of-memory errors, shared by every device this provider makes. */
  private readonly faults: FaultInjection = { outOfMemory: 0 };

  constructor(
    private readonly gpu: GPU | undefined,
    private readonly notify: (notice: EngineNotice) => void,
    private choice: BackendChoice = 'auto',
  ) {}

  /** The backend to run on, created on first use. */
  async backend(): Promise<Backend> {
    return (await this.current()).backend;
  }

  async capabilities(): Promise<Capabilities> {
    return (await this.current()).capabilities;
  }

  /** Switches backend (ending a fallback to the CPU); the next call creates the new one. */
  choose(choice: BackendChoice): void {
    if (choice === this.choice && this.fallback === null) return;
    this.choice = choice;
    this.fallback = null;
    void this.reset();
  }

  /** Drops the backend and everything on it (a GPU device is destroyed, freeing all its buffers); the next call creates a fresh one. */
  async reset(): Promise<void> {
    const old = this.ready;
    this.ready = null;
    const got = await old?.catch(() => null);
    if (got?.backend instanceof WebGpuBackend) {
      const device = got.backend.runtime.device;
      this.forgotten.add(device);
      got.backend.destroy();
      device.destroy();
    }
  }

  /** Runs on the CPU backend from now on, until the user chooses a backend; `reason` is what the UI shows. */
  fallBackToCpu(reason: string): void {
    this.fallback = reason;
    void this.reset();
  }

  /** Makes the next `count` out-of-memory checks of any GPU device fail, as a real out-of-memory would (tests of the recovery path). */
  simulateOutOfMemory(count: number): void {
    this.faults.outOfMemory = count;
  }

  /** Destroys the GPU device on purpose, as a driver reset would (tests of the recovery path). */
  async loseDevice(): Promise<void> {
    const { backend } = await this.current();
    if (backend instanceof WebGpuBackend) backend.runtime.device.destroy();
  }

  private current(): Promise<{ backend: Backend; capabilities: Capabilities }> {
    return (this.ready ??= this.create());
  }

  private async create(): Promise<{ backend: Backend; capabilities: Capabilities }> {
    if (this.fallback !== null) return { backend: new CpuBackend(), capabilities: { backend: 'cpu', reason: this.fallback } };
    if (this.choice === 'cpu') return { backend: new CpuBackend(), capabilities: { backend: 'cpu', reason: 'CPU backend selected in settings.' } };
    const got = await acquireGpu(this.gpu);
    if ('reason' in got) {
      if (this.choice === 'webgpu') throw new Error(`WebGPU was requested but is unavailable: ${got.reason}`);
      return { backend: new CpuBackend(), capabilities: { backend: 'cpu', reason: got.reason } };
    }
    const backend = WebGpuBackend.forAdapter(got.device, got.capabilities, this.faults);
    const capabilities: Capabilities = { backend: 'webgpu', gpu: got.capabilities };
    void got.device.lost.then((info) => this.onLost(got.device, info));
    return { backend, capabilities };
  }

  private async onLost(device: GPUDevice, info: GPUDeviceLostInfo): Promise<void> {
    if (this.forgotten.has(device)) return;
    this.ready = null;
    this.notify({ kind: 'device-lost', message: `The GPU device was lost (${info.reason || 'unknown'}): ${info.message || 'no details'}` });
    if (++this.recoveries > MAX_RECOVERIES) {
      this.notify({ kind: 'device-unrecoverable', message: 'The GPU device was lost repeatedly; reload the page or choose the CPU backend.' });
      return;
    }
    try {
      this.notify({ kind: 'device-restored', capabilities: await this.capabilities() });
    } catch (e) {
      this.notify({ kind: 'device-unrecoverable', message: (e as Error).message });
    }
  }
}
