import { OptionError } from './errors.js';

/**
 * xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018):
 * 128 bits of state, 32-bit outputs, fast in JS with Math.imul. Seeded through splitmix32 so
 * that nearby seeds give unrelated streams and the state is never all zero. Training's generator;
 * generation has its own (sfc32, in infer-web): docs/random-numbers.md says why there are two.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** `seed` is any safe integer; `stream` picks an independent sequence for the same seed (e.g. an epoch index). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new OptionError(`seed ${seed} is invalid; expected a safe integer such as 42`);
    if (!Number.isSafeInteger(stream)) throw new OptionError(`rng stream ${stream} is invalid; expected a safe integer such as 0`);
    let x = splitmix32Step(seed >>> 0);
    x = splitmix32Step((x ^ Math.floor(seed / 2 ** 32)) >>> 0);
    x = splitmix32Step((x ^ stream) >>> 0);
    x = splitmix32Step((x ^ Math.floor(stream / 2 ** 32)) >>> 0);
    const state: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      state.push(splitmix32Mix(x));
    }
    if (!state.some((v) => v !== 0)) state[0] = 1;
    this.setState(state);
  }

  /** Next raw 32-bit output. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Gaussian by Box–Muller; draws two uniforms per call and keeps no spare, so the state alone resumes it. */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.next(); // (0, 1]: log stays finite
    const u2 = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly number[]): void {
    const valid =
      Array.isArray(state) &&
      state.length === 4 &&
      state.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff) &&
      state.some((v) => v !== 0);
    if (!valid) {
      throw new OptionError(`rng state ${JSON.stringify(state)} is invalid; expected 4 unsigned 32-bit integers, not all zero`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v | 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function splitmix32Step(x: number): number {
  return splitmix32Mix((x + 0x9e3779b9) >>> 0);
}

/** The 32-bit finaliser of splitmix (murmur3-style avalanche). */
function splitmix32Mix(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
