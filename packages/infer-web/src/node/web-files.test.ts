import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ORT_SITE_FILES, ORT_WEB_BUILDS } from '../web/ort-web-builds.js';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { copyWebFiles, ORT_BUNDLED_FILES, STANDALONE_FILES, WEB_RUNTIME_FILES, WebFilesError, writeCompressed } from './web-files.js';

const ortDir = dirname(createRequire(import.meta.url).resolve(`onnxruntime-web/${ORT_WEB_BUILDS.wasm.wasm}`));

describe('copyWebFiles', () => {
  let dir: string;
  let browserDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'web-files-'));
    browserDir = join(dir, 'browser');
    await mkdir(browserDir);
    for (const name of STANDALONE_FILES) await writeFile(join(browserDir, name), `built ${name}`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("copies infer-web.js with its map and every onnxruntime-web build and runtime it loads, byte for byte, into a new site folder", async () => {
    const site = join(dir, 'site', 'lib');
    const copied = await copyWebFiles(site, { browserDir });
    const expected = [...STANDALONE_FILES, ...ORT_BUNDLED_FILES, ...WEB_RUNTIME_FILES];
    expect(expected).toHaveLength(2 + 3 + 6);
    expect(copied.map((c) => c.file)).toEqual(expected.map((name) => join(site, name)));
    expect((await readdir(site)).sort()).toEqual([...expected].sort());
    expect(ORT_BUNDLED_FILES).toEqual(['ort.wasm.bundle.min.mjs', 'ort.jspi.bundle.min.mjs', 'ort.webgpu.bundle.min.mjs']);
    expect(WEB_RUNTIME_FILES).toEqual(ORT_SITE_FILES);
    for (const build of Object.values(ORT_WEB_BUILDS)) {
      const original = await readFile(join(ortDir, build.wasm));
      expect(original.byteLength).toBeGreaterThan(10_000_000);
      expect((await readFile(join(site, build.wasm))).equals(original)).toBe(true);
      expect(copied.find((c) => c.file === join(site, build.wasm))).toEqual({ file: join(site, build.wasm), from: join(ortDir, build.wasm), bytes: original.byteLength });
    }
    expect(await readFile(join(site, 'infer-web.js'), 'utf8')).toBe('built infer-web.js');
  });

  test('runtimeOnly copies the runtimes and loaders alone and needs no browser build', async () => {
    const site = join(dir, 'runtime');
    await copyWebFiles(site, { runtimeOnly: true, browserDir: join(dir, 'nowhere') });
    expect((await readdir(site)).sort()).toEqual([...WEB_RUNTIME_FILES].sort());
  });

  test('a missing browser build is named, with the command that makes it, before anything is copied', async () => {
    const site = join(dir, 'not-made');
    await expect(copyWebFiles(site, { browserDir: join(dir, 'nowhere') })).rejects.toThrow(WebFilesError);
    await expect(copyWebFiles(site, { browserDir: join(dir, 'nowhere') })).rejects.toThrow(
      `${join(dir, 'nowhere', 'infer-web.js')} does not exist: the browser build is made by \`nx run infer-web:bundle\``,
    );
    await expect(readdir(site)).rejects.toThrow(/ENOENT/);
  });
});

describe('writeCompressed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'web-files-compress-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes .br and .gz beside the file that decompress to its bytes, smaller for text; keeps siblings newer than the file', async () => {
    const file = join(dir, 'infer-web.js');
    const text = 'export const a = "the meaning of life is ";\n'.repeat(500);
    await writeFile(file, text);
    const written = await writeCompressed(file);
    expect(written.map((w) => [w.file, w.encoding])).toEqual([[`${file}.br`, 'br'], [`${file}.gz`, 'gzip']]);
    const br = await readFile(`${file}.br`);
    const gz = await readFile(`${file}.gz`);
    expect(brotliDecompressSync(br).toString()).toBe(text);
    expect(gunzipSync(gz).toString()).toBe(text);
    expect(written.map((w) => w.bytes)).toEqual([br.byteLength, gz.byteLength]);
    expect(br.byteLength).toBeLessThan(text.length / 20);
    // Up to date: a sibling newer than its file is not rewritten (marked by content we can see).
    await writeFile(`${file}.gz`, 'kept');
    await writeCompressed(file);
    expect(await readFile(`${file}.gz`, 'utf8')).toBe('kept');
    // The file changed after its siblings: both are written again.
    const later = new Date((await stat(`${file}.gz`)).mtimeMs + 5_000);
    await writeFile(file, 'changed');
    await utimes(file, later, later);
    await writeCompressed(file);
    expect(gunzipSync(await readFile(`${file}.gz`)).toString()).toBe('changed');
    expect(brotliDecompressSync(await readFile(`${file}.br`)).toString()).toBe('changed');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('with a cache folder, the same bytes in a rebuilt folder are not compressed again', async () => {
    const cache = join(dir, 'cache');
    const first = join(dir, 'a.wasm');
    await writeFile(first, 'wasm bytes '.repeat(100));
    await writeCompressed(first, ['br'], { cacheDir: cache });
    const [entry] = await readdir(cache);
    expect(entry).toMatch(/^[0-9a-f]{64}\.q11\.br$/);
    // A marker in the cache proves the second file's .br came from it, not from brotli.
    await writeFile(join(cache, entry), 'from the cache');
    const second = join(dir, 'b.wasm');
    await writeFile(second, 'wasm bytes '.repeat(100));
    await writeCompressed(second, ['br'], { cacheDir: cache });
    expect(await readFile(`${second}.br`, 'utf8')).toBe('from the cache');
    // Another brotli quality is other bytes: compressed anew and cached under its own name.
    const third = join(dir, 'c.wasm');
    await writeFile(third, 'wasm bytes '.repeat(100));
    await writeCompressed(third, ['br'], { cacheDir: cache, brotliQuality: 5 });
    expect(brotliDecompressSync(await readFile(`${third}.br`)).toString()).toBe('wasm bytes '.repeat(100));
    expect((await readdir(cache)).sort()).toEqual([entry, entry.replace('.q11.', '.q5.')]);
  });

  test('a brotli quality outside 0-11 is refused naming it, before anything is written', async () => {
    const file = join(dir, 'd.js');
    await writeFile(file, 'x');
    for (const brotliQuality of [12, -1, 9.5]) {
      await expect(writeCompressed(file, ['br'], { brotliQuality })).rejects.toThrow(`brotliQuality ${brotliQuality} is not brotli's: use an integer from 0 to 11`);
    }
    await expect(stat(`${file}.br`)).rejects.toThrow(/ENOENT/);
  });
});
