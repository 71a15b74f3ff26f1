import { BackendUnavailableError } from '../core/errors.js';
import { RUNTIME_FILES_HINT, runtimeLoadError } from './wasm-load-error.js';

// onnxruntime-web 1.30's words in Chromium when the page's folder has no .wasm (first load, then the next).
const FIRST = new Error('no available backend found. ERR: [wasm] RuntimeError: Aborted(both async and sync fetching of the wasm failed). Build with -sASSERTIONS for more info.');
const AGAIN = new Error("no available backend found. ERR: [wasm] Error: previous call to 'initializeWebAssembly()' failed.");
// Chromium's, Firefox's and Safari's when infer-web.js's folder has no ort.wasm.bundle.min.mjs.
const NO_BUILD = new TypeError('Failed to fetch dynamically imported module: http://127.0.0.1:8080/lib/ort.wasm.bundle.min.mjs');
const NO_BUILD_FIREFOX = new TypeError('error loading dynamically imported module: https://x.test/lib/ort.wasm.bundle.min.mjs');
const NO_BUILD_SAFARI = new TypeError('Importing a module script failed.');

describe('a missing onnxruntime-web file', () => {
  test('becomes an error naming where the files were looked for, the bin that copies them and wasmPaths', () => {
    const error = runtimeLoadError(FIRST, undefined) as Error;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.message).toBe(
      `${FIRST.message}: onnxruntime-web's files are not beside infer-web.js or its chunk; ` +
        'copy them into the site with `npx charrnn-web-files <folder>`, or pass wasmPaths, the URL prefix where they are served',
    );
    expect(RUNTIME_FILES_HINT).toMatch(/^copy them into the site with `npx charrnn-web-files <folder>`/);
    expect((runtimeLoadError(AGAIN, 'https://example.test/ort/') as Error).message).toBe(
      `${AGAIN.message}: onnxruntime-web's files are not under wasmPaths https://example.test/ort/; ${RUNTIME_FILES_HINT}`,
    );
    for (const missing of [NO_BUILD, NO_BUILD_FIREFOX, NO_BUILD_SAFARI]) {
      expect((runtimeLoadError(missing, undefined) as Error).message).toBe(`${missing.message}: onnxruntime-web's files are not beside infer-web.js or its chunk; ${RUNTIME_FILES_HINT}`);
    }
  });

  test('a runtime the server still has is a download that failed on the way, not a file to copy', () => {
    const url = 'https://x.test/lib/ort-wasm-simd-threaded.wasm';
    const served = runtimeLoadError(FIRST, undefined, { url, answer: 'served' }) as Error;
    expect(served).toBeInstanceOf(BackendUnavailableError);
    expect(served.message).toBe(`${FIRST.message}: onnxruntime-web's runtime ${url} is on the server, so its download failed on the way (a network error); reload the page to try again`);
    expect(served.message).not.toContain('charrnn-web-files');
    const unreachable = (runtimeLoadError(AGAIN, undefined, { url, answer: 'unreachable' }) as Error).message;
    expect(unreachable).toBe(`${AGAIN.message}: the server did not answer for onnxruntime-web's runtime ${url} (a network error); reload the page to try again. If it persists: ${RUNTIME_FILES_HINT}`);
    // A 404 on the probe is a missing file: the site author's message.
    expect((runtimeLoadError(FIRST, undefined, { url, answer: 'missing' }) as Error).message).toBe((runtimeLoadError(FIRST, undefined) as Error).message);
  });

  test('any other error is returned as it was', () => {
    const others = [
      new TypeError('Failed to fetch dynamically imported module: http://127.0.0.1/lib/chunk-ABC.js'),
      new Error('Load model from /m.onnx failed: Protobuf parsing failed.'),
      undefined,
    ];
    for (const other of others) expect(runtimeLoadError(other, undefined)).toBe(other);
  });
});
