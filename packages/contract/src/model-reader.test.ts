import onnxProto from 'onnx-proto';
import { ModelFormatError } from './errors.js';
import { readModelDescription } from './model-reader.js';
import { decode, edited, encode, signatureModel, TEST_VOCAB } from './test-helpers/signature-model.js';

const { onnx } = onnxProto;

describe('readModelDescription', () => {
  test('reads metadata, IR version, opset and the graph signature as onnx-proto does', () => {
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      for (const fp16 of [false, true]) {
        const bytes = encode(signatureModel({ arch, fp16 }));
        const ours = readModelDescription(bytes);
        const theirs = decode(bytes);
        expect(ours.metadata).toEqual(Object.fromEntries(theirs.metadataProps.map((p) => [p.key, p.value])));
        expect(ours.irVersion).toBe(8);
        expect(ours.opset).toBe(17);
        const elem = fp16 ? 10 : 1;
        expect(ours.inputs).toEqual(
          theirs.graph!.input!.map((i) => ({
            name: i.name,
            elemType: i.type!.tensorType!.elemType,
            shape: i.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)),
          })),
        );
        expect(ours.inputs.map((i) => i.name)).toEqual({ rnn: ['tokens', 'h0'], gru: ['tokens', 'h0'], lstm: ['tokens', 'h0', 'c0'] }[arch]);
        expect(ours.inputs[0]).toEqual({ name: 'tokens', elemType: 7, shape: ['seq', 'batch'] });
        expect(ours.inputs[1]).toEqual({ name: 'h0', elemType: elem, shape: [2, 'batch', 12] });
        expect(ours.outputs.map((o) => o.name)).toEqual(theirs.graph!.output!.map((o) => o.name));
        expect(ours.outputs[0]).toEqual({ name: 'logits', elemType: elem, shape: ['seq', 'batch', TEST_VOCAB.length] });
        expect([...ours.initializers]).toEqual(['encoder.weight']);
      }
    }
  });

  test('takes the opset of the default domain only; absent fields read as 0 and null', () => {
    const bytes = edited((m) => {
      m.opsetImport = [
        onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }),
        onnx.OperatorSetIdProto.create({ domain: 'ai.onnx', version: 19 }),
      ];
      m.irVersion = 0;
      m.graph!.input![1].type!.tensorType!.shape = null;
      m.graph!.input![0].type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({});
    });
    const ours = readModelDescription(bytes);
    expect(ours.opset).toBe(19);
    expect(ours.irVersion).toBe(0);
    expect(ours.inputs[1].shape).toBeNull();
    expect(ours.inputs[0].shape).toEqual(['seq', null]);
  });

  test('a dim beyond 32 bits (a multi-byte varint) is read exactly', () => {
    const bytes = edited((m) => {
      m.graph!.input![0].type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 2 ** 40 + 3 });
    });
    expect(readModelDescription(bytes).inputs[0].shape).toEqual([2 ** 40 + 3, 'batch']);
  });

  test('bytes that are not a ModelProto are refused with a ModelFormatError saying why', () => {
    const bytes = encode(signatureModel());
    expect(() => readModelDescription(new Uint8Array(0))).toThrow(new ModelFormatError('ONNX model (0 bytes) has no graph: not an ONNX ModelProto'));
    expect(() => readModelDescription(bytes.subarray(0, bytes.length - 100))).toThrow(/^ONNX model is truncated: the field at offset \d+ runs past the end$/);
    expect(() => readModelDescription(new TextEncoder().encode('<html>not found</html>'))).toThrow(ModelFormatError);
    expect(() => readModelDescription(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(new ModelFormatError('ONNX model is truncated: the field at offset 0 runs past the end'));
    // Field 1 as a fixed64 (wire type 1) with 3 of its 8 bytes.
    expect(() => readModelDescription(Uint8Array.of(0x09, 1, 2, 3))).toThrow(new ModelFormatError('ONNX model is truncated: the field at offset 1 runs past the end'));
    expect(() => readModelDescription(Uint8Array.of(...new Array<number>(10).fill(0xff), 0x01))).toThrow(new ModelFormatError('ONNX model has a varint longer than 10 bytes'));
    expect(() => readModelDescription(Uint8Array.of(0x08, 0x07))).toThrow(/ONNX model \(2 bytes\) has no graph: not an ONNX ModelProto/);
    expect(() => readModelDescription(Uint8Array.of(0x0b))).toThrow(new ModelFormatError('ONNX model has field 1 with wire type 3 at offset 1: not a ModelProto'));
    expect(() => readModelDescription(Uint8Array.of(0x00, 0x01))).toThrow(new ModelFormatError('ONNX model has field 0 with wire type 0 at offset 1: not a ModelProto'));
    // A metadata key that is not UTF-8 (0xff never occurs in UTF-8).
    const badKey = Uint8Array.of(0x72, 0x03, 0x0a, 0x01, 0xff, 0x3a, 0x00);
    expect(() => readModelDescription(badKey)).toThrow(new ModelFormatError('ONNX model has a string field at offset 4 that is not UTF-8'));
  });
});
