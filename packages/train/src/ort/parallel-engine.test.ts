// The data-parallel ONNX Runtime engine against the one-thread engine: the same losses, weights,
// optimizer slots, carried state and validation loss within float rounding, for every cell, one
// and two layers, over uneven stream splits; whole runs with checkpoints and exact resume;
// failures named, and no worker thread left behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Rng, prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import type { EngineFactory, EngineInit, Evaluation, StateData, TokenBatch } from '../engine/engine.js';
import { bundleWorker, type WorkerBundle } from '../engine/test-helpers/worker-bundle.js';
import type { Regularization } from '../engine/regularization.js';
import { relativeErrorOf } from '../fast/test-helpers/relative-error.js';
import type { Arch, ModelConfig } from '../model/config.js';
import { randomWeights, tiedWeights, type Weights } from '../model/weights.js';
import type { OptimizerName, OptimizerState } from '../optim/optimizer.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from '../trainer/fit-options.js';
import { fit } from '../trainer/fit.js';
import { loadTrainingCheckpoint } from '../trainer/training-checkpoint-directory.js';
import { OrtEngine, type OrtApi } from './ort-engine.js';
import { ParallelOrtEngine, ParallelOrtError, runningOrtWorkers, type ParallelOrtOptions } from './parallel-engine.js';

let worker: WorkerBundle;
let crashing: WorkerBundle;
const external = ['onnxruntime-node', 'onnxruntime-common'];

beforeAll(async () => {
  worker = await bundleWorker(fileURLToPath(new URL('./parallel-worker.ts', import.meta.url)), external);
  crashing = await bundleWorker(fileURLToPath(new URL('./test-helpers/crashing-worker.ts', import.meta.url)), external);
}, 60_000);
afterAll(async () => {
  await Promise.all([worker.remove(), crashing.remove()]);
});
afterEach(() => {
  // Every engine a test made was disposed, and disposing ended all its threads.
  expect(runningOrtWorkers()).toBe(0);
});

