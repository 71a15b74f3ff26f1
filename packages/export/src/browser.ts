// @charrnn/export/browser — contract-2 ONNX built from weights in memory, for pages and workers
// (a model trained in the browser is exported there). Nothing reachable from here imports Node,
// onnxruntime-node or TensorFlow.js; the parity check (verify.ts) and file I/O stay Node-only.
export { type ExportSource, type SourceTensor, ExportSourceError, validateExportSource } from './export-source.js';
export { type BuildOptions, DEFAULT_BUILD_OPTIONS, BuildOptionsError, resolveBuildOptions, buildOnnxModel } from './build.js';
export { type OnnxModelInfo, OnnxMetadataError, readOnnxMetadata } from './metadata.js';
// Contract 2 is written once in @charrnn/contract; these re-exports keep export's API as it was.
export {
  type GraphKind,
  GRAPH_KINDS,
  METADATA_KEYS,
  METADATA_FORMAT,
  DEFAULT_OPSET,
  MIN_OPSET,
  MAX_OPSET,
  OpsetError,
  checkOpset,
  IO,
  float16Bits,
  float16Value,
  toFloat16Array,
  fromFloat16Array,
} from '@charrnn/contract';
export { irVersionFor } from './onnx/opset.js';
