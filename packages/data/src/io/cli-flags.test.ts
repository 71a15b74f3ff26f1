import { InvalidArgumentError } from 'commander';
import { booleanFlag, integerFlag, numberFlag, positiveFlag } from './cli-flags.js';

describe('CLI flag parsers', () => {
  test('integerFlag takes integers in range and names what would be valid otherwise', () => {
    expect(integerFlag(1)('64')).toBe(64);
    expect(integerFlag(0, 65535)('0')).toBe(0);
    for (const bad of ['0', '1.5', 'x', '', ' ', '1e400']) expect(() => integerFlag(1)(bad)).toThrow(new InvalidArgumentError(`expected an integer ≥ 1, got ${JSON.stringify(bad)}`));
    expect(() => integerFlag(0, 65535)('65536')).toThrow('expected an integer from 0 to 65535, got "65536"');
  });

  test('numberFlag is half-open, positiveFlag excludes 0 and infinities, booleanFlag takes only true/false', () => {
    expect(numberFlag(0, 1)('0')).toBe(0);
    expect(() => numberFlag(0, 1)('1')).toThrow('expected a number in [0, 1), got "1"');
    expect(() => numberFlag(0, 1)('NaN')).toThrow(InvalidArgumentError);
    expect(() => numberFlag(0, 1)('')).toThrow(InvalidArgumentError);
    expect(numberFlag(0, Infinity)('1e300')).toBe(1e300);
    for (const bad of ['-0.5', 'Infinity']) expect(() => numberFlag(0, Infinity)(bad)).toThrow(`expected a number ≥ 0, got ${JSON.stringify(bad)}`);
    expect(positiveFlag('1e-3')).toBe(0.001);
    for (const bad of ['0', '-1', 'Infinity', 'abc']) expect(() => positiveFlag(bad)).toThrow(`expected a positive number, got ${JSON.stringify(bad)}`);
    expect(booleanFlag('true')).toBe(true);
    expect(booleanFlag('false')).toBe(false);
    expect(() => booleanFlag('yes')).toThrow('expected true or false, got "yes"');
  });
});
