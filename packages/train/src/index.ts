// @charrnn/train — the lesson's char models, their checkpoints, and the BPTT trainer. The
// browser-safe part (browser.ts) is re-exported whole; this entry adds what needs Node: fit and
// its CLI, checkpoint directories, the engines' setup (onnxruntime-node, tfjs backends). The
// TensorFlow.js level (the tfjs model, optimizers, gradients, the tfjs engine) is
// `@charrnn/train/tfjs` (tfjs.ts), so that these declarations load none of tfjs-core's.
export * from './browser.js';
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
export { type OrtDevice, type OrtNodeOptions, type OrtNodeEngine, ORT_DEVICES, ORT_NODE_INSTALL_HINT, OrtRuntimeError, loadOrtNode, ortNodeEngine } from './ort/node-runtime.js';
export { type ParallelOrtOptions, ParallelOrtEngine, ParallelOrtError, availableWorkers } from './ort/parallel-engine.js';
export { saveTrainingCheckpoint, loadTrainingCheckpoint } from './trainer/training-checkpoint-directory.js';
export { type FitRun, type FitResult, fit } from './trainer/fit.js';
export { type LrFindOptions, type LrFindPoint, type LrFindResult, lrFind } from './trainer/lr-find.js';
export { type RunFitRequest, runFit, defaultRunName, freshDirectory, prepareFor, ORT_DEFAULT_THREADS } from './trainer/run.js';
export { runLrFind } from './trainer/run-lr-find.js';
