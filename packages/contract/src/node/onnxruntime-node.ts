/**
 * onnxruntime-node is an optional peer of the packages that run graphs in Node (train, export,
 * infer-web): each imports it when first needed, and a missing install is reported with the same
 * words. Its npm tarball holds the CPU provider; its install script only downloads the CUDA
 * provider, from the internet, on every linux/x64 install unless told to skip.
 */

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
  return new RegExp(`'(?:[^']*/node_modules/)?${escaped}'`).test(String(err?.message ?? ''));
}
