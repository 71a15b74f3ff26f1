/**
 * The files a web page needs besides its own code, copied into a site folder: onnxruntime-web's
 * builds and runtimes (ort-web-builds.ts; each build fetches its .wasm at run time from beside
 * itself, or from `wasmPaths`) and, for a plain `<script type="module">`, infer-web's script-tag
 * build, which imports those builds from beside itself. onnxruntime-web's files are not published
 * in this package: an install already holds them in onnxruntime-web (58 MB of wasm that every
 * install would otherwise carry twice).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { CharRnnError } from '@charrnn/contract';
import { ORT_SITE_FILES, ORT_WEB_BUILDS } from '../web/ort-web-builds.js';

/**
 * onnxruntime-web's runtimes and their loaders: what a page whose bundler holds infer-web (and so
 * onnxruntime-web's JavaScript) serves at `wasmPaths`.
 */
export const WEB_RUNTIME_FILES: readonly string[] = ORT_SITE_FILES;
/** onnxruntime-web's JavaScript builds, which the script-tag build imports from beside itself. */
export const ORT_BUNDLED_FILES: readonly string[] = Object.values(ORT_WEB_BUILDS).map((b) => b.bundled);
/** infer-web's script-tag build (the API and the element) and its source map. */
export const STANDALONE_FILES: readonly string[] = ['infer-web.js', 'infer-web.js.map'];

/** The onnxruntime-web version whose file names ORT_WEB_BUILDS lists. */
const ORT_WEB_VERSION_RANGE = '1.30';

export class WebFilesError extends CharRnnError {}

export interface CopyWebFilesOptions {
  /** Only onnxruntime-web's runtimes and loaders (for pages whose bundler holds infer-web). Default false. */
  runtimeOnly?: boolean;
  /** Folder holding infer-web's browser builds; default this package's dist/browser/. */
  browserDir?: string;
  /** Also write each file's `.br` and `.gz` beside it (source maps excepted), for servers that send precompressed files. */
  compress?: boolean;
}

export interface CopiedFile {
  /** The file written in the site folder. */
  file: string;
  /** Where it was copied from. */
  from: string;
  bytes: number;
  /** The precompressed siblings written with `compress`. */
  compressed?: CompressedFile[];
}

export type Encoding = 'br' | 'gzip';

export interface CompressedFile {
  file: string;
  encoding: Encoding;
  bytes: number;
}

const EXTENSION: Readonly<Record<Encoding, string>> = { br: '.br', gzip: '.gz' };
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export interface CompressOptions {
  /**
   * Keep compressed bytes in this folder too, under the file's SHA-256 (and the brotli quality),
   * for builds that remake the site folder: hashing takes milliseconds, brotli seconds.
   */
  cacheDir?: string;
  /**
   * Brotli's quality, 0-11; default 11, for files compressed once and downloaded many times.
   * onnxruntime-web's 14.2 MB wasm runtime: 11 gives 2.36 MB for 41 CPU-seconds, 9 (with a 16 MB
   * window) 2.67 MB for 5 s, gzip 9 3.69 MB (measured under load; the ratios hold).
   */
  brotliQuality?: number;
}

/**
 * Writes `file.br` and `file.gz` beside `file`, as servers that send precompressed files expect
 * (nginx's brotli_static/gzip_static, sirv's brotli/gzip), gzip at level 9. A sibling newer than
 * its file is kept, so a second run costs nothing; each is written to a temp file and renamed
 * (never half a file).
 */
