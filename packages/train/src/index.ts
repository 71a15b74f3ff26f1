// @charrnn/train — the lesson's char models, their checkpoints, and the BPTT trainer. The
// browser-safe part (browser.ts) is re-exported whole; this entry adds what needs Node or
// TensorFlow.js: the tfjs model and engine, checkpoint directories, backends, fit and its CLI.
export * from './browser.js';
export { type RecurrentState, type LayerParams, recurrentLayer, recurrentStack } from './model/recurrent.js';
export { CharModel, type ForwardOptions, type ForwardResult, disposeState } from './model/char-model.js';
export { matMul } from './model/matmul.js';
export { embeddingLookup } from './model/embedding.js';
export { gruCell } from './model/gru.js';
export { lstmCell } from './model/lstm.js';
export { rnnCell } from './model/rnn.js';
export { nllSum, sequenceLoss, type SequenceLoss } from './model/loss.js';
export { saveModelCheckpoint, loadModelCheckpoint } from './checkpoint/checkpoint-directory.js';
export {
  type BackendChoice,
  BACKEND_CHOICES,
  BackendError,
  type ModuleLoader,
  type SelectBackendOptions,
  type SelectedBackend,
  selectBackend,
  defaultWasmDir,
} from './backend/select.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { Sgd } from './optim/sgd.js';
export { createOptimizer } from './optim/create.js';
export { type LossAndGradients, lossAndGradients, clipGradNorm } from './trainer/gradients.js';
export { evaluate } from './trainer/evaluate.js';
export { TfjsEngine, tfjsEngine, type TfjsEngineOptions } from './engine/tfjs-engine.js';
export { type OrtDevice, type OrtNodeOptions, type OrtNodeEngine, ORT_DEVICES, ORT_NODE_INSTALL_HINT, OrtRuntimeError, loadOrtNode, ortNodeEngine } from './ort/node-runtime.js';
export { saveTrainingCheckpoint, loadTrainingCheckpoint } from './trainer/training-checkpoint-directory.js';
export { type FitRun, type FitResult, fit } from './trainer/fit.js';
export { type LrFindOptions, type LrFindPoint, type LrFindResult, lrFind } from './trainer/lr-find.js';
export { type RunFitRequest, runFit, defaultRunName, freshDirectory, prepareFor, ORT_DEFAULT_THREADS } from './trainer/run.js';
export { runLrFind } from './trainer/run-lr-find.js';
export { fastLossAndGradients } from './fast/loss-and-gradients.js';
export { type WindowTokens, type WindowGradients, type DropoutMasks, windowGradients } from './fast/window-gradients.js';
export { type ParallelOptions, ParallelGradients, ParallelGradientsError } from './fast/parallel-gradients.js';
