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
