/// <reference types="long" preserve="true" />
// (@tensorflow/tfjs-core's declarations use @types/long's global `Long` without referencing it,
// as onnx-proto's do: see @charrnn/graph's proto.ts.)
// @charrnn/train/tfjs — the TensorFlow.js level of the trainer: the lesson's model as tfjs ops
// (CharModel, the cells, the loss), its optimizers, gradients (tfjs' tape and the hand-written fast
// path), and the tfjs training engine. Apart from the main entry, which loads none of tfjs-core's
// declarations: they reference @webgpu/types 0.1.38, which the DOM library of TypeScript 6 and 7
// declares again, so on TypeScript 6 and later this entry's declarations are dist/ts6/
// (tools/ts6-types.mjs), in which our own tensor types (tools/tfjs-tensor.d.ts) stand in for tfjs-core's.
export { type RecurrentState } from './model/recurrent.js';
export { CharModel, type ForwardOptions, type ForwardResult, disposeState } from './model/char-model.js';
export { sequenceLoss, type SequenceLoss } from './model/loss.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { Sgd } from './optim/sgd.js';
export type { Optimizer } from './optim/tfjs-optimizer.js';
export { type LossAndGradients, lossAndGradients } from './trainer/gradients.js';
export { TfjsEngine, tfjsEngine, type TfjsEngineOptions } from './engine/tfjs-engine.js';
export { fastLossAndGradients } from './fast/loss-and-gradients.js';
export { type ParallelOptions, ParallelGradients, ParallelGradientsError } from './fast/parallel-gradients.js';
