// The contract's own tests live in @charrnn/contract; these check that the models
// @charrnn/export writes pass through it, and that infer-web refuses a broken one with its problems.
import { readModelDescription, validateContract } from '@charrnn/contract';
import onnxProto from 'onnx-proto';
import { CharRnnError, ModelContractError, ModelFormatError } from './core/errors.js';
import { CharGenerator } from './node.js';
import { testModel, TEST_VOCAB } from './test-helpers/models.js';

const { onnx } = onnxProto;

describe('models exported by @charrnn/export', () => {
  test('are read as onnx-proto reads them, weights and all', () => {
    for (const arch of ['gru', 'lstm'] as const) {
      const bytes = testModel(arch);
      const ours = readModelDescription(bytes);
      const theirs = onnx.ModelProto.decode(bytes);
      expect(ours.metadata).toEqual(Object.fromEntries(theirs.metadataProps.map((p) => [p.key, p.value])));
      expect(ours.opset).toBe(17);
      expect(ours.irVersion).toBe(Number(theirs.irVersion));
      expect(ours.inputs.map((i) => i.name)).toEqual(theirs.graph!.input!.map((i) => i.name));
      expect(ours.outputs.map((i) => i.name)).toEqual(theirs.graph!.output!.map((i) => i.name));
      expect(ours.inputs.find((i) => i.name === 'tokens')).toEqual({ name: 'tokens', elemType: 7, shape: ['seq', 'batch'] });
      expect(ours.inputs.find((i) => i.name === 'h0')!.shape).toEqual([2, 'batch', 12]);
      expect(ours.outputs.find((i) => i.name === 'logits')!.shape).toEqual(['seq', 'batch', TEST_VOCAB.length]);
    }
  });

  test('pass validateContract for every arch and graph', () => {
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      for (const graph of ['fused', 'step'] as const) {
        const info = validateContract(readModelDescription(testModel(arch, { graph })));
        expect(info).toMatchObject({ arch, graph, vocabSize: 15, embeddingDim: 5, hiddenSize: 12, numLayers: 2, lower: true, opset: 17 });
      }
    }
  });
});

describe('infer-web refuses models that break the contract', () => {
  test('CharGenerator.load names the problems in the message', async () => {
    const model = onnx.ModelProto.decode(testModel('gru'));
    model.graph!.input!.find((i) => i.name === 'tokens')!.name = 'x';
    const bytes = onnx.ModelProto.encode(model).finish();
    await expect(CharGenerator.load(bytes, { backend: 'cpu' })).rejects.toThrow(/missing input 'tokens' \(int64 \[seq, batch\]\); inputs are: 'x', 'h0'/);
    await expect(CharGenerator.load(bytes, { backend: 'cpu' })).rejects.toThrow(ModelContractError);
  });

  test('the contract errors are infer-web CharRnnErrors', async () => {
    const error = await CharGenerator.load(new TextEncoder().encode('<html>not found</html>'), { backend: 'cpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error).toBeInstanceOf(CharRnnError);
    expect((error as Error).name).toBe('ModelFormatError');
  });
});
