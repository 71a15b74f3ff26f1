import * as tf from '@tensorflow/tfjs-core';
import { cellSpec } from '@charrnn/graph';
import type { Arch } from '../model/config.js';
import { cols } from './window.js';

/**
 * The bias added to x·W_ihᵀ before the recurrence: b_ih plus the parts of b_hh that only get
 * added (all of it for rnn and lstm; the r and z blocks for gru, whose b_hn sits inside r ⊙ ·).
 */
export function inputBias(arch: Arch, biasIh: tf.Tensor1D, biasHh: tf.Tensor1D, hidden: number): tf.Tensor1D {
  const folded = cellSpec(arch).additiveRecurrentBiasGates * hidden;
  const rows = biasIh.shape[0];
  if (folded === rows) return tf.add(biasIh, biasHh) as tf.Tensor1D;
  return tf.concat([tf.add(tf.slice(biasIh, 0, folded), tf.slice(biasHh, 0, folded)), tf.slice(biasIh, folded, rows - folded)]) as tf.Tensor1D;
}

/**
 * aᵀ·b for a [n,p], b [n,q], as an untransposed matmul (wasm's XNNPACK kernel takes no transpose
 * flags): either transpose(a)·b or transpose(transpose(b)·a), whichever moves fewer elements.
 */
export function transposedTimes(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [n, p] = a.shape;
  const q = b.shape[1];
  return n * p <= n * q + p * q ? tf.matMul(tf.transpose(a), b) : (tf.transpose(tf.matMul(tf.transpose(b), a)) as tf.Tensor2D);
}

/**
 * dW = dGᵀ·x and db = Σ_rows dG of an affine map x·Wᵀ + b, as one matmul with a column of ones
 * appended to x (wasm's Sum kernel, or a separate ones·dG matmul, cost as much as the bias is
 * worth: ~1 ms each for [512,768]).
 */
export function affineGrads(dG: tf.Tensor2D, x: tf.Tensor2D): { dW: tf.Tensor2D; db: tf.Tensor1D } {
  const [rows, n] = x.shape;
  const both = transposedTimes(dG, tf.concat([x, tf.ones([rows, 1])], 1) as tf.Tensor2D);
  return { dW: cols(both, 0, n), db: tf.reshape(cols(both, n, 1), [dG.shape[1]]) as tf.Tensor1D };
}

/** Σ over rows of a [n, m] tensor as a [1,n]·[n,m] matmul: faster than wasm's Sum kernel. */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1]]);
}
