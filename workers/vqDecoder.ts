/**
 * The VQ decoder (public/models/vq/decoder.onnx, written by training/vq.py export_decoder_onnx) on
 * onnxruntime-web: token ids of the rows sampled so far -> RGBA pixels for the canvas.
 *
 * ONNX contract:  input `ids` int64 [1, rows, 16], rows 1..16, each id in [0, 1024)
 *                 output `rgb` float32 [1, 3, rows*4, 64], planar RGB in [0, 1]
 * The decoder has no normalisation layers, so a partial grid decodes to (nearly) the top of the full
 * image; only the last ~2 token rows move as more rows arrive (3x3 convolutions see past the edge).
 */
import * as ort from 'onnxruntime-web';
// The default ort bundle embeds the JS glue but fetches the .wasm at run time, relative to its own URL;
// Vite's dependency pre-bundling moves the script, so point ort at the file Vite serves instead.
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';

export const VQ_COLS = 16;
export const VQ_MAX_ROWS = 16;
export const VQ_CODEBOOK_SIZE = 1024;
/** Pixels per token side. */
export const VQ_PATCH = 4;

ort.env.wasm.wasmPaths = { wasm: jsepWasmUrl };
// Threads need SharedArrayBuffer, i.e. cross-origin isolation, which the app does not enable.
ort.env.wasm.numThreads = 1;

export type VqProvider = 'webgpu' | 'wasm';

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, row-major, alpha 255: ready for `new ImageData(rgba, width, height)`. */
  rgba: Uint8ClampedArray;
}

export class VqDecoder {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: ort.InferenceSession,
    /** The execution provider that actually runs the model. */
    readonly provider: VqProvider,
  ) {}

  /**
   * Builds a session on WebGPU when the context has it, else on wasm, and runs it once: the first run
   * compiles shaders/kernels, and a provider that fails there is replaced by wasm now rather than
   * during generation.
   */
  static async create(model: Uint8Array, preferWebGpu = typeof navigator !== 'undefined' && 'gpu' in navigator): Promise<VqDecoder> {
    const providers: VqProvider[] = preferWebGpu ? ['webgpu', 'wasm'] : ['wasm'];
    let lastError: unknown;
    for (const provider of providers) {
      try {
        const session = await ort.InferenceSession.create(model, { executionProviders: [provider], graphOptimizationLevel: 'all' });
        const decoder = new VqDecoder(session, provider);
        await decoder.decodeRows(new Int32Array(VQ_COLS), 1); // warm-up
        return decoder;
      } catch (err) {
        lastError = err;
        console.warn(`VQ decoder: ${provider} failed (${(err as Error).message}); trying the next provider`);
      }
    }
    throw new Error(`VQ decoder could not start: ${(lastError as Error)?.message ?? lastError}`);
  }

  /**
   * Decodes `rows` full rows of 16 token ids (raster order) into RGBA of (rows*4) × 64 pixels.
   * Calls are serialised: one ort session must not run twice at once.
   */
  decodeRows(tokens: Uint16Array | Int32Array | ArrayLike<number>, rows: number): Promise<DecodedImage> {
    const run = this.queue.then(() => this.run(tokens, rows));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(tokens: ArrayLike<number>, rows: number): Promise<DecodedImage> {
    if (!Number.isInteger(rows) || rows < 1 || rows > VQ_MAX_ROWS) throw new RangeError(`rows must be 1..${VQ_MAX_ROWS}, got ${rows}`);
    if (tokens.length !== rows * VQ_COLS) throw new RangeError(`expected ${rows * VQ_COLS} token ids for ${rows} rows, got ${tokens.length}`);
    const ids = new BigInt64Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      // An out-of-range id would make Gather read garbage or throw deep inside ort.
      if (!Number.isInteger(t) || t < 0 || t >= VQ_CODEBOOK_SIZE) throw new RangeError(`token id ${t} at ${i} is outside 0..${VQ_CODEBOOK_SIZE - 1}`);
      ids[i] = BigInt(t);
    }
    const input = new ort.Tensor('int64', ids, [1, rows, VQ_COLS]);
    const outputs = await this.session.run({ [this.session.inputNames[0]]: input });
    const rgb = outputs[this.session.outputNames[0]];
    try {
      return toRgba((await rgb.getData()) as Float32Array, rows * VQ_PATCH, VQ_COLS * VQ_PATCH);
    } finally {
      input.dispose();
      rgb.dispose();
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Planar float RGB in [0, 1] -> interleaved RGBA bytes (the clamped array rounds and clamps). */
export function toRgba(planar: Float32Array, height: number, width: number): DecodedImage {
  const plane = height * width;
  if (planar.length !== 3 * plane) throw new Error(`decoder output has ${planar.length} values, expected 3×${height}×${width}`);
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    rgba[4 * i] = planar[i] * 255;
    rgba[4 * i + 1] = planar[plane + i] * 255;
    rgba[4 * i + 2] = planar[2 * plane + i] * 255;
    rgba[4 * i + 3] = 255;
  }
  return { width, height, rgba };
}
