import onnxProto from 'onnx-proto';
import { ELEM_TYPE, floatOutputs, GRAPH_KINDS, IO, PRECISIONS, STATE_IO, stateInputs, stateOutputs } from './signature.js';

const { onnx } = onnxProto;

describe('contract 2 signature', () => {
  test('input and output names are spelled as docs/onnx-model.md gives them', () => {
    expect(IO).toEqual({ tokens: 'tokens', h0: 'h0', c0: 'c0', logits: 'logits', hn: 'hn', cn: 'cn' });
    expect(stateInputs('gru')).toEqual(['h0']);
    expect(stateInputs('rnn')).toEqual(['h0']);
    expect(stateInputs('lstm')).toEqual(['h0', 'c0']);
    expect(floatOutputs('rnn')).toEqual(['logits', 'hn']);
    expect(floatOutputs('lstm')).toEqual(['logits', 'hn', 'cn']);
    expect(floatOutputs('gru')).toEqual(['logits', 'hn']);
    expect(stateOutputs('gru')).toEqual(['hn']);
    expect(stateOutputs('lstm')).toEqual(['hn', 'cn']);
    expect(STATE_IO).toEqual({ h: { input: 'h0', output: 'hn' }, c: { input: 'c0', output: 'cn' } });
    expect(GRAPH_KINDS).toEqual(['fused', 'step']);
    expect(PRECISIONS).toEqual(['float32', 'float16']);
  });

  test("element type codes are onnx.proto's", () => {
    expect(ELEM_TYPE).toEqual({
      float32: onnx.TensorProto.DataType.FLOAT,
      int64: onnx.TensorProto.DataType.INT64,
      float16: onnx.TensorProto.DataType.FLOAT16,
    });
  });
});
