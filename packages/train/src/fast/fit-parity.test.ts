import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { useBackend } from '../model/test-helpers/backends.js';
import { tfjsEngine } from '../engine/tfjs-engine.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from '../trainer/fit-options.js';
import { fit } from '../trainer/fit.js';
import { lossAndGradients } from '../trainer/gradients.js';
import { fastLossAndGradients } from './loss-and-gradients.js';

let corpus: PreparedCorpus;
const dirs: string[] = [];

beforeAll(async () => {
  await useBackend('wasm');
  const { text } = await loadCorpus();
  corpus = prepareCorpus(text.slice(0, 30_000), { minFreq: 3 });
});
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function train(options: FitOptions, gradients: typeof lossAndGradients) {
  const outDir = await mkdtemp(path.join(tmpdir(), 'charrnn-fast-fit-'));
  dirs.push(outDir);
  return (await fit({ corpus, options, outDir, engine: tfjsEngine({ gradients }) })).history;
}

// Training results do not change: the same run (seed, batches, dropout masks) through the fast
// path and through the tape gives the same losses up to float rounding, accumulated over steps.
test.each([
  ['gru', 1, 0],
  ['lstm', 2, 0.25],
] as const)('%s ×%i (dropout %f): fit gives the same train and validation losses with either gradient path', async (arch, layers, dropout) => {
  const options: FitOptions = { ...DEFAULT_FIT_OPTIONS, arch, layers, dropout, embed: 8, hidden: 24, bs: 8, bptt: 8, schedule: '2@3e-3', maxBatches: 25, backend: 'wasm' };
  const reference = await train(options, lossAndGradients);
  const fast = await train(options, fastLossAndGradients);
  expect(fast.length).toBe(2);
  fast.forEach((row, i) => {
    expect(Math.abs(row.trainLoss - reference[i].trainLoss)).toBeLessThan(1e-4);
    expect(Math.abs(row.validLoss - reference[i].validLoss)).toBeLessThan(1e-4);
  });
  expect(fast[1].validLoss).toBeLessThan(fast[0].validLoss + 0.05);
  console.log(`${arch} ×${layers}: valid ${reference.map((r) => r.validLoss.toFixed(6)).join(', ')} (tape) vs ${fast.map((r) => r.validLoss.toFixed(6)).join(', ')} (fast)`);
});
