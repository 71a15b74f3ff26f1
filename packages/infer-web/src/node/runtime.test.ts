import { jest } from '@jest/globals';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-web';
import {
  BackendUnavailableError,
  CharGenerator,
  InvalidOptionError,
  loadOnnxruntimeNode,
  type CoreCharGenerator,
  type GeneratorSnapshot,
  type LogitsProcessor,
  type OrtApi,
} from '../node.js';
import { CharGenerator as WebCharGenerator } from '../web/runtime.js';
import { loadNativeBinding, NativeOrtRunner } from './native-session.js';
import { PRIME_CHUNK_CHARS } from '../core/priming.js';
import { testModel, TEST_VOCAB } from '../test-helpers/models.js';
import { directGreedy, directNextLogits, ids, openDirect } from '../test-helpers/reference.js';

const ARCHS = ['rnn', 'gru', 'lstm'] as const;
const quiet = { warn: () => undefined };

async function load(bytes: Uint8Array, seed = 1): Promise<CoreCharGenerator> {
  return CharGenerator.load(bytes, { backend: 'cpu', seed });
}

describe.each(ARCHS)('%s model on onnxruntime-node', (arch) => {
  const fused = testModel(arch);
  const step = testModel(arch, { graph: 'step' });

  test('reads the contract from the model', async () => {
    const gen = await load(fused);
    expect(gen.info).toMatchObject({ arch, vocabSize: TEST_VOCAB.length, hiddenSize: 12, numLayers: 2, graph: 'fused', lower: true });
    expect(gen.info.vocab).toEqual(TEST_VOCAB);
    expect(gen.backend).toBe('cpu');
    await gen.release();
  });

  test('greedy generation equals an argmax loop over the session run directly (fused and step graphs)', async () => {
    const prompt = 'the cat sat. ';
    const direct = await openDirect(fused, arch);
    const expected = TEST_VOCAB.length && (await directGreedy(direct, ids(prompt), 60)).map((i) => TEST_VOCAB[i]).join('');
    for (const bytes of [fused, step]) {
      const gen = await load(bytes);
      expect(await gen.generate(prompt, { temperature: 0, maxNewTokens: 60 })).toBe(expected);
      await gen.release();
    }
    await direct.session.release();
  });

  test('top-k and top-p never emit a character outside the allowed set', async () => {
    for (const { topK, topP } of [{ topK: 3, topP: 1 }, { topK: 0, topP: 0.6 }, { topK: 4, topP: 0.8 }]) {
      const gen = await load(fused, 3);
      const allowed: Set<number>[] = [];
      // Sees the raw logits (it runs before temperature / top-k / top-p) and derives the
      // allowed set independently of the sampler.
      const spy: LogitsProcessor = {
        process(logits) {
          const temperature = 1.5;
          const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b);
          let keep = topK > 0 ? order.slice(0, topK) : order;
          if (topP < 1) {
            const z = keep.map((i) => Math.exp((logits[i] - logits[order[0]]) / temperature));
            const total = order.reduce((s, i) => s + Math.exp((logits[i] - logits[order[0]]) / temperature), 0);
            // after top-k the probabilities are renormalised over the kept set
            const kept = topK > 0 ? z.reduce((a, b) => a + b, 0) : total;
            let cumulative = 0;
            let n = 0;
            while (n < keep.length) {
              cumulative += z[n] / kept;
              n++;
              if (cumulative >= topP) break;
            }
            keep = keep.slice(0, n);
          }
          allowed.push(new Set(keep));
        },
      };
      const chunks: string[] = [];
      for await (const chunk of gen.generate('a', { temperature: 1.5, topK, topP, maxNewTokens: 300, logitsProcessors: [spy] })) chunks.push(chunk);
      expect(chunks).toHaveLength(300);
      chunks.forEach((ch, i) => expect(allowed[i].has(TEST_VOCAB.indexOf(ch))).toBe(true));
      // the restriction is real: fewer distinct characters than the vocabulary can be allowed
      expect(Math.max(...allowed.map((s) => s.size))).toBeLessThan(TEST_VOCAB.length);
      await gen.release();
    }
  });

  test('seeded sampling is reproducible and its first-character distribution matches the softmax', async () => {
    const gen = await load(fused);
    const a = await gen.generate('s', { seed: 5, maxNewTokens: 80 });
    gen.reset();
    const b = await gen.generate('s', { seed: 5, maxNewTokens: 80 });
    gen.reset();
    const c = await gen.generate('s', { seed: 6, maxNewTokens: 80 });
    expect(b).toBe(a);
    expect(c).not.toBe(a);

    const direct = await openDirect(fused, arch);
    const logits = await directNextLogits(direct, ids('the '));
    await direct.session.release();
    const max = Math.max(...logits);
    // `<unk>` is never sampled by default (suppressSpecialTokens): its cell has probability 0.
    const z = Array.from(logits, (l, i) => (TEST_VOCAB[i] === '<unk>' ? 0 : Math.exp(l - max)));
    const total = z.reduce((s, x) => s + x, 0);
    const N = 4000;
    const counts = new Array<number>(TEST_VOCAB.length).fill(0);
    for (let seed = 0; seed < N; seed++) {
      gen.reset();
      const ch = await gen.generate('the ', { seed, maxNewTokens: 1 });
      counts[TEST_VOCAB.indexOf(ch)]++;
    }
    // Pearson chi-square over cells with expected count ≥ 5, the rest pooled.
    let chi = 0;
    let df = -1;
    let pooledObs = 0;
    let pooledExp = 0;
    z.forEach((x, i) => {
      const expected = (N * x) / total;
      if (expected >= 5) {
        chi += (counts[i] - expected) ** 2 / expected;
        df++;
      } else {
        pooledObs += counts[i];
        pooledExp += expected;
      }
    });
    if (pooledExp > 0) {
      chi += (pooledObs - pooledExp) ** 2 / Math.max(pooledExp, 1e-9);
      df++;
    }
    expect(df).toBeGreaterThanOrEqual(2);
    // 99.9th percentile of chi-square(df) via the Wilson–Hilferty approximation
    const q = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
    expect(chi).toBeLessThan(q);
    await gen.release();
  });

  test('a prompt of several priming chunks gives the logits of feeding it one character at a time (fused and step, node and wasm)', async () => {
    const prompt = Array.from({ length: 2 * PRIME_CHUNK_CHARS + 37 }, (_, i) => 'the cat sat. he said no.\n'[(i * 5 + (i >> 4)) % 25]).join('');
    const direct = await openDirect(fused, arch);
    const expected = await directNextLogits(direct, ids(prompt));
    await direct.session.release();
    for (const bytes of [fused, step]) {
      for (const gen of [await load(bytes), await WebCharGenerator.load(bytes, { backend: 'wasm' })]) {
        await gen.generate(prompt, { maxNewTokens: 0 });
        const logits = gen.getState({ encoding: 'array' }).logits as number[];
        expect(logits).toHaveLength(expected.length);
        expect(Math.max(...logits.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-4);
        await gen.release();
      }
    }
  });

  test('state snapshots round-trip (also into onnxruntime-web) and continue identically', async () => {
    const a = await load(fused, 9);
    await a.generate('this is a test. ', { maxNewTokens: 25 });
    const snapshot = JSON.parse(JSON.stringify(a.getState())) as GeneratorSnapshot;
    const b = await load(fused, 1234);
    b.setState(snapshot);
    const web = await WebCharGenerator.load(fused, { backend: 'wasm', seed: 77 });
    web.setState(snapshot);
    const fromA = await a.generate('', { maxNewTokens: 40, temperature: 0.9 });
    expect(await b.generate('', { maxNewTokens: 40, temperature: 0.9 })).toBe(fromA);
    expect(await web.generate('', { maxNewTokens: 40, temperature: 0.9 })).toBe(fromA);
    await Promise.all([a.release(), b.release(), web.release()]);
  });

  test('onnxruntime-node and onnxruntime-web (wasm) agree on logits and state to 1e-5', async () => {
    const ortWeb = await import('onnxruntime-web');
    ortWeb.env.wasm.numThreads = 1;
    const tokens = ids('the cat sat on the mat. he said no.');
    const withC = { rnn: false, gru: false, lstm: true }[arch];
    const feeds = <T extends { Tensor: typeof ortNode.Tensor }>(ort: T): Record<string, ortNode.Tensor> => {
      const state = new Float32Array(2 * 12);
      const f: Record<string, ortNode.Tensor> = {
        tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [tokens.length, 1]),
        h0: new ort.Tensor('float32', state, [2, 1, 12]),
      };
      if (withC) f.c0 = new ort.Tensor('float32', state.slice(), [2, 1, 12]);
      return f;
    };
    const node = await ortNode.InferenceSession.create(fused);
    const web = await ortWeb.InferenceSession.create(fused, { executionProviders: ['wasm'] });
    const a = await node.run(feeds(ortNode));
    const b = await web.run(feeds(ortWeb as unknown as { Tensor: typeof ortNode.Tensor }) as never);
    for (const name of withC ? ['logits', 'hn', 'cn'] : ['logits', 'hn']) {
      const x = a[name].data as Float32Array;
      const y = b[name].data as Float32Array;
      expect(y.length).toBe(x.length);
      let max = 0;
      for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
      expect(max).toBeLessThan(1e-5);
    }
    await Promise.all([node.release(), web.release()]);
  });

  test('onnxruntime-node and onnxruntime-web (wasm) produce identical text for the same seed', async () => {
    const node = await load(fused);
    const web = await WebCharGenerator.load(fused, { backend: 'wasm' });
    expect(web.backend).toBe('wasm');
    for (const options of [{ seed: 1, temperature: 0.8 }, { seed: 2, topK: 5 }, { seed: 3, topP: 0.9, temperature: 1.2 }]) {
      node.reset();
      web.reset();
      const fromNode = await node.generate('he said: ', { maxNewTokens: 200, ...options });
      const fromWeb = await web.generate('he said: ', { maxNewTokens: 200, ...options });
      expect(fromWeb).toBe(fromNode);
    }
    await Promise.all([node.release(), web.release()]);
  });
});

