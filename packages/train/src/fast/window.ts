import * as tf from '@tensorflow/tfjs-core';
import { block } from './heap.js';

/**
 * One recurrent layer's forward pass over a whole BPTT window, holding what its hand-written
 * backward pass needs. Rows of every [seq·batch, …] tensor are time-major (row t·batch + b).
 */
export interface LayerWindow {
  /** Hidden state of every step, [seq·batch, hidden]. */
  output: tf.Tensor2D;
  /** Final state. */
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
  /**
   * Backpropagates dLoss/dOutput through the window (the state entering it is detached, so no
   * gradient flows to it). Returns the gradients of the pre-activations: `dGx` of x·W_ihᵀ + b_ih
   * and `dGh` of h·W_hhᵀ + b_hh, [seq·batch, G·hidden] each, and the hidden states the second
   * was computed from, [seq·batch, hidden] (h₀ … h_{T−1}).
   */
  backward(dOutput: tf.Tensor2D): { dGx: tf.Tensor2D; dGh: tf.Tensor2D; hPrev: tf.Tensor2D };
}

/** One layer's recurrent parameters, PyTorch layout (rows are gate blocks). */
export interface WindowParams {
  weightHh: tf.Tensor2D;
  biasHh: tf.Tensor1D;
}

/** Rows [t·batch, (t+1)·batch) of a time-major [seq·batch, n] tensor. */
export function step(x: tf.Tensor2D, t: number, batch: number): tf.Tensor2D {
  return block(x, t * batch, batch, 0, x.shape[1]);
}

/** Columns [from, from+count) of a 2-D tensor. */
export function cols(x: tf.Tensor2D, from: number, count: number): tf.Tensor2D {
  return block(x, 0, x.shape[0], from, count);
}

/** Rows [from, from+count) of a 2-D tensor. */
export function rows(x: tf.Tensor2D, from: number, count: number): tf.Tensor2D {
  return block(x, from, count, 0, x.shape[1]);
}

/** The inputs of the recurrent matmul of every step: h₀, then the outputs of steps 0 … T−2. */
export function previousStates(h0: tf.Tensor2D, output: tf.Tensor2D, seqLen: number, batch: number): tf.Tensor2D {
  return seqLen === 1 ? h0 : tf.concat([h0, rows(output, 0, (seqLen - 1) * batch)], 0);
}

/**
 * tanh(x) as 2σ(2x) − 1: tfjs-backend-wasm's Tanh is a scalar loop about 10× slower per element
 * than its (XNNPACK) Sigmoid, measured on [64,256]: 210 µs against 20 µs.
 */
export function tanh(x: tf.Tensor): tf.Tensor2D {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) as tf.Tensor2D;
}

/** 1 − x² (the derivative of tanh, given its output). */
export function oneMinusSquare(x: tf.Tensor): tf.Tensor {
  return tf.sub(1, tf.square(x));
}

/** s·(1 − s) (the derivative of σ, given its output). */
export function sigmoidSlope(s: tf.Tensor): tf.Tensor {
  return tf.mul(s, tf.sub(1, s));
}
