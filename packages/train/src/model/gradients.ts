import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients of the tfjs kernels the model differentiates through. tfjs-core keeps its gradient
 * definitions in ESM files that Node cannot import (extensionless specifiers; only the
 * @tensorflow/tfjs umbrella bundles them), so the few we need are defined here from the calculus.
 * A gradient already registered (e.g. by @tensorflow/tfjs loaded elsewhere) is left alone.
 */
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;

/** dy summed over the axes along which `shape` was broadcast, reshaped back to `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

function binary(da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor, db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor): GradFunc {
  return (dy, saved) => {
    const [a, b] = saved;
    const g = dy as tf.Tensor;
    return { a: () => unbroadcast(da(g, a, b), a.shape), b: () => unbroadcast(db(g, a, b), b.shape) };
  };
}

const GRADIENTS: { kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: GradFunc }[] = [
  { kernelName: 'Add', inputsToSave: ['a', 'b'], gradFunc: binary((dy) => dy, (dy) => dy) },
  { kernelName: 'Sub', inputsToSave: ['a', 'b'], gradFunc: binary((dy) => dy, (dy) => tf.neg(dy)) },
  { kernelName: 'Multiply', inputsToSave: ['a', 'b'], gradFunc: binary((dy, _a, b) => tf.mul(dy, b), (dy, a) => tf.mul(dy, a)) },
  {
    kernelName: 'RealDiv',
    inputsToSave: ['a', 'b'],
    gradFunc: binary(
      (dy, _a, b) => tf.div(dy, b),
      (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
    ),
  },
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }) },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }) },
  {
    // σ'(x) = y(1 − y)
    kernelName: 'Sigmoid',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) }),
  },
  {
    // tanh'(x) = 1 − y²
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(y))) }),
  },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, kept), tf.ones(x.shape)) };
    },
  },
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }) },
  {
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernelName: 'SplitV',
    gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[axis]), axis);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  {
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => {
      const parts = tf.unstack(dy as tf.Tensor, attrs.axis as number);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  { kernelName: 'Unpack', gradFunc: (dy, _saved, attrs) => ({ value: () => tf.stack(dy as tf.Tensor[], attrs.axis as number) }) },
];

let registered = false;

export function registerModelGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of GRADIENTS) {
    if (tf.getGradient(config.kernelName) == null) tf.registerGradient(config as unknown as tf.GradConfig);
  }
}