describe('generation control on a real model', () => {
  const bytes = testModel('gru');

  test('stop strings and AbortSignal end generation promptly', async () => {
    const gen = await load(bytes);
    const free = await gen.generate('a', { temperature: 0, maxNewTokens: 100 });
    const stop = free.slice(20, 22);
    gen.reset();
    const result = await gen.generate('a', { temperature: 0, maxNewTokens: 100, stop: [stop] }).result();
    expect(result).toEqual({ text: free.slice(0, free.indexOf(stop) + 2), newTokens: free.indexOf(stop) + 2, finishReason: 'stop' });

    const controller = new AbortController();
    let n = 0;
    const stream = gen.generate('a', { maxNewTokens: 100_000, signal: controller.signal });
    for await (const _ of stream) if (++n === 10) controller.abort();
    expect((await stream.result()).newTokens).toBe(10);
    await gen.release();
  });

  test('a long generation leaves the event loop turns: an abort from a timer ends it', async () => {
    // The Node entry runs onnxruntime-node's native session synchronously (native-session.ts);
    // without the periodic event-loop turns this timer would only fire after all 10^7 characters.
    const gen = await load(bytes);
    const controller = new AbortController();
    const stream = gen.generate('a', { maxNewTokens: 10_000_000, signal: controller.signal });
    // The timer is set at the first character (not at the call, where a busy machine could fire it
    // before any): it fires only if generation gives the event loop a turn.
    let timer: NodeJS.Timeout | undefined;
    for await (const _ of stream) timer ??= setTimeout(() => controller.abort(), 0);
    const result = await stream.result();
    // Ended by the timer's abort long before the 10^7 characters, however fast or busy the machine.
    expect(result.finishReason).toBe('abort');
    expect(result.newTokens).toBeGreaterThan(0);
    expect(result.newTokens).toBeLessThan(10_000_000);
    await gen.release();
  });

  test('the Node entry runs onnxruntime-node through its native binding, with the same outputs as the public API', async () => {
    const native = await loadNativeBinding();
    expect(native).toBeDefined();
    const info = (await load(bytes)).info;
    const runner = NativeOrtRunner.open(native!, bytes, { executionProviders: ['cpu'] });
    const direct = await openDirect(bytes, 'gru');
    const tokens = new BigInt64Array([3n, 5n, 7n]);
    const h0 = Float32Array.from({ length: info.numLayers * info.hiddenSize }, (_, i) => Math.sin(i));
    const feeds = {
      tokens: new ortNode.Tensor('int64', tokens, [3, 1]),
      h0: new ortNode.Tensor('float32', h0, [info.numLayers, 1, info.hiddenSize]),
    };
    const mine = await runner.run(feeds);
    const theirs = await direct.session.run(feeds);
    expect(Object.keys(mine).sort()).toEqual(['hn', 'logits']);
    expect(Array.from(mine.logits.data as Float32Array)).toEqual(Array.from(theirs.logits.data as Float32Array));
    expect(Array.from(mine.hn.data as Float32Array)).toEqual(Array.from(theirs.hn.data as Float32Array));
    expect(mine.logits.dims).toEqual([3, 1, TEST_VOCAB.length]);
    await runner.release();
    await direct.session.release();
  });

  test('generateBatch rows match single greedy runs', async () => {
    const gen = await load(bytes);
    const prompts = ['the cat', 'a', 'no. he is'];
    const texts = await gen.generateBatch(prompts, { temperature: 0, maxNewTokens: 30 });
    for (const [i, p] of prompts.entries()) {
      gen.reset();
      expect(texts[i]).toBe(await gen.generate(p, { temperature: 0, maxNewTokens: 30 }));
    }
    await gen.release();
  });

  test('paths and file: URLs load on the Node entry; missing files name the path', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { pathToFileURL } = await import('node:url');
    const dir = await mkdtemp(join(tmpdir(), 'infer-web-'));
    const file = join(dir, 'm.onnx');
    await writeFile(file, bytes);
    for (const source of [file, pathToFileURL(file), pathToFileURL(file).href]) {
      const gen = await CharGenerator.load(source, { backend: 'cpu' });
      expect(gen.info.arch).toBe('gru');
      await gen.release();
    }
    await expect(CharGenerator.load(join(dir, 'nope.onnx'))).rejects.toThrow(/could not read model file .*nope\.onnx/);
  });

  test('bad load options are refused', async () => {
    await expect(CharGenerator.load(bytes, { backend: 'tpu' as never })).rejects.toThrow(InvalidOptionError);
    await expect(CharGenerator.load(bytes, { intraOpNumThreads: -1 })).rejects.toThrow(/intraOpNumThreads/);
    await expect(CharGenerator.load(bytes, { backend: 'cpu', seed: 1.5 })).rejects.toThrow(/seed/);
  });
});

