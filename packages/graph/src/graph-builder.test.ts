import * as ort from 'onnxruntime-node';
import { GraphBuilder, GraphBuildError, attr, encodeModel, rawTensorData } from './graph-builder.js';
import { onnx } from './proto.js';

const envelope = { opset: 17, irVersion: 8, metadata: { 'a.key': 'a value' }, producerName: 'test', producerVersion: '1' };

describe('rawTensorData', () => {
  it('writes little-endian float32, float16 and int64', () => {
    expect(Array.from(rawTensorData('float32', [1, -2]))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    expect(Array.from(rawTensorData('float16', [1, -2]))).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(Array.from(rawTensorData('int64', [258, -1]))).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
  });
});

describe('GraphBuilder', () => {
  function affineGraph(): GraphBuilder {
    const g = new GraphBuilder('affine');
    const x = g.input('x', 'float32', ['batch', 2]);
    const w = g.initializer('w', 'float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const b = g.initializer('b', 'float32', [3], [0.5, -0.5, 1]);
    g.op('Add', [g.op('MatMul', [x, w], 'xw'), b], 'y');
    g.op('Concat', ['y', 'y'], 'yy', { axis: attr.int(0) });
    g.output('yy', 'float32', ['twice_batch', 3]);
    return g;
  }

  it('encodes a model that decodes to the same graph, types, symbolic dims and metadata', () => {
    const model = onnx.ModelProto.decode(encodeModel(affineGraph().build(), envelope));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.metadataProps.map((p) => [p.key, p.value])).toEqual([['a.key', 'a value']]);
    const graph = onnx.GraphProto.fromObject(model.graph!);
    expect(graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Concat']);
    const concat = onnx.NodeProto.fromObject(graph.node[2]);
    expect(concat.attribute[0].name).toBe('axis');
    expect(concat.attribute[0].type).toBe(onnx.AttributeProto.AttributeType.INT);
    const dims = graph.input[0].type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
    expect(dims).toEqual(['batch', 2]);
    expect(graph.input[0].type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    const w = onnx.TensorProto.fromObject(graph.initializer.find((t) => t.name === 'w')!);
    expect(w.dims.map(Number)).toEqual([2, 3]);
    const raw = new DataView(w.rawData.buffer, w.rawData.byteOffset, w.rawData.byteLength);
    expect(Array.from({ length: 6 }, (_, i) => raw.getFloat32(i * 4, true))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('runs in onnxruntime with the values the initializers hold', async () => {
    const session = await ort.InferenceSession.create(encodeModel(affineGraph().build(), envelope));
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 2, 0]), [2, 2]) });
    expect(out.yy.dims).toEqual([4, 3]);
    // [1,1]·w + b = [5,7,9] + b; [2,0]·w + b = [2,4,6] + b
    expect(Array.from(out.yy.data as Float32Array)).toEqual([5.5, 6.5, 10, 2.5, 3.5, 7, 5.5, 6.5, 10, 2.5, 3.5, 7]);
  });

  it('refuses a value produced twice, a read of an unknown value and a wrong initializer size', () => {
    const g = new GraphBuilder('bad');
    g.input('x', 'float32', [1]);
    expect(() => g.initializer('x', 'float32', [1], [0])).toThrow(new GraphBuildError('graph value "x" is produced twice'));
    expect(() => g.op('Relu', ['nope'], 'y')).toThrow(/Relu node "y" reads "nope", which no input, initializer or earlier node produces/);
    expect(() => g.initializer('w', 'float32', [2, 2], [1, 2, 3])).toThrow(/initializer "w" has 3 values, expected 4 for dims \[2,2\]/);
    expect(() => g.output('missing', 'float32', [1])).toThrow(GraphBuildError);
  });

  it('writes typed attributes', () => {
    const g = new GraphBuilder('attrs');
    g.input('x', 'float32', [1]);
    g.op('Identity', ['x'], 'y', { i: attr.int(3), f: attr.float(0.25), s: attr.string('Tanh'), is: attr.ints([1, 2]), ss: attr.strings(['a', 'b']) });
    const node = onnx.NodeProto.fromObject(onnx.GraphProto.decode(onnx.GraphProto.encode(g.build()).finish()).node[0]);
    const byName = Object.fromEntries(node.attribute.map((a) => [a.name, a]));
    const T = onnx.AttributeProto.AttributeType;
    expect([byName.i.type, Number(byName.i.i)]).toEqual([T.INT, 3]);
    expect([byName.f.type, byName.f.f]).toEqual([T.FLOAT, 0.25]);
    expect([byName.s.type, new TextDecoder().decode(byName.s.s)]).toEqual([T.STRING, 'Tanh']);
    expect([byName.is.type, byName.is.ints.map(Number)]).toEqual([T.INTS, [1, 2]]);
    expect([byName.ss.type, byName.ss.strings.map((s: Uint8Array) => new TextDecoder().decode(s))]).toEqual([T.STRINGS, ['a', 'b']]);
  });
});
