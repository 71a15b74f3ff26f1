/**
 * A page loads onnxruntime-web's files when the first session starts: the script-tag build
 * imports a build (`ort.wasm.bundle.min.mjs`) from beside itself, and every build fetches its
 * WebAssembly runtime from beside itself or from `wasmPaths`. A missing file surfaces as the
 * browser's "Failed to fetch dynamically imported module" or onnxruntime-web's "both async and
 * sync fetching of the wasm failed", neither of which names the fix; the error below does. Kept
 * short: it is in every page's bundle.
 */
import { BackendUnavailableError } from '../core/errors.js';

// onnxruntime-web's words ("both async and sync fetching of the wasm failed", and a second load's
// "previous call to 'initializeWebAssembly()' failed"), then Chromium's and Firefox's ("… dynamically
// imported module: <url>") and Safari's ("Importing a module script failed") for a failed import().
const RUNTIME_FETCH_FAILED = /of the wasm failed|'initializeWebAssembly\(\)' failed|imported module: \S*\/ort[.-]|a module script failed/i;

/** How a site gets onnxruntime-web's files, which this package does not publish (they are onnxruntime-web's). */
export const RUNTIME_FILES_HINT =
  'copy them into the site with `npx charrnn-web-files <folder>`, or pass wasmPaths, the URL prefix where they are served';

/** Whether onnxruntime-web's runtime answered when asked again: a missing file is the site's to fix, a dropped download is not. */
export type RuntimeProbe = { url: string; answer: 'served' | 'missing' | 'unreachable' } | undefined;

/** Asks the server for the runtime's headers (no body) once its download has failed. */
export async function probeRuntime(url: string | undefined): Promise<RuntimeProbe> {
  if (url === undefined) return undefined;
  try {
    const response = await fetch(url, { method: 'HEAD', cache: 'no-store' });
    return { url, answer: response.ok ? 'served' : 'missing' };
  } catch {
    return { url, answer: 'unreachable' };
  }
}

/**
 * The error to throw for one onnxruntime-web could not start with: a BackendUnavailableError
 * saying where the files were looked for and how to serve them when a file was missing, or that
 * the download failed on the way when the server still has the file (`probe`); else the error itself.
 */
export function runtimeLoadError(error: unknown, wasmPaths: string | undefined, probe?: RuntimeProbe): unknown {
  const message = String((error as { message?: unknown } | null)?.message ?? error).split('\n')[0];
  if (!RUNTIME_FETCH_FAILED.test(message)) return error;
  // onnxruntime-web remembers a failed start ("previous call to 'initializeWebAssembly()' failed"): only a reload retries.
  if (probe?.answer === 'served') {
    return new BackendUnavailableError(`${message}: onnxruntime-web's runtime ${probe.url} is on the server, so its download failed on the way (a network error); reload the page to try again`);
  }
  if (probe?.answer === 'unreachable') {
    return new BackendUnavailableError(`${message}: the server did not answer for onnxruntime-web's runtime ${probe.url} (a network error); reload the page to try again. If it persists: ${RUNTIME_FILES_HINT}`);
  }
  const where = wasmPaths === undefined ? 'beside infer-web.js or its chunk' : `under wasmPaths ${wasmPaths}`;
  return new BackendUnavailableError(`${message}: onnxruntime-web's files are not ${where}; ${RUNTIME_FILES_HINT}`);
}
