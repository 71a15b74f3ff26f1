/** How the browser tests launch Debian's Chromium (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // WebGPU on the CPU (SwiftShader): for correctness, never speed; pages must come from 127.0.0.1 (a secure context).
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
];
