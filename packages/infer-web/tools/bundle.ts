/**
 * The browser builds, made with esbuild's JS API, in one site folder (dist/browser/):
 *   infer-web.js          ESM for a plain `<script type="module">`: the API and the element. It
 *                         imports onnxruntime-web's build for a backend on first use, from the
 *                         files beside it (import.meta.url)
 *   infer-web.bundler.js  the same entry with `onnxruntime-web/*` left as imports, for bundlers
 *                         (one copy of onnxruntime-web in the app); its size is our code's size
 *   ort.{wasm,jspi,webgpu}.bundle.min.mjs  onnxruntime-web's builds (src/web/ort-web-builds.ts), as published
 *   ort-wasm-simd-threaded{,.jspi,.asyncify}.{wasm,mjs}  their runtimes and loaders
 * Only the builds infer-web can load are there: never the default JSEP one. The package publishes
 * our two files and their maps; onnxruntime-web's stay out of it (package.json `files`), since every
 * install holds them in onnxruntime-web: a site copies them with `charrnn-web-files` (src/node/web-files.ts).
 * Apart from them (not published: outside dist/), dist-examples/: the README's import example as a
 * site's bundler would output it, for the demo server and the tests.
 */
import { build, type BuildOptions, type OutputFile, type Plugin } from 'esbuild';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ORT_SITE_FILES, ORT_WEB_BUILDS } from '../src/web/ort-web-builds.js';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT_DIR = join(PACKAGE_ROOT, 'dist', 'browser');
export const DEFAULT_EXAMPLES_OUT_DIR = join(PACKAGE_ROOT, 'dist-examples');
export const STANDALONE_FILE = 'infer-web.js';
export const BUNDLER_FILE = 'infer-web.bundler.js';
/** onnxruntime-web's JavaScript builds, copied beside the script-tag build. */
export const ORT_BUNDLED_FILES: readonly string[] = Object.values(ORT_WEB_BUILDS).map((b) => b.bundled);
/** Every onnxruntime-web file in the site folder. */
export const ORT_FILES: readonly string[] = [...ORT_BUNDLED_FILES, ...ORT_SITE_FILES];

export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleReport {
  outDir: string;
  /** Our code alone, minified (the bundler build, onnxruntime-web external). */
  ours: FileSize;
  /** The script-tag build: our code and the element; onnxruntime-web stays in its own files. */
  standalone: FileSize;
  /** onnxruntime-web's files as shipped beside the bundles (gzip sizes only with measureOrt). */
  ortFiles: FileSize[];
}

/**
 * Bundles examples/import.js the way a site's bundler would: `@charrnn/infer-web` is the bundler
 * build above, `onnxruntime-web/*` come from node_modules (their browser/import exports), and each
 * build the library imports lazily becomes a chunk of its own (code splitting, as Vite, Rollup and
 * webpack do by default).
 */
export async function buildImportExample(outDir: string, examplesOutDir: string): Promise<string> {
  const bundlerBuild = join(outDir, BUNDLER_FILE);
  await mkdir(examplesOutDir, { recursive: true });
  const result = await build({
    entryPoints: [join(PACKAGE_ROOT, 'examples', 'import.js')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: examplesOutDir,
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
  return join(examplesOutDir, 'import.js');
}

export interface BundleOptions {
  outDir?: string;
  /** Where the bundled README import example goes (default dist-examples). */
  examplesOutDir?: string;
  /** gzip onnxruntime-web's 58 MB of wasm too (a few seconds): the CLI does, tests need not. */
  measureOrt?: boolean;
}

const requireHere = createRequire(import.meta.url);

/** A file of onnxruntime-web's dist/ (all of them sit in one folder). */
export function ortFile(name: string): string {
  return join(dirname(requireHere.resolve(`onnxruntime-web/${ORT_WEB_BUILDS.wasm.wasm}`)), name);
}

export function sizeOf(file: string, bytes: Uint8Array, gzip = true): FileSize {
  return { file, bytes: bytes.byteLength, gzipBytes: gzip ? gzipSync(bytes, { level: 9 }).byteLength : 0 };
}

/** Temp file in the same directory + rename: a reader never sees half a bundle. */
async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, bytes);
  await rename(temp, file);
}

async function copyAtomic(from: string, to: string): Promise<void> {
  const temp = join(dirname(to), `.${basename(to)}.${process.pid}.tmp`);
  await copyFile(from, temp);
  await rename(temp, to);
}

/** In the script-tag build, `import('onnxruntime-web/wasm')` loads the copy beside infer-web.js. */
const ortBuildsBeside: Plugin = {
  name: 'onnxruntime-web-builds-beside',
  setup(b) {
    const bySpecifier = new Map(Object.values(ORT_WEB_BUILDS).map((files) => [files.specifier, files.bundled]));
    b.onResolve({ filter: /^onnxruntime-web(\/.*)?$/ }, (args) => {
      const bundled = bySpecifier.get(args.path);
      if (bundled === undefined) return { errors: [{ text: `${args.path}: infer-web imports only ${[...bySpecifier.keys()].join(', ')}` }] };
      return { path: `./${bundled}`, external: true };
    });
  },
};

export async function buildBrowserBundles(options: BundleOptions = {}): Promise<BundleReport> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  await mkdir(outDir, { recursive: true });
  const common: BuildOptions & { write: false } = {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'eof',
    write: false,
    absWorkingDir: PACKAGE_ROOT,
    logLevel: 'warning',
  };
  const [standalone, bundler] = await Promise.all([
    // The script-tag entry also tells the library that onnxruntime-web's files sit beside it.
    build({ ...common, entryPoints: [join(PACKAGE_ROOT, 'src', 'web', 'script-tag.ts')], outfile: join(outDir, STANDALONE_FILE), plugins: [ortBuildsBeside] }),
    build({ ...common, entryPoints: [join(PACKAGE_ROOT, 'src', 'web', 'standalone.ts')], outfile: join(outDir, BUNDLER_FILE), external: ['onnxruntime-web', 'onnxruntime-web/*'] }),
  ]);
  const outputs = (result: { outputFiles?: OutputFile[] }): OutputFile[] => result.outputFiles ?? [];
  for (const file of [...outputs(standalone), ...outputs(bundler)]) await writeAtomic(file.path, file.contents);
  for (const name of ORT_FILES) await copyAtomic(ortFile(name), join(outDir, name));
  await buildImportExample(outDir, options.examplesOutDir ?? DEFAULT_EXAMPLES_OUT_DIR);

  const contents = (result: { outputFiles?: OutputFile[] }, name: string): Uint8Array =>
    outputs(result).find((f) => basename(f.path) === name)!.contents;
  const measureOrt = options.measureOrt ?? false;
  const ortFiles: FileSize[] = [];
  // The small JavaScript files are always gzipped; the wasm runtimes only when asked (seconds).
  for (const name of ORT_FILES) ortFiles.push(sizeOf(name, await readFile(ortFile(name)), measureOrt || !name.endsWith('.wasm')));
  return {
    outDir,
    ours: sizeOf(BUNDLER_FILE, contents(bundler, BUNDLER_FILE)),
    standalone: sizeOf(STANDALONE_FILE, contents(standalone, STANDALONE_FILE)),
    ortFiles,
  };
}
