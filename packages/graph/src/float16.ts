// IEEE 754 binary16 conversion. Node 20 has neither Math.f16round nor Float16Array, so the bit
// manipulation is written out: round to nearest, ties to even, as the ONNX spec asks for casts.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** `mantissa >> shift`, rounded to nearest with ties to even. */
function shiftRoundEven(mantissa: number, shift: number): number {
  const kept = mantissa >>> shift;
  const rest = mantissa & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/**
 * The binary16 bit pattern nearest to `value` (overflow goes to ±Infinity, NaN stays NaN). `value`
 * is read as float32 first, which is exact for the float32 weights and activations this converts.
 */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: value = m · 2^-24, so the float's 24-bit significand shifts right by 126 − exponent.
    const shift = 126 - exponent;
    if (shift > 24) return sign;
    return sign | shiftRoundEven(mantissa | 0x800000, shift);
  }
  // A mantissa that rounds up to 0x400 carries into the exponent, which is the right result
  // (and 0x7c00, infinity, when it carries out of the largest finite exponent).
  return sign | ((halfExponent << 10) + shiftRoundEven(mantissa, 13));
}

/** The number a binary16 bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

export function toFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
  return out;
}

export function fromFloat16Array(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16Value(bits[i]);
  return out;
}
