/**
 * The ONNX Runtime engine in Node: loads onnxruntime-node (an optional peer dependency) and picks
 * its execution provider, CUDA when it is installed and starts, else the CPU, saying which once.
 */
import { cudaProviderMissing, loadOnnxruntimeNode, OnnxruntimeNodeLoadError, ONNXRUNTIME_NODE_INSTALL_HINT, onnxruntimeNodeDir } from '@charrnn/contract/node';
import type { InferenceSession } from 'onnxruntime-common';
import type { EngineFactory } from '../engine/engine.js';
import type { ModuleLoader } from '../backend/select.js';
import { GraphBuilder, encodeModel } from '@charrnn/graph';
import { OrtEngine, type OrtApi, type OrtEngineOptions } from './ort-engine.js';
import { ParallelOrtEngine } from './parallel-engine.js';

function probeModel(): Uint8Array {
  const g = new GraphBuilder('probe');
  g.op('Add', [g.input('x', 'float32', [1]), g.constant('float32', [1], [1])], 'y');
  g.output('y', 'float32', [1]);
  return encodeModel(g.build(), { opset: 17, irVersion: 8, metadata: {}, producerName: '@charrnn/train', producerVersion: '0.1.0' });
}

export type OrtDevice = 'auto' | 'cuda' | 'cpu';
export const ORT_DEVICES: readonly OrtDevice[] = ['auto', 'cuda', 'cpu'];

/** onnxruntime-node is missing or broken, or the device asked for by name cannot be used. */
export class OrtRuntimeError extends Error {
  override name = 'OrtRuntimeError';
}

export const ORT_NODE = 'onnxruntime-node';

/** How to install onnxruntime-node where its install script (a CUDA download on linux/x64) cannot run. */
export const ORT_NODE_INSTALL_HINT = ONNXRUNTIME_NODE_INSTALL_HINT;

export interface OrtNodeOptions {
  device: OrtDevice;
  /** Intra-op threads of each session on the CPU provider. */
  threads: number;
  /**
   * Data-parallel worker threads on the CPU (ParallelOrtEngine): each batch's streams are split
   * between them, each with its own sessions. 1 (the default) trains on the calling thread. CUDA
   * trains the whole batch in one session.
   */
  workers?: number;
  /** Loads onnxruntime-node; injectable so tests can simulate a missing or broken package. */
  loader?: ModuleLoader;
  /**
   * Why onnxruntime-node's CUDA provider cannot be used here (its library is not installed), or
   * undefined if it may be tried; default: look for the library in onnxruntime-node's folder
   * (@charrnn/contract/node, as infer-web does). Checked before asking onnxruntime for CUDA, which
   * otherwise prints a native error line of its own.
   */
  cudaMissing?: () => Promise<string | undefined>;
  /**
   * Refuse to place any node of a CUDA session on the CPU (onnxruntime's
   * session.disable_cpu_ep_fallback), so a graph that would silently run partly on the host fails
   * to load instead (tools/gpu-check.sh).
   */
  strictDevice?: boolean;
  /** Extra onnxruntime session options for every training session (e.g. profiling). */
  sessionOptions?: InferenceSession.SessionOptions;
  /** Sessions shared by the engines this factory makes (OrtEngineOptions.sessionCache); the caller releases them. */
  sessionCache?: Map<string, Promise<InferenceSession>>;
}

export interface OrtNodeEngine {
  factory: EngineFactory;
  /** The provider the sessions were created for: 'cuda' or 'cpu'. */
  provider: 'cuda' | 'cpu';
  /** What was tried and why the provider was taken, one line each. */
  log: string[];
}

/** Imports onnxruntime-node, or throws OrtRuntimeError saying why and how to install it. */
export async function loadOrtNode(loader: ModuleLoader = (s) => import(s)): Promise<OrtApi> {
  try {
    return (await loadOnnxruntimeNode(loader)) as OrtApi;
  } catch (error) {
    if (!(error instanceof OnnxruntimeNodeLoadError)) throw error;
    throw new OrtRuntimeError(error.problem === 'incomplete' ? error.message : `${error.message}; ${ORT_NODE_INSTALL_HINT}`);
  }
}

