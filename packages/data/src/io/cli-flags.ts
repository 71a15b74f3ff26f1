/**
 * commander argument parsers shared by every charrnn CLI: each refuses a bad value with
 * commander's InvalidArgumentError ("error: option '--bs <n>' argument 'x' is invalid. expected an
 * integer ≥ 1, got \"x\""), so all CLIs word their flag errors alike.
 */
import { InvalidArgumentError } from 'commander';

/** An integer in [min, max]. */
export function integerFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}, got ${JSON.stringify(value)}` : `expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** A finite number in [lo, hi); hi = Infinity for no upper bound. */
export function numberFlag(lo: number, hi: number): (value: string) => number {
  const valid = hi === Infinity ? `a number ≥ ${lo}` : `a number in [${lo}, ${hi})`;
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < lo || n >= hi) throw new InvalidArgumentError(`expected ${valid}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** A finite number > 0. */
export function positiveFlag(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** "true" or "false". */
export function booleanFlag(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`expected true or false, got ${JSON.stringify(value)}`);
}
