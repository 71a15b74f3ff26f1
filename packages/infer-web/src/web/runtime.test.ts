import { jest } from '@jest/globals';
import * as esbuild from 'esbuild';
import * as ortWasm from 'onnxruntime-web/wasm';
import { fileURLToPath } from 'node:url';
import { CharGenerator, webRuntime, type OrtWebBuild, type OrtWebModule } from '../index.js';
import { testModel } from '../test-helpers/models.js';

interface FakeOptions {
  /** What onnxruntime's WebGPU session creation does: work, refuse a CPU-placed node, or fail. */
  webgpu?: 'works' | 'cpu-nodes' | 'fails';
  /** With env.wasm.proxy set, take the buffers of the model and of every run's inputs, as onnxruntime-web's proxy worker does (it transfers them). */
  proxyTransfers?: boolean;
  /** The first this many WebGPU session creations are refused as onnxruntime-web refuses a second one while one is being created. */
  busy?: number;
  /** The first WebGPU run throws this. */
  runFails?: string;
}

/** WebGPU work (session creations and runs) under way now, and the most ever at once. */
interface Overlap {
  active: number;
  most: number;
}

interface Created {
  build: OrtWebBuild;
  providers: string[];
  refuseCpuNodes: boolean;
}

/**
 * onnxruntime-web's builds faked over its real wasm build in Node: records which builds were
 * loaded and how sessions were created; 'webgpu' sessions run on wasm (Node has no GPU).
 */
function fakeBuilds(options: FakeOptions = {}) {
  const loaded: OrtWebBuild[] = [];
  const created: Created[] = [];
  const envs = new Map<OrtWebBuild, { wasm: { numThreads?: number; wasmPaths?: unknown; proxy?: boolean } }>();
  const webgpu: Overlap = { active: 0, most: 0 };
  /** `work` counted as WebGPU work, begun a macrotask late so that work started in the same task overlaps it. */
  const gpuWork = async <T>(work: () => Promise<T>): Promise<T> => {
    webgpu.most = Math.max(webgpu.most, ++webgpu.active);
    try {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return await work();
    } finally {
      webgpu.active--;
    }
  };
  const loader = async (build: OrtWebBuild): Promise<OrtWebModule> => {
    loaded.push(build);
    const env = envs.get(build) ?? { wasm: {} };
    envs.set(build, env);
    return {
      env,
      Tensor: ortWasm.Tensor,
      InferenceSession: {
        create: async (model: Uint8Array, sessionOptions?: ortWasm.InferenceSession.SessionOptions) => {
          const providers = (sessionOptions?.executionProviders ?? []) as string[];
          const refuseCpuNodes = (sessionOptions?.extra as { session?: Record<string, string> } | undefined)?.session?.disable_cpu_ep_fallback === '1';
          created.push({ build, providers, refuseCpuNodes });
          if (providers.includes('webgpu')) {
            if (created.filter((c) => c.providers.includes('webgpu')).length <= (options.busy ?? 0)) {
              throw new Error('another WebGPU EP inference session is being created.');
            }
            if (options.webgpu === 'fails') throw new Error('no available backend found. ERR: [webgpu] WebGPU is not supported');
            if (options.webgpu === 'cpu-nodes' && refuseCpuNodes) {
              throw new Error(
                "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: This session contains graph nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled by the user.",
              );
            }
          }
          const proxied = options.proxyTransfers === true && env.wasm.proxy === true;
          const take = <T extends Uint8Array | ortWasm.Tensor.DataType>(data: T): T => structuredClone(data, { transfer: [(data as Uint8Array).buffer] });
          const createOnWasm = () => ortWasm.InferenceSession.create(proxied ? take(model) : model, { ...sessionOptions, extra: undefined, executionProviders: ['wasm'] });
          const session = providers.includes('webgpu') ? await gpuWork(createOnWasm) : await createOnWasm();
          if (proxied) {
            const run = session.run.bind(session);
            session.run = (feeds: ortWasm.InferenceSession.FeedsType) =>
              run(Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ortWasm.Tensor(t.type, take(t.data) as Float32Array, t.dims)])));
          }
          if (providers.includes('webgpu')) {
            const run = session.run.bind(session);
            session.run = ((...args: Parameters<typeof run>) => gpuWork(() => run(...args))) as typeof session.run;
          }
          if (providers.includes('webgpu') && options.runFails !== undefined) {
            const message = options.runFails;
            session.run = async () => {
              throw new Error(message);
            };
          }
          return session;
        },
      },
    } as unknown as OrtWebModule;
  };
  return { loader, loaded, created, envs, webgpu };
}

