/**
 * Node entry (`@charrnn/infer-web/node`): the core plus onnxruntime-node, execution providers
 * `cuda` then `cpu`. Model strings are paths, file: URLs or http(s) URLs. onnxruntime-node is an
 * optional peer, imported when the first model loads: importing (or require()-ing) this entry
 * works without it, and a load without it says how to install it.
 */
export * from './core/index.js';
export type { OrtApi } from './core/ort-session.js';
export { CharGenerator, loadOnnxruntimeNode, nodeRuntime, type ModuleLoader, type NodeBackend, type NodeLoadOptions, type NodeRuntimeOptions } from './node/runtime.js';
export { type CompressedFile, type CompressOptions, type CopiedFile, type CopyWebFilesOptions, type Encoding, ORT_BUNDLED_FILES, STANDALONE_FILES, WEB_RUNTIME_FILES, WebFilesError, copyWebFiles, writeCompressed } from './node/web-files.js';
