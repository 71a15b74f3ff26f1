import { jest } from '@jest/globals';
import * as ortWasm from 'onnxruntime-web/wasm';
import { CharGenerator, clearDownloadCache, DEFAULT_CACHE_NAME, type OrtWebModule } from '../index.js';
import { testModel } from '../test-helpers/models.js';

/** The Cache API as browsers have it, over Maps (Node has none). */
class MemoryCaches {
  readonly stores = new Map<string, Map<string, Response>>();
  async open(name: string) {
    let store = this.stores.get(name);
    if (store === undefined) this.stores.set(name, (store = new Map()));
    const entries = store;
    return {
      match: async (key: string) => entries.get(key)?.clone(),
      put: async (key: string, response: Response) => void entries.set(key, response),
    };
  }
  async delete(name: string) {
    return this.stores.delete(name);
  }
}

const fused = testModel('gru');
// The real wasm build under the recording one: one thread (its default asks node:os, which its ESM bundle cannot require).
ortWasm.env.wasm.numThreads = 1;
const RUNTIME = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

/** onnxruntime-web's wasm build, recording what its env held when each session was created. */
function recordingWasmBuild() {
  const envAtCreate: { wasmBinary: unknown; wasmPaths: unknown }[] = [];
  const env = { wasm: {} as Record<string, unknown>, versions: { web: '1.30.0' } };
  const module = {
    env,
    Tensor: ortWasm.Tensor,
    InferenceSession: {
      create: async (model: Uint8Array, options?: ortWasm.InferenceSession.SessionOptions) => {
        envAtCreate.push({ wasmBinary: env.wasm.wasmBinary, wasmPaths: env.wasm.wasmPaths });
        return ortWasm.InferenceSession.create(model, options);
      },
    },
  } as unknown as OrtWebModule;
  return { module, envAtCreate };
}

describe('option cache (Cache API)', () => {
  const realFetch = globalThis.fetch;
  let requests: string[];
  let caches: MemoryCaches;

  beforeEach(() => {
    requests = [];
    caches = new MemoryCaches();
    (globalThis as { caches?: unknown }).caches = caches;
    globalThis.fetch = (async (url: string | URL, init?: RequestInit) => {
      // onnxruntime-web in Node reads its own .wasm through fetch too: not the site's.
      if (!String(url).startsWith('https://site.test/')) return realFetch(url, init);
      requests.push(String(url));
      const path = new URL(String(url)).pathname;
      if (path.startsWith('/lib/') && path.endsWith('.wasm')) return new Response(RUNTIME.slice(), { headers: { 'content-type': 'application/wasm' } });
      if (path === '/model.onnx') return new Response(fused.slice(), { headers: { 'content-length': String(fused.byteLength) } });
      if (path === '/broken.onnx') return new Response(fused.slice(0, 200));
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
    delete (globalThis as { caches?: unknown }).caches;
  });

  test('a second load reads the model and the runtime from the cache: no request', async () => {
    const text = async () => {
      const build = recordingWasmBuild();
      const progress: number[][] = [];
      const gen = await CharGenerator.load('https://site.test/model.onnx', {
        backend: 'wasm',
        cache: true,
        wasmPaths: 'https://site.test/lib/',
        ort: build.module,
        onProgress: (loaded, total) => progress.push([loaded, total ?? -1]),
      });
      expect(progress.at(-1)).toEqual([fused.byteLength, fused.byteLength]);
      const out = await gen.generate('the cat', { maxNewTokens: 20, temperature: 0 });
      await gen.release();
      return { out, env: build.envAtCreate };
    };
    const first = await text();
    expect(requests).toEqual(['https://site.test/model.onnx', 'https://site.test/lib/ort-wasm-simd-threaded.wasm']);
    // onnxruntime got the runtime's bytes and no prefix (it would fetch the loader .mjs from there).
    expect(first.env).toEqual([{ wasmBinary: RUNTIME, wasmPaths: undefined }]);
    const stored = [...caches.stores.get(DEFAULT_CACHE_NAME)!.keys()].sort();
    expect(stored).toEqual(['https://site.test/lib/ort-wasm-simd-threaded.wasm?onnxruntime-web=1.30.0', 'https://site.test/model.onnx']);

    requests.length = 0;
    const second = await text();
    expect(requests).toEqual([]);
    expect(second.out).toBe(first.out);
    expect(second.env).toEqual([{ wasmBinary: RUNTIME, wasmPaths: undefined }]);

    expect(await clearDownloadCache()).toBe(true);
    await text();
    expect(requests).toHaveLength(2);
  });

  test('a model that does not load is not kept; a named cache is used as named', async () => {
    const build = recordingWasmBuild();
    await expect(CharGenerator.load('https://site.test/broken.onnx', { backend: 'wasm', cache: 'mine', ort: build.module })).rejects.toThrow();
    expect([...(caches.stores.get('mine')?.keys() ?? [])]).toEqual([]);
    await CharGenerator.load('https://site.test/model.onnx', { backend: 'wasm', cache: 'mine', ort: recordingWasmBuild().module, logger: { warn: () => {} } });
    expect([...caches.stores.get('mine')!.keys()]).toEqual(['https://site.test/model.onnx']);
    expect(caches.stores.has(DEFAULT_CACHE_NAME)).toBe(false);
  });

  test('without a known runtime URL only the model is kept, and that is said once; without the Cache API nothing is', async () => {
    const logger = { warn: jest.fn<(m: string) => void>() };
    for (let i = 0; i < 2; i++) {
      const build = recordingWasmBuild();
      await CharGenerator.load('https://site.test/model.onnx', { backend: 'wasm', cache: true, ort: build.module, logger });
      expect(build.envAtCreate).toEqual([{ wasmBinary: undefined, wasmPaths: undefined }]);
    }
    expect(requests).toEqual(['https://site.test/model.onnx']);
    expect(logger.warn.mock.calls).toEqual([
      ["@charrnn/infer-web: option cache keeps the model but not onnxruntime-web's runtime: its URL is unknown here (pass wasmPaths, the URL prefix where the .wasm files are served)"],
    ]);

    delete (globalThis as { caches?: unknown }).caches;
    await CharGenerator.load('https://site.test/model.onnx', { backend: 'wasm', cache: true, wasmPaths: 'https://site.test/lib/', ort: recordingWasmBuild().module, logger });
    expect(logger.warn.mock.calls.at(-1)).toEqual([
      '@charrnn/infer-web: option cache is set but this page has no Cache API (it needs a secure context: https or localhost); downloading without it',
    ]);
  });

  test('a runtime that cannot be fetched names its URL and what to do', async () => {
    await expect(
      CharGenerator.load(fused, { backend: 'wasm', cache: true, wasmPaths: 'https://site.test/nowhere/', ort: recordingWasmBuild().module }),
    ).rejects.toThrow(
      "could not fetch onnxruntime-web's runtime https://site.test/nowhere/ort-wasm-simd-threaded.wasm: HTTP 404 Not Found; copy them into the site with `npx charrnn-web-files <folder>`, or pass wasmPaths, the URL prefix where they are served",
    );
  });
});
