/**
 * The generation worker. Everything heavy runs here; the UI talks to it only through this comlink
 * API (see src/engineClient.ts), so the page stays responsive while kernels run.
 */
import * as Comlink from 'comlink';
import type { Capabilities, EngineNotice, KernelCheck } from '../src/types';
import { type BackendChoice, BackendProvider } from './backendProvider';
import { KERNEL_CHECKS, checkKernel } from './kernelCheck';
import { validatePrompt } from '../src/prompt';

type NoticeListener = (notice: EngineNotice) => void;
const listeners = new Set<NoticeListener>();

const provider = new BackendProvider(
  (self.navigator as Navigator & { gpu?: GPU }).gpu,
  (notice) => listeners.forEach((l) => l(notice)),
);

const api = {
  capabilities(): Promise<Capabilities> {
    return provider.capabilities();
  },

  chooseBackend(choice: BackendChoice): void {
    provider.choose(choice);
  },

  /** Registers a listener for device loss and recovery (a comlink proxy from the page). */
  onNotice(listener: NoticeListener): void {
    listeners.add(listener);
  },

  /**
   * Accepts a prompt and answers which backend would run it. The text-to-image pipeline arrives with
   * the shipped models; until then this is the round trip the page exercises.
   */
  async submitPrompt(prompt: string): Promise<{ prompt: string; backend: 'webgpu' | 'cpu'; notice: string | null }> {
    const checked = validatePrompt(prompt);
    const capabilities = await provider.capabilities();
    return { prompt: checked.text, backend: capabilities.backend, notice: checked.notice };
  },

  kernelChecks(): string[] {
    return KERNEL_CHECKS;
  },

  async checkKernel(kernel: string): Promise<KernelCheck> {
    return checkKernel(await provider.backend(), kernel);
  },

  /** Destroys the GPU device on purpose to exercise recovery. */
  loseDevice(): Promise<void> {
    return provider.loseDevice();
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
