/**
 * Contract-2 model files written with onnx-proto (an independent protobuf implementation) and the
 * contract's names spelled out literally as docs/onnx-model.md gives them, so the reader and validator are
 * tested against bytes they did not write. The graphs hold an initializer (bytes to skip) and one
 * node, not a runnable model: the contract is about the signature and metadata.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;

export const TEST_VOCAB = ['<unk>', '\n', ' ', '.', 'a', 'b', 'c', 'd', 'e', 'h', 'i', 'n', 'o', 's', 't'];

export interface SignatureModelOptions {
  arch?: 'rnn' | 'gru' | 'lstm';
  graph?: 'fused' | 'step';
  fp16?: boolean;
  hiddenSize?: number;
  numLayers?: number;
  opset?: number;
}

type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export function signatureModel(options: SignatureModelOptions = {}): ModelProto {
  const arch = options.arch ?? 'gru';
  const graph = options.graph ?? 'fused';
  const hidden = options.hiddenSize ?? 12;
  const layers = options.numLayers ?? 2;
  const float = options.fp16 ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT;
  const seq: Dim = graph === 'step' ? 1 : 'seq';
  const config = { arch, vocabSize: TEST_VOCAB.length, embeddingDim: 5, hiddenSize: hidden, numLayers: layers, dropout: 0 };
  const input = [valueInfo('tokens', onnx.TensorProto.DataType.INT64, [seq, 'batch']), valueInfo('h0', float, [layers, 'batch', hidden])];
  const output = [valueInfo('logits', float, [seq, 'batch', TEST_VOCAB.length]), valueInfo('hn', float, [layers, 'batch', hidden])];
  // Written out here rather than read from cells.ts, so that the tests check it.
  const carriesCellState = { rnn: false, gru: false, lstm: true }[arch];
  if (carriesCellState) {
    input.push(valueInfo('c0', float, [layers, 'batch', hidden]));
    output.push(valueInfo('cn', float, [layers, 'batch', hidden]));
  }
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'contract tests',
    opsetImport: [{ domain: '', version: options.opset ?? 17 }],
    metadataProps: [
      { key: 'charrnn.format', value: '1' },
      { key: 'charrnn.config', value: JSON.stringify(config) },
      { key: 'charrnn.vocab', value: JSON.stringify(TEST_VOCAB) },
      { key: 'charrnn.lower', value: 'true' },
      { key: 'charrnn.graph', value: graph },
    ],
    graph: {
      name: 'charrnn',
      // 64 kB of weight bytes the reader has to skip over.
      initializer: [{ name: 'encoder.weight', dataType: float, dims: [TEST_VOCAB.length, 5], rawData: new Uint8Array(65536).fill(0xab) }],
      node: [{ opType: 'Identity', input: ['h0'], output: ['hn'] }],
      input,
      output,
    },
  });
}

export function encode(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** The model's bytes after `change` edits its decoded form. */
export function edited(change: (m: ModelProto) => void, options: SignatureModelOptions = {}): Uint8Array {
  const model = signatureModel(options);
  change(model);
  return encode(model);
}

export function decode(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}
