import * as ort from 'onnxruntime-node';
import { LanguageModelLoader, Rng, prepareCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { ParallelOrtEngine } from './dist/ort/parallel-engine.js';
import { OrtEngine } from './dist/ort/ort-engine.js';
import { randomWeights } from './dist/model/weights.js';
const { text } = await loadCorpus(undefined, { progress: false });
const corpus = prepareCorpus(text, { minFreq: 3, lower: true, validFraction: 0.2 });
const config = { arch: 'gru', vocabSize: corpus.vocab.size, embeddingDim: 42, hiddenSize: 256, numLayers: 1, dropout: 0 };
const init = { config, weights: randomWeights(config, 0), optimizer: 'adam', momentum: 0, clip: null };
const loader = new LanguageModelLoader(corpus.train, { batchSize: 64, bptt: 8, seed: 0 });
const batches = []; for (const b of loader.epoch(0)) { batches.push(b); if (batches.length === 300) break; }
for (const which of ['one', 'par']) {
  const e = which === 'one' ? await OrtEngine.create(init, { ort, runtime: 'x', provider: 'cpu', intraOpNumThreads: 1 }) : await ParallelOrtEngine.create(init, { workers: 1 });
  e.resetState(64); const rng = new Rng(0, 1);
  const c0 = process.cpuUsage(); let steps = 0;
  for (const b of batches) { await e.trainStep(b, 1e-3, rng); steps++; }
  const c = process.cpuUsage(c0);
  console.log(which, 'cpu/step', ((c.user + c.system) / 1000 / steps).toFixed(2), 'ms');
  await e.dispose();
}
