/**
 * Adapter and device acquisition. Probes the optional features the kernels can use and the limits
 * that bound model size, and reports them so the UI can show what the machine offers.
 */
import type { GpuCapabilities } from '../../../src/types';

/** Optional features we ask for when the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

/** Limits raised to the adapter's maximum: big weight matrices and wide workgroups. */
const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface AcquiredGpu {
  device: GPUDevice;
  capabilities: GpuCapabilities;
}

/** Returns a device, or the reason there is none (no `navigator.gpu`, no adapter, device refused). */
export async function acquireGpu(gpu: GPU | undefined): Promise<AcquiredGpu | { reason: string }> {
  if (!gpu) return { reason: 'This browser does not expose WebGPU (navigator.gpu is missing).' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { reason: `WebGPU adapter request failed: ${(e as Error).message}` };
  }
  if (!adapter) return { reason: 'WebGPU is present but no GPU adapter is available (disabled or blocklisted).' };

  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    return { reason: `WebGPU device request failed: ${(e as Error).message}` };
  }
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of [...RAISED_LIMITS, 'maxComputeWorkgroupsPerDimension', 'minUniformBufferOffsetAlignment'] as const) {
    limits[name] = device.limits[name];
  }
  return {
    device,
    capabilities: {
      adapter: {
        vendor: info?.vendor ?? '',
        architecture: info?.architecture ?? '',
        device: info?.device ?? '',
        description: info?.description ?? '',
        isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter),
      },
      features: {
        shaderF16: device.features.has('shader-f16'),
        subgroups: device.features.has('subgroups'),
        timestampQuery: device.features.has('timestamp-query'),
      },
      limits,
    },
  };
}
