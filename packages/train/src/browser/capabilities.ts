/**
 * What a browser must have to train here. onnxruntime-web 1.30 ships only SIMD builds of its
 * wasm, so a browser without WebAssembly SIMD fails deep inside session creation with a compile
 * error; checking first gives a message that says what is missing.
 */

/** The smallest module using a SIMD instruction: one function returning v128.const 0. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () → v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b, // code: v128.const 0, end
]);

export class BrowserUnsupportedError extends Error {
  override name = 'BrowserUnsupportedError';
}

// Uint8Array, not the DOM's BufferSource: these declarations are re-exported by the Node entry too.
type Wasm = { validate(bytes: Uint8Array<ArrayBuffer>): boolean } | null;
const globalWasm = (): Wasm => (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly ?? null;

/** Whether WebAssembly with SIMD (the 128-bit proposal, in every current browser) is available; `wasm` null = none. */
export function hasWasmSimd(wasm: Wasm = globalWasm()): boolean {
  return wasm !== null && wasm.validate(SIMD_PROBE);
}

/** Throws BrowserUnsupportedError naming what is missing (WebAssembly, or its SIMD instructions). */
export function requireWasmSimd(wasm: Wasm = globalWasm()): void {
  if (wasm === null) throw new BrowserUnsupportedError('this browser has no WebAssembly; training needs WebAssembly with SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+)');
  if (!hasWasmSimd(wasm)) {
    throw new BrowserUnsupportedError('this browser\'s WebAssembly has no SIMD instructions, which onnxruntime-web needs; use Chrome/Edge 91+, Firefox 89+ or Safari 16.4+ (or enable WebAssembly SIMD)');
  }
}
