/**
 * The training page as a static site (dist/site/), made with esbuild's JS API:
 *   index.html, main.js        the page and its script (the <char-rnn-generator> element included)
 *   worker.js                  the training worker (module worker)
 *   chunk-*.js                 code both share, and each onnxruntime-web build as its own chunk,
 *                              loaded only when a run (or the element) asks for that provider
 *   ort-wasm-simd-threaded.wasm            onnxruntime-web/wasm's runtime (wasm runs, the element on wasm)
 *   ort-wasm-simd-threaded.asyncify.wasm   onnxruntime-web/webgpu's runtime (WebGPU runs; the element on WebGPU without JSPI)
 *   ort-wasm-simd-threaded.jspi.wasm       onnxruntime-web/jspi's runtime (the element on WebGPU where the browser has JSPI)
 *   nietzsche.txt              the embedded corpus (@charrnn/data's file)
 * Workspace packages are bundled from their sources. infer-web imports its onnxruntime-web builds
 * itself (wasm, jspi, webgpu); a bare `onnxruntime-web` import, should one appear, resolves to
 * `onnxruntime-web/wasm`, so the page never loads the default JSEP build.
 */
import { build, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { WORKSPACE_ROOT, workspaceSources } from '../../../tools/esbuild-workspace-sources.mjs';
import { ORT_WEB_BUILDS } from '../../infer-web/src/web/ort-web-builds.js';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SITE_DIR = join(PACKAGE_ROOT, 'dist', 'site');
/** The runtimes of every build the trainer (wasm, asyncify) and infer-web's element (wasm, jspi, asyncify) load. */
export const ORT_WASM_FILES: readonly string[] = Object.values(ORT_WEB_BUILDS).map((b) => b.wasm);
const CORPUS_FILE = join(WORKSPACE_ROOT, 'packages', 'data', 'corpus', 'nietzsche.txt');

const requireHere = createRequire(import.meta.url);

/** `import 'onnxruntime-web'` → onnxruntime-web/wasm (exact match only: subpath imports stay as written). */
const ortWasmForBareImport: Plugin = {
  name: 'onnxruntime-web-bare-to-wasm',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web$/ }, (args) => b.resolve('onnxruntime-web/wasm', { kind: args.kind, resolveDir: args.resolveDir }));
  },
};

export interface SiteFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface SiteReport {
  siteDir: string;
  files: SiteFile[];
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, bytes);
  await rename(temp, file);
}

/** Builds the site into `siteDir` (emptied first) and lists its files with raw and gzip sizes. */
export async function buildSite(siteDir = DEFAULT_SITE_DIR, options: { minify?: boolean } = {}): Promise<SiteReport> {
  await rm(siteDir, { recursive: true, force: true });
  await mkdir(siteDir, { recursive: true });
  const result = await build({
    entryPoints: { main: join(PACKAGE_ROOT, 'src', 'page', 'main.ts'), worker: join(PACKAGE_ROOT, 'src', 'worker.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    // Error classes are named by their constructor (DataError: this.name = new.target.name): keep them.
    keepNames: true,
    sourcemap: 'linked',
    write: false,
    outdir: siteDir,
    absWorkingDir: WORKSPACE_ROOT,
    nodePaths: [join(WORKSPACE_ROOT, 'node_modules')],
    logLevel: 'warning',
    plugins: [workspaceSources(), ortWasmForBareImport],
  });
  for (const out of result.outputFiles) await writeAtomic(out.path, out.contents);
  await copyFile(join(PACKAGE_ROOT, 'page', 'index.html'), join(siteDir, 'index.html'));
  await copyFile(CORPUS_FILE, join(siteDir, 'nietzsche.txt'));
  for (const name of ORT_WASM_FILES) await copyFile(requireHere.resolve(`onnxruntime-web/${name}`), join(siteDir, name));
  const names = [...result.outputFiles.map((f) => basename(f.path)), 'index.html', 'nietzsche.txt', ...ORT_WASM_FILES].filter((n) => !n.endsWith('.map'));
  const files = await Promise.all(
    names.sort().map(async (file) => {
      const bytes = await readFile(join(siteDir, file));
      return { file, bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 6 }).byteLength };
    }),
  );
  return { siteDir, files };
}
