import { ModelConfigError, validateModelConfig, weightProblems, type CheckpointMeta, type ModelConfig } from '@charrnn/train';

/** One float32 tensor, row-major, in PyTorch's layout (@charrnn/train's NamedTensor). */
export interface SourceTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Everything the exporter reads: a checkpoint's meta (contract 1) and its weights keyed by
 * PyTorch state_dict name. `loadModelCheckpoint` returns exactly this, and so does pairing
 * `randomWeights(config, seed)` with a vocab, which needs no file system.
 */
export interface ExportSource extends CheckpointMeta {
  weights: ReadonlyMap<string, SourceTensor>;
}

export class ExportSourceError extends Error {
  override name = 'ExportSourceError';
}

/**
 * Throws ExportSourceError unless `source` is a complete, consistent model: a known arch and
 * positive sizes, one vocab string per id, and every tensor of contract 1 with its expected shape.
 */
export function validateExportSource(source: ExportSource, where = 'model'): ModelConfig {
  let config: ModelConfig;
  try {
    config = validateModelConfig(source.config);
  } catch (error) {
    if (error instanceof ModelConfigError) throw new ExportSourceError(`${where}: ${error.message}`);
    throw error;
  }
  if (!Array.isArray(source.vocab) || source.vocab.length !== config.vocabSize || !source.vocab.every((t) => typeof t === 'string')) {
    const got = Array.isArray(source.vocab) ? `${source.vocab.length} entries` : typeof source.vocab;
    throw new ExportSourceError(`${where}: vocab has ${got}, expected ${config.vocabSize} strings (config vocabSize)`);
  }
  const problems = weightProblems(config, source.weights);
  if (problems.length > 0) {
    throw new ExportSourceError(`${where} does not fit its ${config.numLayers}-layer ${config.arch} config: ${problems.join('; ')}`);
  }
  return config;
}
