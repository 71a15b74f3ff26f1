/**
 * float32 ↔ IEEE 754 binary16, written out because Node 20 has neither Math.f16round nor
 * Float16Array, and onnxruntime's JS API takes and gives float16 tensors as raw bits
 * (Uint16Array) where the platform has none.
 *
 * Rounding is to nearest, ties to even (IEEE 754's default, and what ONNX asks of casts); values
 * beyond the largest half round to ±Infinity; subnormals and ±0 are kept. A NaN stays a NaN and
 * comes out quiet, with the sign and the leading payload bits kept: IEEE 754 §6.2.3, and what
 * x86 F16C (VCVTPS2PH/VCVTPH2PS) and Arm's FCVT do.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits of the float32 whose bit pattern is `bits`. */
function halfFromFloatBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m · 2^-24, so the float's 24-bit significand shifts right by 14 − e.
    const shift = 14 - e;
    if (shift > 24) return sign; // below half the smallest subnormal
    // A carry into bit 10 is the smallest normal, as it should be.
    return sign | shiftRoundEven(mantissa | 0x800000, shift);
  }
  // A mantissa that rounds up to 0x400 carries into the exponent, which is the right result
  // (and 0x7c00, infinity, when it carries out of the largest finite exponent).
  return sign | ((e << 10) + shiftRoundEven(mantissa, 13));
}

/** `significand >>> shift`, rounded to nearest with ties to even. */
function shiftRoundEven(significand: number, shift: number): number {
  const kept = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** float32 bits of the binary16 `half` (exact: every binary16 number is a float32 number). */
function floatBitsFromHalf(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | (mantissa === 0 ? 0x7f800000 : 0x7fc00000 | (mantissa << 13))) >>> 0;
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  f32[0] = mantissa * 2 ** -24; // exact
  return (sign | u32[0]) >>> 0;
}

/**
 * The binary16 bits nearest to `value`. A double that float32 cannot hold exactly is first
 * rounded to float32 *to odd* (the last bit set when inexact), which makes the second rounding
 * to binary16 correct, since float32 keeps more than two extra bits (Boldo & Melquiond, "When
 * double rounding is odd", 2005); plain float32 rounding first would round some doubles just
 * above a tie down to the tie, and then to even.
 */
export function float16Bits(value: number): number {
  f32[0] = value;
  let bits = u32[0];
  const rounded = f32[0];
  if (rounded !== value && value === value && (bits & 1) === 0) bits += Math.abs(rounded) > Math.abs(value) ? -1 : 1;
  return halfFromFloatBits(bits);
}

/** The number the binary16 bit pattern `bits` stands for. */
export function float16Value(bits: number): number {
  u32[0] = floatBitsFromHalf(bits & 0xffff);
  return f32[0];
}

/** Writes the binary16 bits of each of `source` into `target` (same length); no allocation. */
export function float32ToFloat16Bits(source: Float32Array, target: Uint16Array): Uint16Array {
  // The float32 bits are read as integers, so NaN payloads are never canonicalised by the engine.
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < bits.length; i++) target[i] = halfFromFloatBits(bits[i]);
  return target;
}

/** Writes the float32 value of each binary16 bit pattern of `source` into `target` (same length); no allocation. */
export function float16BitsToFloat32(source: Uint16Array, target: Float32Array): Float32Array {
  const bits = new Uint32Array(target.buffer, target.byteOffset, target.length);
  for (let i = 0; i < source.length; i++) bits[i] = floatBitsFromHalf(source[i]);
  return target;
}

/** binary16 bits of every value, in a new array. */
export function toFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  if (values instanceof Float32Array) return float32ToFloat16Bits(values, out);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
  return out;
}

/** The float32 values of binary16 bit patterns, in a new array. */
export function fromFloat16Array(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  if (bits instanceof Uint16Array) return float16BitsToFloat32(bits, out);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = floatBitsFromHalf(bits[i] & 0xffff);
  return out;
}
