/**
 * The engine behind the worker API: loads the shipped models once (verified, cached), uploads them
 * to the current backend (again after a device loss or a backend switch), and runs one generation
 * at a time — a new request cancels the running one. A generation that runs the GPU out of memory
 * starts over on a fresh device, and after a second time on the CPU backend.
 */
import type { GenerateEvent, GenerateSettings, GenerationSummary, LoadEvent, RetryEvent } from '../../src/types';
import { validatePrompt } from '../../src/prompt';
import { validateSettings } from '../../src/settings';
import type { Backend } from '../backend/backend';
import { GpuOutOfMemoryError } from '../backend/webgpu/gpuRuntime';
import type { BackendProvider } from '../backendProvider';
import { type LoadedModel, loadModelFiles } from '../loading/modelStore';
import { DraftModel, uploadDraftWeights } from '../model/draft';
import { parseSafetensors } from '../model/safetensors';
import { TargetModel, uploadTargetWeights } from '../model/target';
import { TextEncoder, WordTokenizer, uploadTextWeights } from '../model/textEncoder';
import { latentNeighbourhoods } from '../decoding/acceptance';
import { type LoadedModels, generateImage } from './generation';
import { draftEntriesOf, targetConfigOf } from './modelConfig';

const VQ_DECODER = '../vq/decoder.onnx';
const VQ_CODEBOOK = '../vq/codebook.safetensors';
/**
 * Relaxed acceptance treats a code's 3 nearest codes within distance 0.5 (unit-norm 8-d codes; the
 * median nearest neighbour sits at 0.41) as interchangeable: close enough to decode alike.
 */
const RELAXED = { k: 4, radius: 0.5 };
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
    this.files ??= loadModelFiles(this.modelUrl, 'manifest.json', (p) => onEvent?.({ kind: 'load', file: p.file, loaded: p.loaded, total: p.total, fromCache: p.source === 'cache' }))
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

  /** One onnxruntime-web session, imported lazily so the worker starts without it. */
  private vqDecoder(loaded: LoadedModel): Promise<import('../vqDecoder').VqDecoder> {
    this.vq ??= import('../vqDecoder').then(({ VqDecoder }) => {
      const bytes = loaded.files.get(VQ_DECODER);
      if (!bytes) throw new Error(`model file ${VQ_DECODER} is not in the manifest`);
      return VqDecoder.create(bytes);
    });
    this.vq.catch(() => { this.vq = null; });
    return this.vq;
  }

  private async build(backend: Backend, loaded: LoadedModel): Promise<LoadedModels> {
    const { manifest, files } = loaded;
    const file = (path: string) => {
      const bytes = files.get(path);
      if (!bytes) throw new Error(`model file ${path} is not in the manifest`);
      return bytes;
    };
    const tensors = (path: string) => {
      const b = file(path);
      return parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    };
    const m = manifest as unknown as Record<string, Record<string, unknown>>;
    const targetCfg = targetConfigOf(m);
    const target = new TargetModel(backend, targetCfg, uploadTargetWeights(backend, targetCfg, tensors(String(m.target.weights))));

    const t = m.text_encoder as Record<string, number | string>;
    const textCfg = {
      dim: Number(t.dim), nLayers: Number(t.n_layers), nHeads: Number(t.n_heads), hidden: Number(t.hidden), prefixLen: Number(t.prefix_len),
      maxWords: Number(t.max_words), wordDim: Number(t.word_dim), vocabSize: Number(t.vocab_size), normEps: Number(t.norm_eps),
    };
    const text = new TextEncoder(backend, textCfg, uploadTextWeights(backend, textCfg, tensors(String(t.weights))));
    const tokenizer = new WordTokenizer(JSON.parse(new TextDecoder().decode(file(String(t.vocab)))) as string[], textCfg.maxWords);

    const drafts: LoadedModels['drafts'] = {};
    for (const [name, entry] of Object.entries(draftEntriesOf(m, targetCfg))) {
      if (name !== 'hawk' && name !== 'ablation') continue;
      drafts[name] = new DraftModel(backend, entry.config, uploadDraftWeights(backend, entry.config, tensors(entry.weights)), target);
    }

    const vq = await this.vqDecoder(loaded);
    const codebook = tensors(VQ_CODEBOOK).get('codebook');
    if (!codebook || codebook.dtype !== 'F32') throw new Error(`model file ${VQ_CODEBOOK} has no f32 "codebook" tensor`);
    return {
      backend, target, drafts,
      neighbourhoods: latentNeighbourhoods(codebook.data as Float32Array, codebook.shape[0], RELAXED.k, RELAXED.radius),
      encodePrompt: (prompt) => text.encode(tokenizer.encode(prompt)),
      nullPrefix: text.nullPrefix,
      decodeRows: (tokens, rows) => vq.decodeRows(Int32Array.from(tokens), rows),
    };
  }
}
