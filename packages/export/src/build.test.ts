import * as ort from 'onnxruntime-node';
import { randomWeights, type Arch, type ModelConfig } from '@charrnn/train';
import { BuildOptionsError, buildOnnxModel } from './build.js';
import { ExportSourceError, type ExportSource } from './export-source.js';
import { OnnxMetadataError, readOnnxMetadata } from './metadata.js';
import { OpsetError } from '@charrnn/contract';
import { onnx, type INodeProto } from '@charrnn/graph';
import { smallConfig } from './test-helpers/fixtures.js';

const VOCAB = ['\n', ' ', '"', '\\', 'a', 'b', 'c', 'é', '😀', 'x', 'y', 'z', '<unk>'];

function source(arch: Arch, numLayers = 2): ExportSource {
  const config = smallConfig(arch, numLayers);
  return { config, vocab: VOCAB.slice(0, config.vocabSize), lower: true, weights: randomWeights(config, 7) };
}

function decode(bytes: Uint8Array) {
  const model = onnx.ModelProto.decode(bytes);
  const graph = onnx.GraphProto.fromObject(model.graph!);
  return { model, graph, nodes: graph.node.map((n) => onnx.NodeProto.fromObject(n)) };
}

function intAttribute(node: INodeProto, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a ? Number(a.i) : undefined;
}

function dimsOf(graph: ReturnType<typeof decode>['graph'], kind: 'input' | 'output', name: string): (string | number)[] {
  const info = graph[kind].find((v) => v.name === name)!;
  return info.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

describe('fused graph', () => {
  it.each([
    ['gru', 'GRU'],
    ['lstm', 'LSTM'],
    ['rnn', 'RNN'],
  ] as const)('%s: one ONNX %s node per layer with PyTorch-compatible attributes', (arch, opType) => {
    const { config } = source(arch);
    const { nodes, graph } = decode(buildOnnxModel(source(arch)));
    const recurrent = nodes.filter((n) => n.opType === opType);
    expect(recurrent).toHaveLength(config.numLayers);
    for (const node of recurrent) {
      expect(intAttribute(node, 'hidden_size')).toBe(config.hiddenSize);
      expect(intAttribute(node, 'layout')).toBe(0);
      expect(intAttribute(node, 'linear_before_reset')).toBe({ rnn: undefined, gru: 1, lstm: undefined }[arch]);
    }
    const G = { rnn: 1, gru: 3, lstm: 4 }[arch];
    const W0 = graph.initializer.find((t) => t.name === 'rnn.W_l0')!;
    expect(W0.dims!.map(Number)).toEqual([1, G * config.hiddenSize, config.embeddingDim]);
    const B1 = graph.initializer.find((t) => t.name === 'rnn.B_l1')!;
    expect(B1.dims!.map(Number)).toEqual([1, 2 * G * config.hiddenSize]);
    expect(dimsOf(graph, 'input', 'tokens')).toEqual(['seq', 'batch']);
    expect(dimsOf(graph, 'input', 'h0')).toEqual([2, 'batch', config.hiddenSize]);
    expect(dimsOf(graph, 'output', 'logits')).toEqual(['seq', 'batch', config.vocabSize]);
    expect(dimsOf(graph, 'output', 'hn')).toEqual([2, 'batch', config.hiddenSize]);
    expect(graph.input.map((i) => i.name)).toEqual({ rnn: ['tokens', 'h0'], gru: ['tokens', 'h0'], lstm: ['tokens', 'h0', 'c0'] }[arch]);
    expect(graph.output.map((i) => i.name)).toEqual({ rnn: ['logits', 'hn'], gru: ['logits', 'hn'], lstm: ['logits', 'hn', 'cn'] }[arch]);
  });
});

describe('step graph', () => {
  // Concat stacks the per-layer states into hn; everything else is MatMul, Gather or elementwise.
  // Split cuts the stacked gate blocks apart (onnxruntime-web's WebGPU provider implements it).
  const ALLOWED = new Set(['Gather', 'MatMul', 'Add', 'Sub', 'Mul', 'Sigmoid', 'Tanh', 'Concat', 'Split']);

  it.each(['rnn', 'gru', 'lstm'] as const)('%s: no recurrent operator, seq fixed to 1', (arch) => {
    const { nodes, graph } = decode(buildOnnxModel(source(arch), { graph: 'step' }));
    const opTypes = new Set(nodes.map((n) => n.opType));
    for (const op of ['GRU', 'LSTM', 'RNN', 'Scan', 'Loop']) expect(opTypes.has(op)).toBe(false);
    expect([...opTypes].filter((op) => !ALLOWED.has(op))).toEqual([]);
    expect(opTypes.has('MatMul')).toBe(true);
    expect(dimsOf(graph, 'input', 'tokens')).toEqual([1, 'batch']);
    expect(dimsOf(graph, 'output', 'logits')).toEqual([1, 'batch', 13]);
  });
});

describe('metadata', () => {
  it.each([
    ['fused', false],
    ['step', true],
  ] as const)('round-trips config, vocab, lower and text (%s graph, fp16 %s)', (graph, fp16) => {
    const src = { ...source('lstm', 2), text: graph === 'fused' ? ('faithful' as const) : ('lesson' as const) };
    const info = readOnnxMetadata(buildOnnxModel(src, { graph, fp16, opset: 19 }));
    expect(info.config).toEqual(src.config);
    expect(info.vocab).toEqual(src.vocab);
    expect(info.lower).toBe(true);
    expect(info.text).toBe(src.text);
    expect(info.graph).toBe(graph);
    expect(info.format).toBe('1');
    expect(info.precision).toBe(fp16 ? 'float16' : 'float32');
    expect(info.opset).toBe(19);
    expect(info.irVersion).toBe(9);
    expect(Object.keys(info.props).sort()).toEqual(['charrnn.config', 'charrnn.format', 'charrnn.graph', 'charrnn.lower', 'charrnn.text', 'charrnn.vocab']);
    expect(JSON.parse(info.props['charrnn.config'])).toEqual(src.config);
  });

  it('rejects a file that is not a charrnn model', () => {
    const foreign = onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'x' } }).finish();
    expect(() => readOnnxMetadata(foreign, 'foreign.onnx')).toThrow(OnnxMetadataError);
    expect(() => readOnnxMetadata(foreign, 'foreign.onnx')).toThrow(/^foreign\.onnx: model does not follow the charrnn ONNX contract:\n {2}- missing metadata 'charrnn\.format'\n/);
    const problems = (() => {
      try {
        readOnnxMetadata(foreign, 'foreign.onnx');
      } catch (error) {
        return (error as OnnxMetadataError).problems;
      }
      return [];
    })();
    expect(problems).toContain("missing metadata 'charrnn.graph'");
    expect(problems).toContain("missing input 'tokens' (int64 [seq, batch]); inputs are: none");
    expect(() => readOnnxMetadata(Uint8Array.from([0xff, 0xff, 0xff]), 'junk.onnx')).toThrow(/junk.onnx is not a readable ONNX ModelProto/);
  });
});

