/**
 * The flag-value parsers every charrnn CLI uses, so that all of them word a bad value alike
 * ("error: option '--bs <n>' argument 'x' is invalid. expected an integer ≥ 1, got \"x\"").
 * They import no argument parser: the error carries commander's `code` for an invalid argument, so
 * commander reports it as its own, and infer-web's CLIs (which run on node:util's parseArgs, to keep
 * a CLI framework out of web installs) report it in the same words.
 */

/** A flag's value is not what the flag takes; the message says what would be valid. */
export class FlagValueError extends Error {
  /** commander's code for a value its parser refused (commander prints the message and exits 1). */
  readonly code = 'commander.invalidArgument';
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'FlagValueError';
  }
}

/** An integer in [min, max]. */
export function integerFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new FlagValueError(max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}, got ${JSON.stringify(value)}` : `expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** A finite number in [lo, hi); hi = Infinity for no upper bound. */
export function numberFlag(lo: number, hi: number): (value: string) => number {
  const valid = hi === Infinity ? `a number ≥ ${lo}` : `a number in [${lo}, ${hi})`;
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < lo || n >= hi) throw new FlagValueError(`expected ${valid}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** A finite number > 0. */
export function positiveFlag(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new FlagValueError(`expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** "true" or "false". */
export function booleanFlag(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagValueError(`expected true or false, got ${JSON.stringify(value)}`);
}
