import { OpsetError } from './errors.js';
import { checkOpset, DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from './opset.js';

describe('opset policy', () => {
  test('default 17, allowed 14 to 21', () => {
    expect([DEFAULT_OPSET, MIN_OPSET, MAX_OPSET]).toEqual([17, 14, 21]);
    for (let opset = 14; opset <= 21; opset++) expect(checkOpset(opset)).toBe(opset);
  });

  test('anything else is refused, saying why and what is valid', () => {
    expect(() => checkOpset(22)).toThrow(OpsetError);
    expect(() => checkOpset(22)).toThrow(/opset 22 is refused: onnxruntime registers its CUDA GRU\/LSTM\/RNN kernels for opsets up to 21 only.*use 14 to 21 \(default 17\)$/);
    expect(() => checkOpset(13)).toThrow(/opset 13 is too old: .*layout attribute \(opset 14\).*use 14 to 21 \(default 17\)$/);
    expect(() => checkOpset(17.5)).toThrow('opset 17.5 is not an integer; use 14 to 21 (default 17)');
    expect(() => checkOpset(Number.NaN)).toThrow('opset null is not an integer; use 14 to 21 (default 17)');
  });
});
