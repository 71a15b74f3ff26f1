/**
 * Browser adapter: onnxruntime-web, execution providers `webgpu` then `wasm`. WebGPU is used for
 * step-graph models: onnxruntime-web's WebGPU provider has no RNN/GRU/LSTM kernels, so a fused
 * graph would bounce between GPU and CPU on every call; on wasm the fused graph is fastest.
 */
import * as ortWeb from 'onnxruntime-web';
import type { InferenceSession } from 'onnxruntime-web';
import type { ModelInfo } from '@charrnn/contract';
import { InvalidOptionError } from './errors.js';
import { CharGenerator as CoreCharGenerator, type LoadOptions } from './generator.js';
import { OrtRecurrentSession, TINY_MODEL_SESSION_OPTIONS, type OrtApi } from './ort-session.js';
import type { Logger, RecurrentSession, Runtime } from './session.js';
import { fetchModel, type ModelSource } from './source.js';

export type WebBackend = 'auto' | 'webgpu' | 'wasm';
const WEB_BACKENDS: readonly WebBackend[] = ['auto', 'webgpu', 'wasm'];

export interface WebRuntimeOptions {
  /**
   * 'auto' uses WebGPU when the browser has it and the model is a step graph, else wasm (a
   * WebGPU failure falls back to wasm, reported once through the logger). Default 'auto'.
   */
  backend?: WebBackend;
  /** Where onnxruntime-web finds its .wasm/.mjs files (a URL prefix), for sites hosting them. */
  wasmPaths?: string;
  /** wasm threads; default 1 (a single step is too small to split, and threads need COOP/COEP). */
  numThreads?: number;
  /** Extra onnxruntime session options, applied last. */
  sessionOptions?: InferenceSession.SessionOptions;
  /** The onnxruntime module (default onnxruntime-web); `env` is set from the options above. */
  ort?: OrtApi & { env: typeof ortWeb.env };
  logger?: Logger;
}

export interface WebLoadOptions extends LoadOptions, WebRuntimeOptions {}

const toldFallback = new WeakSet<Logger>();

function hasWebGpu(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return nav?.gpu !== undefined;
}

export function webRuntime(options: WebRuntimeOptions = {}): Runtime {
  const backend = options.backend ?? 'auto';
  if (!WEB_BACKENDS.includes(backend)) {
    throw new InvalidOptionError(`option backend is ${JSON.stringify(backend)}; expected one of ${WEB_BACKENDS.join(', ')}`);
  }
  const threads = options.numThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new InvalidOptionError(`option numThreads is ${String(threads)}; expected an integer ≥ 0 (0 = onnxruntime's default)`);
  }
  const ort = options.ort ?? (ortWeb as unknown as OrtApi & { env: typeof ortWeb.env });
  const logger = options.logger ?? console;
  const open = (model: Uint8Array, provider: 'webgpu' | 'wasm'): Promise<InferenceSession> => {
    ort.env.wasm.numThreads = threads;
    if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
    return ort.InferenceSession.create(model, { ...TINY_MODEL_SESSION_OPTIONS, ...options.sessionOptions, executionProviders: [provider] });
  };

  return {
    name: 'onnxruntime-web',
    readModel: fetchModel,
    async createSession(model: Uint8Array, info: ModelInfo): Promise<RecurrentSession> {
      const tryGpu = backend === 'webgpu' || (backend === 'auto' && info.graph === 'step' && hasWebGpu());
      if (tryGpu) {
        if (info.graph === 'fused') {
          logger.warn("@charrnn/infer-web: a fused-graph model on WebGPU runs its RNN on the CPU each step; export with graph 'step' for WebGPU");
        }
        try {
          return new OrtRecurrentSession(ort, await open(model, 'webgpu'), info, 'webgpu');
        } catch (error) {
          if (!toldFallback.has(logger)) {
            toldFallback.add(logger);
            logger.warn(`@charrnn/infer-web: WebGPU unavailable (${(error as Error).message}); using wasm`);
          }
        }
      }
      return new OrtRecurrentSession(ort, await open(model, 'wasm'), info, 'wasm');
    },
  };
}

/** CharGenerator whose load() fetches URLs and runs on onnxruntime-web by default. */
export class CharGenerator extends CoreCharGenerator {
  static override async load(source: ModelSource, options: WebLoadOptions = {}): Promise<CoreCharGenerator> {
    return super.load(source, { ...options, runtime: options.runtime ?? webRuntime(options) });
  }
}
