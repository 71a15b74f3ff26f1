import { ModelConfigError, readVocab, validateModelConfig, type ModelConfig, type ModelMetadata } from '@charrnn/contract';
import { coordinatesOf, nonFiniteProblem, weightProblems } from '@charrnn/train/browser';

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
export interface ExportSource extends ModelMetadata {
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
export function validateExportSource(source: ExportSource, where = 'model', options: { fp16?: boolean } = {}): ModelConfig {
  let config: ModelConfig;
  try {
    config = validateModelConfig(source.config);
  } catch (error) {
    if (error instanceof ModelConfigError) throw new ExportSourceError(`${where}: ${error.message}`);
    throw error;
  }
  // The same vocabulary rules as the checkpoint's and the ONNX model's metadata (@charrnn/contract).
  const vocabIssues: string[] = [];
  readVocab(source.vocab, config.vocabSize, 'vocab', vocabIssues);
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
  if (options.fp16) {
    const tooLarge = [...source.weights].flatMap(([name, t]) => float16RangeProblem(name, t) ?? []);
    if (tooLarge.length > 0) {
      throw new ExportSourceError(`${where} does not fit float16: ${tooLarge.join('; ')}; float16 would store them as ±Infinity: export without fp16`);
    }
  }
  return config;
}

/**
 * Magnitudes from here up round to ±Infinity in float16 (65504 is the largest finite value, and
 * round-to-nearest-even sends everything from halfway to the next step, 65520, to infinity).
 */
const FLOAT16_OVERFLOW = 65520;

/** "name has 2 values beyond ±65504, the largest 1000000 at [2]", or undefined when all fit. */
function float16RangeProblem(name: string, tensor: SourceTensor): string | undefined {
  let count = 0;
  let largest = -1;
  tensor.data.forEach((v, i) => {
    if (Math.abs(v) < FLOAT16_OVERFLOW) return;
    count++;
    if (largest < 0 || Math.abs(v) > Math.abs(tensor.data[largest])) largest = i;
  });
  if (count === 0) return undefined;
  return `${name} has ${count} value${count === 1 ? '' : 's'} beyond ±65504, the largest ${tensor.data[largest]} at [${coordinatesOf(largest, tensor.shape).join(',')}]`;
}
