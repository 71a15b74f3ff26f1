// Contract 1's model file as bytes, no I/O (browser-safe): the directory edge is checkpoint-directory.ts.
import { ModelConfigError, validateModelConfig, type ModelConfig } from '../model/config.js';
import { weightProblems, type Weights } from '../model/weights.js';
import { CheckpointError } from './errors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';

/** What a checkpoint says about its model besides the weights (the `__metadata__` of model.safetensors). */
export interface CheckpointMeta {
  config: ModelConfig;
  /** Token strings, index = id. */
  vocab: string[];
  /** Whether the corpus was lower-cased before tokenising. */
  lower: boolean;
}

/** The contract's metadata keys for `meta`, plus any extra keys (e.g. a step number). */
export function modelMetadata(meta: CheckpointMeta, extra: Record<string, string> = {}): Record<string, string> {
  const { arch, vocabSize, embeddingDim, hiddenSize, numLayers, dropout } = meta.config;
  return {
    'charrnn.config': JSON.stringify({ arch, vocabSize, embeddingDim, hiddenSize, numLayers, dropout }),
    'charrnn.vocab': JSON.stringify(meta.vocab),
    'charrnn.lower': meta.lower ? 'true' : 'false',
    ...extra,
  };
}

/** Parses and checks the contract's metadata; errors name `source` and the bad key. */
export function parseModelMetadata(metadata: Record<string, string>, source: string): CheckpointMeta {
  const json = (key: string): unknown => {
    const raw = metadata[key];
    if (raw === undefined) throw new CheckpointError(`${source}: metadata ${key} is missing (expected charrnn.config, charrnn.vocab, charrnn.lower)`);
    try {
      return JSON.parse(raw);
    } catch {
      throw new CheckpointError(`${source}: metadata ${key} is not valid JSON: ${raw.slice(0, 80)}`);
    }
  };
  let config: ModelConfig;
  try {
    config = validateModelConfig(json('charrnn.config'));
  } catch (e) {
    if (e instanceof ModelConfigError) throw new CheckpointError(`${source}: metadata charrnn.config: ${e.message}`);
    throw e;
  }
  const vocab = json('charrnn.vocab');
  if (!Array.isArray(vocab) || !vocab.every((s) => typeof s === 'string')) {
    throw new CheckpointError(`${source}: metadata charrnn.vocab is not a JSON array of strings`);
  }
  if (vocab.length !== config.vocabSize) {
    throw new CheckpointError(`${source}: metadata charrnn.vocab has ${vocab.length} entries, charrnn.config says vocabSize ${config.vocabSize}`);
  }
  const lower = metadata['charrnn.lower'];
  if (lower !== 'true' && lower !== 'false') {
    throw new CheckpointError(`${source}: metadata charrnn.lower is ${JSON.stringify(lower)}, expected "true" or "false"`);
  }
  return { config, vocab: vocab as string[], lower: lower === 'true' };
}

/** Bytes of model.safetensors for `meta` and `weights`, checked against the contract first. */
export function encodeModelCheckpoint(meta: CheckpointMeta, weights: Weights, extraMetadata: Record<string, string> = {}): Uint8Array {
  const problems = weightProblems(meta.config, weights);
  if (problems.length > 0) throw new CheckpointError(`refusing to save weights that do not fit the config: ${problems.join('; ')}`);
  if (meta.vocab.length !== meta.config.vocabSize) {
    throw new CheckpointError(`vocab has ${meta.vocab.length} entries, config says vocabSize ${meta.config.vocabSize}`);
  }
  return writeSafetensors(weights, modelMetadata(meta, extraMetadata));
}

/** Inverse of encodeModelCheckpoint; `source` names the file in errors. */
export function decodeModelCheckpoint(bytes: Uint8Array, source: string): CheckpointMeta & { weights: Weights; metadata: Record<string, string> } {
  const { tensors, metadata } = readSafetensors(bytes, source);
  const meta = parseModelMetadata(metadata, source);
  const problems = weightProblems(meta.config, tensors);
  if (problems.length > 0) throw new CheckpointError(`${source}: ${problems.join('; ')}`);
  const weights: Weights = new Map();
  for (const [name, t] of tensors) weights.set(name, { shape: t.shape, data: t.data });
  return { ...meta, weights, metadata };
}
