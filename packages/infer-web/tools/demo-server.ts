/** What the demo serves: the page and its model, the browser builds, the README's examples. */
import { join } from 'node:path';
import { DEFAULT_EXAMPLES_OUT_DIR, DEFAULT_OUT_DIR, PACKAGE_ROOT } from './bundle.js';
import { startStaticServer, type StaticServer } from './static-server.js';

export const DEMO_DIR = join(PACKAGE_ROOT, 'demo');
export const EXAMPLES_DIR = join(PACKAGE_ROOT, 'examples');
/** The model the demo and the examples load (trained by train:fit, see demo/REGENERATE.md). */
export const DEMO_MODEL_FILE = 'nietzsche-gru.onnx';

/**
 * URL layout shared by the demo and the browser tests: / demo, /lib/ browser builds, /examples/
 * the README's examples, /examples/bundled/ the import example as a bundler outputs it.
 */
export function demoMounts(browserDir = DEFAULT_OUT_DIR, examplesOutDir = DEFAULT_EXAMPLES_OUT_DIR): Record<string, string> {
  return { '/': DEMO_DIR, '/lib/': browserDir, '/examples/': EXAMPLES_DIR, '/examples/bundled/': examplesOutDir };
}

export interface DemoServerOptions {
  browserDir?: string;
  examplesOutDir?: string;
  port?: number;
  host?: string;
}

export function startDemoServer(options: DemoServerOptions = {}): Promise<StaticServer> {
  return startStaticServer({ mounts: demoMounts(options.browserDir, options.examplesOutDir), port: options.port, host: options.host });
}
