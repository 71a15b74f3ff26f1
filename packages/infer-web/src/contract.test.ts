import onnxProto from 'onnx-proto';
import { validateContract } from './contract.js';
import { ModelContractError, ModelFormatError } from './errors.js';
import { readModelDescription } from './model-proto.js';
import { CharGenerator } from './node.js';
import { testModel, TEST_VOCAB } from './test-helpers/models.js';

const { onnx } = onnxProto;

/** Decodes with onnx-proto (an independent protobuf implementation), edits, re-encodes. */
function edit(bytes: Uint8Array, change: (m: onnxProto.onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  change(model);
  return onnx.ModelProto.encode(model).finish();
}

function problemsOf(bytes: Uint8Array): readonly string[] {
  try {
    validateContract(readModelDescription(bytes));
  } catch (error) {
    if (error instanceof ModelContractError) return error.problems;
    throw error;
  }
  return [];
}

describe('readModelDescription', () => {
  test('reads metadata, opset and the graph signature as onnx-proto does', () => {
    for (const arch of ['gru', 'lstm'] as const) {
      const bytes = testModel(arch);
      const ours = readModelDescription(bytes);
      const theirs = onnx.ModelProto.decode(bytes);
      expect(ours.metadata).toEqual(Object.fromEntries(theirs.metadataProps!.map((p) => [p.key, p.value])));
      expect(ours.opset).toBe(17);
      expect(ours.inputs.map((i) => i.name)).toEqual(theirs.graph!.input!.map((i) => i.name));
      expect(ours.outputs.map((i) => i.name)).toEqual(theirs.graph!.output!.map((i) => i.name));
      const tokens = ours.inputs.find((i) => i.name === 'tokens')!;
      expect(tokens).toEqual({ name: 'tokens', elemType: 7, shape: ['seq', 'batch'] });
      expect(ours.inputs.find((i) => i.name === 'h0')!.shape).toEqual([2, 'batch', 12]);
      expect(ours.outputs.find((i) => i.name === 'logits')!.shape).toEqual(['seq', 'batch', TEST_VOCAB.length]);
    }
  });

  test('bytes that are not a ModelProto are refused', () => {
    const bytes = testModel('gru');
    expect(() => readModelDescription(new Uint8Array(0))).toThrow(/empty/);
    expect(() => readModelDescription(bytes.subarray(0, bytes.length - 100))).toThrow(ModelFormatError);
    expect(() => readModelDescription(new TextEncoder().encode('<html>not found</html>'))).toThrow(ModelFormatError);
  });
});

describe('validateContract', () => {
  test('a model exported by @charrnn/export passes for every arch and graph', () => {
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      for (const graph of ['fused', 'step'] as const) {
        const info = validateContract(readModelDescription(testModel(arch, { graph })));
        expect(info).toMatchObject({ arch, graph, vocabSize: 15, embeddingDim: 5, hiddenSize: 12, numLayers: 2, lower: true, opset: 17 });
      }
    }
  });

  test('missing metadata is named, every key at once', () => {
    const bytes = edit(testModel('gru'), (m) => {
      m.metadataProps = m.metadataProps!.filter((p) => p.key !== 'charrnn.vocab' && p.key !== 'charrnn.graph');
    });
    expect(problemsOf(bytes)).toEqual(["missing metadata_props 'charrnn.vocab'", "missing metadata_props 'charrnn.graph'"]);
  });

  test('bad metadata values are named with what is valid', () => {
    const bytes = edit(testModel('gru'), (m) => {
      for (const p of m.metadataProps!) {
        if (p.key === 'charrnn.vocab') p.value = JSON.stringify(TEST_VOCAB.slice(1));
        if (p.key === 'charrnn.lower') p.value = 'yes';
        if (p.key === 'charrnn.format') p.value = '2';
      }
    });
    expect(problemsOf(bytes)).toEqual([
      'metadata \'charrnn.format\' is "2", expected "1"',
      "metadata 'charrnn.vocab' has 14 entries but charrnn.config vocabSize is 15",
      'metadata \'charrnn.lower\' is "yes", expected "true" or "false"',
    ]);
  });

  test('missing or mistyped inputs and outputs are named', () => {
    const bytes = edit(testModel('lstm'), (m) => {
      const g = m.graph!;
      g.input = g.input!.filter((i) => i.name !== 'c0');
      g.input!.find((i) => i.name === 'h0')!.type!.tensorType!.elemType = 11;
      g.output!.find((o) => o.name === 'logits')!.name = 'scores';
    });
    const problems = problemsOf(bytes);
    expect(problems).toContain("input 'h0' is float64, expected float32");
    expect(problems).toContain("missing input 'c0' (float32 [2, batch, 12]); inputs are: 'tokens', 'h0'");
    expect(problems.some((p) => p.startsWith("missing output 'logits'"))).toBe(true);
  });

  test('fixed dims that disagree with the config are named', () => {
    const bytes = edit(testModel('gru'), (m) => {
      for (const p of m.metadataProps!) if (p.key === 'charrnn.config') p.value = p.value!.replace('"hiddenSize":12', '"hiddenSize":16');
    });
    expect(problemsOf(bytes)).toContain("input 'h0' dim 2 is 12, expected 16 (shape [2, batch, 16])");
  });

  test('CharGenerator.load refuses a broken model with the problems in the message', async () => {
    const bytes = edit(testModel('gru'), (m) => {
      m.graph!.input!.find((i) => i.name === 'tokens')!.name = 'x';
    });
    await expect(CharGenerator.load(bytes, { backend: 'cpu' })).rejects.toThrow(/missing input 'tokens' \(int64 \[seq, batch\]\); inputs are: 'x', 'h0'/);
  });
});
