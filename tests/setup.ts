// WebGPU globals (GPUBufferUsage, GPUMapMode, …) from Dawn's Node bindings, before any module uses them.
import { globals } from 'webgpu';

Object.assign(globalThis, globals);
