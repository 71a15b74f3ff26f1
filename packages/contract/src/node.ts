// @charrnn/contract/node — the Node side of running contract-2 and contract-3 graphs, shared by
// infer-web, train, export and serve: how a missing onnxruntime-node (an optional peer of each) is
// reported, whether its CUDA execution provider is installed, the flag-value parsers of every
// package's CLI, and the all-or-nothing file write every package's outputs go through.
export {
  ONNXRUNTIME_NODE_INSTALL_HINT,
  isModuleMissing,
  loadOnnxruntimeNode,
  OnnxruntimeNodeLoadError,
  type OnnxruntimeNodeProblem,
} from './node/onnxruntime-node.js';
export { cudaProviderFileName, cudaProviderMissing, onnxruntimeNodeDir } from './node/cuda-provider.js';
export { FlagValueError, booleanFlag, integerFlag, numberFlag, positiveFlag } from './node/cli-flags.js';
export { checkFileTarget, writeFileAtomic, writeFileDurably } from './node/atomic-write.js';
export { FileWriteError } from './errors.js';
