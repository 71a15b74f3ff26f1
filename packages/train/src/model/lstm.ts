import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's nn.LSTM cell, gate blocks i, f, g, o along the last axis:
 *   c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),  h' = σ(o) ⊙ tanh(c')
 */
export function lstmCell(xProj: tf.Tensor2D, hProj: tf.Tensor2D, c: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const [i, f, g, o] = tf.split(tf.add(xProj, hProj), 4, 1);
  const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  return { h: tf.mul(tf.sigmoid(o), tf.tanh(cNext)) as tf.Tensor2D, c: cNext };
}
