// Engine and device selection with onnxruntime-node simulated missing, broken, without CUDA,
// failing on CUDA and working on CUDA; and runFit's fallback rules around it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-common';
import { readEmbeddedCorpus } from '@charrnn/data/node';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from '../trainer/fit-options.js';
import { runFit } from '../trainer/run.js';
import { randomWeights } from '../model/weights.js';
import type { OrtApi } from './ort-engine.js';
import { OrtRuntimeError, ortNodeEngine, type OrtNodeOptions } from './node-runtime.js';

const missing = async () => {
  throw Object.assign(new Error("Cannot find package 'onnxruntime-node' imported from x"), { code: 'ERR_MODULE_NOT_FOUND' });
};
const broken = async () => {
  throw new Error('libonnxruntime.so.1: cannot open shared object file\n  at dlopen');
};

/** Real onnxruntime-node on the CPU, recording the providers each session asked for; CUDA fails or is accepted. */
function fakeOrt(cuda: 'fails' | 'works'): { api: OrtApi; asked: string[][]; options: InferenceSession.SessionOptions[] } {
  const asked: string[][] = [];
  const options: InferenceSession.SessionOptions[] = [];
  const api: OrtApi = {
    Tensor: ort.Tensor as unknown as OrtApi['Tensor'],
    InferenceSession: {
      async create(model, opts) {
        const providers = (opts?.executionProviders ?? []) as string[];
        asked.push(providers);
        options.push(opts ?? {});
        if (providers.includes('cuda') && cuda === 'fails') throw new Error('CUDA failure 100: no CUDA-capable device is detected');
        const { preferredOutputLocation: _, extra: __, ...rest } = opts ?? {};
        return ort.InferenceSession.create(model, { ...rest, executionProviders: ['cpu'] }) as unknown as Promise<InferenceSession>;
      },
    },
  };
  return { api, asked, options };
}

const base: OrtNodeOptions = { device: 'auto', threads: 1 };
const init = () => {
  const config = { arch: 'gru' as const, vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numLayers: 1, dropout: 0 };
  return { config, weights: randomWeights(config, 0), optimizer: 'adam' as const, momentum: 0.9, clip: null };
};

