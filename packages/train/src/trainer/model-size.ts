// Whether a model can be trained on this machine at all, told before anything is allocated: a
// hidden size of 1e8 would otherwise fail deep inside with "Invalid typed array length", and 1000
// layers would run silently for minutes towards an out-of-memory end.
import { expectedShapes, type ModelConfig } from '../model/config.js';
import { shapeSize } from '../model/weights.js';

/**
 * Bytes one parameter costs while training, estimated: its float32 weight, gradient and two Adam
 * slots, and the engine's updated copies of the weight and slots (the training graphs' outputs).
 */
export const TRAINING_BYTES_PER_PARAMETER = 28;
/** The most elements one Float32Array holds (V8: 2^32 − 1); every tensor is one. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32 - 1;

const count = (n: number) => (n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(2));
const gigabytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;

export interface ModelSize {
  parameters: number;
  /** Estimated bytes to train it (parameters × TRAINING_BYTES_PER_PARAMETER). */
  trainingBytes: number;
}

/**
 * The model's parameter count and training memory; throws a ModelSizeError naming the sizes when
 * a tensor would not fit a Float32Array or the estimate exceeds `memoryBytes` (the machine's).
 */
export function checkModelSize(config: ModelConfig, memoryBytes: number): ModelSize {
  const shapes = [...expectedShapes(config)];
  const parameters = shapes.reduce((sum, [, shape]) => sum + shapeSize(shape), 0);
  const trainingBytes = parameters * TRAINING_BYTES_PER_PARAMETER;
  const model = `${config.arch} e${config.embeddingDim} h${config.hiddenSize} × ${config.numLayers} layers (vocab ${config.vocabSize})`;
  const [largest, shape] = shapes.reduce((a, b) => (shapeSize(b[1]) > shapeSize(a[1]) ? b : a));
  const advice = 'lower the hidden size, the layers or the embedding size';
  if (shapeSize(shape) > MAX_TENSOR_ELEMENTS) {
    throw new ModelSizeError(
      `the model is too large: ${model} has ${count(parameters)} parameters, and ${largest} [${shape.join(', ')}] alone has ${count(shapeSize(shape))}, more than one tensor can hold (${count(MAX_TENSOR_ELEMENTS)}); ${advice}`,
    );
  }
  if (trainingBytes > memoryBytes) {
    throw new ModelSizeError(
      `the model is too large to train here: ${model} has ${count(parameters)} parameters, about ${gigabytes(trainingBytes)} to train (${TRAINING_BYTES_PER_PARAMETER} bytes a parameter), and this machine has ${gigabytes(memoryBytes)}; ${advice}`,
    );
  }
  return { parameters, trainingBytes };
}

/** A model too large to train; the message names its sizes and what to lower, a front end adds how its user sets them. */
export class ModelSizeError extends Error {
  override name = 'ModelSizeError';
}
