import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charrnn/data';
import { CharModel, disposeState } from '../model/char-model.js';
import type { ModelConfig } from '../model/config.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { randomWeights } from '../model/weights.js';
import { fastLossAndGradients } from './loss-and-gradients.js';
import { ParallelGradients } from './parallel-gradients.js';
import { relativeError } from './test-helpers/relative-error.js';
import { bundleWorker, type WorkerBundle } from '../engine/test-helpers/worker-bundle.js';
import type { RecurrentState } from '../model/recurrent.js';
import { REFERENCE_STATES } from '../model/test-helpers/reference.js';

let worker: WorkerBundle;
let workerUrl: URL;

beforeAll(async () => {
  await useBackend('wasm');
  // tfjs stays external and resolves from node_modules.
  worker = await bundleWorker(fileURLToPath(new URL('./gradient-worker.ts', import.meta.url)), ['@tensorflow/*']);
  workerUrl = worker.url;
}, 60_000);
afterAll(() => worker.remove());

describe('ParallelGradients', () => {
  test.each([
    ['gru', 1, 2],
    ['lstm', 2, 3],
    ['rnn', 1, 2],
  ] as const)('%s ×%i split over %i threads: same loss, state and gradients as one thread', async (arch, numLayers, parts) => {
    const config: ModelConfig = { arch, vocabSize: 13, embeddingDim: 5, hiddenSize: 12, numLayers, dropout: 0 };
    const batchSize = 7;
    const seqLen = 6;
    const model = CharModel.fromWeights(config, randomWeights(config, 4));
    const rng = new Rng(8);
    const ids = () => Int32Array.from({ length: seqLen * batchSize }, () => Math.floor(rng.next() * config.vocabSize));
    const batch = { input: ids(), target: ids(), seqLen, batchSize };
    const shape: [number, number, number] = [numLayers, batchSize, config.hiddenSize];
    const random = () => tf.tensor3d(Float32Array.from({ length: numLayers * batchSize * config.hiddenSize }, () => rng.next() - 0.5), shape);
    const state = Object.fromEntries(REFERENCE_STATES[arch].map((s) => [s, random()])) as unknown as RecurrentState;

    const parallel = await ParallelGradients.create(config, { parts, backend: 'wasm', maxBatchSize: batchSize, workerUrl });
    try {
      const one = fastLossAndGradients(model, batch, state, { training: true });
      const split = parallel.lossAndGradients(model, batch, state, { training: true });
      expect(Math.abs(split.loss - one.loss) / one.loss).toBeLessThan(1e-6);
      expect(Object.keys(split.state)).toEqual(REFERENCE_STATES[arch]);
      for (const s of REFERENCE_STATES[arch]) expect(relativeError(split.state[s]!, one.state[s]!)).toBeLessThan(1e-6);
      for (const [name, g] of one.grads) expect([name, relativeError(split.grads.get(name)!, g) < 1e-5]).toEqual([name, true]);
      for (const r of [one, split]) {
        tf.dispose([...r.grads.values()]);
        disposeState(r.state);
      }
    } finally {
      await parallel.dispose();
      disposeState(state);
      model.dispose();
    }
  });
});
