/**
 * Small real models for tests, built by @charrnn/export from @charrnn/train's random weights
 * (PyTorch's initialisation), so every test runs the actual contract-2 graphs.
 */
import { buildOnnxModel } from '@charrnn/export';
import { randomWeights, type Arch } from '@charrnn/train';

export const TEST_VOCAB = ['<unk>', '\n', ' ', '.', 'a', 'b', 'c', 'd', 'e', 'h', 'i', 'n', 'o', 's', 't'];

export interface TestModelOptions {
  graph?: 'fused' | 'step';
  hiddenSize?: number;
  numLayers?: number;
  seed?: number;
  lower?: boolean;
  /** float16 weights, state and logits (export's `fp16`); the same weights as without it. */
  fp16?: boolean;
}

export function testModel(arch: Arch, options: TestModelOptions = {}): Uint8Array {
  const config = {
    arch,
    vocabSize: TEST_VOCAB.length,
    embeddingDim: 5,
    hiddenSize: options.hiddenSize ?? 12,
    numLayers: options.numLayers ?? 2,
    dropout: 0,
  };
  // A scaled-up decoder gives peaked, prompt-dependent distributions, so greedy and sampled texts
  // are not all one character. The recurrent weights keep PyTorch's scale: scaled up, the RNN
  // becomes chaotic and amplifies float rounding differences between runtimes without bound.
  const weights = randomWeights(config, options.seed ?? 1);
  for (const [name, t] of weights) if (name.startsWith('decoder')) t.data.forEach((v, i) => (t.data[i] = v * 3));
  return buildOnnxModel({ config, vocab: TEST_VOCAB, lower: options.lower ?? true, weights }, {
    graph: options.graph ?? 'fused',
    fp16: options.fp16 ?? false,
  });
}
