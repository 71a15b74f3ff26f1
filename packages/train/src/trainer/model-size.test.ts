import type { ModelConfig } from '../model/config.js';
import { MAX_TENSOR_ELEMENTS, ModelSizeError, TRAINING_BYTES_PER_PARAMETER, checkModelSize } from './model-size.js';

const lesson: ModelConfig = { arch: 'gru', vocabSize: 60, embeddingDim: 42, hiddenSize: 256, numLayers: 1, dropout: 0 };
const GB = 2 ** 30;

describe('checkModelSize', () => {
  test("counts the lesson GRU's parameters as PyTorch does", () => {
    // encoder 60·42, weight_ih 768·42, weight_hh 768·256, two biases 768, decoder 60·256 + 60
    const parameters = 60 * 42 + 768 * 42 + 768 * 256 + 2 * 768 + 60 * 256 + 60;
    expect(parameters).toBe(248_340);
    expect(checkModelSize(lesson, 8 * GB)).toEqual({ parameters, trainingBytes: parameters * TRAINING_BYTES_PER_PARAMETER });
  });

  test('a tensor too large for a Float32Array is refused naming it, its shape and the limit, whatever the memory', () => {
    expect(() => checkModelSize({ ...lesson, hiddenSize: 1e8 }, Infinity)).toThrow(
      new ModelSizeError(
        `the model is too large: gru e42 h100000000 × 1 layers (vocab 60) has 3.00e+16 parameters, and rnn.weight_hh_l0 [300000000, 100000000] alone has 3.00e+16, more than one tensor can hold (${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')}); lower the hidden size, the layers or the embedding size`,
      ),
    );
  });

  test('a model whose training would not fit the memory is refused with its parameter count, the estimate and the memory', () => {
    const deep = { ...lesson, numLayers: 1000 };
    // layer 0 reads the embedding (42), the other 999 the hidden state (256)
    const parameters = 60 * 42 + 768 * (42 + 256 + 2) + 999 * 768 * (256 + 256 + 2) + 60 * 256 + 60;
    expect(() => checkModelSize(deep, 8 * GB)).toThrow(
      `the model is too large to train here: gru e42 h256 × 1000 layers (vocab 60) has ${parameters.toLocaleString('en-US')} parameters, about ${((parameters * TRAINING_BYTES_PER_PARAMETER) / GB).toFixed(1)} GB to train (28 bytes a parameter), and this machine has 8.0 GB; lower the hidden size, the layers or the embedding size`,
    );
    expect(checkModelSize(deep, 16 * GB).parameters).toBe(parameters);
  });
});
