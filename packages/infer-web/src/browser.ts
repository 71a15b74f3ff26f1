/**
 * Browser adapter: onnxruntime-web with backends `webgpu` and `wasm`, each on the onnxruntime-web
 * build made for it (ort-web-builds.ts), imported on first use.
 *
 * WebGPU runs fused and step graphs alike on onnxruntime's native WebGPU provider. A WebGPU
 * session is kept only when it is verified rather than assumed: onnxruntime must place every node
 * on the GPU (session option `disable_cpu_ep_fallback` refuses a session with a node left to the
 * CPU provider, as ONNX `RNN` and float16 `GRU` are in 1.30), and a first step must run with
 * finite outputs (a float16 model on an adapter without shader-f16 fails there).
 */
import type { InferenceSession } from 'onnxruntime-web';
import { hasState, stateSize, type ModelInfo } from '@charrnn/contract';
import { BackendUnavailableError, InvalidOptionError } from './errors.js';
import { CharGenerator as CoreCharGenerator, type LoadOptions } from './generator.js';
import { cachedRuntime, DEFAULT_CACHE_NAME, DownloadCache } from './download-cache.js';
import { importOrtWeb, runtimeUrl, webGpuBuild, type OrtWebBuild, type OrtWebLoader, type OrtWebModule } from './ort-web-builds.js';
import { OrtRecurrentSession, TINY_MODEL_SESSION_OPTIONS } from './ort-session.js';
import type { Logger, RecurrentSession, Runtime } from './session.js';
import { fetchModel, type FetchModelOptions, type ModelSource, type ProgressCallback } from './source.js';
import { probeRuntime, runtimeLoadError } from './wasm-load-error.js';
import { findWebGpuAdapter } from './webgpu-adapter.js';

export type WebBackend = 'auto' | 'webgpu' | 'wasm';
const WEB_BACKENDS: readonly WebBackend[] = ['auto', 'webgpu', 'wasm'];

export interface WebRuntimeOptions {
  /**
   * 'auto' (default) uses WebGPU when the page has an adapter and onnxruntime runs the whole model
   * on it, else wasm, and says which once through `logger.info`. 'webgpu' insists (a model with
   * nodes onnxruntime leaves to the CPU runs so, with a warning) but falls back to wasm, with a
   * warning, when WebGPU cannot start at all. 'wasm' never loads WebGPU's build.
   */
  backend?: WebBackend;
  /** Where onnxruntime-web finds its .wasm/.mjs files (a URL prefix), for sites hosting them. */
  wasmPaths?: string;
  /** wasm threads; default 1 (a single step is too small to split, and threads need COOP/COEP). */
  numThreads?: number;
  /** Extra onnxruntime session options, applied last. */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * The onnxruntime-web module to use for every backend, or a loader given the build a backend
   * needs. Default: onnxruntime-web's own builds (wasm; jspi where the browser has JSPI, else
   * asyncify, for WebGPU), each imported on first use. `env.wasm` is set from the options above.
   */
  ort?: OrtWebModule | OrtWebLoader;
  /**
   * Keep the model and onnxruntime-web's runtime in the Cache API (`true`: the cache named
   * 'charrnn-infer-web'; a string: that cache), so that later visits download neither (offline
   * too, when the page's own scripts come from the HTTP cache or a service worker). The first
   * download of a URL is kept until the cache is cleared (clearDownloadCache): publish a changed
   * model under a new URL. The runtime is kept where infer-web knows its URL: the script-tag
   * build, or `wasmPaths`. Default: off.
   */
  cache?: boolean | string;
  logger?: Logger;
}

export interface WebLoadOptions extends LoadOptions, WebRuntimeOptions {}

/** onnxruntime's refusal when `disable_cpu_ep_fallback` meets a node only the CPU provider takes. */
const CPU_NODES_REFUSED = /fallback to CPU EP has been explicitly disabled/;

/** Messages given per logger, so that a page loading ten models hears about its backend once. */
const told = new WeakMap<Logger, Set<string>>();

function sayOnce(logger: Logger, level: 'info' | 'warn', message: string): void {
  let seen = told.get(logger);
  if (seen === undefined) told.set(logger, (seen = new Set()));
  if (seen.has(message)) return;
  seen.add(message);
  if (level === 'warn') logger.warn(message);
  else logger.info?.(message);
}

type WebGpuAttempt = { session: RecurrentSession; detail: string } | { reason: string };

/** onnxruntime-web modules whose WebAssembly has started: their env.wasm settings no longer count. */
const started = new WeakSet<OrtWebModule>();

