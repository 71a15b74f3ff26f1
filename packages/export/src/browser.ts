// @charrnn/export/browser — contract-2 ONNX built from weights in memory, for pages and workers
// (a model trained in the browser is exported there). Nothing reachable from here imports Node,
// onnxruntime-node or TensorFlow.js; the parity check (verify.ts) and file I/O stay Node-only.
export { type ExportSource, type SourceTensor, ExportSourceError, validateExportSource } from './export-source.js';
export { type BuildOptions, DEFAULT_BUILD_OPTIONS, BuildOptionsError, resolveBuildOptions, buildOnnxModel } from './build.js';
export { type OnnxModelInfo, OnnxMetadataError, readOnnxMetadata } from './metadata.js';
