import { float16Bits, float16BitsToFloat32, float16Value, float32ToFloat16Bits, fromFloat16Array, toFloat16Array } from './float16.js';

// The independent reference: binary16 from its definition (sign, exponent, fraction) in double
// precision, and rounding as a search among those values, using comparisons only.

function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Every non-negative finite half, ascending (bits 0…0x7bff), then 65536: the step past the largest, which rounds to Infinity. */
const LADDER = Float64Array.from({ length: 0x7c01 }, (_, bits) => (bits === 0x7c00 ? 65536 : halfValue(bits)));

/** Nearest half to the finite or infinite number `x`, ties to the even bit pattern. */
function referenceHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65536) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7c00; // LADDER[lo] <= a < LADDER[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (LADDER[mid] <= a) lo = mid;
    else hi = mid;
  }
  const midpoint = (LADDER[lo] + LADDER[hi]) / 2; // exact: 12 significant bits at most
  const bits = a < midpoint ? lo : a > midpoint ? hi : lo % 2 === 0 ? lo : hi;
  return sign | bits;
}

function randomUint32s(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x ^ (x >>> 15);
  }
  return out;
}

const ALL_HALVES = Uint16Array.from({ length: 65536 }, (_, i) => i);
const isNaNHalf = (bits: number) => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;