/**
 * The ONNX Runtime engine on onnxruntime-node. `device: 'auto'` takes CUDA when its provider is
 * installed and a session starts on it, else the CPU (one line in `log` says why); 'cuda' throws
 * OrtRuntimeError instead of falling back; 'cpu' never tries CUDA. On CUDA the weights, optimizer
 * state and carried state stay on the device between steps.
 */
export async function ortNodeEngine(options: OrtNodeOptions): Promise<OrtNodeEngine> {
  if (!ORT_DEVICES.includes(options.device)) {
    throw new OrtRuntimeError(`device ${JSON.stringify(options.device)} is not one of ${ORT_DEVICES.join(', ')}`);
  }
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new OrtRuntimeError(`workers is ${workers}, expected an integer ≥ 1 (data-parallel worker threads on the CPU)`);
  const ort = await loadOrtNode(options.loader);
  const log: string[] = [];
  const cpu: OrtEngineOptions = { ort, runtime: ORT_NODE, provider: 'cpu', intraOpNumThreads: options.threads, sessionOptions: options.sessionOptions, sessionCache: options.sessionCache };
  const threads = `${options.threads} intra-op thread${options.threads === 1 ? '' : 's'}`;
  const onCpu = (): OrtNodeEngine => {
    if (workers > 1) {
      log.push(`using ${ORT_NODE} on the CPU: ${workers} data-parallel workers (${threads} each)`);
      const parallel = { workers, intraOpNumThreads: options.threads, sessionOptions: options.sessionOptions };
      return { factory: (init) => ParallelOrtEngine.create(init, parallel), provider: 'cpu', log };
    }
    log.push(`using ${ORT_NODE} on the CPU (${threads})`);
    return { factory: (init) => OrtEngine.create(init, cpu), provider: 'cpu', log };
  };
  if (options.device === 'cpu') return onCpu();
  const cudaWorkers = `--workers ${workers} splits batches over CPU cores; on CUDA one session trains the whole batch`;
  if (workers > 1 && options.device === 'cuda') throw new OrtRuntimeError(`--device cuda: ${cudaWorkers}; use --workers 1, or --device cpu`);

  const missing = await (options.cudaMissing ?? (() => cudaProviderMissing(onnxruntimeNodeDir())))();
  if (missing !== undefined) {
    if (options.device === 'cuda') throw new OrtRuntimeError(`--device cuda: ${ORT_NODE}'s CUDA execution provider is not available (${missing}); or use --device cpu`);
    log.push(`CUDA skipped: ${missing}`);
    return onCpu();
  }
  const cuda: OrtEngineOptions = {
    ort,
    runtime: ORT_NODE,
    provider: 'cuda',
    deviceResident: true,
    sessionCache: options.sessionCache,
    sessionOptions: {
      ...options.sessionOptions,
      ...(options.strictDevice ? { extra: { ...options.sessionOptions?.extra, session: { disable_cpu_ep_fallback: '1' } } } : {}),
    },
  };
  try {
    // A one-node graph proves that a session starts on the provider before any training graph is built.
    const probe = await ort.InferenceSession.create(probeModel(), { executionProviders: ['cuda'] });
    await probe.release();
  } catch (e) {
    const why = String((e as Error).message ?? e).split('\n')[0];
    if (options.device === 'cuda') throw new OrtRuntimeError(`--device cuda: a CUDA session failed to start (${why}); use --device cpu`);
    log.push(`CUDA skipped: a session failed to start on it (${why})`);
    return onCpu();
  }
  if (workers > 1) log.push(`${cudaWorkers} (--device cpu to use them)`);
  log.push(`using ${ORT_NODE} on CUDA (weights and optimizer state stay on the device between steps)`);
  const factory: EngineFactory = (init) => OrtEngine.create(init, cuda);
  return { factory, provider: 'cuda', log };
}