describe('opsets', () => {
  it('writes 17 by default and every opset from 14 to 21 loads and runs in onnxruntime', async () => {
    expect(readOnnxMetadata(buildOnnxModel(source('gru'))).opset).toBe(17);
    for (let opset = 14; opset <= 21; opset++) {
      for (const graph of ['fused', 'step'] as const) {
        const session = await ort.InferenceSession.create(buildOnnxModel(source('gru', 1), { opset, graph }));
        const out = await session.run({
          tokens: new ort.Tensor('int64', BigInt64Array.from([1n, 2n]), [1, 2]),
          h0: new ort.Tensor('float32', new Float32Array(20), [1, 2, 10]),
        });
        expect(out.logits.dims).toEqual([1, 2, 13]);
      }
    }
  });

  it.each([
    [22, /opset 22 is refused: onnxruntime registers its CUDA GRU\/LSTM\/RNN kernels for opsets up to 21 only/],
    [25, /opset 25 is refused/],
    [13, /opset 13 is too old/],
    [17.5, /opset 17.5 is not an integer; use 14 to 21/],
  ])('refuses opset %p', (opset, message) => {
    expect(() => buildOnnxModel(source('gru'), { opset })).toThrow(OpsetError);
    expect(() => buildOnnxModel(source('gru'), { opset })).toThrow(message);
  });
});