const api = ort as unknown as OrtApi;
const oneThread: EngineFactory = (init) => OrtEngine.create(init, { ort: api, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
const parallel =
  (workers: number, options: Partial<ParallelOrtOptions> = {}): EngineFactory =>
  (init) =>
    ParallelOrtEngine.create(init, { workers, workerUrl: worker.url, ...options });

const STREAMS = 7;
const VOCAB = 11;

function configOf(arch: Arch, numLayers: number, dropout: number): ModelConfig {
  return { arch, vocabSize: VOCAB, embeddingDim: 6, hiddenSize: 12, numLayers, dropout };
}

function initOf(config: ModelConfig, optimizer: OptimizerName, clip: number | null): EngineInit {
  return { config, weights: randomWeights(config, 5), optimizer, momentum: 0.9, clip };
}

/** Windows of random tokens, of several lengths (a session per length in each worker). */
function windows(lengths: number[], streams = STREAMS): TokenBatch[] {
  const rng = new Rng(3);
  const ids = (n: number) => Int32Array.from({ length: n }, () => Math.floor(rng.next() * VOCAB));
  return lengths.map((seqLen) => ({ input: ids(seqLen * streams), target: ids(seqLen * streams), seqLen, batchSize: streams }));
}

const VALID = Int32Array.from({ length: 300 }, (_, i) => (i * 7 + (i >> 3)) % VOCAB);

interface Trace {
  losses: number[];
  weights: Weights;
  optimizer: OptimizerState;
  state: StateData;
  valid: Evaluation;
}

/** Trains on the windows (state carried from zeros), then reads everything back and validates. */
async function trace(factory: EngineFactory, init: EngineInit, batches: TokenBatch[]): Promise<Trace> {
  const engine = await factory(init);
  try {
    engine.resetState(STREAMS);
    const rng = new Rng(11);
    const losses: number[] = [];
    for (const batch of batches) losses.push((await engine.trainStep(batch, 0.02, rng)).loss);
    // Validation over 5 streams: split 2 + 3 and 1 + 2 + 2.
    return { losses, weights: await engine.getWeights(), optimizer: await engine.getOptimizerState(), state: await engine.getState(), valid: await engine.evaluate(VALID, 5, 4) };
  } finally {
    await engine.dispose();
  }
}

/**
 * Losses, state and validation within 1e-5; weights and slots within `tolerance` (1e-4) of their
 * scale: Adam moves a weight whose gradient nearly cancels by lr·g/(|g| + ε), where the last bits
 * of g depend on the order of the sums (measured: up to 6e-6 on an lstm's weight_ih_l0 after one
 * step; 1.4e-4 after the five clipped steps of the 2-layer lstm with locked dropout, whose dropped
 * units leave more gradients near zero, while the same run on SGD, measured once, agreed to 5e-8). The state
 * after those weights, within a tenth of that (at least 1e-5).
 */
function expectClose(got: Trace, want: Trace, initial: Weights, tolerance = 1e-4): void {
  expect(got.losses.length).toBe(want.losses.length);
  got.losses.forEach((loss, i) => expect([i, Math.abs(loss - want.losses[i]) / want.losses[i] < 1e-5]).toEqual([i, true]));
  for (const [name, t] of want.weights) {
    expect([name, relativeErrorOf(got.weights.get(name)!.data, t.data) < tolerance]).toEqual([name, true]);
    // Training moved every tensor, so agreeing is not agreeing on the starting point.
    expect([name, relativeErrorOf(t.data, initial.get(name)!.data) > 1e-4]).toEqual([name, true]);
  }
  expect(got.optimizer.scalars).toEqual(want.optimizer.scalars);
  expect([...got.optimizer.slots.keys()]).toEqual([...want.optimizer.slots.keys()]);
  for (const [name, t] of want.optimizer.slots) {
    expect(got.optimizer.slots.get(name)!.shape).toEqual(t.shape);
    expect([name, relativeErrorOf(got.optimizer.slots.get(name)!.data, t.data) < tolerance]).toEqual([name, true]);
  }
  expect(got.state.h.shape).toEqual(want.state.h.shape);
  const stateTolerance = Math.max(1e-5, tolerance / 10);
  expect(relativeErrorOf(got.state.h.data, want.state.h.data)).toBeLessThan(stateTolerance);
  if (want.state.c) expect(relativeErrorOf(got.state.c!.data, want.state.c.data)).toBeLessThan(stateTolerance);
  expect(got.valid.targets).toBe(want.valid.targets);
  expect(Math.abs(got.valid.loss - want.valid.loss) / want.valid.loss).toBeLessThan(1e-5);
}

describe('data-parallel ONNX Runtime engine', () => {
  // [arch, layers, dropout, optimizer, clip, weight and slot tolerance]
  const CASES: [Arch, number, number, OptimizerName, number | null, number][] = [
    ['rnn', 1, 0, 'sgd', null, 1e-4],
    ['rnn', 2, 0.3, 'sgd', null, 1e-4],
    ['gru', 1, 0, 'adam', null, 1e-4],
    ['gru', 2, 0.3, 'adam', null, 1e-4],
    // A small clip, so that clipping (which needs the whole gradient's norm) is in effect.
    ['lstm', 1, 0, 'adam', 0.1, 1e-4],
    ['lstm', 2, 0.3, 'adam', 0.1, 5e-4],
  ];

  test.each(CASES)(
    '%s ×%i, dropout %f, %s, clip %p: 2 and 3 workers (7 streams split 3+4 and 2+2+3) give the one-thread losses, weights, slots, state and validation',
    async (arch, layers, dropout, optimizer, clip, tolerance) => {
      const init = initOf(configOf(arch, layers, dropout), optimizer, clip);
      const batches = windows([5, 5, 3, 6, 5]);
      const want = await trace(oneThread, init, batches);
      for (const workers of [2, 3]) expectClose(await trace(parallel(workers), init, batches), want, init.weights, tolerance);
    },
    180_000,
  );

  test('locked embedding, between-layer and output dropout, weight drop and AdamW decay: 2 and 3 workers give the one-thread run (the weight-drop masks go whole to every worker)', async () => {
    const regularization = { embedDropout: 0.2, outputDropout: 0.3, weightDrop: 0.4, tie: false, weightDecay: 0.5 };
    const init = { ...initOf(configOf('gru', 2, 0.3), 'adam', null), regularization };
    const batches = windows([5, 5, 3, 6, 5]);
    const want = await trace(oneThread, init, batches);
    // The masks and the decay are in effect: the same run without them has other losses.
    const plain = await trace(oneThread, initOf(configOf('gru', 2, 0.3), 'adam', null), batches);
    expect(Math.abs(plain.losses[4] - want.losses[4])).toBeGreaterThan(1e-3);
    for (const workers of [2, 3]) expectClose(await trace(parallel(workers), init, batches), want, init.weights);
  }, 180_000);

  // A tied decoder is one parameter (encoder.weight): one place in the flat buffers, one set of slots.
  const TIED: [string, ModelConfig, OptimizerName, number | null, Regularization, number][] = [
    ['gru ×2 with every mask, SGD with decoupled decay', { ...configOf('gru', 2, 0.3), embeddingDim: 12 }, 'sgd', null, { embedDropout: 0.2, outputDropout: 0.3, weightDrop: 0.25, tie: true, weightDecay: 0.1 }, 1e-6],
    ['lstm ×1, AdamW, clipped', { ...configOf('lstm', 1, 0), embeddingDim: 12 }, 'adam', 0.1, { embedDropout: 0, outputDropout: 0, weightDrop: 0, tie: true, weightDecay: 0.05 }, 1e-4],
  ];

  test.each(TIED)('tied, %s: 2 and 3 workers give the one-thread run, decoder.weight written as encoder.weight', async (_label, config, optimizer, clip, regularization, tolerance) => {
    const init: EngineInit = { ...initOf(config, optimizer, clip), weights: tiedWeights(randomWeights(config, 5)), regularization };
    const batches = windows([5, 5, 3, 6, 5]);
    const want = await trace(oneThread, init, batches);
    expect([...want.optimizer.slots.keys()].some((k) => k.endsWith('decoder.weight'))).toBe(false);
    for (const workers of [2, 3]) {
      const got = await trace(parallel(workers), init, batches);
      expect(got.weights.get('decoder.weight')!.data).toEqual(got.weights.get('encoder.weight')!.data);
      expectClose(got, want, init.weights, tolerance);
    }
  }, 180_000);

  test('read after every step (the workers reply before they update): weights, slots and state are that step\'s, as the one-thread engine\'s', async () => {
    const init = initOf(configOf('gru', 1, 0), 'adam', 0.1);
    const batches = windows([5, 3, 6]);
    const stepByStep = async (factory: EngineFactory) => {
      const engine = await factory(init);
      const reads: { weights: Weights; optimizer: OptimizerState; state: StateData }[] = [];
      try {
        engine.resetState(STREAMS);
        const rng = new Rng(4);
        for (const b of batches) {
          await engine.trainStep(b, 0.02, rng);
          reads.push({ weights: await engine.getWeights(), optimizer: await engine.getOptimizerState(), state: await engine.getState() });
        }
        return reads;
      } finally {
        await engine.dispose();
      }
    };
    const want = await stepByStep(oneThread);
    const got = await stepByStep(parallel(2));
    want.forEach((w, step) => {
      // Each step moved the weights by more than the tolerance, so a read of the step before (an update not yet finished) fails.
      for (const [name, t] of w.weights) expect([step, name, relativeErrorOf(got[step].weights.get(name)!.data, t.data) < 1e-5]).toEqual([step, name, true]);
      for (const [name, t] of w.optimizer.slots) expect([step, name, relativeErrorOf(got[step].optimizer.slots.get(name)!.data, t.data) < 1e-4]).toEqual([step, name, true]);
      expect(relativeErrorOf(got[step].state.h.data, w.state.h.data)).toBeLessThan(1e-5);
      if (step > 0) expect(relativeErrorOf(w.weights.get('rnn.weight_hh_l0')!.data, want[step - 1].weights.get('rnn.weight_hh_l0')!.data)).toBeGreaterThan(1e-4);
    });
  }, 120_000);

  test('a batch with fewer streams than workers: the idle worker still updates its slice', async () => {
    const init = initOf(configOf('gru', 2, 0.3), 'adam', 0.1);
    const batches = windows([4, 4], 2);
    const run = async (factory: EngineFactory) => {
      const engine = await factory(init);
      try {
        engine.resetState(2);
        const rng = new Rng(1);
        for (const b of batches) await engine.trainStep(b, 0.02, rng);
        return { weights: await engine.getWeights(), state: await engine.getState() };
      } finally {
        await engine.dispose();
      }
    };
    const want = await run(oneThread);
    const got = await run(parallel(3));
    for (const [name, t] of want.weights) expect([name, relativeErrorOf(got.weights.get(name)!.data, t.data) < 1e-5]).toEqual([name, true]);
    expect(relativeErrorOf(got.state.h.data, want.state.h.data)).toBeLessThan(1e-5);
  }, 120_000);

  test('setState and getState carry a state between engines; a non-finite loss applies nothing', async () => {
    const init = initOf(configOf('lstm', 2, 0.3), 'adam', null);
    const [first, second] = windows([5, 5]);
    const reference = await OrtEngine.create(init, { ort: api, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
    const engine = await ParallelOrtEngine.create(init, { workers: 2, workerUrl: worker.url });
    try {
      reference.resetState(STREAMS);
      await reference.trainStep(first, 0.02, new Rng(2));
      const carried = await reference.getState();
      engine.setState(carried);
      expect(await engine.getState()).toEqual(carried);
      // A learning rate of NaN: the step's loss is finite (it is computed before the update), the weights become NaN.
      expect(Number.isFinite((await engine.trainStep(second, NaN, new Rng(4))).loss)).toBe(true);
      const [weights, optimizer, state] = [await engine.getWeights(), await engine.getOptimizerState(), await engine.getState()];
      expect(Number.isNaN(weights.get('decoder.bias')!.data[0])).toBe(true);
      expect(relativeErrorOf(state.h.data, carried.h.data)).toBeGreaterThan(1e-3);
      expect(optimizer.scalars.step).toBe(1);
      // The next loss is NaN: weights, slots, the carried state and Adam's step stay as they were.
      expect((await engine.trainStep(second, 0.02, new Rng(4))).loss).toBeNaN();
      expect(await engine.getWeights()).toEqual(weights);
      expect(await engine.getOptimizerState()).toEqual(optimizer);
      expect(await engine.getState()).toEqual(state);
    } finally {
      await Promise.all([reference.dispose(), engine.dispose()]);
    }
  }, 120_000);
});

describe('data-parallel ONNX Runtime engine in the training loop', () => {
  let corpus: PreparedCorpus;
  let dir: string;
  const tiny: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 24, layers: 2, dropout: 0.3, bs: 8, bptt: 8, schedule: '2@3e-3', maxBatches: 12 };

  beforeAll(async () => {
    const { text } = await loadCorpus();
    corpus = prepareCorpus(text.slice(0, 30_000), { minFreq: 3 });
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'charrnn-parallel-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('the one-thread run within float rounding; interrupted and resumed, bit-identical to the straight run; its checkpoint continues on the one-thread engine', async () => {
    const straight = await fit({ corpus, options: tiny, outDir: path.join(dir, 'straight'), engine: parallel(2) });
    const single = await fit({ corpus, options: tiny, outDir: path.join(dir, 'one'), engine: oneThread });
    expect(straight.engine).toBe('onnxruntime-node (cpu, 2 data-parallel workers)');
    for (let e = 0; e < 2; e++) {
      expect(Math.abs(straight.history[e].trainLoss - single.history[e].trainLoss)).toBeLessThan(1e-4);
      expect(Math.abs(straight.history[e].validLoss - single.history[e].validLoss)).toBeLessThan(1e-4);
    }
    expect(straight.history[1].validLoss).toBeLessThan(straight.history[0].validLoss);

    const splitDir = path.join(dir, 'split');
    const controller = new AbortController();
    const first = await fit({ corpus, options: tiny, outDir: splitDir, engine: parallel(2), signal: controller.signal, onBatch: ({ step }) => step === 17 && controller.abort() });
    expect(first.interrupted).toBe(true);
    const saved = await loadTrainingCheckpoint(splitDir);
    expect(saved.trainer).toMatchObject({ epoch: 1, batch: 5, step: 17 });
    expect(saved.hidden?.h.shape).toEqual([2, 8, 24]);
    const resumed = await fit({ corpus, options: tiny, outDir: splitDir, engine: parallel(2), resume: saved });
    const a = await loadTrainingCheckpoint(path.join(dir, 'straight'));
    const b = await loadTrainingCheckpoint(splitDir);
    for (const [name, t] of a.weights) expect(b.weights.get(name)!.data).toEqual(t.data);
    for (const [name, t] of a.optimizer.slots) expect(b.optimizer.slots.get(name)!.data).toEqual(t.data);
    expect(resumed.history.map((r) => r.validLoss)).toEqual(straight.history.map((r) => r.validLoss));

    const onOne = path.join(dir, 'on-one');
    await fit({ corpus, options: tiny, outDir: onOne, engine: oneThread, resume: { ...saved } });
    const c = await loadTrainingCheckpoint(onOne);
    for (const [name, t] of a.weights) expect([name, relativeErrorOf(c.weights.get(name)!.data, t.data) < 1e-3]).toEqual([name, true]);
  }, 240_000);
});

describe('data-parallel ONNX Runtime engine failures', () => {
  const init = initOf(configOf('gru', 1, 0), 'adam', null);

  test('a call while another is running is refused, and the running one completes', async () => {
    const engine = await ParallelOrtEngine.create(init, { workers: 2, workerUrl: worker.url });
    try {
      engine.resetState(STREAMS);
      const [batch] = windows([5]);
      const first = engine.trainStep(batch, 0.02, new Rng(1));
      await expect(engine.trainStep(batch, 0.02, new Rng(1))).rejects.toThrow(
        new ParallelOrtError('the data-parallel engine is still running a request: await each call before the next'),
      );
      expect(Number.isFinite((await first).loss)).toBe(true);
      expect((await engine.getOptimizerState()).scalars.step).toBe(1);
    } finally {
      await engine.dispose();
    }
  }, 60_000);

  test('a worker count that is not a positive integer is refused', async () => {
    await expect(ParallelOrtEngine.create(init, { workers: 0, workerUrl: worker.url })).rejects.toThrow(
      new ParallelOrtError('workers is 0, expected an integer ≥ 1 (data-parallel worker threads)'),
    );
  });

  test('a session that cannot load fails create with the worker and its reason, and leaves no thread', async () => {
    await expect(ParallelOrtEngine.create(init, { workers: 2, workerUrl: worker.url, sessionOptions: { executionProviders: ['bogus'] } })).rejects.toThrow(
      /^onnxruntime worker 1 of 2 failed to start: .*bogus.* backend not found/,
    );
  });

  test('a run that throws in one worker fails the step naming it; the other stops at the barrier; every later call fails the same', async () => {
    const engine = await ParallelOrtEngine.create(init, { workers: 2, workerUrl: worker.url });
    try {
      engine.resetState(STREAMS);
      const [batch] = windows([5]);
      // Token 99 (the vocabulary has 11) in the last stream only: worker 2's embedding Gather fails.
      const input = Int32Array.from(batch.input, (id, i) => (i % STREAMS === STREAMS - 1 ? 99 : id));
      const failure = /^onnxruntime worker 2 of 2 failed: .*99.*; the data-parallel engine stopped \(its last checkpoint is intact\)$/;
      await expect(engine.trainStep({ ...batch, input }, 0.02, new Rng(1))).rejects.toThrow(failure);
      await expect(engine.trainStep(batch, 0.02, new Rng(1))).rejects.toThrow(failure);
      await expect(engine.evaluate(VALID, 5, 4)).rejects.toThrow(failure);
    } finally {
      await engine.dispose();
    }
  }, 60_000);

  test('a worker thread that dies mid-run fails that step and every later call, naming it and its exit code', async () => {
    const engine = await ParallelOrtEngine.create(init, { workers: 2, workerUrl: crashing.url });
    try {
      engine.resetState(STREAMS);
      const [first, second] = windows([5, 5]);
      expect(Number.isFinite((await engine.trainStep(first, 0.02, new Rng(1))).loss)).toBe(true);
      const failure = /^onnxruntime worker 2 of 2 exited with code 3; the data-parallel engine stopped/;
      await expect(engine.trainStep(second, 0.02, new Rng(1))).rejects.toThrow(failure);
      await expect(engine.trainStep(second, 0.02, new Rng(1))).rejects.toThrow(failure);
      await expect(engine.getWeights()).resolves.toBeInstanceOf(Map);
    } finally {
      await engine.dispose();
    }
  }, 60_000);
});
