import { jest } from '@jest/globals';
import * as esbuild from 'esbuild';
import * as ortWeb from 'onnxruntime-web';
import { fileURLToPath } from 'node:url';
import { CharGenerator, webRuntime, type OrtApi } from './index.js';
import { testModel } from './test-helpers/models.js';

type WebOrt = OrtApi & { env: typeof ortWeb.env };

/** onnxruntime-web whose WebGPU provider fails, recording the providers and env it was given. */
function fakeWeb(gpuWorks: boolean): { ort: WebOrt; providers: string[][]; env: { wasm: { numThreads?: number; wasmPaths?: unknown } } } {
  const providers: string[][] = [];
  const env = { wasm: {} as { numThreads?: number; wasmPaths?: unknown } };
  const ort = {
    env,
    Tensor: ortWeb.Tensor,
    InferenceSession: {
      create: async (model: Uint8Array, options?: { executionProviders?: readonly unknown[] }) => {
        const eps = (options?.executionProviders ?? []) as string[];
        providers.push(eps);
        if (eps.includes('webgpu') && !gpuWorks) throw new Error('no available backend found. ERR: [webgpu] WebGPU is not supported');
        return ortWeb.InferenceSession.create(model, { ...options, executionProviders: ['wasm'] });
      },
    },
  } as unknown as WebOrt;
  return { ort, providers, env };
}

describe('browser entry (onnxruntime-web)', () => {
  const fused = testModel('gru');
  const step = testModel('gru', { graph: 'step' });
  const nav = globalThis as { navigator?: unknown };
  const hadNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (hadNavigator) Object.defineProperty(globalThis, 'navigator', hadNavigator);
  });
  function withWebGpu(): void {
    Object.defineProperty(globalThis, 'navigator', { value: { ...(nav.navigator as object), gpu: {} }, configurable: true });
  }

  test("'auto' without WebGPU uses wasm; wasmPaths and numThreads reach ort.env", async () => {
    const { ort, providers, env } = fakeWeb(false);
    const gen = await CharGenerator.load(step, { ort, wasmPaths: '/static/ort/', numThreads: 1 });
    expect(gen.backend).toBe('wasm');
    expect(providers).toEqual([['wasm']]);
    expect(env.wasm).toEqual({ numThreads: 1, wasmPaths: '/static/ort/' });
  });

  test("'auto' with WebGPU takes it for a step graph, not for a fused graph", async () => {
    withWebGpu();
    const a = fakeWeb(true);
    expect((await CharGenerator.load(step, { ort: a.ort })).backend).toBe('webgpu');
    const b = fakeWeb(true);
    expect((await CharGenerator.load(fused, { ort: b.ort })).backend).toBe('wasm');
    expect(b.providers).toEqual([['wasm']]);
  });

  test('a WebGPU failure falls back to wasm and is reported once', async () => {
    withWebGpu();
    const { ort, providers } = fakeWeb(false);
    const logger = { warn: jest.fn() };
    const gen = await CharGenerator.load(step, { ort, logger });
    await CharGenerator.load(step, { ort, logger });
    expect(gen.backend).toBe('wasm');
    expect(providers).toEqual([['webgpu'], ['wasm'], ['webgpu'], ['wasm']]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(await gen.generate('the', { temperature: 0, maxNewTokens: 4 })).toHaveLength(4);
  });

  test('bad backend names are refused', () => {
    expect(() => webRuntime({ backend: 'webgl' as never })).toThrow(/option backend is "webgl"; expected one of auto, webgpu, wasm/);
    expect(() => webRuntime({ numThreads: 0.5 })).toThrow(/numThreads/);
  });

  test('URLs are fetched with progress; HTTP errors name the URL and status', async () => {
    const realFetch = globalThis.fetch;
    const progress: [number, number | undefined][] = [];
    globalThis.fetch = (async (url: string | URL) =>
      String(url).endsWith('missing.onnx')
        ? new Response('nope', { status: 404, statusText: 'Not Found' })
        : new Response(fused.slice().buffer, { headers: { 'content-length': String(fused.byteLength) } })) as typeof fetch;
    try {
      const gen = await CharGenerator.load('https://example.test/model.onnx', { backend: 'wasm', onProgress: (l, t) => progress.push([l, t]) });
      expect(gen.info.arch).toBe('gru');
      expect(progress.at(-1)).toEqual([fused.byteLength, fused.byteLength]);
      await expect(CharGenerator.load('https://example.test/missing.onnx')).rejects.toThrow(
        'could not fetch model https://example.test/missing.onnx: HTTP 404 Not Found',
      );
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  test('the browser entry bundles for the browser without node: modules or onnxruntime-node', async () => {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      external: ['onnxruntime-web'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('onnxruntime-node') || p.startsWith('node:'))).toBe(false);
    expect(inputs.some((p) => p.endsWith('generator.ts'))).toBe(true);
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports).toEqual(['onnxruntime-web']);
  });
});
