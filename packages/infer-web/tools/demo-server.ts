/** What the demo serves: the page and its model, the browser builds, the README's examples. */
import { join } from 'node:path';
import { DEFAULT_EXAMPLES_OUT_DIR, DEFAULT_OUT_DIR, PACKAGE_ROOT } from './bundle.js';
import { startStaticServer, type StaticServer } from './static-server.js';

export const DEMO_DIR = join(PACKAGE_ROOT, 'demo');
export const EXAMPLES_DIR = join(PACKAGE_ROOT, 'examples');
/** The training page's site (`nx run train-web:bundle`), linked from the demo as train/. */
export const TRAIN_SITE_DIR = join(PACKAGE_ROOT, '..', 'train-web', 'dist', 'site');
/** The model the demo and the examples load (trained by train:fit, see demo/REGENERATE.md). */
export const DEMO_MODEL_FILE = 'nietzsche-gru.onnx';

/**
 * URL layout shared by the demo and the browser tests: / the demo for visitors, /api.html the
 * element and the library side by side for developers, /lib/ browser builds, /examples/ the
 * README's examples, /examples/bundled/ the import example as a bundler outputs it, /train/ the
 * training page.
 */
export function demoMounts(browserDir = DEFAULT_OUT_DIR, examplesOutDir = DEFAULT_EXAMPLES_OUT_DIR, trainSiteDir = TRAIN_SITE_DIR): Record<string, string> {
  return { '/': DEMO_DIR, '/lib/': browserDir, '/examples/': EXAMPLES_DIR, '/examples/bundled/': examplesOutDir, '/train/': trainSiteDir };
}

export interface DemoServerOptions {
  browserDir?: string;
  examplesOutDir?: string;
  trainSiteDir?: string;
  port?: number;
  host?: string;
}

export function startDemoServer(options: DemoServerOptions = {}): Promise<StaticServer> {
  // A file's .br or .gz sibling, where there is one, goes to browsers that accept it (writeCompressed makes them).
  return startStaticServer({
    mounts: demoMounts(options.browserDir, options.examplesOutDir, options.trainSiteDir),
    port: options.port,
    host: options.host,
    brotli: true,
    gzip: true,
  });
}
