import * as tf from '@tensorflow/tfjs-core';
import { matMul } from './matmul.js';

/**
 * Rows of `weight` [vocab, dim] for `ids` (int32, any shape, flattened) → [ids.size, dim].
 * Forward is a Gather; the gradient is oneHot(ids)ᵀ · dy, because tfjs' own Gather gradient
 * needs UnsortedSegmentSum, a kernel tfjs-backend-wasm does not have.
 */
export function embeddingLookup(weight: tf.Tensor2D, ids: tf.Tensor): tf.Tensor2D {
  const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
  const vocabSize = weight.shape[0];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [w, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([flat]);
    return {
      value: tf.gather(w, flat),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const oneHot = tf.cast(tf.oneHot(saved[0] as tf.Tensor1D, vocabSize), 'float32') as tf.Tensor2D;
        return [matMul(tf.transpose(oneHot), dy as tf.Tensor2D)];
      },
    };
  });
  return op(weight) as tf.Tensor2D;
}
