import * as tf from '@tensorflow/tfjs-core';

/**
 * The lesson's GRUCell (PyTorch's nn.GRU), gate blocks r, z, n along the last axis:
 *   r = σ(xr + hr),  z = σ(xz + hz),  n = tanh(xn + r ⊙ hn),  h' = n + z ⊙ (h − n)
 * where x* = x·W_i*ᵀ + b_i* and h* = h·W_h*ᵀ + b_h* are precomputed by the caller. The reset
 * gate multiplies the recurrent projection *after* the matmul (ONNX linear_before_reset = 1).
 */
export function gruCell(xProj: tf.Tensor2D, hProj: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const [xr, xz, xn] = tf.split(xProj, 3, 1);
  const [hr, hz, hn] = tf.split(hProj, 3, 1);
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
}
