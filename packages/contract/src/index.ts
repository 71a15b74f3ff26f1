// @charrnn/contract — contract 2, docs/onnx-model.md (the ONNX model export writes and infer-web reads)
// and the metadata it shares with contract 1 (the checkpoint), written once. Browser-safe, with
// no dependencies: infer-web's browser bundle takes it whole. It is also the one home of the small
// browser-safe primitives the packages share (the event-loop turn, the download idle timeout).
export { CharRnnError, ModelFormatError, ModelContractError, ModelConfigError, OpsetError, FileWriteError } from './errors.js';
export { type Arch, ARCHS } from './arch.js';
export { type StateName, type StateRecord, type CellShape, CELL_SHAPES, gateCount, stateNames, hasState, mapStates, stateSize, stateShape } from './cells.js';
export { IO, STATE_IO, stateInputs, stateOutputs, floatOutputs, type GraphKind, GRAPH_KINDS, type Precision, PRECISIONS, ELEM_TYPE } from './signature.js';
export { type ModelConfig, readModelConfig, validateModelConfig } from './model-config.js';
export {
  METADATA_KEYS,
  METADATA_FORMAT,
  UNK,
  type ModelMetadata,
  type MetadataReading,
  modelMetadataEntries,
  onnxMetadataEntries,
  readModelMetadata,
  readVocab,
} from './metadata.js';
export { type TextMode, TEXT_MODES, LEGACY_TEXT_MODE, normaliseLineBreaks } from './text-mode.js';
export { DEFAULT_OPSET, MIN_OPSET, MAX_OPSET, checkOpset } from './opset.js';
export { readModelDescription, type ModelDescription, type ValueInfo } from './model-reader.js';
export { validateContract, type ModelInfo } from './validate.js';
export { type OrtApi } from './ort-api.js';
export { yieldToEventLoop } from './event-loop.js';
export { IdleTimeout, DEFAULT_IDLE_TIMEOUT_MS, describeFetchError } from './download.js';
export { float16Bits, float16Value, toFloat16Array, fromFloat16Array, float32ToFloat16Bits, float16BitsToFloat32 } from './float16.js';
