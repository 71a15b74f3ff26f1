/**
 * sfc32 (Chris Doty-Humphrey's "small fast counting" generator, from PractRand): 128 bits of
 * state, only 32-bit adds, xors and shifts, so it gives bit-identical streams in every JS engine,
 * Node and browsers alike, which Math.random cannot. Written here from the algorithm's
 * description: t = a + b + counter; a = b ^ (b >>> 9); b = c + (c << 3); c = rotl(c, 21) + t.
 * Generation's generator; training has its own (xoshiro128**, in data): docs/random-numbers.md says
 * why there are two.
 */
export type RngState = readonly [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state;
  }

  /**
   * A generator for `seed` (any safe integer). `stream` picks an independent sequence for the
   * same seed: generateBatch gives row i stream i, so row 0 equals generate() with that seed.
   */
  static fromSeed(seed: number, stream = 0): Rng {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
    const rng = new Rng([stream >>> 0, lo, hi, 1]);
    // The seeding procedure of the reference: discard the first outputs so that nearby seeds
    // (0, 1, 2…) do not start from correlated states.
    for (let i = 0; i < 15; i++) rng.nextUint32();
    return rng;
  }

  static fromState(state: RngState): Rng {
    return new Rng([state[0] >>> 0, state[1] >>> 0, state[2] >>> 0, state[3] >>> 0]);
  }

  /** A seed from the platform's entropy, for runs where the caller gave none. */
  static randomSeed(): number {
    const words = new Uint32Array(2);
    globalThis.crypto.getRandomValues(words);
    return (words[0] & 0x1f_ffff) * 0x1_0000_0000 + words[1];
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  state(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }
}
