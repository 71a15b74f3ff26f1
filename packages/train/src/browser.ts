// @charrnn/train/browser — the part of the trainer that runs in a web page or worker: what both
// entries share (shared.ts: model config and weights, checkpoints as bytes, the training loop, the
// ONNX Runtime engine, with onnxruntime-web injected) and the in-page trainer (a worker serving the
// loop, the page's BrowserTrainer, the run store in the Origin Private File System). Nothing
// reachable from here imports Node or TensorFlow.js (browser-safe.test.ts bundles it).
export * from './shared.js';
export { type BrowserProvider, BROWSER_PROVIDERS, type RunRecord, type TrainerState, type ToWorker, type FromWorker, type CorpusInfo, type ProgressInfo } from './browser/protocol.js';
export { type RunStore, RunStoreError, opfsRunStore } from './browser/run-store.js';
export { BrowserUnsupportedError, hasWasmSimd, requireWasmSimd } from './browser/capabilities.js';
export { type WorkerScope, type TrainingWorkerOptions, type LoadedOrt, ONNX_FILE, serveTrainingWorker } from './browser/training-worker.js';
export { type WorkerLike, BrowserTrainer, newRunRecord } from './browser/browser-trainer.js';

// Not part of the published API (stripInternal keeps them out of the .d.ts): what the training page
// (@charrnn/train-web, which type-checks against these sources) and the workspace's tools use.
/** @internal */
export { lineChartSvg, type Series, type ChartOptions } from './trainer/line-chart.js';
/** @internal */
export { type Placement, PlacementError, placementOf, requireProvider } from './ort/placement.js';
