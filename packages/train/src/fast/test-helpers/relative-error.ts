import type * as tf from '@tensorflow/tfjs-core';

/** ‖a − b‖∞ / ‖b‖∞: the error relative to the tensor's scale, so tiny entries don't dominate. */
export function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}
