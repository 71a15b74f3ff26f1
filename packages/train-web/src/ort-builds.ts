/**
 * Which onnxruntime-web build the trainer loads, per provider, with its size (raw, gzip):
 *   wasm    `onnxruntime-web/wasm`   ort-wasm-simd-threaded.wasm           14.2 MB (3.7 MB gzip)
 *   webgpu  `onnxruntime-web/webgpu` ort-wasm-simd-threaded.asyncify.wasm 26.8 MB (6.7 MB gzip)
 * Never the default import: its JSEP build is the largest (28.3 MB) and its WebGPU provider fails
 * on the training graphs ("[WebGPU] Kernel "[Add] l0.t0.rz_pre" failed: Can't perform binary op
 * on the given tensors", Chromium 156 with SwiftShader), where the native WebGPU build trains
 * equal to wasm. Each build is a separate chunk loaded on first use, so a wasm run never
 * downloads the WebGPU build.
 */
import { cachedRuntime, DownloadCache } from '@charrnn/infer-web';
import type { BrowserProvider } from '@charrnn/train/browser';
import type * as OrtWeb from 'onnxruntime-web';

export type OrtWebModule = typeof OrtWeb;

/** The wasm file each provider's build fetches (copied beside the bundles). */
export const ORT_WASM_FILES: Readonly<Record<BrowserProvider, string>> = {
  wasm: 'ort-wasm-simd-threaded.wasm',
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
};

/**
 * The Cache API cache the worker and the page's <char-rnn-generator> (its `cache` attribute) share
 * onnxruntime-web's runtime through: the 14 MB .wasm the worker trains on is the one the element
 * generates on, downloaded once (the HTTP cache may not keep it: a server can send no-store).
 */
export const RUNTIME_CACHE = 'charrnn-train-web';

/**
 * The build for `provider`, its runtime's bytes set from RUNTIME_CACHE (fetched and stored there
 * on first use) where this page has the Cache API; without it, onnxruntime-web fetches them itself.
 */
export async function loadOrtWeb(provider: BrowserProvider, warn: (message: string) => void = (m) => console.warn(m)): Promise<OrtWebModule> {
  const module = (provider === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')) as unknown as OrtWebModule;
  // The site serves each runtime beside worker.js and index.html: the URL the element's wasm-paths="./" gives too.
  const url = new URL(ORT_WASM_FILES[provider], self.location.href).href;
  try {
    module.env.wasm.wasmBinary = await cachedRuntime(new DownloadCache(RUNTIME_CACHE, warn), url, module.env.versions?.web ?? 'unknown');
  } catch (error) {
    warn(`could not read onnxruntime-web's runtime ${url} (${(error as Error).message}); onnxruntime-web fetches it itself`);
  }
  return module;
}
