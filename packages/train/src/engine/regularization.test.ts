import { NO_REGULARIZATION, RegularizationError, activeRegularization, isDecayed, regularizationOf } from './regularization.js';

const sizes = { embeddingDim: 16, hiddenSize: 16 };

describe('regularizationOf', () => {
  test('absent fields are no regularisation, so options saved before these fields existed resume unchanged', () => {
    expect(regularizationOf({}, sizes)).toEqual(NO_REGULARIZATION);
    expect(activeRegularization(regularizationOf({}, sizes))).toEqual([]);
  });

  test('given fields are kept and listed as active', () => {
    const r = regularizationOf({ embedDropout: 0.1, outputDropout: 0.4, weightDrop: 0.5, tie: true, weightDecay: 0.01 }, sizes);
    expect(r).toEqual({ embedDropout: 0.1, outputDropout: 0.4, weightDrop: 0.5, tie: true, weightDecay: 0.01 });
    expect(activeRegularization(r)).toEqual(['embedDropout', 'outputDropout', 'weightDrop', 'tie', 'weightDecay']);
  });

  test('every bad field is named at once with what would be valid', () => {
    const bad = () => regularizationOf({ embedDropout: 1, outputDropout: -0.1, weightDrop: Number.NaN, weightDecay: Infinity, tie: true }, { embeddingDim: 8, hiddenSize: 16 });
    expect(bad).toThrow(RegularizationError);
    expect(bad).toThrow(
      'bad regularisation options: embedDropout is 1, expected a number in [0, 1); outputDropout is -0.1, expected a number in [0, 1); weightDrop is null, expected a number in [0, 1); ' +
        'weightDecay is null, expected a finite number ≥ 0; tie needs the embedding size to equal the hidden size (the decoder reads the hidden state with the embedding\'s rows), got embed 8 and hidden 16',
    );
    expect(() => regularizationOf({ tie: 'yes' as unknown as boolean }, sizes)).toThrow('tie is "yes", expected true or false');
  });

  test('weight decay applies to weights, the embedding and decoder included, and never to a bias', () => {
    expect(['encoder.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l1', 'decoder.weight'].map(isDecayed)).toEqual([true, true, true, true]);
    expect(['rnn.bias_ih_l0', 'rnn.bias_hh_l1', 'decoder.bias'].map(isDecayed)).toEqual([false, false, false]);
  });
});
