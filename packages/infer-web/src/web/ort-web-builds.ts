/**
 * onnxruntime-web 1.30's builds, and which one each backend loads. Sizes (raw / gzip) are
 * written into the README by `nx run infer-web:bundle`:
 *   wasm      `onnxruntime-web/wasm`    ort-wasm-simd-threaded.wasm           no WebGPU
 *   jspi      `onnxruntime-web/jspi`    ort-wasm-simd-threaded.jspi.wasm      native WebGPU provider; needs JSPI
 *   asyncify  `onnxruntime-web/webgpu`  ort-wasm-simd-threaded.asyncify.wasm  native WebGPU provider; any browser
 * Never the default `onnxruntime-web` import: it loads the JSEP build, whose WebGPU provider has
 * no RNN/GRU/LSTM kernels (a fused model ran its recurrence on the CPU) and whose wasm is the
 * largest (28.3 MB). The native provider runs the fused GRU and LSTM on the GPU.
 * Each build is imported on first use, so a page that runs on wasm never downloads WebGPU's.
 */
import type { Env } from 'onnxruntime-web';
import type { OrtApi } from '../core/ort-session.js';

export type OrtWebBuild = 'wasm' | 'jspi' | 'asyncify';

/** The part of an onnxruntime-web module infer-web uses (tests inject fakes of it). */
export interface OrtWebModule extends OrtApi {
  env: Env;
}

/** Loads the module of a build; the default imports onnxruntime-web's. */
export type OrtWebLoader = (build: OrtWebBuild) => Promise<OrtWebModule>;

export interface OrtWebBuildFiles {
  /** What an app imports for it. */
  specifier: string;
  /**
   * The file that import resolves to in browsers and bundlers: onnxruntime-web's JavaScript with
   * the wasm loader built in. The script-tag build ships it beside infer-web.js.
   */
  bundled: string;
  /** The WebAssembly runtime the build fetches. */
  wasm: string;
  /**
   * Its JavaScript loader: built into the bundled import, fetched only when `wasmPaths` is a URL
   * prefix (onnxruntime-web then loads both files from there).
   */
  loader: string;
}

export const ORT_WEB_BUILDS: Readonly<Record<OrtWebBuild, OrtWebBuildFiles>> = {
  wasm: { specifier: 'onnxruntime-web/wasm', bundled: 'ort.wasm.bundle.min.mjs', wasm: 'ort-wasm-simd-threaded.wasm', loader: 'ort-wasm-simd-threaded.mjs' },
  jspi: { specifier: 'onnxruntime-web/jspi', bundled: 'ort.jspi.bundle.min.mjs', wasm: 'ort-wasm-simd-threaded.jspi.wasm', loader: 'ort-wasm-simd-threaded.jspi.mjs' },
  asyncify: { specifier: 'onnxruntime-web/webgpu', bundled: 'ort.webgpu.bundle.min.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm', loader: 'ort-wasm-simd-threaded.asyncify.mjs' },
};

/**
 * onnxruntime-web's files a site serves so that every backend can load: the runtimes and their
 * loaders (the loaders are fetched only when `wasmPaths` is a URL prefix). A site that bundles
 * infer-web gets the builds' JavaScript through its bundler; the script-tag build also needs
 * each build's `bundled` file beside it.
 */
export const ORT_SITE_FILES: readonly string[] = Object.values(ORT_WEB_BUILDS).flatMap((b) => [b.wasm, b.loader]);

/** Where the script-tag build's onnxruntime-web files are: beside it (script-tag.ts says so). */
let scriptTagRuntimeBase: string | undefined;

/** Called by the script-tag build's entry with its own URL; other builds leave the location to onnxruntime-web. */
export function locateRuntimesBeside(moduleUrl: string): void {
  scriptTagRuntimeBase = new URL('./', moduleUrl).href;
}

/**
 * The URL of a build's runtime where infer-web knows it: under `wasmPaths` (a prefix, joined as
 * onnxruntime-web joins it), or beside the script-tag build. Undefined in a bundled app without
 * `wasmPaths`, where only onnxruntime-web (its import.meta.url) knows.
 */
export function runtimeUrl(build: OrtWebBuild, wasmPaths?: string): string | undefined {
  const base = wasmPaths ?? scriptTagRuntimeBase;
  return base === undefined ? undefined : `${base}${ORT_WEB_BUILDS[build].wasm}`;
}

/**
 * JavaScript Promise Integration (WebAssembly.Suspending / promising), which the jspi build needs:
 * the same test onnxruntime-web makes before it starts that build. Chromium ≥ 137 has it.
 */
export function hasJspi(): boolean {
  const wasm = (globalThis as { WebAssembly?: Record<string, unknown> }).WebAssembly;
  return wasm !== undefined && typeof wasm.Suspending === 'function' && typeof wasm.promising === 'function';
}

/** The native-WebGPU build this browser can run: jspi (smaller, 16.8 MB) where JSPI exists, else asyncify. */
export function webGpuBuild(): Exclude<OrtWebBuild, 'wasm'> {
  return hasJspi() ? 'jspi' : 'asyncify';
}

/**
 * The dynamic imports are literal so that bundlers (esbuild, Rollup, webpack) see each build and
 * put it in a chunk of its own.
 */
export const importOrtWeb: OrtWebLoader = async (build) => {
  switch (build) {
    case 'wasm':
      return (await import('onnxruntime-web/wasm')) as unknown as OrtWebModule;
    case 'jspi':
      return (await import('onnxruntime-web/jspi')) as unknown as OrtWebModule;
    case 'asyncify':
      return (await import('onnxruntime-web/webgpu')) as unknown as OrtWebModule;
  }
};