export async function writeCompressed(file: string, encodings: readonly Encoding[] = ['br', 'gzip'], options: CompressOptions = {}): Promise<CompressedFile[]> {
  const quality = options.brotliQuality ?? 11;
  if (!Number.isInteger(quality) || quality < 0 || quality > 11) throw new WebFilesError(`brotliQuality ${quality} is not brotli's: use an integer from 0 to 11`);
  const { cacheDir } = options;
  const source = await stat(file);
  const out: CompressedFile[] = [];
  let bytes: Buffer | undefined;
  for (const encoding of encodings) {
    const target = file + EXTENSION[encoding];
    const existing = await stat(target).catch(() => undefined);
    if (existing !== undefined && existing.mtimeMs >= source.mtimeMs) {
      out.push({ file: target, encoding, bytes: existing.size });
      continue;
    }
    bytes ??= await readFile(file);
    const key = createHash('sha256').update(bytes).digest('hex') + (encoding === 'br' ? `.q${quality}.br` : EXTENSION[encoding]);
    const cached = cacheDir === undefined ? undefined : join(cacheDir, key);
    let packed = cached === undefined ? undefined : await readFile(cached).catch(() => undefined);
    if (packed === undefined) {
      packed = encoding === 'br' ? await brotli(bytes, { params: brotliParams(quality, bytes.byteLength) }) : await gzipAsync(bytes, { level: 9 });
      if (cacheDir !== undefined && cached !== undefined) {
        await mkdir(cacheDir, { recursive: true });
        await writeFile(`${cached}.${process.pid}.tmp`, packed);
        await rename(`${cached}.${process.pid}.tmp`, cached);
      }
    }
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    await writeFile(temp, packed);
    await rename(temp, target);
    out.push({ file: target, encoding, bytes: packed.byteLength });
  }
  return out;
}

/** Below 10, brotli's window is its default 4 MB unless raised: 16 MB lets it see a whole wasm runtime. */
function brotliParams(quality: number, size: number): Record<number, number> {
  const params: Record<number, number> = { [zlibConstants.BROTLI_PARAM_QUALITY]: quality, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: size };
  if (quality < 10) params[zlibConstants.BROTLI_PARAM_LGWIN] = 24;
  return params;
}

const requireHere = createRequire(import.meta.url);

/** onnxruntime-web's dist/ folder, where all of its builds and runtimes sit. */
function onnxruntimeWebDir(): string {
  try {
    return dirname(requireHere.resolve(`onnxruntime-web/${ORT_WEB_BUILDS.wasm.wasm}`));
  } catch (error) {
    throw new WebFilesError(
      `onnxruntime-web was not found from ${fileURLToPath(import.meta.url)} (${(error as Error).message.split('\n')[0]}); it is a dependency of @charrnn/infer-web: reinstall it`,
    );
  }
}

/** Temp file in the same folder + rename: a page loaded meanwhile never sees half a wasm. */
async function copyAtomic(from: string, to: string): Promise<number> {
  const temp = join(dirname(to), `.${basename(to)}.${process.pid}.tmp`);
  await copyFile(from, temp);
  await rename(temp, to);
  return (await stat(to)).size;
}

const isFile = (file: string): Promise<boolean> => stat(file).then((s) => s.isFile(), () => false);

/**
 * Copies into `siteDir` (created if needed) what a page loads: by default the script-tag build
 * with every onnxruntime-web build it can import and their runtimes; with `runtimeOnly`, the
 * runtimes alone. Every source is checked before anything is copied. Lists what it wrote.
 */
export async function copyWebFiles(siteDir: string, options: CopyWebFilesOptions = {}): Promise<CopiedFile[]> {
  const ortDir = onnxruntimeWebDir();
  const ortNames = options.runtimeOnly ? WEB_RUNTIME_FILES : [...ORT_BUNDLED_FILES, ...WEB_RUNTIME_FILES];
  const sources = ortNames.map((name) => ({ name, from: join(ortDir, name) }));
  if (!options.runtimeOnly) {
    const browserDir = options.browserDir ?? fileURLToPath(new URL('../browser/', import.meta.url));
    sources.unshift(...STANDALONE_FILES.map((name) => ({ name, from: join(browserDir, name) })));
  }
  for (const { from } of sources) {
    if (!(await isFile(from))) {
      throw new WebFilesError(
        from.startsWith(ortDir)
          ? `${from} does not exist: expected onnxruntime-web ${ORT_WEB_VERSION_RANGE}, whose dist/ holds it`
          : `${from} does not exist: the browser build is made by \`nx run infer-web:bundle\` in the charrnn workspace (the published package holds it)`,
      );
    }
  }
  await mkdir(siteDir, { recursive: true });
  const copied: CopiedFile[] = [];
  for (const { name, from } of sources) {
    const file = join(siteDir, name);
    const entry: CopiedFile = { file, from, bytes: await copyAtomic(from, file) };
    if (options.compress && !name.endsWith('.map')) entry.compressed = await writeCompressed(file);
    copied.push(entry);
  }
  return copied;
}
