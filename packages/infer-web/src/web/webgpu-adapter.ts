/**
 * Whether this page has a WebGPU adapter, asked before any WebGPU build is downloaded: a browser
 * can have `navigator.gpu` and still no adapter (Chromium without a usable GPU returns null).
 */

/** The few members of WebGPU's GPUAdapter read here (TypeScript's DOM types lack WebGPU). */
interface GpuAdapterLike {
  features: { has(name: string): boolean };
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

export type WebGpuAdapterCheck =
  | {
      found: true;
      /** "google swiftshader", "nvidia ampere"…, for messages. */
      description: string;
      /** float16 shaders: a float16 model needs them on the GPU. */
      shaderF16: boolean;
    }
  | { found: false; reason: string };

export async function findWebGpuAdapter(): Promise<WebGpuAdapterCheck> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu === undefined) return { found: false, reason: 'this browser has no WebGPU (navigator.gpu)' };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { found: false, reason: `navigator.gpu.requestAdapter() failed: ${(error as Error).message}` };
  }
  if (adapter === null) return { found: false, reason: 'navigator.gpu.requestAdapter() found no adapter' };
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.description].filter((s) => s !== undefined && s !== '').join(' ') || 'unnamed adapter';
  return { found: true, description, shaderF16: adapter.features.has('shader-f16') };
}
