/**
 * The onnxruntime-node adapter: execution providers `cuda` then `cpu`. Model strings are paths,
 * file: URLs or http(s) URLs. onnxruntime-node is an optional peer, imported when the first model
 * loads: importing (or require()-ing) this module works without it, and a load without it says
 * how to install it.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { InferenceSession } from 'onnxruntime-web';
import type { ModelInfo } from '@charrnn/contract';
import { cudaProviderMissing, loadOnnxruntimeNode as loadOrtNodeModule, OnnxruntimeNodeLoadError, ONNXRUNTIME_NODE_INSTALL_HINT, onnxruntimeNodeDir } from '@charrnn/contract/node';
import { BackendUnavailableError, InvalidOptionError, ModelSourceError } from '../core/errors.js';
import { CharGenerator as CoreCharGenerator, type LoadOptions } from '../core/generator.js';
import { loadNativeBinding, NativeOrtRunner } from './native-session.js';
import { OrtRecurrentSession, TINY_MODEL_SESSION_OPTIONS, type OrtApi, type OrtRunner } from '../core/ort-session.js';
import type { Logger, RecurrentSession, Runtime } from '../core/session.js';
import { SizedRecurrentSession } from '../core/sized-session.js';
import { fetchModel, type FetchModelOptions, type ModelSource, type ProgressCallback } from '../core/source.js';

export type NodeBackend = 'auto' | 'cuda' | 'cpu';
const NODE_BACKENDS: readonly NodeBackend[] = ['auto', 'cuda', 'cpu'];

export interface NodeRuntimeOptions {
  /** 'auto' tries CUDA, then falls back to CPU (said once through `logger.info`). Default 'auto'. */
  backend?: NodeBackend;
  /** Threads inside one op. Default 1: a step of a small RNN is too short to split. */
  intraOpNumThreads?: number;
  /**
   * On CPU, intra-op threads of a second session on the same model that runs the large runs
   * (prompt priming, batches: see sized-session.ts). Default min(2, available CPUs); a value not
   * above `intraOpNumThreads` opens no second session. Its threads sleep between runs rather
   * than spin, so they cost nothing while a batch-1 generation runs on one thread.
   */
  largeRunIntraOpNumThreads?: number;
  /** Extra onnxruntime session options, applied last. */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Why onnxruntime-node's CUDA provider cannot be used (its library is missing), or undefined if
   * it may be tried; default: look for the library in onnxruntime-node's folder (@charrnn/contract/node).
   * Checked before asking onnxruntime for CUDA, which otherwise prints a native error line of its own.
   */
  cudaMissing?: () => Promise<string | undefined>;
  /** The onnxruntime module; default onnxruntime-node (tests inject fakes). */
  ort?: OrtApi;
  /** Imports onnxruntime-node when `ort` is not given; injectable so tests can simulate a missing install. */
  loader?: ModuleLoader;
  /**
   * Where the runtime reports: `info` gets the one note that 'auto' fell back to the CPU. Default:
   * warnings to console.warn, no info (console.info would write to stdout, where a CLI's text goes).
   */
  logger?: Logger;
}

export interface NodeLoadOptions extends LoadOptions, NodeRuntimeOptions {}

const DEFAULT_LOGGER: Logger = { warn: (message) => console.warn(message) };

/** Loggers already told that CUDA is unavailable: the fallback is reported once, not per load. */
const toldFallback = new WeakSet<Logger>();

/** Imports a module by name; injectable so tests can simulate a missing or broken onnxruntime-node. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

/** onnxruntime-node's module, or a BackendUnavailableError saying why not and how to install it. */
export async function loadOnnxruntimeNode(loader: ModuleLoader = (s) => import(s)): Promise<OrtApi> {
  try {
    return (await loadOrtNodeModule(loader)) as OrtApi;
  } catch (error) {
    if (!(error instanceof OnnxruntimeNodeLoadError)) throw error;
    if (error.problem === 'missing') {
      throw new BackendUnavailableError(`@charrnn/infer-web/node runs models on onnxruntime-node, which is not installed: ${ONNXRUNTIME_NODE_INSTALL_HINT}`);
    }
    throw new BackendUnavailableError(error.message);
  }
}

async function readModelFile(source: string | URL, onProgress?: ProgressCallback, options?: FetchModelOptions): Promise<Uint8Array> {
  const url = source instanceof URL ? source : /^(https?|file):/i.test(source) ? new URL(source) : undefined;
  if (url !== undefined && url.protocol !== 'file:') return fetchModel(url, onProgress, options);
  const path = url !== undefined ? fileURLToPath(url) : (source as string);
  try {
    const bytes = await readFile(path);
    onProgress?.(bytes.byteLength, bytes.byteLength);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw new ModelSourceError(`could not read model file ${path}: ${(error as Error).message}`);
  }
}

