import { ModelConfigError, validateModelConfig, weightProblems, type CheckpointMeta, type ModelConfig } from '@charrnn/train/browser';

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
 * positive sizes, one distinct non-empty vocab string per id, every tensor of contract 1 with its
 * expected shape, and finite weights (NaN from a diverged run would otherwise surface only as a
 * NaN difference in verification, or as noise in generated text).
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
  const vocabIssues = vocabProblems(source.vocab);
  if (vocabIssues.length > 0) throw new ExportSourceError(`${where}: ${vocabIssues.join('; ')}; each id needs its own non-empty token`);
  const problems = weightProblems(config, source.weights);
  if (problems.length > 0) {
    throw new ExportSourceError(`${where} does not fit its ${config.numLayers}-layer ${config.arch} config: ${problems.join('; ')}`);
  }
  const nonFinite = [...source.weights].flatMap(([name, t]) => nonFiniteProblem(name, t) ?? []);
  if (nonFinite.length > 0) {
    throw new ExportSourceError(
      `${where} has non-finite weights: ${nonFinite.join('; ')}; such a model generates nothing useful: export a checkpoint from before training diverged`,
    );
  }
  return config;
}

/** Duplicate tokens (infer-web could not map a character to one id) and empty ones, by id. */
function vocabProblems(vocab: readonly string[]): string[] {
  const ids = new Map<string, number[]>();
  vocab.forEach((token, id) => ids.set(token, [...(ids.get(token) ?? []), id]));
  const problems: string[] = [];
  for (const [token, at] of ids) {
    if (token !== '' && at.length > 1) problems.push(`vocab entry ${JSON.stringify(token)} appears at ids ${at.join(', ')}`);
  }
  for (const id of ids.get('') ?? []) problems.push(`vocab entry ${id} is empty`);
  return problems;
}

/** "name has 3 (NaN ×2, -Infinity ×1), the first at [0,5]", or undefined when every value is finite. */
function nonFiniteProblem(name: string, tensor: SourceTensor): string | undefined {
  const counts = new Map<string, number>();
  let first = -1;
  tensor.data.forEach((v, i) => {
    if (Number.isFinite(v)) return;
    if (first < 0) first = i;
    counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  });
  if (first < 0) return undefined;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const index: number[] = [];
  let rest = first;
  for (let d = tensor.shape.length - 1; d >= 0; d--) {
    index.unshift(rest % tensor.shape[d]);
    rest = Math.floor(rest / tensor.shape[d]);
  }
  const kinds = ['NaN', 'Infinity', '-Infinity'].flatMap((kind) => (counts.has(kind) ? [`${kind} ×${counts.get(kind)}`] : [])).join(', ');
  return `${name} has ${total} (${kinds}), the first at [${index.join(',')}]`;
}