describe('execution provider selection (CUDA simulated)', () => {
  const bytes = testModel('gru');
  /** onnxruntime-node whose CUDA provider fails to load, as on a machine without it. */
  function withoutCuda(): { ort: OrtApi; providers: string[][] } {
    const providers: string[][] = [];
    const ort: OrtApi = {
      Tensor: ortNode.Tensor as unknown as OrtApi['Tensor'],
      InferenceSession: {
        create: async (model, options) => {
          const eps = (options?.executionProviders ?? []) as string[];
          providers.push(eps);
          if (eps.includes('cuda')) throw new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library');
          return (await ortNode.InferenceSession.create(model, options)) as never;
        },
      },
    };
    return { ort, providers };
  }
  /** onnxruntime-node that accepts CUDA (running on CPU underneath). */
  function withCuda(): OrtApi {
    return {
      Tensor: ortNode.Tensor as unknown as OrtApi['Tensor'],
      InferenceSession: { create: async (model, options) => (await ortNode.InferenceSession.create(model, { ...options, executionProviders: ['cpu'] })) as never },
    };
  }

  test("backend 'cuda' without the CUDA provider is a clear error", async () => {
    const { ort } = withoutCuda();
    const error = await CharGenerator.load(bytes, { backend: 'cuda', ort }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/backend 'cuda' was requested but onnxruntime-node could not load its CUDA execution provider.*use backend 'cpu' or 'auto'/);
  });

  test("backend 'auto' falls back to CPU and says so once, as information, not a warning", async () => {
    const { ort, providers } = withoutCuda();
    const logger = { warn: jest.fn(), info: jest.fn() };
    // One CPU session each (the large-run session has its own test below).
    const a = await CharGenerator.load(bytes, { ort, logger, largeRunIntraOpNumThreads: 1 });
    const b = await CharGenerator.load(bytes, { ort, logger, largeRunIntraOpNumThreads: 1 });
    expect([a.backend, b.backend]).toEqual(['cpu', 'cpu']);
    expect(providers).toEqual([['cuda', 'cpu'], ['cpu'], ['cuda', 'cpu'], ['cpu']]);
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(String(logger.info.mock.calls[0][0])).toMatch(/CUDA execution provider unavailable .*; using CPU/);
    expect(await a.generate('the', { temperature: 0, maxNewTokens: 5 })).toHaveLength(5);
  });

  test('a missing CUDA provider library is found before onnxruntime is asked: cuda refused naming the file, auto on CPU with one line', async () => {
    const { ort, providers } = withoutCuda();
    const cudaMissing = async () => 'libonnxruntime_providers_cuda.so is not installed under /x/bin';
    const error = await CharGenerator.load(bytes, { backend: 'cuda', ort, cudaMissing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('(libonnxruntime_providers_cuda.so is not installed under /x/bin)');
    const info: string[] = [];
    const gen = await CharGenerator.load(bytes, { ort, cudaMissing, logger: { warn: () => undefined, info: (m: string) => info.push(m) }, largeRunIntraOpNumThreads: 1 });
    expect(gen.backend).toBe('cpu');
    expect(info).toEqual(['@charrnn/infer-web: CUDA execution provider unavailable (libonnxruntime_providers_cuda.so is not installed under /x/bin); using CPU']);
    // onnxruntime was never asked for CUDA.
    expect(providers).toEqual([['cpu']]);
    await gen.release();
  });

  test("'auto' uses CUDA when it loads, 'cpu' never asks for it", async () => {
    const gen = await CharGenerator.load(bytes, { ort: withCuda(), logger: quiet });
    expect(gen.backend).toBe('cuda');
    const { ort, providers } = withoutCuda();
    expect((await CharGenerator.load(bytes, { backend: 'cpu', ort, largeRunIntraOpNumThreads: 1 })).backend).toBe('cpu');
    expect(providers).toEqual([['cpu']]);
  });

  test('on CPU a second session with more threads (not spinning) is opened for large runs, with the same results', async () => {
    const opened: InferenceSession.SessionOptions[] = [];
    const ort: OrtApi = {
      Tensor: ortNode.Tensor as unknown as OrtApi['Tensor'],
      InferenceSession: {
        create: async (model, options) => {
          opened.push(options ?? {});
          return (await ortNode.InferenceSession.create(model, options)) as never;
        },
      },
    };
    const two = await CharGenerator.load(bytes, { backend: 'cpu', ort, largeRunIntraOpNumThreads: 2, seed: 4 });
    expect(opened.map((o) => [o.executionProviders, o.intraOpNumThreads])).toEqual([[['cpu'], 1], [['cpu'], 2]]);
    expect(opened[0].extra).toBeUndefined();
    expect(opened[1].extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    const one = await CharGenerator.load(bytes, { backend: 'cpu', ort, largeRunIntraOpNumThreads: 1, seed: 4 });
    expect(opened).toHaveLength(3);
    const prompt = 'the cat sat on the mat. '.repeat(40);
    expect(await two.generate(prompt, { maxNewTokens: 50 })).toBe(await one.generate(prompt, { maxNewTokens: 50 }));
    await expect(CharGenerator.load(bytes, { largeRunIntraOpNumThreads: 1.5 })).rejects.toThrow(/largeRunIntraOpNumThreads is 1.5/);
    await Promise.all([one.release(), two.release()]);
  });
});

describe('onnxruntime-node, an optional peer', () => {
  const bytes = testModel('gru');

  test('a load without it names the package and how to install it without the CUDA download', async () => {
    const missing = async (specifier: string) => {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/node_modules/@charrnn/infer-web/dist/node.js`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const load = CharGenerator.load(bytes, { backend: 'cpu', loader: missing });
    await expect(load).rejects.toThrow(BackendUnavailableError);
    await expect(CharGenerator.load(bytes, { backend: 'auto', loader: missing, logger: quiet })).rejects.toThrow(
      '@charrnn/infer-web/node runs models on onnxruntime-node, which is not installed: install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node (its install script only downloads the CUDA provider)',
    );
    await expect(loadOnnxruntimeNode(async () => ({ default: {} }))).rejects.toThrow('onnxruntime-node loaded but has no InferenceSession/Tensor; expected onnxruntime-node 1.30');
    await expect(loadOnnxruntimeNode(async () => Promise.reject(new Error('libonnxruntime.so.1: cannot open shared object file\nat dlopen')))).rejects.toThrow(
      /^onnxruntime-node failed to load: libonnxruntime\.so\.1: cannot open shared object file$/,
    );
  });

  test('it is imported on the first load, from the default loader', async () => {
    expect(await loadOnnxruntimeNode()).toMatchObject({ InferenceSession: ortNode.InferenceSession, Tensor: ortNode.Tensor });
    const gen = await CharGenerator.load(bytes, { backend: 'cpu' });
    expect(gen.backend).toBe('cpu');
    await gen.release();
  });
});
