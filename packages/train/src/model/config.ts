import { gateCount, type Arch } from '@charrnn/graph';

export { gateCount, type Arch };

export const ARCHS: readonly Arch[] = ['rnn', 'gru', 'lstm'];

/** Everything needed to rebuild a model's parameter shapes; stored as `charrnn.config`. */
export interface ModelConfig {
  arch: Arch;
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout probability between recurrent layers (PyTorch's `dropout` argument of nn.GRU). */
  dropout: number;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ModelConfigError(`model config ${field} is ${JSON.stringify(value)}, expected a positive integer`);
  }
  return value;
}

/** Checks a config read from JSON or flags; throws ModelConfigError naming the bad field. */
export function validateModelConfig(raw: unknown): ModelConfig {
  if (typeof raw !== 'object' || raw === null) {
    throw new ModelConfigError(`model config is ${JSON.stringify(raw)}, expected an object`);
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.arch !== 'string' || !(ARCHS as readonly string[]).includes(r.arch)) {
    throw new ModelConfigError(`model config arch is ${JSON.stringify(r.arch)}, expected one of ${ARCHS.join(', ')}`);
  }
  const dropout = r.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new ModelConfigError(`model config dropout is ${JSON.stringify(dropout)}, expected a number in [0, 1)`);
  }
  return {
    arch: r.arch as Arch,
    vocabSize: positiveInteger(r.vocabSize, 'vocabSize'),
    embeddingDim: positiveInteger(r.embeddingDim, 'embeddingDim'),
    hiddenSize: positiveInteger(r.hiddenSize, 'hiddenSize'),
    numLayers: positiveInteger(r.numLayers, 'numLayers'),
    dropout,
  };
}

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
