import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../model/test-helpers/backends.js';
import { inputBias, transposedTimes } from './input-projection.js';
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

// inputBias folds b_hh into b_ih where the cell only adds it: every gate of rnn (1 gate) and lstm
// (4), the r and z gates of gru (b_hn is multiplied by r, so its third of b_hh stays out). Where
// all of b_hh folds, it is one Add kernel, with no slices or concat of the gru case.
test.each([
  ['rnn', 1, 1, ['Add']],
  ['lstm', 4, 4, ['Add']],
  ['gru', 3, 2, ['Slice', 'Slice', 'Add', 'Slice', 'Concat']],
] as const)('inputBias for %s, %i gates of which %i fold: b_ih + b_hh there, b_ih alone on the rest; kernels %j', async (arch, gates, folded, kernelNames) => {
  const hidden = 3;
  const ih = Array.from({ length: gates * hidden }, (_, i) => 0.5 * (i + 1));
  const hh = Array.from({ length: gates * hidden }, (_, i) => -0.25 * (i + 3));
  const want = ih.map((x, i) => (i < folded * hidden ? x + hh[i] : x));
  const [biasIh, biasHh] = [tf.tensor1d(ih), tf.tensor1d(hh)];
  let bias: tf.Tensor1D | undefined;
  const { kernels } = await tf.profile(() => {
    bias = tf.tidy(() => inputBias(arch, biasIh, biasHh, hidden));
    return bias;
  });
  expect(Array.from(bias!.dataSync())).toEqual(want);
  expect(kernels.map((k) => k.name)).toEqual(kernelNames);
  tf.dispose([biasIh, biasHh, bias!]);
});