describe('binary16 → float32', () => {
  test('every one of the 65536 bit patterns decodes to its defined value, in every form', () => {
    const floats = float16BitsToFloat32(ALL_HALVES, new Float32Array(65536));
    const wrong: number[] = [];
    for (let bits = 0; bits < 65536; bits++) {
      const want = halfValue(bits);
      const sameAs = (got: number) => (Number.isNaN(want) ? Number.isNaN(got) : Object.is(got, want));
      if (!sameAs(floats[bits]) || !sameAs(float16Value(bits))) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
    expect(fromFloat16Array(ALL_HALVES)).toEqual(floats);
    expect(fromFloat16Array(Array.from(ALL_HALVES))).toEqual(floats);
  });

  test('NaNs keep their sign and payload and come out quiet', () => {
    const bits = new Uint32Array(float16BitsToFloat32(Uint16Array.of(0x7e00, 0xfe01, 0x7c01, 0x7dff), new Float32Array(4)).buffer);
    expect(Array.from(bits, (b) => b.toString(16))).toEqual(['7fc00000', 'ffc02000', '7fc02000', '7fffe000']);
  });
});

describe('float32 → binary16', () => {
  test('every half round-trips half → float32 → half, signalling NaNs coming back quiet', () => {
    const back = float32ToFloat16Bits(float16BitsToFloat32(ALL_HALVES, new Float32Array(65536)), new Uint16Array(65536));
    const wrong: number[] = [];
    for (let bits = 0; bits < 65536; bits++) {
      const want = isNaNHalf(bits) ? bits | 0x0200 : bits;
      if (back[bits] !== want) wrong.push(bits);
      if (!isNaNHalf(bits) && float16Bits(float16Value(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
    expect(toFloat16Array(fromFloat16Array(ALL_HALVES))).toEqual(back);
  });

  test('halfway cases round to the even neighbour, one float32 step off them to the nearer one', () => {
    const ties: number[] = [];
    const want: number[] = [];
    const below: number[] = [];
    const above: number[] = [];
    // Every pair of adjacent non-negative halves up to 65504, and 65504…65536 (the next step, which
    // overflows to Infinity: 0x7c00 is even, so the tie 65520 goes up).
    for (let bits = 0; bits < 0x7c00; bits++) {
      const mid = (LADDER[bits] + LADDER[bits + 1]) / 2;
      ties.push(mid, -mid);
      const even = bits % 2 === 0 ? bits : bits + 1;
      want.push(even, even | 0x8000);
      const step = 2 ** (Math.floor(Math.log2(mid)) - 23); // one float32 ulp at mid
      below.push(mid - step);
      above.push(mid + step);
    }
    expect(ties.filter((mid) => Math.fround(mid) !== mid)).toEqual([]); // exact in float32: 12 significant bits at most
    const lows = Array.from({ length: 0x7c00 }, (_, bits) => bits);
    for (const convert of [(v: number[]) => Array.from(float32ToFloat16Bits(Float32Array.from(v), new Uint16Array(v.length))), (v: number[]) => v.map(float16Bits)]) {
      expect(convert(ties)).toEqual(want);
      expect(convert(below)).toEqual(lows);
      expect(convert(above)).toEqual(lows.map((b) => b + 1));
    }
  });

  test('agrees with the reference on 300 000 random float32 bit patterns (every exponent)', () => {
    const floats = new Float32Array(randomUint32s(300_000, 12345).buffer);
    const ours = float32ToFloat16Bits(floats, new Uint16Array(floats.length));
    const wrong: string[] = [];
    for (let i = 0; i < floats.length; i++) {
      const x = floats[i];
      const want = Number.isNaN(x) ? -1 : referenceHalf(x);
      if (Number.isNaN(x) ? !isNaNHalf(ours[i]) : ours[i] !== want || float16Bits(x) !== want) wrong.push(`${x}: ${ours[i]} vs ${want}`);
    }
    expect(wrong).toEqual([]);
  });

  test('doubles are rounded once, not through float32 (just above a tie goes up)', () => {
    const values: number[] = [];
    const rand = randomUint32s(100_000, 777);
    for (let i = 0; i < rand.length; i += 2) {
      const bits = rand[i] % 0x7bff;
      const mid = (LADDER[bits] + LADDER[bits + 1]) / 2;
      // a few double ulps either side of the tie: float32 would round these onto the tie itself
      const offset = ((rand[i + 1] % 9) - 4) * 2 ** (Math.floor(Math.log2(mid)) - 52);
      values.push(mid + offset, -(mid + offset));
    }
    values.push(1 + 2 ** -11 + 2 ** -40, 65520 - 2 ** -30, 65520 + 2 ** -30, 2 ** -25 + 2 ** -60, 2 ** -25 - 2 ** -60, 1e300, -1e-300, 2 ** 128);
    const wrong = values.filter((v) => float16Bits(v) !== referenceHalf(v)).map((v) => `${v}: ${float16Bits(v)} vs ${referenceHalf(v)}`);
    expect(wrong).toEqual([]);
    expect(float16Bits(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(float16Bits(2 ** -25 + 2 ** -60)).toBe(0x0001);
    expect(toFloat16Array([1 + 2 ** -11 + 2 ** -40])).toEqual(Uint16Array.of(0x3c01));
  });

  test('overflow, underflow, signed zero, infinities', () => {
    const cases: [number, number][] = [
      [65504, 0x7bff], // largest finite half
      [65519.99, 0x7bff],
      [65520, 0x7c00], // halfway to 65536: ties to even, the carry into infinity
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [3.4e38, 0x7c00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -14 - 2 ** -25, 0x0400], // the largest subnormal's tie with it: up, into the normals
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway between 0 and 2^-24: ties to even
      [2 ** -25 * 1.0001, 0x0001],
      [3 * 2 ** -25, 0x0002],
      [2 ** -26, 0x0000],
      [1e-45, 0x0000], // a float32 subnormal
      [0, 0x0000],
      [-0, 0x8000],
      [-(2 ** -25), 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    expect(cases.map(([v]) => float16Bits(v))).toEqual(cases.map(([, bits]) => bits));
    expect(Array.from(toFloat16Array(Float32Array.from(cases, ([v]) => v)))).toEqual(cases.map(([v]) => referenceHalf(Math.fround(v))));
  });

  test('NaN becomes a quiet NaN keeping its sign and leading payload bits', () => {
    const nanBits = Uint32Array.of(0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x7fffe000, 0xff802000);
    const halves = float32ToFloat16Bits(new Float32Array(nanBits.buffer), new Uint16Array(nanBits.length));
    expect(Array.from(halves, (b) => b.toString(16))).toEqual(['7e00', 'fe00', '7e00', '7f00', '7fff', 'fe01']);
    expect(float16Bits(NaN) & 0x7e00).toBe(0x7e00);
    expect(float16Value(float16Bits(NaN))).toBeNaN();
  });

  test('views into larger buffers convert only their own elements', () => {
    const buffer = new Float32Array([9, 1, -0.5, 3.140625, 9]);
    const target = new Uint16Array(6).fill(0xffff);
    float32ToFloat16Bits(buffer.subarray(1, 4), target.subarray(2, 5));
    expect(Array.from(target)).toEqual([0xffff, 0xffff, 0x3c00, 0xb800, 0x4248, 0xffff]);
    const back = new Float32Array(5).fill(7);
    float16BitsToFloat32(target.subarray(2, 5), back.subarray(1, 4));
    expect(Array.from(back)).toEqual([7, 1, -0.5, 3.140625, 7]);
  });
});

// Moved with the exporter's copy of the converter (export/src/onnx/float16.test.ts, then graph).
describe('float16Bits: cases written for the exporter', () => {
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
