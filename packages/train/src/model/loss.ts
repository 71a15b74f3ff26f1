import * as tf from '@tensorflow/tfjs-core';
import type { CharModel, ForwardOptions } from './char-model.js';
import type { RecurrentState } from './recurrent.js';

/**
 * Σ −log softmax(logits)[target] over rows: the lesson's F.nll_loss(F.log_softmax(...)) with
 * reduction 'sum'. The pick is a one-hot product rather than a gather, whose gradient wasm lacks.
 */
export function nllSum(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const logProbs = tf.logSoftmax(logits, 1);
  const picked = tf.mul(logProbs, tf.cast(tf.oneHot(targets, logits.shape[1]), 'float32'));
  return tf.neg(tf.sum(picked)) as tf.Scalar;
}

export interface SequenceLoss {
  /** Mean NLL per target character. */
  loss: tf.Scalar;
  /** Summed NLL (for exact averages over many batches). */
  sum: tf.Scalar;
  state: RecurrentState;
}

/**
 * Forward + mean NLL for one BPTT batch (input/target int32 [seq, batch], time-major). This is the
 * seam the trainer differentiates; a faster hand-written backward can replace it behind the same
 * signature.
 */
export function sequenceLoss(
  model: CharModel,
  input: tf.Tensor2D,
  target: tf.Tensor2D,
  state: RecurrentState,
  opts: ForwardOptions = {},
): SequenceLoss {
  const { logits, state: next } = model.forward(input, state, opts);
  const vocab = model.config.vocabSize;
  const sum = nllSum(tf.reshape(logits, [-1, vocab]), tf.reshape(target, [-1]));
  return { loss: tf.div(sum, target.size), sum, state: next };
}
