import { BrowserUnsupportedError, hasWasmSimd, requireWasmSimd } from './capabilities.js';

describe('WebAssembly SIMD check', () => {
  test('Node 20 has SIMD; the probe is a real SIMD module (valid, and invalid once its SIMD opcode is broken)', () => {
    expect(hasWasmSimd()).toBe(true);
    expect(() => requireWasmSimd()).not.toThrow();
    const seen: Uint8Array[] = [];
    hasWasmSimd({ validate: (bytes) => (seen.push(Uint8Array.from(bytes as Uint8Array)), true) });
    const probe = seen[0] as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(probe)).toBe(true);
    const broken = probe.slice();
    broken[broken.indexOf(0xfd)] = 0xff;
    expect(WebAssembly.validate(broken)).toBe(false);
  });

  test('a browser without SIMD, or without WebAssembly, is told what it lacks and what works', () => {
    const noSimd = { validate: () => false };
    expect(hasWasmSimd(noSimd)).toBe(false);
    expect(() => requireWasmSimd(noSimd)).toThrow(BrowserUnsupportedError);
    expect(() => requireWasmSimd(noSimd)).toThrow(/WebAssembly has no SIMD instructions, which onnxruntime-web needs; use Chrome\/Edge 91\+/);
    expect(() => requireWasmSimd(null)).toThrow(/this browser has no WebAssembly/);
  });
});
