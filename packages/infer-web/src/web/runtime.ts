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
import { BackendUnavailableError, InvalidOptionError } from '../core/errors.js';
import { CharGenerator as CoreCharGenerator, type LoadOptions } from '../core/generator.js';
import { cachedRuntime, DEFAULT_CACHE_NAME, DownloadCache } from './download-cache.js';
import { importOrtWeb, runtimeUrl, webGpuBuild, type OrtWebBuild, type OrtWebLoader, type OrtWebModule } from './ort-web-builds.js';
import { OrtRecurrentSession, TINY_MODEL_SESSION_OPTIONS } from '../core/ort-session.js';
import type { Logger, RecurrentSession, Runtime } from '../core/session.js';
import { fetchModel, fetchWithProgress, type FetchModelOptions, type ModelSource, type ProgressCallback } from '../core/source.js';
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
  /**
   * Run the wasm backend in a Web Worker (onnxruntime-web's proxy worker), so that starting it and
   * every step leave the page's main thread free. Starting the runtime compiles and initialises
   * 14 MB of WebAssembly: measured in Chromium on a busy 2-core machine, a main-thread task of
   * 0.6-2.3 s without the worker, none over 0.2 s with it, at the same characters/s. Needs the
   * onnxruntime-web build's own URL (the script-tag build's files, or a bundler that keeps
   * `import.meta.url`); not used for WebGPU. Default false.
   */
  worker?: boolean;
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

/**
 * onnxruntime's WebGPU provider keeps one device context for all the sessions of a page:
 * onnxruntime-web refuses a second `InferenceSession.create` on WebGPU while one is being created
 * ("another WebGPU EP inference session is being created", below), and two generators whose runs
 * overlapped hung in Chromium (both sessions of one module, no error, no progress). So the WebGPU
 * work of this page's loads takes turns: each session's creation with its first step, then each
 * run and release. A refusal that still comes (onnxruntime-web used beside infer-web on the same
 * page) is retried after a pause; only after BUSY_RETRY_DELAYS_MS does the load give up on WebGPU,
 * and it says so as a warning.
 */
const WEBGPU_BUSY = /another WebGPU EP inference session is being created/;
const BUSY_RETRY_DELAYS_MS: readonly number[] = [50, 100, 200, 400, 800, 1600];
let webGpuTurn: Promise<unknown> = Promise.resolve();

function inWebGpuTurn<T>(work: () => Promise<T>): Promise<T> {
  const result = webGpuTurn.then(work);
  webGpuTurn = result.catch(() => undefined);
  return result;
}

/** A WebGPU session whose runs and release wait for the page's WebGPU turn. */
function takingTurns(session: RecurrentSession): RecurrentSession {
  return {
    backend: session.backend,
    run: (tokens, seq, batch, h0, c0) => inWebGpuTurn(() => session.run(tokens, seq, batch, h0, c0)),
    release: () => inWebGpuTurn(() => session.release()),
  };
}

async function createWhenFree(create: () => Promise<InferenceSession>): Promise<InferenceSession> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (!WEBGPU_BUSY.test((error as Error).message) || attempt >= BUSY_RETRY_DELAYS_MS.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_DELAYS_MS[attempt]));
    }
  }
}

/** A session on WebGPU, or why there is none; `busy`: onnxruntime-web still refused it after every retry. */
type WebGpuAttempt = { session: RecurrentSession; detail: string } | { reason: string; busy?: true };

/** onnxruntime-web modules whose WebAssembly has started: their env.wasm settings no longer count. */
const started = new WeakSet<OrtWebModule>();

/**
 * onnxruntime-web's wasm runtime downloaded by infer-web (see readModel in webRuntime), by URL,
 * shared by the loads of a page until the runtime has started; undefined where the download failed
 * (onnxruntime-web then fetches it itself and reports its own error).
 */
