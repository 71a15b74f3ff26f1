/**
 * The browser builds, made with esbuild's JS API:
 *   infer-web.js          self-contained ESM: our code + onnxruntime-web's JS, for a plain
 *                         `<script type="module">`; finds the .wasm beside itself (import.meta.url)
 *   infer-web.bundler.js  the same entry with `onnxruntime-web` left as an import, for bundlers
 *                         (one copy of onnxruntime-web in the app); its size is our code's size
 *   ort-wasm-simd-threaded.jsep.{wasm,mjs}  onnxruntime-web's runtime, copied beside them
 * and, apart from them (not published: outside dist/), dist-examples/import.js: the README's import
 * example as a site's bundler would output it, for the demo server and the tests.
 */
import { build, type BuildOptions, type Metafile, type OutputFile } from 'esbuild';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = join(PACKAGE_ROOT, 'dist', 'browser');
export const DEFAULT_EXAMPLES_OUT_DIR = join(PACKAGE_ROOT, 'dist-examples');
export const STANDALONE_FILE = 'infer-web.js';
export const BUNDLER_FILE = 'infer-web.bundler.js';
/** The default `onnxruntime-web` import (WebGPU + wasm) loads the JSEP build of the runtime. */
export const ORT_RUNTIME_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];

export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleReport {
  outDir: string;
  /** Our code alone, minified (the bundler build, onnxruntime-web external). */
  ours: FileSize;
  /** The self-contained file, and how many of its bytes are onnxruntime-web's. */
  standalone: FileSize & { ortBytes: number; ourBytes: number };
  /** onnxruntime-web's files as shipped beside the bundles (gzip sizes only with measureOrt). */
  ortFiles: FileSize[];
}

/**
 * Bundles examples/import.js the way a site's bundler would: `@charrnn/infer-web` is the bundler
 * build above, `onnxruntime-web` comes from node_modules (its browser/import export).
 */
export async function buildImportExample(outDir: string, examplesOutDir: string): Promise<string> {
  const bundlerBuild = join(outDir, BUNDLER_FILE);
  const outfile = join(examplesOutDir, 'import.js');
  await mkdir(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [join(PACKAGE_ROOT, 'examples', 'import.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outfile,
    absWorkingDir: PACKAGE_ROOT,
    logLevel: 'warning',
    // The bundler build may sit outside the workspace (tests build into a temp dir).
    nodePaths: [join(PACKAGE_ROOT, 'node_modules'), join(PACKAGE_ROOT, '..', '..', 'node_modules')],
    plugins: [
      {
        name: 'infer-web-bundler-build',
        setup(b) {
          b.onResolve({ filter: /^@charrnn\/infer-web$/ }, () => ({ path: bundlerBuild }));
        },
      },
    ],
  });
  for (const file of result.outputFiles ?? []) await writeAtomic(file.path, file.contents);
  return outfile;
}

export interface BundleOptions {
  outDir?: string;
  /** Where the bundled README import example goes (default dist-examples). */
  examplesOutDir?: string;
  /** gzip the 28 MB wasm too (a few seconds): the CLI does, tests need not. */
  measureOrt?: boolean;
}

const requireHere = createRequire(import.meta.url);

function ortFile(name: string): string {
  return requireHere.resolve(`onnxruntime-web/${name}`);
}

function sizeOf(file: string, bytes: Uint8Array, gzip = true): FileSize {
  return { file, bytes: bytes.byteLength, gzipBytes: gzip ? gzipSync(bytes, { level: 9 }).byteLength : 0 };
}

/** Temp file in the same directory + rename: a reader never sees half a bundle. */
async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, bytes);
  await rename(temp, file);
}

async function copyAtomic(from: string, to: string): Promise<void> {
  const temp = join(dirname(to), `.${basename(to)}.${process.pid}.tmp`);
  await copyFile(from, temp);
  await rename(temp, to);
}

function bytesFrom(metafile: Metafile, output: string, belongs: (input: string) => boolean): number {
  const inputs = metafile.outputs[output]?.inputs ?? {};
  return Object.entries(inputs).reduce((sum, [input, { bytesInOutput }]) => sum + (belongs(input) ? bytesInOutput : 0), 0);
}

export async function buildBrowserBundles(options: BundleOptions = {}): Promise<BundleReport> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  await mkdir(outDir, { recursive: true });
  const common: BuildOptions & { write: false; metafile: true } = {
    entryPoints: [join(PACKAGE_ROOT, 'src', 'standalone.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'eof',
    metafile: true,
    write: false,
    absWorkingDir: PACKAGE_ROOT,
    logLevel: 'warning',
  };
  const [standalone, bundler] = await Promise.all([
    build({ ...common, outfile: join(outDir, STANDALONE_FILE) }),
    build({ ...common, outfile: join(outDir, BUNDLER_FILE), external: ['onnxruntime-web'] }),
  ]);
  const outputs = (result: { outputFiles?: OutputFile[] }): OutputFile[] => result.outputFiles ?? [];
  for (const file of [...outputs(standalone), ...outputs(bundler)]) await writeAtomic(file.path, file.contents);
  for (const name of ORT_RUNTIME_FILES) await copyAtomic(ortFile(name), join(outDir, name));
  await buildImportExample(outDir, options.examplesOutDir ?? DEFAULT_EXAMPLES_OUT_DIR);

  const contents = (result: { outputFiles?: OutputFile[] }, name: string): Uint8Array =>
    outputs(result).find((f) => basename(f.path) === name)!.contents;
  const standaloneKey = relative(PACKAGE_ROOT, join(outDir, STANDALONE_FILE)).split('\\').join('/');
  const isOrt = (input: string): boolean => input.includes('node_modules/onnxruntime-web/');
  const ortBytes = bytesFrom(standalone.metafile, standaloneKey, isOrt);
  const ourBytes = bytesFrom(standalone.metafile, standaloneKey, (input) => !isOrt(input));
  const ortFiles: FileSize[] = [];
  const measureOrt = options.measureOrt ?? false;
  // The file a browser bundler picks for `import 'onnxruntime-web'` (exports: import → default).
  const ortJs = join(dirname(ortFile(ORT_RUNTIME_FILES[0])), 'ort.bundle.min.mjs');
  ortFiles.push(sizeOf('ort.bundle.min.mjs', await readFile(ortJs), measureOrt));
  for (const name of ORT_RUNTIME_FILES) ortFiles.push(sizeOf(name, await readFile(ortFile(name)), measureOrt));
  return {
    outDir,
    ours: sizeOf(BUNDLER_FILE, contents(bundler, BUNDLER_FILE)),
    standalone: { ...sizeOf(STANDALONE_FILE, contents(standalone, STANDALONE_FILE)), ortBytes, ourBytes },
    ortFiles,
  };
}
