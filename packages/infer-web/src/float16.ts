/**
 * float32 ↔ IEEE 754 binary16 conversion for float16 models' state and outputs. onnxruntime's JS
 * API takes and gives float16 tensors as raw bits (Uint16Array) where the platform has no
 * Float16Array, and Node 20 has none, so the adapter converts at the session boundary itself.
 * Rounding is to nearest, ties to even; subnormals, ±0, ±Infinity and NaN payloads are kept.
 */

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** binary16 bits of the float32 whose bit pattern is `bits`. */
function halfFromFloatBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Keep the NaN payload's top bits; a NaN whose payload would vanish stays a (quiet) NaN.
    if (mantissa === 0) return sign | 0x7c00;
    return sign | 0x7c00 | (mantissa >>> 13 || 0x200);
  }
  const e = exponent - 127 + 15;
  if (e <= 0) {
    // Subnormal (or zero) in binary16: the implicit 1 becomes explicit and more bits are dropped.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half; // a carry into bit 10 is the smallest normal, as it should be
  }
  if (e >= 0x1f) return sign | 0x7c00;
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return half >= 0x7c00 ? sign | 0x7c00 : sign | half; // a carry out of 65504 overflows to Infinity
}

/** float32 bits of the binary16 `half` (exact: every binary16 value is a float32 value). */
function floatBitsFromHalf(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  scratch[0] = mantissa * 2 ** -24;
  return (sign | scratchBits[0]) >>> 0;
}

/** Writes the binary16 bits of each of `source` into `target` (same length). */
export function float32ToFloat16Bits(source: Float32Array, target: Uint16Array): Uint16Array {
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < bits.length; i++) target[i] = halfFromFloatBits(bits[i]);
  return target;
}

/** Writes the float32 value of each binary16 bit pattern of `source` into `target` (same length). */
export function float16BitsToFloat32(source: Uint16Array, target: Float32Array): Float32Array {
  const bits = new Uint32Array(target.buffer, target.byteOffset, target.length);
  for (let i = 0; i < source.length; i++) bits[i] = floatBitsFromHalf(source[i]);
  return target;
}