const runtimeDownloads = new Map<string, Promise<Uint8Array | undefined>>();
/** Runtimes that have started: a later load needs their bytes no more. */
const runtimesStarted = new Set<string>();

/** A WebAssembly module starts with \0asm: anything else (a web page served for a missing file) is left to onnxruntime-web's own error. */
const isWasm = (bytes: Uint8Array): boolean => bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;

/** The runtime's download, started here or shared with another load on the page (whose progress counts it). */
function downloadRuntime(url: string, onProgress: ProgressCallback, fetchOptions?: FetchModelOptions): { bytes: Promise<Uint8Array | undefined>; counted: boolean } {
  const shared = runtimeDownloads.get(url);
  if (shared !== undefined) return { bytes: shared, counted: false };
  const bytes = fetchWithProgress(url, "onnxruntime-web's runtime", onProgress, fetchOptions).then(
    (r) => (isWasm(r.bytes) ? r.bytes : undefined),
    () => undefined,
  );
  runtimeDownloads.set(url, bytes);
  return { bytes, counted: true };
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
  const given = options.ort;
  const load: OrtWebLoader = typeof given === 'function' ? given : given !== undefined ? async () => given : importOrtWeb;
  const logger = options.logger ?? console;
  const warn = (message: string): void => sayOnce(logger, 'warn', message);
  const cacheName = options.cache === true ? DEFAULT_CACHE_NAME : options.cache === false ? undefined : options.cache;
  const cache = cacheName === undefined ? undefined : new DownloadCache(cacheName, warn);
  const models = modelCache(cache);
  /** This load's download of the wasm runtime, when readModel started one. */
  let runtimeBytes: Promise<Uint8Array | undefined> | undefined;
  const open = sessionOpener({ threads, worker: options.worker === true }, cache, options.wasmPaths, options.sessionOptions, warn, () => runtimeBytes);

  /**
   * The wasm runtime (12 MB beside a demo model of 0.3 MB) is downloaded here, beside the model,
   * rather than by onnxruntime-web when the session starts, so that load progress counts its bytes
   * and the two downloads overlap. Only where the session will be wasm's, infer-web knows the URL
   * (the script-tag build, or wasmPaths), the module is onnxruntime-web's own, and `cache` (which
   * keeps the runtime its own way) is off.
   */
  const readModel = async (source: string | URL, onProgress?: ProgressCallback, fetchOptions?: FetchModelOptions): Promise<Uint8Array> => {
    const url = runtimeUrl('wasm', options.wasmPaths);
    if (url === undefined || given !== undefined || cache !== undefined || runtimesStarted.has(url)) return models.read(source, onProgress, fetchOptions);
    if (backend !== 'wasm' && (await findWebGpuAdapter()).found) return models.read(source, onProgress, fetchOptions);
    // Progress over both downloads: bytes so far, and a total once both sizes are known. Silent
    // once the load has its answer: the runtime's download may outlive a model that failed.
    const model = { loaded: 0, total: undefined as number | undefined };
    const runtime = { loaded: 0, total: 0 as number | undefined };
    let settled = false;
    const report = (): void => {
      if (settled) return;
      const total = model.total === undefined || runtime.total === undefined ? undefined : model.total + runtime.total;
      onProgress?.(model.loaded + runtime.loaded, total);
    };
    const download = downloadRuntime(url, (loaded, total) => {
      Object.assign(runtime, { loaded, total });
      report();
    }, fetchOptions);
    runtimeBytes = download.bytes;
    if (download.counted) runtime.total = undefined;
    try {
      const [bytes] = await Promise.all([
        models.read(source, (loaded, total) => {
          Object.assign(model, { loaded, total });
          report();
        }, fetchOptions),
        download.bytes,
      ]);
      return bytes;
    } finally {
      settled = true;
    }
  };

  return {
    name: 'onnxruntime-web',
    readModel,
    async createSession(model: Uint8Array, info: ModelInfo): Promise<RecurrentSession> {
      if (backend !== 'wasm') {
        const gpu = await inWebGpuTurn(() => webGpuSession({ load, open, backend, warn }, model, info));
        if ('session' in gpu) {
          if (backend === 'auto') sayOnce(logger, 'info', `@charrnn/infer-web: backend auto chose WebGPU (${gpu.detail})`);
          return models.accepted(model, takingTurns(gpu.session));
        }
        // A busy device is no property of this browser: auto says so as loudly as an explicit backend.
        if (backend === 'auto' && !gpu.busy) sayOnce(logger, 'info', `@charrnn/infer-web: backend auto chose wasm: ${gpu.reason}`);
        else warn(`@charrnn/infer-web: WebGPU unavailable (${gpu.reason}); using wasm`);
      }
      // The last resort: a file missing here is the site's to fix, so say how (wasm-load-error.ts).
      try {
        const ort = await load('wasm');
        const session = await open(ort, 'wasm', model, 'wasm');
        const url = runtimeUrl('wasm', options.wasmPaths);
        if (url !== undefined) {
          runtimesStarted.add(url);
          runtimeDownloads.delete(url);
        }
        // The proxy worker takes the buffers of the inputs it is given (transfers them): each step hands it copies.
        return models.accepted(model, new OrtRecurrentSession(ort, session, info, 'wasm', { copyInputs: ort.env.wasm.proxy === true }));
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
    const key = String(source);
    // A blob: URL lives as long as its document: nothing to find there on a later visit.
    if (cache === undefined || key.startsWith('blob:')) return fetchModel(source, onProgress, fetchOptions);
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
  { threads, worker }: { threads: number; worker: boolean },
  cache: DownloadCache | undefined,
  wasmPaths: WebRuntimeOptions['wasmPaths'],
  sessionOptions: WebRuntimeOptions['sessionOptions'],
  warn: (message: string) => void,
  downloadedRuntime: () => Promise<Uint8Array | undefined> | undefined,
): SessionOpener {
  /** env.wasm before a module's WebAssembly starts; with `cache`, the runtime's bytes from the cache. */
  const prepare = async (ort: OrtWebModule, build: OrtWebBuild): Promise<void> => {
    if (started.has(ort)) return;
    ort.env.wasm.numThreads = threads;
    if (build === 'wasm' && worker) ort.env.wasm.proxy = true;
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
    const downloaded = build === 'wasm' ? await downloadedRuntime() : undefined;
    if (downloaded !== undefined) ort.env.wasm.wasmBinary = downloaded;
  };

  return async (ort, build, model, provider, refuseCpuNodes = false) => {
    await prepare(ort, build);
    const user = sessionOptions ?? {};
    const extra = refuseCpuNodes
      ? { ...user.extra, session: { ...(user.extra?.session as Record<string, unknown> | undefined), disable_cpu_ep_fallback: '1' } }
      : user.extra;
    try {
      // The proxy worker takes the model's buffer; the caller keeps its bytes (the cache stores them after).
      return await ort.InferenceSession.create(ort.env.wasm.proxy === true && provider === 'wasm' ? model.slice() : model, {
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
    session = await createWhenFree(() => open(ort, build, model, 'webgpu', true));
  } catch (error) {
    const message = (error as Error).message;
    if (WEBGPU_BUSY.test(message)) {
      return { reason: `onnxruntime-web was still creating another WebGPU session after ${BUSY_RETRY_DELAYS_MS.length + 1} tries (${message})`, busy: true };
    }
    if (!CPU_NODES_REFUSED.test(message)) return { reason: message };
    const partly = "onnxruntime-web's WebGPU provider would run part of this model on the CPU";
    if (backend === 'auto') return { reason: partly };
    warn(`@charrnn/infer-web: ${partly} (backend 'wasm' runs all of it in WebAssembly); running it so, as backend 'webgpu' asks`);
    try {
      session = await createWhenFree(() => open(ort, build, model, 'webgpu'));
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
