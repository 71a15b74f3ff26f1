/** What the demo serves: the page and its model, the browser builds, the README's examples. */
import { join } from 'node:path';
import { DEFAULT_OUT_DIR, PACKAGE_ROOT } from './bundle.js';
import { startStaticServer, type StaticServer } from './static-server.js';

export const DEMO_DIR = join(PACKAGE_ROOT, 'demo');
export const EXAMPLES_DIR = join(PACKAGE_ROOT, 'examples');
/** The model the demo and the examples load (trained by train:fit, see demo/REGENERATE.md). */
export const DEMO_MODEL_FILE = 'nietzsche-gru.onnx';

/** URL layout shared by the demo and the browser tests: / demo, /lib/ builds, /examples/. */
export function demoMounts(browserDir: string = DEFAULT_OUT_DIR): Record<string, string> {
  return { '/': DEMO_DIR, '/lib/': browserDir, '/examples/': EXAMPLES_DIR };
}

export function startDemoServer(options: { browserDir?: string; port?: number; host?: string } = {}): Promise<StaticServer> {
  return startStaticServer({ mounts: demoMounts(options.browserDir), port: options.port, host: options.host });
}
