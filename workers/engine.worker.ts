/**
 * The generation worker. Everything heavy runs here; the UI talks to it only through this comlink
 * API (see src/engineClient.ts), so the page stays responsive while kernels run.
 */
import * as Comlink from 'comlink';
import type { Capabilities, EngineNotice, GenerateEvent, GenerateSettings, GenerationSummary, KernelCheck, LoadEvent } from '../src/types';
import { HawkEngine } from './engine/hawkEngine';
import { type BackendChoice, BackendProvider } from './backendProvider';
import { KERNEL_CHECKS, checkKernel } from './kernelCheck';
import type { DecodedImage } from './vqDecoder';

type NoticeListener = (notice: EngineNotice) => void;
const listeners = new Set<NoticeListener>();

const provider = new BackendProvider(
  (self.navigator as Navigator & { gpu?: GPU }).gpu,
  (notice) => listeners.forEach((l) => l(notice)),
);

/** Shipped models (public/models/ in the repo). */
const MODEL_BASE = `${import.meta.env.BASE_URL}models/hawk-emoji/`;

const engine = new HawkEngine(provider, MODEL_BASE);

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

  /**
   * Development builds only (the page exposes the engine as window.hawkEngine there): the next
   * `count` GPU steps report out-of-memory, to exercise the engine's retry and CPU fallback.
   */
  simulateOutOfMemory(count: number): void {
    if (!import.meta.env.DEV) throw new Error('simulateOutOfMemory is only available in development builds.');
    provider.simulateOutOfMemory(count);
  },

  /** What the model was trained to draw (empty: not limited); reads the manifest only. */
  concepts(): Promise<string[]> {
    return engine.concepts();
  },

  /** Downloads (or reads from cache), verifies and builds the models, reporting progress per file. */
  load(onEvent?: (e: LoadEvent) => void): Promise<{ model: string; totalBytes: number }> {
    return engine.load((e) => onEvent?.(e));
  },

  /**
   * Generates an image, streaming steps and decoded pixel rows (transferred, not copied). A new call
   * cancels the running one, whose promise then rejects with "Generation cancelled."
   */
  generate(prompt: string, settings: GenerateSettings, onEvent?: (e: GenerateEvent) => void): Promise<GenerationSummary> {
    return engine.generate(prompt, settings, (e) => onEvent?.(e.kind === 'rows' ? Comlink.transfer(e, [e.rgba.buffer]) : e));
  },

  cancel(): void {
    engine.cancel();
  },

  /** Decodes `rows` rows of 16 VQ token ids (raster order) to RGBA pixels, (rows*4) × 64. */
  async decodeTokens(tokens: number[], rows: number): Promise<DecodedImage> {
    const image = await engine.decodeTokens(tokens, rows);
    return Comlink.transfer(image, [image.rgba.buffer]);
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
