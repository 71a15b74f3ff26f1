/// <reference types="long" preserve="true" />
// (@tensorflow/tfjs-core's declarations use @types/long's global `Long` without referencing it,
// as onnx-proto's do: see @charrnn/graph's proto.ts.)
// @charrnn/train/tfjs — the TensorFlow.js level of the trainer: the lesson's model as tfjs ops
// (CharModel, the cells, the loss), its optimizers, gradients (tfjs' tape and the hand-written fast
// path), and the tfjs training engine. Apart from the main entry because these types are
// tfjs-core's: its declarations reference @webgpu/types 0.1.38, which TypeScript 7's DOM library
// duplicates, so a consumer checking libraries (no skipLibCheck) on TypeScript 7 fails on them;
// `@charrnn/train` itself loads none of them.
export { type RecurrentState, type LayerParams, recurrentLayer, recurrentStack } from './model/recurrent.js';
export { CharModel, type ForwardOptions, type ForwardResult, disposeState } from './model/char-model.js';
export { matMul } from './model/matmul.js';
export { embeddingLookup } from './model/embedding.js';
export { gruCell } from './model/gru.js';
export { lstmCell } from './model/lstm.js';
export { rnnCell } from './model/rnn.js';
export { nllSum, sequenceLoss, type SequenceLoss } from './model/loss.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { Sgd } from './optim/sgd.js';
export { createOptimizer } from './optim/create.js';
export type { Optimizer } from './optim/tfjs-optimizer.js';
export { type LossAndGradients, lossAndGradients, clipGradNorm } from './trainer/gradients.js';
export { evaluate } from './trainer/evaluate.js';
export { TfjsEngine, tfjsEngine, type TfjsEngineOptions } from './engine/tfjs-engine.js';
export { fastLossAndGradients } from './fast/loss-and-gradients.js';
export { type WindowTokens, type WindowGradients, type DropoutMasks, windowGradients } from './fast/window-gradients.js';
export { type ParallelOptions, ParallelGradients, ParallelGradientsError } from './fast/parallel-gradients.js';