export function webRuntime(options: WebRuntimeOptions = {}): Runtime {
  const backend = options.backend ?? 'auto';
  if (!WEB_BACKENDS.includes(backend)) {
    throw new InvalidOptionError(`option backend is ${JSON.stringify(backend)}; expected one of ${WEB_BACKENDS.join(', ')}`);
  }
  const threads = options.numThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new InvalidOptionError(`option numThreads is ${String(threads)}; expected an integer ≥ 0 (0 = onnxruntime's default)`);
  }
  const given = options.ort;
  const load: OrtWebLoader = typeof given === 'function' ? given : given !== undefined ? async () => given : importOrtWeb;
  const logger = options.logger ?? console;
  const warn = (message: string): void => sayOnce(logger, 'warn', message);
  const cacheName = options.cache === true ? DEFAULT_CACHE_NAME : options.cache === false ? undefined : options.cache;
  const cache = cacheName === undefined ? undefined : new DownloadCache(cacheName, warn);
  const models = modelCache(cache);
  const open = sessionOpener(threads, cache, options.wasmPaths, options.sessionOptions, warn);

  return {
    name: 'onnxruntime-web',
    readModel: models.read,
    async createSession(model: Uint8Array, info: ModelInfo): Promise<RecurrentSession> {
      if (backend !== 'wasm') {
        const gpu = await webGpuSession({ load, open, backend, warn }, model, info);
        if ('session' in gpu) {
          if (backend === 'auto') sayOnce(logger, 'info', `@charrnn/infer-web: backend auto chose WebGPU (${gpu.detail})`);
          return models.accepted(model, gpu.session);
        }
        if (backend === 'auto') sayOnce(logger, 'info', `@charrnn/infer-web: backend auto chose wasm: ${gpu.reason}`);
        else warn(`@charrnn/infer-web: WebGPU unavailable (${gpu.reason}); using wasm`);
      }
      // The last resort: a file missing here is the site's to fix, so say how (wasm-load-error.ts).
      try {
        const ort = await load('wasm');
        return models.accepted(model, new OrtRecurrentSession(ort, await open(ort, 'wasm', model, 'wasm'), info, 'wasm'));
      } catch (error) {
        const known = runtimeLoadError(error, options.wasmPaths);
        if (!(known instanceof BackendUnavailableError)) throw error;
        throw runtimeLoadError(error, options.wasmPaths, await probeRuntime(runtimeUrl('wasm', options.wasmPaths)));
      }
    },
  };
}

/** Models read from the network, stored in `cache` once a session has accepted them (a broken model is never kept). */
function modelCache(cache: DownloadCache | undefined) {
  const toStore = new WeakMap<Uint8Array, string>();

  const read = async (source: string | URL, onProgress?: ProgressCallback, fetchOptions?: FetchModelOptions): Promise<Uint8Array> => {
    if (cache === undefined) return fetchModel(source, onProgress, fetchOptions);
    const key = String(source);
    const hit = await cache.get(key);
    if (hit !== undefined) {
      onProgress?.(hit.byteLength, hit.byteLength);
      return hit;
    }
    const bytes = await fetchModel(source, onProgress, fetchOptions);
    toStore.set(bytes, key);
    return bytes;
  };

  /** A session that came from a downloaded model: the model is good, keep it for next time. */
  const accepted = async (model: Uint8Array, session: RecurrentSession): Promise<RecurrentSession> => {
    const key = toStore.get(model);
    if (cache !== undefined && key !== undefined) {
      toStore.delete(model);
      await cache.put(key, model, 'application/octet-stream');
    }
    return session;
  };

  return { read, accepted };
}

type SessionOpener = (ort: OrtWebModule, build: OrtWebBuild, model: Uint8Array, provider: 'webgpu' | 'wasm', refuseCpuNodes?: boolean) => Promise<InferenceSession>;

