import type { ModelConfig } from '@charrnn/contract';
import { gateCount } from '@charrnn/graph';

// The architectures, the config (`charrnn.config`) and its checks are part of the contract, written
// once in @charrnn/contract; gate counts belong to the graphs. Both are re-exported from here.
export { ARCHS, ModelConfigError, validateModelConfig, type Arch, type ModelConfig } from '@charrnn/contract';
export { gateCount };

/** The checkpoint contract's tensor names → shapes, in PyTorch's state_dict order. */
export function expectedShapes(config: ModelConfig): Map<string, number[]> {
  const { vocabSize, embeddingDim, hiddenSize, numLayers } = config;
  const rows = gateCount(config.arch) * hiddenSize;
  const shapes = new Map<string, number[]>();
  shapes.set('encoder.weight', [vocabSize, embeddingDim]);
  for (let k = 0; k < numLayers; k++) {
    const inputSize = k === 0 ? embeddingDim : hiddenSize;
    shapes.set(`rnn.weight_ih_l${k}`, [rows, inputSize]);
    shapes.set(`rnn.weight_hh_l${k}`, [rows, hiddenSize]);
    shapes.set(`rnn.bias_ih_l${k}`, [rows]);
    shapes.set(`rnn.bias_hh_l${k}`, [rows]);
  }
  shapes.set('decoder.weight', [vocabSize, hiddenSize]);
  shapes.set('decoder.bias', [vocabSize]);
  return shapes;
}
