import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../model/test-helpers/backends.js';
import { transposedTimes } from './input-projection.js';
import { relativeErrorOf } from './test-helpers/relative-error.js';

beforeAll(() => useBackend('cpu'));

/** A [rows, cols] tensor of distinct values, and the same values as nested arrays. */
function matrix(rows: number, cols: number, seed: number): { t: tf.Tensor2D; v: number[][] } {
  const v = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.sin(seed + 7 * i + 3 * j)));
  return { t: tf.tensor2d(v), v };
}

// transposedTimes(a, b) = aᵀ·b either as transpose(a)·b or as transpose(transpose(b)·a), whichever
// transposes fewer elements: n·p (a) against n·q + p·q (b, then the [q, p] product); a tie goes
// to transposing a. Which one ran shows in the kernels tfjs runs.
test.each([
  // [n, p, q, the shapes transposed]
  [6, 2, 5, [[6, 2]]], // 12 < 30 + 10
  [6, 5, 2, [[6, 2], [2, 5]]], // 30 > 12 + 10
  [4, 4, 2, [[4, 4]]], // 16 = 8 + 8
])('a [%i,%i], b [n,%i]: aᵀ·b, transposing %j', async (n, p, q, transposed) => {
  const a = matrix(n, p, 1);
  const b = matrix(n, q, 2);
  const want = Array.from({ length: p }, (_, i) => Array.from({ length: q }, (_, j) => a.v.reduce((s, row, k) => s + row[i] * b.v[k][j], 0)));
  let product: tf.Tensor2D | undefined;
  const { kernels } = await tf.profile(() => {
    product = tf.tidy(() => transposedTimes(a.t, b.t));
    return product;
  });
  expect(product!.shape).toEqual([p, q]);
  expect(relativeErrorOf(product!.dataSync(), want.flat())).toBeLessThan(1e-6);
  expect(kernels.filter((k) => k.name === 'Transpose').map((k) => k.inputShapes[0])).toEqual(transposed);
  expect(kernels.filter((k) => k.name === 'BatchMatMul')).toHaveLength(1);
  tf.dispose([a.t, b.t, product!]);
});
