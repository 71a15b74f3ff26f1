// @charrnn/train/browser — the part of the trainer that runs in a web page or worker: model
// config and weights, contract-1 checkpoints as bytes, the training loop, and the ONNX Runtime
// engine with its training graphs (the onnxruntime module is injected: onnxruntime-web fits).
// Nothing reachable from here imports Node or TensorFlow.js (browser-safe.test.ts bundles it).
export { type Arch, ARCHS, type ModelConfig, ModelConfigError, gateCount, validateModelConfig, expectedShapes } from './model/config.js';
export { type NamedTensor, type Weights, WeightsError, weightProblems, validateWeights, randomWeights, shapeSize, nonFiniteProblem, coordinatesOf } from './model/weights.js';
export { ModelInputError } from './model/errors.js';
export { CheckpointError } from './checkpoint/errors.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type SafetensorsTensor } from './checkpoint/safetensors.js';
export { type CheckpointMeta, MODEL_FILE, modelMetadata, parseModelMetadata, encodeModelCheckpoint, decodeModelCheckpoint } from './checkpoint/checkpoint.js';
export { type OptimizerName, type OptimizerState, OPTIMIZER_NAMES, OptimizerError } from './optim/optimizer.js';
export { type Schedule, ScheduleError, parseSchedule, formatSchedule, totalEpochs, learningRate } from './schedule/schedule.js';
export { type FitOptions, type EngineChoice, DEFAULT_FIT_OPTIONS, ENGINE_CHOICES, resolveTextOptions } from './trainer/fit-options.js';
export {
  type TrainingEngine,
  type EngineFactory,
  type EngineInit,
  type Evaluation,
  type StateData,
  type TokenBatch,
  type TrainStepResult,
} from './engine/engine.js';
export { type Regularization, NO_REGULARIZATION, RegularizationError, regularizationOf } from './engine/regularization.js';
export { type TrainingRun, type TrainingResult, TrainingDivergedError, modelConfigFor, trainingLoop } from './trainer/loop.js';
export { OrtEngine, ortEngine, type OrtApi, type OrtEngineOptions } from './ort/ort-engine.js';
export { type Placement, PlacementError, placementOf, requireProvider } from './ort/placement.js';
export { TRAINING_IO, buildTrainingGraph, type TrainingGraphSpec, type TrainingGraphKind, type GraphOptimizer } from './ort/training-graph.js';
export { type Plan, type PlanChoice, type PlannedKey, PlanError, MAX_MINUTES, checkMinutes, checkCorpusForPlan, planRecipe, planTable } from './trainer/plan.js';
export { type BudgetEngine, type BudgetPlan, type BudgetPlanRequest, type MeasureSpeed, planBudget, warmupSeconds } from './trainer/budget-plan.js';
export { type Throughput, measureThroughput } from './trainer/measure.js';
export { type ExpectedSpeed } from './trainer/budget-clock.js';
export { type EpochRecord, TABLE_HEADER, tableRow, historyJsonl } from './trainer/history.js';
export { type Series, type ChartOptions, lineChartSvg } from './trainer/line-chart.js';
export {
  type TrainerRecord,
  type TrainingCheckpoint,
  type CheckpointFile,
  type CheckpointReader,
  TRAINER_FILE,
  OPTIMIZER_FILE,
  HIDDEN_FILE,
  HISTORY_FILE,
  LOSS_CURVE_FILE,
  encodeTrainingCheckpoint,
  decodeTrainingCheckpoint,
} from './trainer/training-checkpoint.js';
export { type BrowserProvider, BROWSER_PROVIDERS, type RunRecord, type TrainerState, type ToWorker, type FromWorker, type CorpusInfo, type ProgressInfo } from './browser/protocol.js';
export { type RunStore, RunStoreError, opfsRunStore } from './browser/run-store.js';
export { BrowserUnsupportedError, hasWasmSimd, requireWasmSimd } from './browser/capabilities.js';
export { type WorkerScope, type TrainingWorkerOptions, type LoadedOrt, ONNX_FILE, serveTrainingWorker } from './browser/training-worker.js';
export { type WorkerLike, BrowserTrainer, newRunRecord } from './browser/browser-trainer.js';
