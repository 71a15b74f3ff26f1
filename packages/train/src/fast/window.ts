import * as tf from '@tensorflow/tfjs-core';

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

/** What tfjs-backend-wasm's BackendWasm offers beyond KernelBackend: a view of a tensor in the wasm heap. */
interface HeapBackend {
  typedArrayFromHeap(t: tf.Tensor): Float32Array;
}

function heapOf(): HeapBackend | null {
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof b.typedArrayFromHeap === 'function' ? (b as HeapBackend) : null;
}

/**
 * x[r0 : r0+rn, c0 : c0+cn]. On tfjs-backend-wasm this reads the block straight from the wasm
 * heap: its Slice kernel first copies the *whole* source out of the heap (readSync), which made a
 * [64,256] step of a [512,256] tensor cost as much as a 64×256×512 matmul, and its Gather is
 * slower still. The block is copied to the JS heap before the new tensor is allocated, because
 * that allocation may grow (and so detach) the wasm memory. No gradient is recorded, and none is
 * needed: the fast path never runs under a tape.
 */
export function block(x: tf.Tensor2D, r0: number, rn: number, c0: number, cn: number): tf.Tensor2D {
  const [m, n] = x.shape;
  if (r0 === 0 && c0 === 0 && rn === m && cn === n) return x;
  const heap = heapOf();
  if (!heap || x.dtype !== 'float32') return tf.slice(x, [r0, c0], [rn, cn]);
  const src = heap.typedArrayFromHeap(x);
  let out: Float32Array;
  if (cn === n) {
    out = src.slice(r0 * n, (r0 + rn) * n);
  } else {
    out = new Float32Array(rn * cn);
    for (let i = 0; i < rn; i++) out.set(src.subarray((r0 + i) * n + c0, (r0 + i) * n + c0 + cn), i * cn);
  }
  return tf.tensor2d(out, [rn, cn]);
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

/** 1 − x² (the derivative of tanh, given its output). */
export function oneMinusSquare(x: tf.Tensor): tf.Tensor {
  return tf.sub(1, tf.square(x));
}

/** s·(1 − s) (the derivative of σ, given its output). */
export function sigmoidSlope(s: tf.Tensor): tf.Tensor {
  return tf.mul(s, tf.sub(1, s));
}