/** Opens sessions with the user's options over the tiny-model defaults, after setting env.wasm for the module. */
function sessionOpener(
  threads: number,
  cache: DownloadCache | undefined,
  wasmPaths: WebRuntimeOptions['wasmPaths'],
  sessionOptions: WebRuntimeOptions['sessionOptions'],
  warn: (message: string) => void,
): SessionOpener {
  /** env.wasm before a module's WebAssembly starts; with `cache`, the runtime's bytes from the cache. */
  const prepare = async (ort: OrtWebModule, build: OrtWebBuild): Promise<void> => {
    if (started.has(ort)) return;
    ort.env.wasm.numThreads = threads;
    const url = cache === undefined ? undefined : runtimeUrl(build, wasmPaths);
    if (cache !== undefined && url === undefined) {
      warn("@charrnn/infer-web: option cache keeps the model but not onnxruntime-web's runtime: its URL is unknown here (pass wasmPaths, the URL prefix where the .wasm files are served)");
    }
    if (cache !== undefined && url !== undefined) {
      // The bytes themselves: onnxruntime-web then neither fetches the .wasm nor (with no prefix
      // in wasmPaths) the loader .mjs, which the bundled builds carry inside.
      ort.env.wasm.wasmBinary = await cachedRuntime(cache, url, ort.env.versions?.web ?? 'unknown');
    } else if (wasmPaths !== undefined) {
      ort.env.wasm.wasmPaths = wasmPaths;
    }
  };

  return async (ort, build, model, provider, refuseCpuNodes = false) => {
    await prepare(ort, build);
    const user = sessionOptions ?? {};
    const extra = refuseCpuNodes
      ? { ...user.extra, session: { ...(user.extra?.session as Record<string, unknown> | undefined), disable_cpu_ep_fallback: '1' } }
      : user.extra;
    try {
      return await ort.InferenceSession.create(model, {
        ...TINY_MODEL_SESSION_OPTIONS,
        ...user,
        ...(extra === undefined ? {} : { extra }),
        executionProviders: [provider],
      });
    } finally {
      started.add(ort);
      // onnxruntime has compiled the runtime by now; a single-threaded page needs the bytes no more.
      if (threads <= 1) ort.env.wasm.wasmBinary = undefined;
    }
  };
}

interface WebGpuContext {
  readonly load: OrtWebLoader;
  readonly open: SessionOpener;
  readonly backend: WebBackend;
  readonly warn: (message: string) => void;
}

/** A session on WebGPU that ran a first step, or why there is none (no adapter, no shader-f16, a build that did not load, CPU nodes, a failed step). */
async function webGpuSession({ load, open, backend, warn }: WebGpuContext, model: Uint8Array, info: ModelInfo): Promise<WebGpuAttempt> {
  const adapter = await findWebGpuAdapter();
  if (!adapter.found) return { reason: adapter.reason };
  if (info.precision === 'float16' && !adapter.shaderF16) {
    return { reason: `the WebGPU adapter (${adapter.description}) has no shader-f16, which a float16 model needs` };
  }
  const build = webGpuBuild();
  let ort: OrtWebModule;
  try {
    ort = await load(build);
  } catch (error) {
    return { reason: `onnxruntime-web's ${build} build did not load: ${(error as Error).message}` };
  }
  let session: InferenceSession;
  try {
    session = await open(ort, build, model, 'webgpu', true);
  } catch (error) {
    const message = (error as Error).message;
    if (!CPU_NODES_REFUSED.test(message)) return { reason: message };
    const partly = "onnxruntime-web's WebGPU provider would run part of this model on the CPU";
    if (backend === 'auto') return { reason: partly };
    warn(`@charrnn/infer-web: ${partly} (backend 'wasm' runs all of it in WebAssembly); running it so, as backend 'webgpu' asks`);
    try {
      session = await open(ort, build, model, 'webgpu');
    } catch (retryError) {
      return { reason: (retryError as Error).message };
    }
  }
  const recurrent = new OrtRecurrentSession(ort, session, info, 'webgpu');
  const failure = await firstStepFailure(recurrent, info);
  if (failure !== undefined) {
    await recurrent.release().catch(() => undefined);
    return { reason: `a first step on WebGPU failed: ${failure}` };
  }
  return { session: recurrent, detail: `${adapter.description}; onnxruntime-web's ${build} build` };
}

/** One step from the zero state: undefined if it ran and gave finite logits, else what went wrong. */
async function firstStepFailure(session: RecurrentSession, info: ModelInfo): Promise<string | undefined> {
  const state = (): Float32Array => new Float32Array(stateSize(info));
  try {
    const { logits } = await session.run(new BigInt64Array(1), 1, 1, state(), hasState(info.arch, 'c') ? state() : undefined);
    if (logits.length !== info.vocabSize) return `logits have ${logits.length} values, expected ${info.vocabSize}`;
    const bad = logits.findIndex((v) => !Number.isFinite(v));
    return bad === -1 ? undefined : `logit ${bad} is ${logits[bad]}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** CharGenerator whose load() fetches URLs and runs on onnxruntime-web by default. */
export class CharGenerator extends CoreCharGenerator {
  static override async load(source: ModelSource, options: WebLoadOptions = {}): Promise<CoreCharGenerator> {
    return super.load(source, { ...options, runtime: options.runtime ?? webRuntime(options) });
  }
}
