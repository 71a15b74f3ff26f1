import * as ort from 'onnxruntime-node';
import { Rng } from '@charrnn/data';
import { OrtEngine, randomWeights } from '@charrnn/train/browser';
const hidden = Number(process.argv[2] ?? 256);
const config = { arch: 'gru', vocabSize: 55, embeddingDim: 42, hiddenSize: hidden, numLayers: 1, dropout: 0 };
const engine = await OrtEngine.create({ config, weights: randomWeights(config, 0), optimizer: 'adam', momentum: 0.9, clip: null }, { ort, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
const B = 64, T = 8; engine.resetState(B);
const rng = new Rng(1);
const input = Int32Array.from({ length: T * B }, (_, i) => (i * 7) % 55);
const target = Int32Array.from({ length: T * B }, (_, i) => (i * 11) % 55);
const times = [];
for (let s = 0; s < 30; s++) { const t0 = performance.now(); await engine.trainStep({ input, target, seqLen: T, batchSize: B }, 1e-3, rng); times.push(performance.now() - t0); }
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log('node ms/step', med(times.slice(5)).toFixed(2), 'chars/s', (512 / med(times.slice(5)) * 1000).toFixed(0));
