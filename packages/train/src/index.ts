// @charrnn/train — the lesson's char models in TensorFlow.js, their checkpoints, and the BPTT trainer.
// A Node package: checkpoint I/O and backend selection live here; the model math does no I/O.
export { type Arch, ARCHS, type ModelConfig, ModelConfigError, gateCount, validateModelConfig, expectedShapes } from './model/config.js';
export { type NamedTensor, type Weights, WeightsError, weightProblems, validateWeights, randomWeights, shapeSize } from './model/weights.js';
export { type RecurrentState, type LayerParams, recurrentLayer, recurrentStack } from './model/recurrent.js';
export { ModelInputError } from './model/errors.js';
export { CharModel, type ForwardOptions, type ForwardResult, disposeState } from './model/char-model.js';
export { matMul } from './model/matmul.js';
export { embeddingLookup } from './model/embedding.js';
export { gruCell } from './model/gru.js';
export { lstmCell } from './model/lstm.js';
export { rnnCell } from './model/rnn.js';
export { nllSum, sequenceLoss, type SequenceLoss } from './model/loss.js';
export { CheckpointError } from './checkpoint/errors.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type SafetensorsTensor } from './checkpoint/safetensors.js';
export {
  type CheckpointMeta,
  MODEL_FILE,
  modelMetadata,
  parseModelMetadata,
  encodeModelCheckpoint,
  decodeModelCheckpoint,
  saveModelCheckpoint,
  loadModelCheckpoint,
} from './checkpoint/checkpoint.js';
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
export { type Optimizer, type OptimizerName, type OptimizerState, OPTIMIZER_NAMES, OptimizerError } from './optim/optimizer.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { Sgd } from './optim/sgd.js';
export { createOptimizer } from './optim/create.js';
export { type Schedule, ScheduleError, parseSchedule, formatSchedule, totalEpochs, learningRate } from './schedule/schedule.js';
export { type TokenBatch, type LossAndGradients, lossAndGradients, clipGradNorm } from './trainer/gradients.js';
export { type Evaluation, evaluate } from './trainer/evaluate.js';
export { type FitOptions, type EngineChoice, DEFAULT_FIT_OPTIONS, ENGINE_CHOICES } from './trainer/fit-options.js';
export { type TrainingEngine, type EngineFactory, type EngineInit, type StateData, type TrainStepResult } from './engine/engine.js';
export { TfjsEngine, tfjsEngine, type TfjsEngineOptions } from './engine/tfjs-engine.js';
export { type TrainingRun, type TrainingResult, trainingLoop } from './trainer/loop.js';
export { OrtEngine, ortEngine, type OrtApi, type OrtEngineOptions } from './ort/ort-engine.js';
export { TRAINING_IO, buildTrainingGraph, type TrainingGraphSpec, type TrainingGraphKind, type GraphOptimizer } from './ort/training-graph.js';
export { type Placement, PlacementError, placementOf, requireProvider } from './ort/placement.js';
export { type OrtDevice, type OrtNodeOptions, type OrtNodeEngine, ORT_DEVICES, ORT_NODE_INSTALL_HINT, OrtRuntimeError, loadOrtNode, ortNodeEngine } from './ort/node-runtime.js';
export { type EpochRecord, TABLE_HEADER, tableRow, historyJsonl } from './trainer/history.js';
export { type Series, type ChartOptions, lineChartSvg } from './trainer/line-chart.js';
export {
  type TrainerRecord,
  type TrainingCheckpoint,
  TRAINER_FILE,
  OPTIMIZER_FILE,
  HIDDEN_FILE,
  HISTORY_FILE,
  LOSS_CURVE_FILE,
  saveTrainingCheckpoint,
  loadTrainingCheckpoint,
} from './trainer/training-checkpoint.js';
export { type FitRun, type FitResult, TrainingDivergedError, fit, modelConfigFor } from './trainer/fit.js';
export { type LrFindOptions, type LrFindPoint, type LrFindResult, lrFind } from './trainer/lr-find.js';
export { type RunFitRequest, runFit, defaultRunName, freshDirectory, prepareFor, ORT_DEFAULT_THREADS } from './trainer/run.js';
export { runLrFind } from './trainer/run-lr-find.js';
export { fastLossAndGradients } from './fast/loss-and-gradients.js';
export { type WindowTokens, type WindowGradients, type DropoutMasks, windowGradients } from './fast/window-gradients.js';
export { type ParallelOptions, ParallelGradients, ParallelGradientsError } from './fast/parallel-gradients.js';
