import { ModelConfigError } from './errors.js';
import { validateModelConfig } from './model-config.js';

describe('validateModelConfig', () => {
  test('returns the config fields in their fixed order, dropout 0 when absent, other keys dropped', () => {
    const config = validateModelConfig({ numLayers: 2, hiddenSize: 8, embeddingDim: 3, vocabSize: 4, arch: 'rnn', note: 'x' });
    expect(Object.entries(config)).toEqual([
      ['arch', 'rnn'],
      ['vocabSize', 4],
      ['embeddingDim', 3],
      ['hiddenSize', 8],
      ['numLayers', 2],
      ['dropout', 0],
    ]);
  });

  test('every bad field is listed in one ModelConfigError', () => {
    let error: unknown;
    try {
      validateModelConfig({ arch: 'GRU', vocabSize: 0, embeddingDim: 42, hiddenSize: 256.5, dropout: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelConfigError);
    const problems = [
      'model config arch is "GRU", expected one of rnn, gru, lstm',
      'model config vocabSize is 0, expected a positive integer',
      'model config hiddenSize is 256.5, expected a positive integer',
      'model config numLayers is undefined, expected a positive integer',
      'model config dropout is 1, expected a number in [0, 1)',
    ];
    expect((error as ModelConfigError).problems).toEqual(problems);
    expect((error as ModelConfigError).message).toBe(problems.join('; '));
    expect((error as ModelConfigError).name).toBe('ModelConfigError');
  });

  test('a number written as a string is refused, dropout included', () => {
    expect(() => validateModelConfig({ arch: 'gru', vocabSize: '4', embeddingDim: 3, hiddenSize: 8, numLayers: 1, dropout: '0.5' })).toThrow(
      'model config vocabSize is "4", expected a positive integer; model config dropout is "0.5", expected a number in [0, 1)',
    );
  });

  test('a config that is not an object is named', () => {
    expect(() => validateModelConfig(null)).toThrow('model config is null, expected a JSON object');
    expect(() => validateModelConfig([1])).toThrow('model config is [1], expected a JSON object');
    expect(() => validateModelConfig(undefined)).toThrow('model config is undefined, expected a JSON object');
  });
});
