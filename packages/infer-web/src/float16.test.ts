import { float16Bits } from '@charrnn/export';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16.js';

/** Value of binary16 bits from the definition (sign, exponent, fraction), in double precision. */
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function toHalf(values: number[]): number[] {
  return [...float32ToFloat16Bits(Float32Array.from(values), new Uint16Array(values.length))];
}

describe('float16 conversion', () => {
  test('every binary16 bit pattern decodes to its defined value and round-trips f16 → f32 → f16', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const floats = float16BitsToFloat32(all, new Float32Array(65536));
    const wrong: number[] = [];
    for (let bits = 0; bits < 65536; bits++) {
      const want = halfValue(bits);
      if (Number.isNaN(want) ? !Number.isNaN(floats[bits]) : !Object.is(floats[bits], want)) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
    // Converted back from the same buffer, so NaN payloads travel as bits.
    expect(float32ToFloat16Bits(floats, new Uint16Array(65536))).toEqual(all);
  });

  test('halfway cases round to the even neighbour, just off them to the nearer one', () => {
    const ties: number[] = [];
    const want: number[] = [];
    const below: number[] = [];
    const above: number[] = [];
    // Every pair of adjacent positive binary16 values up to 65504, and 65504…65536 (the next
    // step, which overflows to Infinity: 0x7c00 is even, so the tie 65520 goes up).
    for (let bits = 0; bits < 0x7c00; bits++) {
      const lo = halfValue(bits);
      const hi = bits + 1 === 0x7c00 ? 65536 : halfValue(bits + 1);
      const mid = (lo + hi) / 2; // exact in float32: 12 significant bits at most
      expect(Math.fround(mid)).toBe(mid);
      ties.push(mid, -mid);
      const even = bits % 2 === 0 ? bits : bits + 1;
      want.push(even, even | 0x8000);
      // one float32 step either side of the tie
      const step = 2 ** (Math.floor(Math.log2(mid)) - 23);
      below.push(mid - step);
      above.push(mid + step);
    }
    expect(toHalf(ties)).toEqual(want);
    expect(toHalf(below)).toEqual([...Array(0x7c00).keys()]);
    expect(toHalf(above)).toEqual([...Array(0x7c00).keys()].map((b) => b + 1));
  });

  test('overflow, underflow, signed zero, infinities and NaN', () => {
    expect(toHalf([65504, 65519.99, 65520, 1e6, -1e6, Infinity, -Infinity])).toEqual([0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00, 0x7c00, 0xfc00]);
    expect(toHalf([2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 2 ** -26, 0, -0, -(2 ** -25)])).toEqual([1, 0, 1, 0, 0, 0x8000, 0x8000]);
    expect(toHalf([2 ** -14, 2 ** -14 - 2 ** -25])).toEqual([0x0400, 0x0400]); // rounds up from the largest subnormal into the smallest normal
    const nan = toHalf([NaN])[0];
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });

  test('agrees with @charrnn/export’s own conversion on 200 000 random float32 bit patterns', () => {
    const bits = new Uint32Array(200_000);
    let x = 12345;
    for (let i = 0; i < bits.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      bits[i] = x;
    }
    const floats = new Float32Array(bits.buffer);
    const ours = float32ToFloat16Bits(floats, new Uint16Array(bits.length));
    for (let i = 0; i < bits.length; i++) {
      if (Number.isNaN(floats[i])) continue; // payload conventions may differ; both must be NaN
      if (ours[i] !== float16Bits(floats[i])) throw new Error(`float32 bits 0x${bits[i].toString(16)}: ours 0x${ours[i].toString(16)}, export 0x${float16Bits(floats[i]).toString(16)}`);
    }
    expect(ours.length).toBe(200_000);
  });
});
