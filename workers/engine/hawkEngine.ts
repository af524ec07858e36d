/**
 * The engine behind the worker API: loads the shipped models once (verified, cached), uploads them
 * to the current backend (again after a device loss or a backend switch), and runs one generation
 * at a time — a new request cancels the running one. A generation that runs the GPU out of memory
 * starts over on a fresh device, and after a second time on the CPU backend.
 */
import type { GenerateEvent, GenerateSettings, GenerationSummary, LoadEvent, RetryEvent } from '../../src/types';
import { validatePrompt } from '../../src/prompt';
import { isComputeBound, validateSettings } from '../../src/settings';
import type { Backend } from '../backend/backend';
import { GpuOutOfMemoryError } from '../backend/webgpu/gpuRuntime';
import type { BackendProvider } from '../backendProvider';
import { manifestConcepts } from '../../src/concepts';
import { type LoadedModel, fetchManifest, loadModelFiles } from '../loading/modelStore';
import { VQ_DECODER, buildModels } from './buildModels';
import { type LoadedModels, generateImage } from './generation';

const MANIFEST = 'manifest.json';

/** Generations restarted on a fresh GPU device after running out of memory, before falling back to the CPU. */
const GPU_RETRIES = 1;

export class HawkEngine {
  private files: Promise<LoadedModel> | null = null;
  private models: { backend: Backend; models: Promise<LoadedModels> } | null = null;
  private running: AbortController | null = null;
  private vq: Promise<import('../vqDecoder').VqDecoder> | null = null;

  constructor(
    private readonly provider: BackendProvider,
    private readonly modelUrl: string,
  ) {}

  /** Downloads (or reads from cache) and verifies every model file, then builds the models. */
  async load(onEvent?: (e: LoadEvent) => void): Promise<{ model: string; totalBytes: number }> {
    const files = await this.loadFiles(onEvent);
    await this.ready().catch(async (err: unknown) => {
      // Only free what was uploaded: generate() retries and falls back, and tells the user so.
      if (!(err instanceof GpuOutOfMemoryError)) throw err;
      await this.releaseGpu();
    });
    return { model: files.manifest.name, totalBytes: files.manifest.files.reduce((a, f) => a + f.bytes, 0) };
  }

  /** What the model was trained to draw (src/concepts.ts), read from the manifest without loading the weights. */
  async concepts(): Promise<string[]> {
    const manifest = this.files ? (await this.files).manifest : await fetchManifest(this.modelUrl, MANIFEST);
    return manifestConcepts(manifest);
  }

  async generate(prompt: string, rawSettings: GenerateSettings, onEvent: (e: GenerateEvent) => void): Promise<GenerationSummary> {
    const checked = validatePrompt(prompt);
    const settings = validateSettings(rawSettings);
    this.cancel();
    const controller = new AbortController();
    this.running = controller;
    try {
      if (checked.notice) onEvent({ kind: 'notice', message: checked.notice });
      await this.loadFiles(onEvent);
      for (let failures = 0; ; failures++) {
        try {
          const models = await this.ready();
          controller.signal.throwIfAborted();
          return await generateImage(models, checked.text, settings, onEvent, controller.signal);
        } catch (err) {
          if (!(err instanceof GpuOutOfMemoryError) || controller.signal.aborted || failures > GPU_RETRIES) throw err;
          onEvent(await this.recoverFromOutOfMemory(failures < GPU_RETRIES));
        }
      }
    } catch (err) {
      if (controller.signal.aborted) throw new Error('Generation cancelled.');
      throw err;
    } finally {
      if (this.running === controller) this.running = null;
    }
  }

  /** Decodes `rows` rows of VQ token ids to RGBA pixels (loads only the decoder if nothing else is). */
  async decodeTokens(tokens: readonly number[], rows: number): Promise<import('../vqDecoder').DecodedImage> {
    return (await this.vqDecoder(await this.loadFiles())).decodeRows(Int32Array.from(tokens), rows);
  }

  /** Stops the running generation at its next step; the engine stays usable. */
  cancel(): void {
    this.running?.abort();
    this.running = null;
  }

  /**
   * Frees everything on the GPU and says where the generation starts over: on a fresh device
   * (`onGpu`), else on the CPU backend, which then stays until the user chooses a backend.
   */
  private async recoverFromOutOfMemory(onGpu: boolean): Promise<RetryEvent> {
    await this.releaseGpu();
    if (!onGpu) this.provider.fallBackToCpu('the GPU ran out of memory twice in one generation');
    return {
      kind: 'retry',
      capabilities: await this.provider.capabilities(),
      message: onGpu
        ? 'The GPU ran out of memory; everything cached on it was released and the generation restarted on a fresh GPU device.'
        : 'The GPU ran out of memory again; the generation restarted on the CPU backend (slower), which stays in use until you choose a backend in the settings.',
    };
  }

  /** Drops the models and the device they live on: destroying the device frees every buffer, the pool's free lists included. */
  private async releaseGpu(): Promise<void> {
    this.models = null;
    await this.provider.reset();
  }

  private loadFiles(onEvent?: (e: LoadEvent) => void): Promise<LoadedModel> {
    this.files ??= loadModelFiles(this.modelUrl, MANIFEST, (p) => onEvent?.({ kind: 'load', file: p.file, loaded: p.loaded, total: p.total, fromCache: p.source === 'cache' }))
      .catch((err: unknown) => {
        this.files = null; // nothing half-loaded stays: the next call starts over
        throw err;
      });
    return this.files;
  }

  /** Models on the current backend; rebuilt when the backend changed (device lost, user switch). */
  private async ready(): Promise<LoadedModels> {
    const backend = await this.provider.backend();
    if (this.models?.backend !== backend) {
      const models = this.build(backend, await this.loadFiles());
      models.catch(() => { if (this.models?.models === models) this.models = null; });
      this.models = { backend, models };
    }
    return this.models.models;
  }

  /**
   * One onnxruntime-web session, imported lazily so the worker starts without it. On a CPU-emulated adapter it runs on
   * ort's wasm kernels: there its WebGPU kernels took ~22 s of CPU per image for the 16 progressive decodes (and kept
   * the last pixels ~4 s behind the last token), CPU that the token decoding needs.
   */
  private vqDecoder(loaded: LoadedModel): Promise<import('../vqDecoder').VqDecoder> {
    this.vq ??= Promise.all([import('../vqDecoder'), this.provider.capabilities()]).then(([{ VqDecoder }, capabilities]) => {
      const bytes = loaded.files.get(VQ_DECODER);
      if (!bytes) throw new Error(`model file ${VQ_DECODER} is not in the manifest`);
      return VqDecoder.create(bytes, capabilities.backend === 'webgpu' && !isComputeBound(capabilities));
    });
    this.vq.catch(() => { this.vq = null; });
    return this.vq;
  }

  private async build(backend: Backend, loaded: LoadedModel): Promise<LoadedModels> {
    const vq = await this.vqDecoder(loaded);
    return buildModels(backend, loaded, (tokens, rows) => vq.decodeRows(Int32Array.from(tokens), rows));
  }
}
