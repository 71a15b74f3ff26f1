// @charrnn/contract/node — the Node side of running contract-2 and contract-3 graphs: whether
// onnxruntime-node's CUDA execution provider is installed, shared by infer-web and train.
export { cudaProviderFileName, cudaProviderMissing, onnxruntimeNodeDir } from './node/cuda-provider.js';
