import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charrnn/data';
import { CharModel, disposeState } from '../model/char-model.js';
import type { ModelConfig } from '../model/config.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { randomWeights } from '../model/weights.js';
import { fastLossAndGradients } from './loss-and-gradients.js';
import { ParallelGradients } from './parallel-gradients.js';
import { stateColumns, streamRanges, tokenColumns } from './stream-split.js';
import { relativeError } from './test-helpers/relative-error.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '../..');
let bundleDir: string;
let workerUrl: URL;

// The worker runs outside jest, so it cannot load TypeScript: bundle it with esbuild (tfjs stays
// external and resolves from node_modules; @charrnn/data comes from its sources, no build needed).
beforeAll(async () => {
  await useBackend('wasm');
  await mkdir(path.join(packageDir, '.cache'), { recursive: true });
  bundleDir = await mkdtemp(path.join(packageDir, '.cache', 'worker-test-'));
  const outfile = path.join(bundleDir, 'gradient-worker.mjs');
  await esbuild.build({
    entryPoints: [path.join(here, 'gradient-worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@tensorflow/*'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'workspace-sources',
        setup(build) {
          build.onResolve({ filter: /^@charrnn\/data$/ }, () => ({ path: path.resolve(packageDir, '../data/src/index.ts') }));
        },
      },
    ],
  });
  workerUrl = pathToFileURL(outfile);
}, 60_000);
afterAll(() => rm(bundleDir, { recursive: true, force: true }));


describe('stream split', () => {
  test('ranges cover the batch in near-equal parts', () => {
    expect(streamRanges(64, 2)).toEqual([[0, 32], [32, 64]]);
    expect(streamRanges(7, 3)).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect(streamRanges(2, 4)).toEqual([[0, 1], [1, 2]]);
  });

  test('token and state columns pick the right streams', () => {
    // time-major [3 steps, 4 streams]: value = 10·t + b
    const ids = Int32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4));
    expect([...tokenColumns(ids, 3, 4, 1, 3)]).toEqual([1, 2, 11, 12, 21, 22]);
    // [2 layers, 3 streams, 2 hidden]: value = 100·l + 10·b + j
    const state = Float32Array.from({ length: 12 }, (_, i) => 100 * Math.floor(i / 6) + 10 * Math.floor((i % 6) / 2) + (i % 2));
    expect([...stateColumns(state, 2, 3, 2, 2, 3)]).toEqual([20, 21, 120, 121]);
  });
});

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
    const state = arch === 'lstm' ? { h: random(), c: random() } : { h: random() };

    const parallel = await ParallelGradients.create(config, { parts, backend: 'wasm', maxBatchSize: batchSize, workerUrl });
    try {
      const one = fastLossAndGradients(model, batch, state, { training: true });
      const split = parallel.lossAndGradients(model, batch, state, { training: true });
      expect(Math.abs(split.loss - one.loss) / one.loss).toBeLessThan(1e-6);
      expect(relativeError(split.state.h, one.state.h)).toBeLessThan(1e-6);
      if (arch === 'lstm') expect(relativeError(split.state.c!, one.state.c!)).toBeLessThan(1e-6);
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
