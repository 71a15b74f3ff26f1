import { Command } from 'commander';
import { FlagValueError, booleanFlag, integerFlag, numberFlag, positiveFlag } from './cli-flags.js';

describe('CLI flag parsers', () => {
  test('integerFlag takes integers in range and names what would be valid otherwise', () => {
    expect(integerFlag(1)('64')).toBe(64);
    expect(integerFlag(0, 65535)('0')).toBe(0);
    for (const bad of ['0', '1.5', 'x', '', ' ', '1e400']) expect(() => integerFlag(1)(bad)).toThrow(new FlagValueError(`expected an integer ≥ 1, got ${JSON.stringify(bad)}`));
    expect(() => integerFlag(0, 65535)('65536')).toThrow('expected an integer from 0 to 65535, got "65536"');
  });

  test('numberFlag is half-open, positiveFlag excludes 0 and infinities, booleanFlag takes only true/false', () => {
    expect(numberFlag(0, 1)('0')).toBe(0);
    expect(() => numberFlag(0, 1)('1')).toThrow('expected a number in [0, 1), got "1"');
    expect(() => numberFlag(0, 1)('NaN')).toThrow(FlagValueError);
    expect(() => numberFlag(0, 1)('')).toThrow(FlagValueError);
    expect(numberFlag(0, Infinity)('1e300')).toBe(1e300);
    for (const bad of ['-0.5', 'Infinity']) expect(() => numberFlag(0, Infinity)(bad)).toThrow(`expected a number ≥ 0, got ${JSON.stringify(bad)}`);
    expect(positiveFlag('1e-3')).toBe(0.001);
    for (const bad of ['0', '-1', 'Infinity', 'abc']) expect(() => positiveFlag(bad)).toThrow(`expected a positive number, got ${JSON.stringify(bad)}`);
    expect(booleanFlag('true')).toBe(true);
    expect(booleanFlag('false')).toBe(false);
    expect(() => booleanFlag('yes')).toThrow('expected true or false, got "yes"');
  });

  test("commander reports a refused value as its own invalid argument: the option, the value, the parser's words, exit 1", () => {
    let written = '';
    const program = new Command('t')
      .exitOverride()
      .configureOutput({ writeErr: (s) => (written += s) })
      .option('--bs <n>', 'batch size', integerFlag(1));
    expect(() => program.parse(['--bs', 'x'], { from: 'user' })).toThrow(expect.objectContaining({ code: 'commander.invalidArgument', exitCode: 1 }));
    expect(written).toBe(`error: option '--bs <n>' argument 'x' is invalid. expected an integer ≥ 1, got "x"\n`);
  });
});
