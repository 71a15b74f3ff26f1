/** What the demo serves: the page and its model, the browser builds, the README's examples. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCompressed } from '../src/node/web-files.js';
import { DEFAULT_EXAMPLES_OUT_DIR, DEFAULT_OUT_DIR, PACKAGE_ROOT } from './bundle.js';
import { CROSS_ORIGIN_ISOLATION, startStaticServer, type StaticServer } from './static-server.js';

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
    // onnxruntime-web probes SharedArrayBuffer as it starts, which Chromium reports as a deprecated
    // use on a page that is not cross-origin isolated (Lighthouse's best practices count it). Every
    // file here is same-origin, so isolating costs nothing.
    headers: CROSS_ORIGIN_ISOLATION,
  });
}

/**
 * Where compressSite keeps compressed bytes by content hash: beside the workspace's node_modules,
 * not in it, since `npm ci` deletes node_modules and a fresh install would compress everything again.
 */
export const COMPRESSED_CACHE_DIR = join(PACKAGE_ROOT, '..', '..', '.cache', 'infer-web-compressed');
/**
 * The demo server's brotli quality. The site folder holds 58 MB of onnxruntime-web runtimes:
 * quality 11 takes about 170 CPU-seconds over them (41 s for the 14.2 MB wasm runtime a visitor
 * fetches, to 2.36 MB), which a shared machine stretches past many minutes; quality 9 with a 16 MB
 * window takes 5 s for it, to 2.67 MB. Publishing (charrnn-web-files --compress) keeps 11.
 */
export const DEMO_BROTLI_QUALITY = 9;

export interface CompressedSite {
  files: number;
  bytes: number;
  brotliBytes: number;
}

/**
 * Writes .br and .gz beside the site folder's files (not source maps), as the demo server sends
 * them; compressed bytes are cached by content hash, so only a first run over new files pays.
 */
export async function compressSite(dir = DEFAULT_OUT_DIR, cacheDir = COMPRESSED_CACHE_DIR): Promise<CompressedSite> {
  const files = (await readdir(dir)).filter((name) => !/\.(map|br|gz|tmp)$/.test(name)).map((name) => join(dir, name));
  const site: CompressedSite = { files: files.length, bytes: 0, brotliBytes: 0 };
  // zlib's async calls run on libuv's thread pool: the files compress side by side.
  await Promise.all(
    files.map(async (file) => {
      site.bytes += (await stat(file)).size;
      const written = await writeCompressed(file, ['br', 'gzip'], { cacheDir, brotliQuality: DEMO_BROTLI_QUALITY });
      site.brotliBytes += written.find((c) => c.encoding === 'br')!.bytes;
    }),
  );
  return site;
}
