import { float16Bits, float16Value, fromFloat16Array, toFloat16Array } from './float16.js';

describe('float16Bits', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [65519, 0x7bff], // below the halfway point to 65536: rounds down
    [65520, 0x7c00], // halfway: ties to even, which is the exponent carry into infinity
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway between 0 and 2^-24: ties to even (0)
    [3 * 2 ** -26, 0x0001], // 0.75 of the smallest subnormal: rounds up
    [3 * 2 ** -25, 0x0002], // 1.5 subnormal units: ties to even (2)
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1+2^-10: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+2^-10 and 1+2^-9: ties to even (up)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway: rounds up
    [0.1, 0x2e66],
  ])('%p → bits %i', (value, bits) => {
    expect(float16Bits(value)).toBe(bits);
  });

  it('maps NaN to a NaN pattern', () => {
    const bits = float16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
    expect(float16Value(bits)).toBeNaN();
  });

  it('round-trips every finite half exactly', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) !== 0x7c00 && float16Bits(float16Value(bits)) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
  });

  it('rounds to the nearest half: error ≤ half a unit in the last place', () => {
    let worst = 0;
    for (let i = 1; i < 20000; i++) {
      // float32 inputs, as the weights are: no double rounding through float64.
      const v = Math.fround(Math.sin(i) * 2 ** ((i % 30) - 15));
      const q = float16Value(float16Bits(v));
      const halfUlp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(v))), -14) - 11);
      worst = Math.max(worst, Math.abs(q - v) / halfUlp);
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worst).toBeGreaterThan(0.9);
  });
});

describe('float16 arrays', () => {
  it('converts arrays both ways', () => {
    const halves = toFloat16Array([1, -0.5, 3.140625]);
    expect(Array.from(halves)).toEqual([0x3c00, 0xb800, 0x4248]);
    expect(Array.from(fromFloat16Array(halves))).toEqual([1, -0.5, 3.140625]);
  });
});
