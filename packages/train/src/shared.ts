// What both entries export (@charrnn/train re-exports it, and so does @charrnn/train/browser):
// model config and weights, contract-1 checkpoints as bytes, the training loop and the ONNX
// Runtime engine (the onnxruntime module is injected), none of which imports Node or TensorFlow.js.
export { type Arch, ARCHS, type ModelConfig, ModelConfigError, validateModelConfig, expectedShapes } from './model/config.js';
// weightProblems, nonFiniteProblem and coordinatesOf list every problem instead of throwing on the
// first: @charrnn/export builds its ExportSourceError messages on them.
export { type NamedTensor, type Weights, WeightsError, weightProblems, validateWeights, randomWeights, nonFiniteProblem, coordinatesOf } from './model/weights.js';
export { ModelInputError } from './model/errors.js';
export { CheckpointError } from './checkpoint/errors.js';
export { readSafetensors, writeSafetensors, type SafetensorsFile, type SafetensorsTensor } from './checkpoint/safetensors.js';
export { type CheckpointMeta, MODEL_FILE, encodeModelCheckpoint, decodeModelCheckpoint } from './checkpoint/checkpoint.js';
export { type OptimizerName, type OptimizerState, OPTIMIZER_NAMES, OptimizerError } from './optim/optimizer.js';
export { type Schedule, ScheduleError, parseSchedule, totalEpochs } from './schedule/schedule.js';
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
export { type Regularization, RegularizationError } from './engine/regularization.js';
export { type TrainingRun, type TrainingResult, TrainingDivergedError, trainingLoop } from './trainer/loop.js';
export { OrtEngine, ortEngine, type OrtApi, type OrtEngineOptions } from './ort/ort-engine.js';
export { PlanError, MAX_MINUTES, checkMinutes } from './trainer/plan.js';
export { type EpochRecord } from './trainer/history.js';
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
