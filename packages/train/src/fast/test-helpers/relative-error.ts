import type * as tf from '@tensorflow/tfjs-core';

/** ‖a − b‖∞ / ‖b‖∞: the error relative to the values' scale, so tiny entries don't dominate. */
export function relativeErrorOf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** relativeErrorOf two tensors of the same shape. */
export function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return relativeErrorOf(a.dataSync(), b.dataSync());
}
