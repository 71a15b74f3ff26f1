import { expectedShapes, type Arch, type ModelConfig } from '@charrnn/train';

/** One float32 tensor, row-major, in PyTorch's layout (structurally @charrnn/train's NamedTensor). */
export interface SourceTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Everything the exporter reads: a checkpoint's meta (contract 1) and its weights keyed by
 * PyTorch state_dict name. `loadModelCheckpoint` returns exactly this, and so does pairing
 * `randomWeights(config, seed)` with a vocab, which needs no file system.
 */
export interface ExportSource {
  config: ModelConfig;
  vocab: string[];
  lower: boolean;
  weights: ReadonlyMap<string, SourceTensor>;
}

export type { Arch, ModelConfig };

const ARCHS: readonly string[] = ['rnn', 'gru', 'lstm'];

export class ExportSourceError extends Error {
  override name = 'ExportSourceError';
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Checks a model config (from a checkpoint or ONNX metadata); throws naming the bad field. */
export function checkModelConfig(raw: unknown, where: string): ModelConfig {
  if (typeof raw !== 'object' || raw === null) {
    throw new ExportSourceError(`${where}: model config is ${JSON.stringify(raw)}, expected an object`);
  }
  const config = raw as Record<string, unknown>;
  if (typeof config.arch !== 'string' || !ARCHS.includes(config.arch)) {
    throw new ExportSourceError(`${where}: unknown arch ${JSON.stringify(config.arch)}, expected one of ${ARCHS.join(', ')}`);
  }
  for (const field of ['vocabSize', 'embeddingDim', 'hiddenSize', 'numLayers']) {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ExportSourceError(`${where}: model config ${field} is ${JSON.stringify(value)}, expected a positive integer`);
    }
  }
  return raw as ModelConfig;
}

/**
 * Throws ExportSourceError unless `source` is a complete, consistent model: a known arch, one
 * vocab entry per id, and every tensor of contract 1 present with its expected shape.
 */
export function validateExportSource(source: ExportSource, where = 'model'): void {
  const config = checkModelConfig(source.config, where);
  if (!Array.isArray(source.vocab) || source.vocab.length !== config.vocabSize || !source.vocab.every((t) => typeof t === 'string')) {
    const got = Array.isArray(source.vocab) ? `${source.vocab.length} entries` : typeof source.vocab;
    throw new ExportSourceError(`${where}: vocab has ${got}, expected ${config.vocabSize} strings (config vocabSize)`);
  }
  const problems: string[] = [];
  const expected = expectedShapes(config);
  for (const [name, shape] of expected) {
    const tensor = source.weights.get(name);
    if (!tensor) {
      problems.push(`${name} is missing, expected shape ${formatShape(shape)}`);
    } else if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      problems.push(`${name} has shape ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`);
    } else if (tensor.data.length !== shape.reduce((a, b) => a * b, 1)) {
      problems.push(`${name} has ${tensor.data.length} values, expected ${shape.reduce((a, b) => a * b, 1)} for shape ${formatShape(shape)}`);
    }
  }
  for (const name of source.weights.keys()) {
    if (!expected.has(name)) problems.push(`${name} is not a parameter of a ${config.numLayers}-layer ${config.arch}`);
  }
  if (problems.length > 0) {
    throw new ExportSourceError(`${where} does not fit its ${config.arch} config: ${problems.join('; ')}`);
  }
}
