// @charrnn/graph — ONNX graph building (GraphBuilder over onnx-proto) and the recurrent cells of
// the lesson written once as graph functions, for export's contract-2 models and train's
// training graphs. Browser-safe: nothing here imports Node.
export { type Arch, gateCount } from './arch.js';
export {
  GraphBuilder,
  GraphBuildError,
  attr,
  encodeModel,
  rawTensorData,
  type Attribute,
  type Dim,
  type ElementType,
  type ModelEnvelope,
} from './graph-builder.js';
export { onnx, type IModelProto, type IGraphProto, type INodeProto, type ITensorProto, type IValueInfoProto, type ModelProto } from './proto.js';
export { float16Bits, float16Value, toFloat16Array, fromFloat16Array } from '@charrnn/contract';
export { ONNX_GATE_SOURCE, reorderGateBlocks, transpose, onnxRecurrentWeights, type OnnxRecurrentWeights } from './layout/weight-layout.js';
export { splitLast } from './cells/split.js';
export { sigmoidSlope, tanhSlope } from './cells/derivatives.js';
export { type CellSpec, type CellStep, type CellGradients, type StateValues } from './cells/cell-spec.js';
export { CELLS, cellSpec } from './cells/registry.js';
export { type RnnStep, RNN_CELL } from './cells/rnn.js';
export { type GruStep, GRU_CELL } from './cells/gru.js';
export { type LstmStep, LSTM_CELL } from './cells/lstm.js';
export { type RecurrentNodeInputs, type RecurrentNodeOutputs, recurrentNode } from './cells/fused.js';
