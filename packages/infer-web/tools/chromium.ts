/** How the browser tests launch Debian's Chromium (never a downloaded browser) through playwright-core. */
import { stat } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
/**
 * WebGPU on the CPU through SwiftShader: for correctness, never speed. Pages must come from
 * 127.0.0.1 (a secure context). Without these flags this Chromium has navigator.gpu but no adapter.
 */
export const WEBGPU_ARGS: readonly string[] = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const found = await stat(CHROMIUM).then(() => true, () => false);
  if (!found) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium; bash .ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