describe('bad sources', () => {
  it('names an unknown arch', () => {
    const src = source('gru');
    const bad = { ...src, config: { ...src.config, arch: 'transformer' } as unknown as ModelConfig };
    expect(() => buildOnnxModel(bad)).toThrow(ExportSourceError);
    expect(() => buildOnnxModel(bad)).toThrow(/arch is "transformer", expected one of rnn, gru, lstm/);
  });

  it('names a tensor with the wrong shape, with expected vs actual', () => {
    const src = source('gru', 1);
    const weights = new Map(src.weights);
    weights.set('rnn.weight_hh_l0', { shape: [10, 30], data: new Float32Array(300) });
    expect(() => buildOnnxModel({ ...src, weights })).toThrow(/rnn.weight_hh_l0 has shape \[10,30\], expected \[30,10\]/);
  });

  it('names a missing tensor and a tensor of another config', () => {
    const src = source('lstm', 1);
    const weights = new Map(src.weights);
    weights.delete('decoder.bias');
    weights.set('rnn.weight_ih_l1', { shape: [40, 10], data: new Float32Array(400) });
    expect(() => buildOnnxModel({ ...src, weights })).toThrow(/decoder.bias is missing, expected shape \[13\]/);
    expect(() => buildOnnxModel({ ...src, weights })).toThrow(/rnn.weight_ih_l1 is not a parameter of a 1-layer lstm/);
  });

  it('names a vocab that does not match vocabSize', () => {
    const src = source('rnn');
    expect(() => buildOnnxModel({ ...src, vocab: src.vocab.slice(1) })).toThrow(/vocab has 12 entries, expected 13 strings/);
  });

  it('names every tensor holding NaN or ±Inf, with counts and the first position', () => {
    const src = source('gru', 1);
    const weights = new Map([...src.weights].map(([name, t]) => [name, { shape: t.shape, data: t.data.slice() }]));
    const hh = weights.get('rnn.weight_hh_l0')!; // [30, 10]
    hh.data[2 * 10 + 3] = NaN;
    hh.data[29 * 10 + 9] = NaN;
    hh.data[5] = -Infinity;
    weights.get('decoder.bias')!.data[12] = Infinity;
    const bad = { ...src, weights };
    expect(() => buildOnnxModel(bad)).toThrow(ExportSourceError);
    expect(() => buildOnnxModel(bad)).toThrow(
      'model has non-finite weights: rnn.weight_hh_l0 has 3 (NaN ×2, -Infinity ×1), the first at [0,5]; decoder.bias has 1 (Infinity ×1), the first at [12]; ' +
        'such a model generates nothing useful: export a checkpoint from before training diverged',
    );
  });

  it('names weights too large for float16 when exporting with fp16 (they would become ±Infinity)', () => {
    const src = source('gru', 1);
    const weights = new Map([...src.weights].map(([name, t]) => [name, { shape: t.shape, data: t.data.slice() }]));
    weights.get('decoder.bias')!.data[2] = 1e6;
    weights.get('decoder.bias')!.data[3] = -7e4;
    weights.get('encoder.weight')!.data[0] = 65519; // rounds to 65504, the largest float16: fine
    const bad = { ...src, weights };
    expect(() => buildOnnxModel(bad)).not.toThrow();
    expect(() => buildOnnxModel(bad, { fp16: true })).toThrow(ExportSourceError);
    expect(() => buildOnnxModel(bad, { fp16: true })).toThrow(
      'model does not fit float16: decoder.bias has 2 values beyond ±65504, the largest 1000000 at [2]; float16 would store them as ±Infinity: export without fp16',
    );
  });

  it('names duplicate and empty vocabulary entries by id', () => {
    const src = source('rnn');
    const vocab = [...src.vocab];
    vocab[5] = 'a'; // 'a' is also id 4
    vocab[9] = 'a';
    vocab[11] = '';
    expect(() => buildOnnxModel({ ...src, vocab })).toThrow(ExportSourceError);
    expect(() => buildOnnxModel({ ...src, vocab })).toThrow(
      'model: vocab entry "a" appears at ids 4, 5, 9; vocab entry 11 is empty; each id needs its own non-empty token',
    );
  });

  it('names an unknown graph kind', () => {
    expect(() => buildOnnxModel(source('rnn'), { graph: 'unrolled' as 'step' })).toThrow(BuildOptionsError);
    expect(() => buildOnnxModel(source('rnn'), { graph: 'unrolled' as 'step' })).toThrow(/graph "unrolled" is unknown; expected one of fused, step/);
  });
});
