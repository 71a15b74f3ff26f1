import * as tf from '@tensorflow/tfjs-core';

/** PyTorch's nn.RNN with tanh: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), projections precomputed. */
export function rnnCell(xProj: tf.Tensor2D, hProj: tf.Tensor2D): tf.Tensor2D {
  return tf.tanh(tf.add(xProj, hProj)) as tf.Tensor2D;
}
