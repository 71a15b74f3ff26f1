/**
 * A page loads onnxruntime-web's files when the first session starts: the script-tag build
 * imports a build (`ort.wasm.bundle.min.mjs`) from beside itself, and every build fetches its
 * WebAssembly runtime from beside itself or from `wasmPaths`. A missing file surfaces as the
 * browser's "Failed to fetch dynamically imported module" or onnxruntime-web's "both async and
 * sync fetching of the wasm failed", neither of which names the fix; the error below does. Kept
 * short: it is in every page's bundle.
 */
import { BackendUnavailableError } from './errors.js';

// onnxruntime-web's words ("both async and sync fetching of the wasm failed", and a second load's
// "previous call to 'initializeWebAssembly()' failed"), then Chromium's and Firefox's ("… dynamically
// imported module: <url>") and Safari's ("Importing a module script failed") for a failed import().
const RUNTIME_FETCH_FAILED = /of the wasm failed|'initializeWebAssembly\(\)' failed|imported module: \S*\/ort[.-]|a module script failed/i;

/** How a site gets onnxruntime-web's files, which this package does not publish (they are onnxruntime-web's). */
export const RUNTIME_FILES_HINT =
  'copy them into the site with `npx charrnn-web-files <folder>`, or pass wasmPaths, the URL prefix where they are served';

/**
 * The error to throw for one onnxruntime-web could not start with: a BackendUnavailableError
 * saying where the files were looked for and how to serve them when a file was missing; else the
 * error itself.
 */
export function runtimeLoadError(error: unknown, wasmPaths: string | undefined): unknown {
  const message = String((error as { message?: unknown } | null)?.message ?? error).split('\n')[0];
  if (!RUNTIME_FETCH_FAILED.test(message)) return error;
  const where = wasmPaths === undefined ? 'beside infer-web.js or its chunk' : `under wasmPaths ${wasmPaths}`;
  return new BackendUnavailableError(`${message}: onnxruntime-web's files are not ${where}; ${RUNTIME_FILES_HINT}`);
}
