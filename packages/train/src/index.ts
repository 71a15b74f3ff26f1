// @charrnn/train — the lesson's char models in TensorFlow.js, their checkpoints, and the BPTT trainer.
// A Node package: checkpoint I/O and backend selection live here; the model math does no I/O.
export { type Arch, ARCHS, type ModelConfig, ModelConfigError, gateCount, validateModelConfig, expectedShapes } from './model/config.js';
export { type NamedTensor, type Weights, WeightsError, weightProblems, validateWeights, randomWeights, shapeSize } from './model/weights.js';
export { type RecurrentState, type LayerParams, recurrentLayer, recurrentStack } from './model/recurrent.js';
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
