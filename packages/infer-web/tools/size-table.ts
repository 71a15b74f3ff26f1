/**
 * The README's table of browser-build sizes, rendered from a BundleReport and written between
 * markers by `nx run infer-web:bundle`, so that no figure in it is copied by hand.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ORT_WEB_BUILDS, type OrtWebBuild } from '../src/web/ort-web-builds.js';
import { BUNDLER_FILE, ortFile, sizeOf, STANDALONE_FILE, type BundleReport, type FileSize } from './bundle.js';

export const SIZE_TABLE_BEGIN = '<!-- browser-build sizes: written by `nx run infer-web:bundle`, do not edit -->';
export const SIZE_TABLE_END = '<!-- end of browser-build sizes -->';

/** The default (JSEP) build, which infer-web does not load, for the comparison row. */
export interface JsepFigures {
  js: FileSize;
  wasm: FileSize;
}

/** Sizes of what `import 'onnxruntime-web'` loads in a browser: ort.bundle.min.mjs and the JSEP wasm. */
export async function measureJsepBuild(): Promise<JsepFigures> {
  const size = async (file: string): Promise<FileSize> => sizeOf(file, await readFile(ortFile(file)));
  return { js: await size('ort.bundle.min.mjs'), wasm: await size('ort-wasm-simd-threaded.jsep.wasm') };
}

export class SizeTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SizeTableError';
  }
}

/** Decimal units, as onnxruntime-web's own figures (14.2 MB = 14,239,897 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} KB`;
  return `${bytes} B`;
}

const BUILD_NAMES: Readonly<Record<OrtWebBuild, string>> = {
  wasm: 'the wasm build (`backend: "wasm"`, and `auto` without a WebGPU adapter)',
  jspi: 'the native-WebGPU build for browsers with JSPI',
  asyncify: 'the native-WebGPU build for browsers without JSPI',
};

export function renderSizeTable(report: BundleReport, jsep?: JsepFigures): string {
  const find = (file: string): FileSize => {
    const found = [report.ours, report.standalone, ...report.ortFiles].find((f) => f.file === file);
    if (found === undefined) throw new SizeTableError(`the bundle report has no ${file}`);
    if (found.gzipBytes === 0) throw new SizeTableError(`the bundle report has no gzip size for ${file}: run the bundle command without --no-measure-ort`);
    return found;
  };
  const row = (file: string, what: string): string => {
    const f = find(file);
    return `| \`${file}\` | ${what} | ${formatBytes(f.bytes)} | ${formatBytes(f.gzipBytes)} |`;
  };
  const lines = [
    '| file | what | raw | gzip |',
    '|---|---|---:|---:|',
    row(STANDALONE_FILE, 'for a plain `<script type="module">`: the API and the element; loads one of the builds below on first use'),
    row(BUNDLER_FILE, 'the same, with `onnxruntime-web/*` left as imports for your bundler: **our code alone**'),
  ];
  for (const [build, files] of Object.entries(ORT_WEB_BUILDS) as [OrtWebBuild, (typeof ORT_WEB_BUILDS)[OrtWebBuild]][]) {
    lines.push(row(files.bundled, `onnxruntime-web's JavaScript of ${BUILD_NAMES[build]} (\`${files.specifier}\`)`));
    lines.push(row(files.wasm, 'its WebAssembly runtime'));
    lines.push(row(files.loader, 'its loader, fetched only when `wasmPaths` is a URL prefix'));
  }
  const visit = (build: OrtWebBuild): string => {
    const files = [STANDALONE_FILE, ORT_WEB_BUILDS[build].bundled, ORT_WEB_BUILDS[build].wasm].map(find);
    const sum = (key: 'bytes' | 'gzipBytes'): number => files.reduce((s, f) => s + f[key], 0);
    return `| ${build} | ${files.map((f) => `\`${f.file}\``).join(' + ')} | ${formatBytes(sum('bytes'))} | **${formatBytes(sum('gzipBytes'))}** |`;
  };
  lines.push('', 'What the script-tag build downloads before it can run a model (the model not included):', '');
  lines.push('| backend | files | raw | gzip |', '|---|---|---:|---:|', visit('wasm'), visit('jspi'), visit('asyncify'));
  if (jsep !== undefined) {
    const raw = formatBytes(jsep.js.bytes + jsep.wasm.bytes);
    const gzip = formatBytes(jsep.js.gzipBytes + jsep.wasm.gzipBytes);
    lines.push(`| before: onnxruntime-web's default (JSEP) build, for comparison | \`${jsep.js.file}\` + \`${jsep.wasm.file}\` | ${raw} | ${gzip} |`);
  }
  return lines.join('\n');
}

/** The size table's file rows as the README has them: file → [raw, gzip] as written ("14.2 MB"). */
export function readSizeTable(readme: string): Map<string, [string, string]> {
  const begin = readme.indexOf(SIZE_TABLE_BEGIN);
  const end = readme.indexOf(SIZE_TABLE_END);
  const rows = new Map<string, [string, string]>();
  if (begin === -1 || end < begin) return rows;
  for (const line of readme.slice(begin, end).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const file = /^`([^`]+)`$/.exec(cells[1] ?? '');
    if (file !== null && cells.length >= 6) rows.set(file[1], [cells[3], cells[4]]);
  }
  return rows;
}

/** `readme` with the text between the markers replaced by `table`. */
export function withSizeTable(readme: string, table: string): string {
  const begin = readme.indexOf(SIZE_TABLE_BEGIN);
  const end = readme.indexOf(SIZE_TABLE_END);
  if (begin === -1 || end === -1 || end < begin) {
    throw new SizeTableError(`the README has no size table markers: put ${SIZE_TABLE_BEGIN} and ${SIZE_TABLE_END} on lines of their own where the table goes`);
  }
  return `${readme.slice(0, begin + SIZE_TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

export async function writeSizeTable(readmeFile: string, table: string): Promise<void> {
  const updated = withSizeTable(await readFile(readmeFile, 'utf8'), table);
  const temp = join(dirname(readmeFile), `.${basename(readmeFile)}.${process.pid}.tmp`);
  await writeFile(temp, updated);
  await rename(temp, readmeFile);
}
