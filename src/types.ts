/** Types shared by the UI and the generation worker (the comlink boundary). */

export interface GpuCapabilities {
  adapter: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    /** True for software adapters such as SwiftShader. */
    isFallbackAdapter: boolean;
  };
  features: { shaderF16: boolean; subgroups: boolean; timestampQuery: boolean };
  limits: Record<string, number>;
}

/** What the worker can run on: WebGPU with its capabilities, or the CPU backend and why. */
export type Capabilities =
  | { backend: 'webgpu'; gpu: GpuCapabilities }
  | { backend: 'cpu'; reason: string };

/** Result of running one kernel through the worker and checking it against the CPU oracle. */
export interface KernelCheck {
  kernel: string;
  backend: 'webgpu' | 'cpu';
  maxAbsError: number;
  ms: number;
}

/** Events the worker pushes to the UI outside of a request (device loss and recovery). */
export type EngineNotice =
  | { kind: 'device-lost'; message: string }
  | { kind: 'device-restored'; capabilities: Capabilities }
  | { kind: 'device-unrecoverable'; message: string };

/** How a committed token was produced: drafted along the row, guessed from a row above, or sampled by the target. */
export type TokenSource = 'horizontal' | 'vertical' | 'target';

/** Per verification step, streamed to the UI. */
export interface StepEvent {
  kind: 'step';
  /** Grid index of the first token committed in this step. */
  first: number;
  tokens: number[];
  sources: TokenSource[];
  drafted: number;
  accepted: number;
  /** Speculation length of this step: draft positions 1 … n were proposed (0 for plain AR and the first token). */
  n: number;
  /** Draft position (1-based) of each accepted draft token. */
  acceptedDepths: number[];
  /** Milliseconds since the generation started. */
  elapsedMs: number;
  stepMs: number;
  /**
   * Of stepMs, the time until the draft's proposal was ready (0 without a draft). Candidates drawn on the device
   * (no top-p; trees only when sampling) are only recorded then: its GPU time is inside the step's one readback, not here.
   */
  draftMs: number;
  targetForwards: number;
}

/** Newly decoded pixel rows (RGBA, `width` pixels wide), transferred, not copied. */
export interface RowsEvent {
  kind: 'rows';
  /** First pixel row and number of pixel rows in `rgba`. */
  y: number;
  height: number;
  width: number;
  rgba: Uint8ClampedArray;
}

export interface LoadEvent {
  kind: 'load';
  file: string;
  loaded: number;
  total: number;
  fromCache: boolean;
}

export interface NoticeEvent {
  kind: 'notice';
  message: string;
}

/**
 * The generation starts over, on the backend `capabilities` describes, after the GPU ran out of
 * memory: everything streamed so far is void. `message` says what happened, for the user.
 */
export interface RetryEvent {
  kind: 'retry';
  message: string;
  capabilities: Capabilities;
}

export type GenerateEvent = StepEvent | RowsEvent | LoadEvent | NoticeEvent | RetryEvent;

export interface GenerationSummary {
  prompt: string;
  settings: GenerateSettings;
  backend: 'webgpu' | 'cpu';
  tokens: number[];
  sources: TokenSource[];
  totalMs: number;
  /** Of totalMs, the steps' `draftMs` (for candidates drawn on the device: recording only, see StepEvent). */
  draftMs: number;
  /** Time spent decoding token rows to pixels (VQ decoder), mostly concurrent with token decoding. */
  decodeMs: number;
  /** Of totalMs, the wait after the last token for the last pixel rows. */
  decodeTailMs: number;
  targetForwards: number;
  /** Mean tokens committed per target forward (1 for plain AR). */
  tokensPerForward: number;
  /** acceptedByDepth[d] / draftedByDepth[d]: acceptance rate of draft position d + 1. */
  acceptedByDepth: number[];
  draftedByDepth: number[];
}

export interface GenerateSettings {
  /** Horizontal speculation length: 0 = plain AR … 8. */
  n: number;
  /** Vertical speculation depth (rows below): 0 … 2. */
  vsd: number;
  /** Candidates per drafted position: 1 (chain) … 4. */
  treeWidth: number;
  /** Adapt n per region from recent acceptance. */
  autoSpeculation: boolean;
  /** 0 = greedy … 2. */
  temperature: number;
  /** 0 = off … 1024. */
  topK: number;
  /** (0, 1]; 1 = off. */
  topP: number;
  /** Classifier-free guidance scale, 1 (off) … 10. */
  cfgScale: number;
  /** Guidance's plausibility cut, 0 (off) … 1: only tokens the prompt-conditioned model finds at least this fraction as likely as its favourite. */
  plausibility: number;
  seed: number;
  /** Lossless speculative sampling, or relaxed (faster, not the target's distribution). */
  acceptance: 'lossless' | 'relaxed';
  /** The Hawk draft or the 1D ablation draft (for comparisons). */
  draft: 'hawk' | 'ablation';
}
