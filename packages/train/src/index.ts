// @charrnn/train — the lesson's char models, their checkpoints, and the BPTT trainer: what the
// entries share (shared.ts) and what needs Node: fit and its CLI, checkpoint directories, the
// engines' setup (onnxruntime-node, tfjs backends). The in-page trainer is @charrnn/train/browser's
// alone. The TensorFlow.js level (the tfjs model, optimizers, gradients, the tfjs engine) is
// `@charrnn/train/tfjs` (tfjs.ts), so that these declarations load none of tfjs-core's.
export * from './shared.js';
export { saveModelCheckpoint, loadModelCheckpoint } from './checkpoint/checkpoint-directory.js';
export {
  type BackendChoice,
  BACKEND_CHOICES,
  BackendError,
  type ModuleLoader,
  type SelectBackendOptions,
  type SelectedBackend,
  selectBackend,
} from './backend/select.js';
export { type OrtDevice, type OrtNodeOptions, type OrtNodeEngine, ORT_DEVICES, OrtRuntimeError, loadOrtNode, ortNodeEngine } from './ort/node-runtime.js';
export { type ParallelOrtOptions, ParallelOrtEngine, ParallelOrtError, availableWorkers } from './ort/parallel-engine.js';
export { saveTrainingCheckpoint, loadTrainingCheckpoint } from './trainer/training-checkpoint-directory.js';
export { type FitRun, type FitResult, fit } from './trainer/fit.js';
export { type LrFindOptions, type LrFindPoint, type LrFindResult, lrFind } from './trainer/lr-find.js';
export { type RunFitRequest, runFit } from './trainer/run.js';

// Not part of the published API (stripInternal keeps them out of the .d.ts): for the workspace's
// tools (reproduce-lesson.mjs draws the loss chart, gpu-check.mjs checks where nodes ran).
/** @internal */
export { lineChartSvg } from './trainer/line-chart.js';
/** @internal */
export { placementOf, requireProvider } from './ort/placement.js';