describe('ortNodeEngine', () => {
  test('onnxruntime-node missing or broken: OrtRuntimeError saying why and how to install it without the CUDA download', async () => {
    await expect(ortNodeEngine({ ...base, loader: missing })).rejects.toThrow(
      new OrtRuntimeError('onnxruntime-node is not installed; install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node (its install script only downloads the CUDA provider)'),
    );
    await expect(ortNodeEngine({ ...base, loader: broken })).rejects.toThrow(/^onnxruntime-node failed to load: libonnxruntime\.so\.1: cannot open shared object file; install it with/);
    await expect(ortNodeEngine({ ...base, loader: async () => ({ default: {} }) })).rejects.toThrow(/has no InferenceSession\/Tensor/);
    await expect(ortNodeEngine({ ...base, device: 'gpu' as never })).rejects.toThrow('device "gpu" is not one of auto, cuda, cpu');
  });

  test('cpu never asks for CUDA', async () => {
    const fake = fakeOrt('works');
    const chosen = await ortNodeEngine({ ...base, device: 'cpu', threads: 2, loader: async () => fake.api, cudaMissing: async () => undefined });
    expect(chosen.provider).toBe('cpu');
    expect(chosen.log).toEqual(['using onnxruntime-node on the CPU (2 intra-op threads)']);
    await (await chosen.factory(init())).dispose();
    expect(fake.asked.every((p) => p.join() === 'cpu')).toBe(true);
    expect(fake.options[0].intraOpNumThreads).toBe(2);
    // A session per window length, each with its own arena, doubled peak RSS (see ort-engine.ts).
    expect(fake.options[0].enableCpuMemArena).toBe(false);
  });

  test('workers: more than one on the CPU is the data-parallel engine, named in its line; on CUDA refused, or (auto) said to be unused; not a positive integer refused', async () => {
    const fake = fakeOrt('works');
    const cpu = await ortNodeEngine({ ...base, device: 'cpu', workers: 3, loader: async () => fake.api });
    expect(cpu.provider).toBe('cpu');
    expect(cpu.log).toEqual(['using onnxruntime-node on the CPU: 3 data-parallel workers (1 intra-op thread each)']);
    const noCuda = await ortNodeEngine({ ...base, workers: 2, loader: async () => fake.api, cudaMissing: async () => 'no CUDA here' });
    expect(noCuda.log).toEqual(['CUDA skipped: no CUDA here', 'using onnxruntime-node on the CPU: 2 data-parallel workers (1 intra-op thread each)']);
    await expect(ortNodeEngine({ ...base, device: 'cuda', workers: 2, loader: async () => fake.api, cudaMissing: async () => undefined })).rejects.toThrow(
      new OrtRuntimeError('--device cuda: --workers 2 splits batches over CPU cores; on CUDA one session trains the whole batch; use --workers 1, or --device cpu'),
    );
    expect(fake.asked).toEqual([]);
    const cuda = await ortNodeEngine({ ...base, workers: 2, loader: async () => fake.api, cudaMissing: async () => undefined });
    expect(cuda.provider).toBe('cuda');
    expect(cuda.log[0]).toBe('--workers 2 splits batches over CPU cores; on CUDA one session trains the whole batch (--device cpu to use them)');
    for (const workers of [0, 1.5]) {
      await expect(ortNodeEngine({ ...base, workers, loader: async () => fake.api })).rejects.toThrow(`workers is ${workers}, expected an integer ≥ 1 (data-parallel worker threads on the CPU)`);
    }
  });

  test('auto without the CUDA provider library takes the CPU with one line, without asking onnxruntime', async () => {
    const fake = fakeOrt('works');
    const chosen = await ortNodeEngine({ ...base, loader: async () => fake.api, cudaMissing: async () => 'libonnxruntime_providers_cuda.so is not installed' });
    expect(chosen.provider).toBe('cpu');
    expect(chosen.log).toEqual(['CUDA skipped: libonnxruntime_providers_cuda.so is not installed', 'using onnxruntime-node on the CPU (1 intra-op thread)']);
    expect(fake.asked).toEqual([]);
  });

  test('cuda without the provider, or with a device that fails, is an error, never a fallback', async () => {
    const fake = fakeOrt('fails');
    await expect(ortNodeEngine({ ...base, device: 'cuda', loader: async () => fake.api, cudaMissing: async () => 'libonnxruntime_providers_cuda.so is not installed' })).rejects.toThrow(
      /^--device cuda: onnxruntime-node's CUDA execution provider is not available \(libonnxruntime_providers_cuda\.so is not installed\); or use --device cpu$/,
    );
    await expect(ortNodeEngine({ ...base, device: 'cuda', loader: async () => fake.api, cudaMissing: async () => undefined })).rejects.toThrow(
      '--device cuda: a CUDA session failed to start (CUDA failure 100: no CUDA-capable device is detected); use --device cpu',
    );
  });

  test('auto with a CUDA provider that fails to start takes the CPU and says why', async () => {
    const fake = fakeOrt('fails');
    const chosen = await ortNodeEngine({ ...base, loader: async () => fake.api, cudaMissing: async () => undefined });
    expect(chosen.provider).toBe('cpu');
    expect(chosen.log[0]).toBe('CUDA skipped: a session failed to start on it (CUDA failure 100: no CUDA-capable device is detected)');
  });

  test('auto with a working CUDA provider trains there with device-resident outputs (strict placement on request)', async () => {
    const fake = fakeOrt('works');
    const chosen = await ortNodeEngine({ ...base, strictDevice: true, loader: async () => fake.api, cudaMissing: async () => undefined });
    expect(chosen.provider).toBe('cuda');
    expect(chosen.log).toEqual(['using onnxruntime-node on CUDA (weights and optimizer state stay on the device between steps)']);
    const engine = await chosen.factory(init());
    expect(engine.name).toBe('onnxruntime-node (cuda)');
    await engine.dispose();
    const last = fake.options[fake.options.length - 1];
    expect(fake.asked[fake.asked.length - 1]).toEqual(['cuda']);
    expect(last.extra).toEqual({ session: { disable_cpu_ep_fallback: '1' } });
  });
});

describe('runFit engine choice', () => {
  let dir: string;
  let quick: FitOptions;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'charrnn-engine-'));
    // A 20k-character slice keeps the validation pass short.
    const corpus = path.join(dir, 'corpus.txt');
    await writeFile(corpus, (await readEmbeddedCorpus()).slice(0, 20_000));
    quick = { ...DEFAULT_FIT_OPTIONS, corpus, embed: 4, hidden: 8, bs: 8, bptt: 5, schedule: '1@1e-3', maxBatches: 2, backend: 'wasm' };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('auto falls back to tfjs when onnxruntime-node is missing, saying so; ort and an unknown engine refuse', async () => {
    const lines: string[] = [];
    const result = await runFit({ options: quick, out: path.join(dir, 'a'), log: (l) => lines.push(l), ortLoader: missing });
    expect(result.step).toBe(2);
    expect(lines).toContain('engine: onnxruntime-node is not installed; install it with ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node (its install script only downloads the CUDA provider); using the tfjs engine');
    expect(lines).toContain("backend: using @tensorflow/tfjs-backend-wasm (tfjs backend 'wasm')");
    await expect(runFit({ options: { ...quick, engine: 'ort' }, out: path.join(dir, 'b'), log: () => {}, ortLoader: missing })).rejects.toThrow(/^onnxruntime-node is not installed/);
    await expect(runFit({ options: { ...quick, engine: 'onnx' as never }, out: path.join(dir, 'c'), log: () => {} })).rejects.toThrow('engine "onnx" is not one of auto, ort, tfjs');
  });

  test('auto takes onnxruntime-node on the CPU when CUDA is absent', async () => {
    const lines: string[] = [];
    await runFit({ options: quick, out: path.join(dir, 'a'), log: (l) => lines.push(l), cudaMissing: async () => 'no CUDA here' });
    expect(lines.filter((l) => l.startsWith('engine:'))).toEqual(['engine: CUDA skipped: no CUDA here', 'engine: using onnxruntime-node on the CPU (1 intra-op thread)']);
  });
});