export function nodeRuntime(options: NodeRuntimeOptions = {}): Runtime {
  const backend = options.backend ?? 'auto';
  if (!NODE_BACKENDS.includes(backend)) {
    throw new InvalidOptionError(`option backend is ${JSON.stringify(backend)}; expected one of ${NODE_BACKENDS.join(', ')}`);
  }
  const threads = options.intraOpNumThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new InvalidOptionError(`option intraOpNumThreads is ${String(threads)}; expected an integer ≥ 0 (0 = onnxruntime's default)`);
  }
  const largeThreads = options.largeRunIntraOpNumThreads ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(largeThreads) || largeThreads < 0) {
    throw new InvalidOptionError(`option largeRunIntraOpNumThreads is ${String(largeThreads)}; expected an integer ≥ 0 (0 = onnxruntime's default)`);
  }
  let ortModule: Promise<OrtApi> | undefined;
  const loadOrt = (): Promise<OrtApi> => (ortModule ??= options.ort ? Promise.resolve(options.ort) : loadOnnxruntimeNode(options.loader));
  const logger = options.logger ?? DEFAULT_LOGGER;
  const open = async (ort: OrtApi, model: Uint8Array, providers: string[], intraOpNumThreads = threads): Promise<OrtRunner> => {
    const sessionOptions: InferenceSession.SessionOptions = {
      ...TINY_MODEL_SESSION_OPTIONS,
      intraOpNumThreads,
      interOpNumThreads: 1,
      // Workers that spin between runs would take a core from the JS thread and other processes.
      ...(intraOpNumThreads === 1 ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
      ...options.sessionOptions,
      executionProviders: providers,
    };
    // onnxruntime-node itself (not an injected module): skip its per-call promise layer.
    const native = options.ort === undefined ? await loadNativeBinding() : undefined;
    if (native !== undefined) return NativeOrtRunner.open(native, model, sessionOptions);
    return ort.InferenceSession.create(model, sessionOptions);
  };
  const openCpu = async (ort: OrtApi, model: Uint8Array, info: ModelInfo): Promise<RecurrentSession> => {
    const small = new OrtRecurrentSession(ort, await open(ort, model, ['cpu']), info, 'cpu');
    if (threads === 0 || (largeThreads !== 0 && largeThreads <= threads)) return small;
    const large = new OrtRecurrentSession(ort, await open(ort, model, ['cpu'], largeThreads), info, 'cpu');
    return new SizedRecurrentSession(small, large, info);
  };

  return {
    name: 'onnxruntime-node',
    readModel: readModelFile,
    async createSession(model: Uint8Array, info: ModelInfo): Promise<RecurrentSession> {
      const ort = await loadOrt();
      if (backend === 'cpu') return openCpu(ort, model, info);
      try {
        // An injected ort (tests, other builds) is asked directly; onnxruntime-node's own files are checked first.
        const missing = options.cudaMissing ? await options.cudaMissing() : options.ort === undefined ? await cudaProviderMissing(onnxruntimeNodeDir()) : undefined;
        if (missing !== undefined) throw new Error(missing);
        return new OrtRecurrentSession(ort, await open(ort, model, ['cuda', 'cpu']), info, 'cuda');
      } catch (error) {
        const reason = (error as Error).message;
        if (backend === 'cuda') {
          throw new BackendUnavailableError(
            `backend 'cuda' was requested but onnxruntime-node could not load its CUDA execution provider (${reason}); ` +
              "install the CUDA build of onnxruntime-node's provider libraries, or use backend 'cpu' or 'auto'",
          );
        }
        if (!toldFallback.has(logger)) {
          toldFallback.add(logger);
          // Information, not a warning: on most machines there is no GPU, and 'auto' did what it says.
          logger.info?.(`@charrnn/infer-web: CUDA execution provider unavailable (${reason}); using CPU`);
        }
        return openCpu(ort, model, info);
      }
    },
  };
}

/** CharGenerator whose load() reads paths and runs on onnxruntime-node by default. */
export class CharGenerator extends CoreCharGenerator {
  static override async load(source: ModelSource, options: NodeLoadOptions = {}): Promise<CoreCharGenerator> {
    return super.load(source, { ...options, runtime: options.runtime ?? nodeRuntime(options) });
  }
}
