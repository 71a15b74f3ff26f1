/**
 * onnxruntime-node is an optional peer of the packages that run graphs in Node (train, export,
 * infer-web): each imports it when first needed, and a missing install is reported with the same
 * words. Its npm tarball holds the CPU provider; its install script only downloads the CUDA
 * provider, from the internet, on every linux/x64 install unless told to skip.
 */
import type { OrtApi } from '../ort-api.js';

/** How to install onnxruntime-node without its CUDA download. */
export const ONNXRUNTIME_NODE_INSTALL_HINT =
  'install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node (its install script only downloads the CUDA provider)';

/**
 * Whether an import failed because `specifier` itself is not installed (not because one of its
 * own files or imports is missing, or it threw while loading). Node names the package
 * ('onnxruntime-node'); a resolver given a path names its folder ('/app/node_modules/onnxruntime-node').
 */
export function isModuleMissing(error: unknown, specifier: string): boolean {
  const err = error as { code?: unknown; message?: unknown } | null;
  const code = err?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const escaped = specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`'(?:[^']*/node_modules/)?${escaped}'`).test(typeof err?.message === 'string' ? err.message : '');
}

/** Why onnxruntime-node could not be used: not installed, failed while loading, or loaded without the API. */
export type OnnxruntimeNodeProblem = 'missing' | 'broken' | 'incomplete';

export class OnnxruntimeNodeLoadError extends Error {
  override name = 'OnnxruntimeNodeLoadError';
  constructor(
    message: string,
    readonly problem: OnnxruntimeNodeProblem,
  ) {
    super(message);
  }
}

/**
 * onnxruntime-node's module through `loader` (the caller's `(s) => import(s)`, so that it resolves
 * from the package that declares the peer), or an OnnxruntimeNodeLoadError saying what is wrong.
 */
export async function loadOnnxruntimeNode(loader: (specifier: string) => Promise<unknown>): Promise<OrtApi> {
  let mod: { default?: unknown; InferenceSession?: unknown } | undefined;
  try {
    mod = (await loader('onnxruntime-node')) as typeof mod;
  } catch (error) {
    if (isModuleMissing(error, 'onnxruntime-node')) throw new OnnxruntimeNodeLoadError('onnxruntime-node is not installed', 'missing');
    const message = String((error as { message?: unknown } | null)?.message ?? error).split('\n')[0];
    throw new OnnxruntimeNodeLoadError(`onnxruntime-node failed to load: ${message}`, 'broken');
  }
  const api = (mod?.InferenceSession ? mod : mod?.default) as Partial<OrtApi<unknown, unknown, unknown>> | undefined;
  if (typeof api?.InferenceSession?.create !== 'function' || typeof api.Tensor !== 'function') {
    throw new OnnxruntimeNodeLoadError('onnxruntime-node loaded but has no InferenceSession/Tensor; expected onnxruntime-node 1.30', 'incomplete');
  }
  return api as OrtApi;
}
