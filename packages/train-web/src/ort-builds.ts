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
import type { BrowserProvider } from '@charrnn/train/browser';
import type * as OrtWeb from 'onnxruntime-web';

export type OrtWebModule = typeof OrtWeb;

/** The wasm file each provider's build fetches (copied beside the bundles). */
export const ORT_WASM_FILES: Readonly<Record<BrowserProvider, string>> = {
  wasm: 'ort-wasm-simd-threaded.wasm',
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
};

export async function loadOrtWeb(provider: BrowserProvider): Promise<OrtWebModule> {
  const module = provider === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  return module as unknown as OrtWebModule;
}
