// The ONNX Runtime engine in the training loop: the same run as the tfjs engine, exact resume,
// the NaN guard, and (simulated) device-resident weights.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { Rng, prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { useBackend } from '../model/test-helpers/backends.js';
import { relativeErrorOf } from '../fast/test-helpers/relative-error.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from '../trainer/fit-options.js';
import { fit } from '../trainer/fit.js';
import { loadTrainingCheckpoint } from '../trainer/training-checkpoint-directory.js';
import { OrtEngine, ortEngine, type OrtApi } from './ort-engine.js';
import { randomWeights } from '../model/weights.js';
import { TRAINING_IO as IO } from './training-graph.js';

let corpus: PreparedCorpus;
let dir: string;
const api = ort as unknown as OrtApi;
const onCpu = ortEngine({ ort: api, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
const tiny: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 24, bs: 8, bptt: 8, schedule: '2@3e-3', maxBatches: 30, backend: 'wasm' };

beforeAll(async () => {
  await useBackend('wasm');
  const { text } = await loadCorpus();
  corpus = prepareCorpus(text.slice(0, 30_000), { minFreq: 3 });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-ort-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ONNX Runtime engine', () => {
  test.each([
    ['gru, Adam', { ...tiny }],
    ['lstm ×2, dropout 0.3, SGD momentum, clipped', { ...tiny, arch: 'lstm', layers: 2, dropout: 0.3, optimizer: 'sgd', schedule: '1@0.5,1@0.1', clip: 0.5, maxBatches: 15 }],
    [
      'gru ×2, every regularisation: locked dropout 0.3, embedding 0.1, output 0.3, weight drop 0.3, tied, AdamW 0.1, clipped',
      { ...tiny, embed: 24, layers: 2, dropout: 0.3, embedDropout: 0.1, outputDropout: 0.3, weightDrop: 0.3, tie: true, weightDecay: 0.1, clip: 1, maxBatches: 15 },
    ],
  ] as [string, FitOptions][])('%s: the same run as the tfjs engine (losses, weights, optimizer slots)', async (_label, options) => {
    const viaOrt = await fit({ corpus, options, outDir: path.join(dir, 'ort'), engine: onCpu });
    const viaTfjs = await fit({ corpus, options, outDir: path.join(dir, 'tfjs') });
    expect(viaOrt.step).toBe(2 * options.maxBatches!);
    for (let e = 0; e < 2; e++) {
      expect(Math.abs(viaOrt.history[e].trainLoss - viaTfjs.history[e].trainLoss)).toBeLessThan(1e-4);
      expect(Math.abs(viaOrt.history[e].validLoss - viaTfjs.history[e].validLoss)).toBeLessThan(1e-4);
    }
    expect(viaOrt.history[1].validLoss).toBeLessThan(viaOrt.history[0].validLoss);
    const a = await loadTrainingCheckpoint(path.join(dir, 'ort'));
    const b = await loadTrainingCheckpoint(path.join(dir, 'tfjs'));
    expect(a.optimizer.scalars).toEqual(b.optimizer.scalars);
    expect([...a.optimizer.slots.keys()].sort()).toEqual([...b.optimizer.slots.keys()].sort());
    for (const [name, t] of b.weights) expect([name, relativeErrorOf(a.weights.get(name)!.data, t.data) < 1e-3]).toEqual([name, true]);
    for (const [name, t] of b.optimizer.slots) expect([name, relativeErrorOf(a.optimizer.slots.get(name)!.data, t.data) < 1e-3]).toEqual([name, true]);
  });

  test('a tied run saves decoder.weight as the copy of encoder.weight (as PyTorch’s state_dict does) with one set of slots, and resumes bit-identically with its masks', async () => {
    const options: FitOptions = { ...tiny, embed: 24, layers: 2, dropout: 0.2, embedDropout: 0.1, outputDropout: 0.2, weightDrop: 0.2, tie: true, weightDecay: 0.05, maxBatches: 10 };
    const straight = await fit({ corpus, options, outDir: path.join(dir, 'straight'), engine: onCpu });
    const a = await loadTrainingCheckpoint(path.join(dir, 'straight'));
    expect(a.weights.get('decoder.weight')!.data).toEqual(a.weights.get('encoder.weight')!.data);
    expect(a.weights.get('decoder.weight')!.data).not.toEqual(randomWeights({ arch: 'gru', vocabSize: corpus.vocab.size, embeddingDim: 24, hiddenSize: 24, numLayers: 2, dropout: 0.2 }, 0).get('decoder.weight')!.data);
    expect([...a.optimizer.slots.keys()].filter((k) => k.endsWith('decoder.weight'))).toEqual([]);
    expect(a.optimizer.slots.has('exp_avg.encoder.weight')).toBe(true);
    const splitDir = path.join(dir, 'split');
    const controller = new AbortController();
    await fit({ corpus, options, outDir: splitDir, engine: onCpu, signal: controller.signal, onBatch: ({ step }) => step === 13 && controller.abort() });
    const resumed = await fit({ corpus, options, outDir: splitDir, engine: onCpu, resume: await loadTrainingCheckpoint(splitDir) });
    const b = await loadTrainingCheckpoint(splitDir);
    for (const [name, t] of a.weights) expect(b.weights.get(name)!.data).toEqual(t.data);
    expect(resumed.history.map((r) => r.validLoss)).toEqual(straight.history.map((r) => r.validLoss));
  });

  test('an interrupted run resumed from its checkpoint ends with bit-identical weights, and the checkpoint resumes on tfjs too', async () => {
    const options: FitOptions = { ...tiny, layers: 2, dropout: 0.3, maxBatches: 12 };
    const straight = await fit({ corpus, options, outDir: path.join(dir, 'straight'), engine: onCpu });
    const splitDir = path.join(dir, 'split');
    const controller = new AbortController();
    const first = await fit({ corpus, options, outDir: splitDir, engine: onCpu, signal: controller.signal, onBatch: ({ step }) => step === 17 && controller.abort() });
    expect(first.interrupted).toBe(true);
    const saved = await loadTrainingCheckpoint(splitDir);
    expect(saved.trainer).toMatchObject({ epoch: 1, batch: 5, step: 17 });
    expect(saved.hidden?.h.shape).toEqual([2, 8, 24]);
    const resumed = await fit({ corpus, options, outDir: splitDir, engine: onCpu, resume: saved });
    const a = await loadTrainingCheckpoint(path.join(dir, 'straight'));
    const b = await loadTrainingCheckpoint(splitDir);
    for (const [name, t] of a.weights) expect(b.weights.get(name)!.data).toEqual(t.data);
    for (const [name, t] of a.optimizer.slots) expect(b.optimizer.slots.get(name)!.data).toEqual(t.data);
    expect(resumed.history.map((r) => r.validLoss)).toEqual(straight.history.map((r) => r.validLoss));

    // The same interrupted checkpoint continued by the tfjs engine lands within float rounding.
    const tfjsDir = path.join(dir, 'tfjs');
    await fit({ corpus, options, outDir: tfjsDir, resume: { ...saved } });
    const c = await loadTrainingCheckpoint(tfjsDir);
    for (const [name, t] of a.weights) expect([name, relativeErrorOf(c.weights.get(name)!.data, t.data) < 1e-3]).toEqual([name, true]);
  });

  test('a NaN loss applies nothing, stops the run with a clear error and keeps the last good checkpoint', async () => {
    let runs = 0;
    // onnxruntime with the 13th training run's loss replaced by NaN.
    const poisoned: OrtApi = {
      Tensor: api.Tensor,
      InferenceSession: {
        async create(model, options) {
          const session = await api.InferenceSession.create(model, options);
          const isTrain = session.outputNames.includes(IO.gradNorm);
          return new Proxy(session, {
            get(target, key) {
              if (key !== 'run') return Reflect.get(target, key);
              return async (feeds: InferenceSession.FeedsType) => {
                const out = await target.run(feeds);
                if (isTrain && ++runs === 13) return { ...out, [IO.loss]: new api.Tensor('float32', Float32Array.of(NaN), []) };
                return out;
              };
            },
          });
        },
      },
    };
    // At the engine: the poisoned step leaves weights, slots and the carried state as they were.
    const config = { arch: 'gru' as const, vocabSize: corpus.vocab.size, embeddingDim: 8, hiddenSize: 24, numLayers: 1, dropout: 0 };
    const engine = await OrtEngine.create({ config, weights: randomWeights(config, 1), optimizer: 'adam', momentum: 0.9, clip: null }, { ort: poisoned, runtime: 'test', provider: 'cpu' });
    engine.resetState(8);
    const batch = { input: corpus.train.subarray(0, 64), target: corpus.train.subarray(1, 65), seqLen: 8, batchSize: 8 };
    for (let i = 0; i < 12; i++) await engine.trainStep(batch, 3e-3, new Rng(1));
    const [weights, slots, state] = [await engine.getWeights(), await engine.getOptimizerState(), await engine.getState()];
    expect((await engine.trainStep(batch, 3e-3, new Rng(1))).loss).toBeNaN();
    expect(await engine.getWeights()).toEqual(weights);
    expect(await engine.getOptimizerState()).toEqual(slots);
    expect(await engine.getState()).toEqual(state);
    expect((await engine.trainStep(batch, 3e-3, new Rng(1))).loss).toBeLessThan(4);
    expect((await engine.getOptimizerState()).scalars.step).toBe(13);
    await engine.dispose();
    runs = 0;

    const options: FitOptions = { ...tiny, schedule: '3@3e-3', maxBatches: 5 };
    await expect(fit({ corpus, options, outDir: dir, engine: ortEngine({ ort: poisoned, runtime: 'test', provider: 'cpu' }) })).rejects.toThrow(
      new RegExp(`training loss became NaN at epoch 3, batch 3 .*the last good checkpoint \\(epoch 2\\) is kept in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    const ckpt = await loadTrainingCheckpoint(dir);
    expect(ckpt.trainer).toMatchObject({ epoch: 2, batch: 0, step: 10 });
  });

  test('device-resident: weights, slots and state are asked for on the device and fed back without a host copy', async () => {
    // A simulated device: outputs asked for as 'gpu-buffer' come back as handles whose data can
    // only be downloaded (getData); feeding a handle back gives the real tensor to onnxruntime.
    const handles = new WeakMap<object, Tensor>();
    let hostReads = 0;
    let downloads = 0;
    let disposed = 0;
    let locations: Record<string, string> | undefined;
    const device: OrtApi = {
      Tensor: api.Tensor,
      InferenceSession: {
        async create(model, options) {
          const session = await api.InferenceSession.create(model, { ...options, executionProviders: ['cpu'], preferredOutputLocation: undefined });
          if (session.outputNames.includes(IO.gradNorm)) locations = options?.preferredOutputLocation as Record<string, string>;
          const wanted = (options?.preferredOutputLocation ?? {}) as Record<string, string>;
          return new Proxy(session, {
            get(target, key) {
              if (key !== 'run') return Reflect.get(target, key);
              return async (feeds: InferenceSession.FeedsType) => {
                const real: Record<string, Tensor> = {};
                for (const [name, t] of Object.entries(feeds)) real[name] = handles.get(t as object) ?? (t as Tensor);
                const out = await target.run(real);
                const result: Record<string, Tensor> = {};
                for (const [name, t] of Object.entries(out)) {
                  if (wanted[name] !== 'gpu-buffer') {
                    result[name] = t;
                    continue;
                  }
                  const handle = {
                    location: 'gpu-buffer',
                    dims: t.dims,
                    type: t.type,
                    get data(): never {
                      hostReads++;
                      throw new Error('device data is not readable on the host');
                    },
                    getData: async () => (downloads++, t.data),
                    dispose: () => void disposed++,
                  } as unknown as Tensor;
                  handles.set(handle, t);
                  result[name] = handle;
                }
                return result;
              };
            },
          });
        },
      },
    };
    const options: FitOptions = { ...tiny, schedule: '1@3e-3', maxBatches: 6 };
    const onDevice = await fit({ corpus, options, outDir: path.join(dir, 'device'), engine: ortEngine({ ort: device, runtime: 'test', provider: 'cuda', deviceResident: true }) });
    const onHost = await fit({ corpus, options, outDir: path.join(dir, 'host'), engine: onCpu });
    expect(locations?.[IO.loss]).toBe('cpu');
    expect(locations?.[IO.updated('rnn.weight_hh_l0')]).toBe('gpu-buffer');
    expect(locations?.[IO.updated(IO.v('decoder.bias'))]).toBe('gpu-buffer');
    expect(locations?.[IO.hn]).toBe('gpu-buffer');
    expect(hostReads).toBe(0);
    // Downloads happen only for the checkpoint: 7 weights + 14 Adam slots, once.
    expect(downloads).toBe(21);
    // Every step but the last replaced 7 + 14 + 1 device tensors (the last ones are freed at dispose).
    expect(disposed).toBe(6 * 22);
    expect(onDevice.history[0].validLoss).toBe(onHost.history[0].validLoss);
  });
});
