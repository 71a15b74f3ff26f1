// @charrnn/contract/node — the Node side of running contract-2 and contract-3 graphs, shared by
// infer-web, train and export: how a missing onnxruntime-node (an optional peer of each) is
// reported, and whether its CUDA execution provider is installed.
export { ONNXRUNTIME_NODE_INSTALL_HINT, isModuleMissing } from './node/onnxruntime-node.js';
export { cudaProviderFileName, cudaProviderMissing, onnxruntimeNodeDir } from './node/cuda-provider.js';