describe('browser entry (onnxruntime-web)', () => {
  const fused = testModel('gru');
  const step = testModel('gru', { graph: 'step' });
  const hadNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  afterEach(() => {
    if (hadNavigator) Object.defineProperty(globalThis, 'navigator', hadNavigator);
    else delete (globalThis as { navigator?: unknown }).navigator;
    delete wasm.Suspending;
    delete wasm.promising;
  });
  function withAdapter(adapter: { features?: string[] } | null = {}): void {
    const gpu = {
      requestAdapter: async () =>
        adapter === null ? null : { features: new Set(adapter.features ?? []), info: { vendor: 'google', architecture: 'swiftshader', description: '' } },
    };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  }
  function withJspi(): void {
    wasm.Suspending = function Suspending() {};
    wasm.promising = () => undefined;
  }
  const logger = () => ({ warn: jest.fn<(m: string) => void>(), info: jest.fn<(m: string) => void>() });

  test("'wasm' loads only the wasm build; wasmPaths and numThreads reach its env", async () => {
    withAdapter();
    const fake = fakeBuilds();
    const gen = await CharGenerator.load(step, { backend: 'wasm', ort: fake.loader, wasmPaths: '/static/ort/', numThreads: 1 });
    expect(gen.backend).toBe('wasm');
    expect(fake.loaded).toEqual(['wasm']);
    expect(fake.created).toEqual([{ build: 'wasm', providers: ['wasm'], refuseCpuNodes: false }]);
    expect(fake.envs.get('wasm')).toEqual({ wasm: { numThreads: 1, wasmPaths: '/static/ort/' } });
  });

  test("worker: the wasm build runs in onnxruntime-web's proxy worker, which takes the buffers it is given; the text is the same and the caller's bytes stay whole", async () => {
    const texts: string[] = [];
    for (const worker of [false, true]) {
      const fake = fakeBuilds({ proxyTransfers: true });
      const model = fused.slice();
      const gen = await CharGenerator.load(model, { backend: 'wasm', ort: fake.loader, worker, seed: 1 });
      expect({ worker, proxy: fake.envs.get('wasm')!.wasm.proxy, modelBytes: model.byteLength }).toEqual({ worker, proxy: worker ? true : undefined, modelBytes: fused.byteLength });
      // Priming a prompt and 60 steps reuse the state buffers between runs.
      texts.push(await gen.generate('the cat ', { maxNewTokens: 60, temperature: 0.8 }));
      await gen.release();
    }
    expect(texts[0].length).toBe(60);
    expect(texts[1]).toBe(texts[0]);
  });

  test("'auto' without an adapter uses wasm, never loads a WebGPU build, and says why once", async () => {
    const log = logger();
    for (const adapter of ['no navigator.gpu', null] as const) {
      if (adapter === null) withAdapter(null);
      const fake = fakeBuilds();
      const gen = await CharGenerator.load(fused, { ort: fake.loader, logger: log });
      expect(gen.backend).toBe('wasm');
      expect(fake.loaded).toEqual(['wasm']);
    }
    await CharGenerator.load(fused, { ort: fakeBuilds().loader, logger: log });
    expect(log.info.mock.calls).toEqual([
      ['@charrnn/infer-web: backend auto chose wasm: this browser has no WebGPU (navigator.gpu)'],
      ['@charrnn/infer-web: backend auto chose wasm: navigator.gpu.requestAdapter() found no adapter'],
    ]);
    expect(log.warn).not.toHaveBeenCalled();
  });

  test.each([
    ['without JSPI: the asyncify build', false, 'asyncify'],
    ['with JSPI: the jspi build', true, 'jspi'],
  ] as const)("'auto' with an adapter takes WebGPU for fused and step graphs, %s", async (_name, jspi, build) => {
    withAdapter();
    if (jspi) withJspi();
    const log = logger();
    for (const model of [fused, step]) {
      const fake = fakeBuilds();
      const gen = await CharGenerator.load(model, { ort: fake.loader, logger: log });
      expect(gen.backend).toBe('webgpu');
      expect(fake.loaded).toEqual([build]);
      // Placement is checked by onnxruntime itself: a node left on the CPU would refuse the session.
      expect(fake.created).toEqual([{ build, providers: ['webgpu'], refuseCpuNodes: true }]);
      expect(await gen.generate('the', { temperature: 0, maxNewTokens: 4 })).toHaveLength(4);
    }
    expect(log.info.mock.calls).toEqual([[`@charrnn/infer-web: backend auto chose WebGPU (google swiftshader; onnxruntime-web's ${build} build)`]]);
  });

  test("a model with nodes WebGPU leaves to the CPU: 'auto' takes wasm, 'webgpu' runs it so with a warning", async () => {
    withAdapter();
    const auto = fakeBuilds({ webgpu: 'cpu-nodes' });
    const log = logger();
    expect((await CharGenerator.load(fused, { ort: auto.loader, logger: log })).backend).toBe('wasm');
    expect(auto.created.map((c) => [c.build, c.providers[0], c.refuseCpuNodes])).toEqual([
      ['asyncify', 'webgpu', true],
      ['wasm', 'wasm', false],
    ]);
    expect(log.info.mock.calls).toEqual([["@charrnn/infer-web: backend auto chose wasm: onnxruntime-web's WebGPU provider would run part of this model on the CPU"]]);

    const forced = fakeBuilds({ webgpu: 'cpu-nodes' });
    const gen = await CharGenerator.load(fused, { backend: 'webgpu', ort: forced.loader, logger: log });
    expect(gen.backend).toBe('webgpu');
    expect(forced.created.map((c) => [c.build, c.providers[0], c.refuseCpuNodes])).toEqual([
      ['asyncify', 'webgpu', true],
      ['asyncify', 'webgpu', false],
    ]);
    expect(log.warn.mock.calls).toEqual([
      [
        "@charrnn/infer-web: onnxruntime-web's WebGPU provider would run part of this model on the CPU (backend 'wasm' runs all of it in WebAssembly); running it so, as backend 'webgpu' asks",
      ],
    ]);
  });

  test("'webgpu' that cannot start falls back to wasm and warns once; a failing first step counts as not starting", async () => {
    withAdapter();
    const log = logger();
    const broken = fakeBuilds({ webgpu: 'fails' });
    const gen = await CharGenerator.load(step, { backend: 'webgpu', ort: broken.loader, logger: log });
    await CharGenerator.load(step, { backend: 'webgpu', ort: broken.loader, logger: log });
    expect(gen.backend).toBe('wasm');
    expect(broken.created.map((c) => c.providers[0])).toEqual(['webgpu', 'wasm', 'webgpu', 'wasm']);
    expect(log.warn.mock.calls).toEqual([
      ['@charrnn/infer-web: WebGPU unavailable (no available backend found. ERR: [webgpu] WebGPU is not supported); using wasm'],
    ]);
    expect(await gen.generate('the', { temperature: 0, maxNewTokens: 4 })).toHaveLength(4);

    const failingStep = fakeBuilds({ runFails: 'Program Gather requires f16 but the device does not support it.' });
    expect((await CharGenerator.load(step, { ort: failingStep.loader, logger: log })).backend).toBe('wasm');
    expect(log.info.mock.calls.at(-1)).toEqual([
      '@charrnn/infer-web: backend auto chose wasm: a first step on WebGPU failed: Program Gather requires f16 but the device does not support it.',
    ]);
  });

  test('a WebGPU session refused because another is being created is retried, and only after 7 refusals does the load take wasm, saying why', async () => {
    withAdapter();
    const messages: string[] = [];
    const logger = { warn: (m: string) => messages.push(`warn: ${m}`), info: (m: string) => messages.push(`info: ${m}`) };
    const once = fakeBuilds({ busy: 1 });
    const retried = await CharGenerator.load(fused, { ort: once.loader, logger });
    expect(retried.backend).toBe('webgpu');
    expect(once.created.map((c) => c.providers[0])).toEqual(['webgpu', 'webgpu']);
    await retried.release();
    const always = fakeBuilds({ busy: 99 });
    // The pauses between tries (3.15 s in all) on jest's clock.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    let gaveUp: Awaited<ReturnType<typeof CharGenerator.load>>;
    try {
      const loading = CharGenerator.load(fused, { ort: always.loader, logger });
      await jest.advanceTimersByTimeAsync(10_000);
      gaveUp = await loading;
    } finally {
      jest.useRealTimers();
    }
    expect(gaveUp.backend).toBe('wasm');
    expect(always.created.map((c) => c.providers[0])).toEqual([...Array<string>(7).fill('webgpu'), 'wasm']);
    // A busy device is reported as a warning even under 'auto': it says nothing about this browser.
    expect(messages).toEqual([
      "info: @charrnn/infer-web: backend auto chose WebGPU (google swiftshader; onnxruntime-web's asyncify build)",
      'warn: @charrnn/infer-web: WebGPU unavailable (onnxruntime-web was still creating another WebGPU session after 7 tries (another WebGPU EP inference session is being created.)); using wasm',
    ]);
    await gaveUp.release();
  }, 30_000);

  test("two generators on WebGPU take turns: their sessions' creations and runs never overlap, and both write the text they write alone", async () => {
    withAdapter();
    const alone = await CharGenerator.load(fused, { backend: 'wasm', ort: fakeBuilds().loader });
    const expected = await alone.generate('the cat', { maxNewTokens: 12, temperature: 0 });
    await alone.release();
    const fake = fakeBuilds();
    const logger = { warn: jest.fn<(m: string) => void>(), info: jest.fn<(m: string) => void>() };
    const gens = await Promise.all([CharGenerator.load(fused, { ort: fake.loader, logger }), CharGenerator.load(step, { ort: fake.loader, logger })]);
    expect(gens.map((g) => g.backend)).toEqual(['webgpu', 'webgpu']);
    const texts = await Promise.all(gens.map((g) => g.generate('the cat', { maxNewTokens: 12, temperature: 0 })));
    await Promise.all(gens.map((g) => g.release()));
    expect(texts).toEqual([expected, expected]);
    // Both generators ran (each first step, a prompt and 12 tokens), never two at once.
    expect(fake.webgpu.most).toBe(1);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  test('a float16 model needs shader-f16: without it WebGPU is not even downloaded', async () => {
    const half = testModel('gru', { fp16: true });
    const log = logger();
    withAdapter({ features: [] });
    const without = fakeBuilds();
    expect((await CharGenerator.load(half, { ort: without.loader, logger: log })).backend).toBe('wasm');
    expect(without.loaded).toEqual(['wasm']);
    expect(log.info.mock.calls).toEqual([
      ['@charrnn/infer-web: backend auto chose wasm: the WebGPU adapter (google swiftshader) has no shader-f16, which a float16 model needs'],
    ]);
    withAdapter({ features: ['shader-f16'] });
    const withF16 = fakeBuilds();
    expect((await CharGenerator.load(half, { ort: withF16.loader, logger: log })).backend).toBe('webgpu');
  });

  test('one onnxruntime module passed as ort serves every backend', async () => {
    withAdapter();
    const fake = fakeBuilds();
    const module = await fake.loader('wasm');
    const gen = await CharGenerator.load(step, { ort: module, logger: logger() });
    expect(gen.backend).toBe('webgpu');
    expect(fake.created.map((c) => c.build)).toEqual(['wasm']);
  });

  test('a long generation gives the event loop turns even when every run resolves through microtasks: a timer fires and its abort ends it', async () => {
    // onnxruntime-web's wasm build, with each run's promise resolved as a microtask (as it can be
    // in a page), and a bound on the runs so that a loop that never yields fails instead of hanging.
    withAdapter(); // a page's navigator (onnxruntime-web reads it; the wasm backend is asked for by name)
    let runs = 0;
    const module = await fakeBuilds().loader('wasm');
    const create = module.InferenceSession.create.bind(module.InferenceSession);
    module.InferenceSession.create = (async (model: Uint8Array, options?: ortWasm.InferenceSession.SessionOptions) => {
      const session = await create(model, options);
      const outputs = new Map<unknown, ortWasm.InferenceSession.ReturnType>();
      const run = session.run.bind(session);
      // The first run of a shape goes through the real session; repeats answer with its outputs at once.
      session.run = (async (feeds: Record<string, ortWasm.Tensor>) => {
        if (++runs > 200_000) throw new Error('200,000 runs and the timer has not fired: generate() never gives the event loop a turn');
        const key = feeds.tokens.dims.join('x');
        if (!outputs.has(key)) outputs.set(key, await run(feeds));
        return outputs.get(key)!;
      }) as typeof session.run;
      return session;
    }) as typeof module.InferenceSession.create;
    const gen = await CharGenerator.load(fused, { backend: 'wasm', ort: module, numThreads: 1, seed: 1, logger: logger() });
    const controller = new AbortController();
    let fired = false;
    const stream = gen.generate('the ', { maxNewTokens: 100_000_000, signal: controller.signal });
    // The timer is set at the first character (not at the call, where a busy machine could fire it
    // before any): it fires only if generation gives the event loop a turn.
    let timer: ReturnType<typeof setTimeout> | undefined;
    for await (const _ of stream) {
      timer ??= setTimeout(() => {
        fired = true;
        controller.abort();
      }, 0);
    }
    const result = await stream.result();
    expect(fired).toBe(true);
    expect(result.finishReason).toBe('abort');
    expect(result.newTokens).toBeGreaterThan(0);
    expect(runs).toBeLessThan(200_000);
    await gen.release();
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

  test("readModel counts onnxruntime-web's runtime beside the model, and is silent once the model has failed", async () => {
    const realFetch = globalThis.fetch;
    const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 9, 9]);
    let runtimeStream!: ReadableStreamDefaultController<Uint8Array>;
    globalThis.fetch = (async (url: string | URL) => {
      const name = String(url);
      if (name.endsWith('missing.onnx')) return new Response('nope', { status: 404, statusText: 'Not Found' });
      if (name.endsWith('.wasm')) {
        // The runtime arrives when the test says so, after the model has failed.
        const body = new ReadableStream<Uint8Array>({ start: (controller) => void (runtimeStream = controller) });
        return new Response(body, { headers: { 'content-length': String(wasm.byteLength) } });
      }
      return new Response(fused.slice().buffer, { headers: { 'content-length': String(fused.byteLength) } });
    }) as typeof fetch;
    try {
      // A good model: progress over both files, ending at their summed size.
      const progress: [number, number | undefined][] = [];
      const runtime = webRuntime({ backend: 'wasm', wasmPaths: 'https://example.test/ort/' });
      const reading = runtime.readModel('https://example.test/model.onnx', (l, t) => progress.push([l, t]));
      await new Promise((resolve) => setTimeout(resolve, 0));
      runtimeStream.enqueue(wasm);
      runtimeStream.close();
      expect(await reading).toEqual(fused);
      expect(progress.at(-1)).toEqual([fused.byteLength + wasm.byteLength, fused.byteLength + wasm.byteLength]);
      // No total while only one size is known.
      expect(progress.some(([, t]) => t === undefined)).toBe(true);

      // A missing model: the load fails at once, and the runtime's later bytes report nothing.
      const late: [number, number | undefined][] = [];
      const failing = webRuntime({ backend: 'wasm', wasmPaths: 'https://example.test/ort2/' });
      await expect(failing.readModel('https://example.test/missing.onnx', (l, t) => late.push([l, t]))).rejects.toThrow(/HTTP 404/);
      const before = late.length;
      runtimeStream.enqueue(wasm);
      runtimeStream.close();
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(late.length).toBe(before);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  test("the browser entry bundles for the browser without node: modules or onnxruntime-node, and never imports onnxruntime-web's default (JSEP) build", async () => {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('../index.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      external: ['onnxruntime-web', 'onnxruntime-web/*'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('onnxruntime-node') || p.startsWith('node:'))).toBe(false);
    expect(inputs.some((p) => p.endsWith('generator.ts'))).toBe(true);
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => `${i.kind} ${i.path}`));
    expect(imports.sort()).toEqual(['dynamic-import onnxruntime-web/jspi', 'dynamic-import onnxruntime-web/wasm', 'dynamic-import onnxruntime-web/webgpu']);
  });
});
