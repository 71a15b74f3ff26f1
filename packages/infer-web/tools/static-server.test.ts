import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { startStaticServer, StaticServerError, type StaticServer } from './static-server.js';

describe('startStaticServer', () => {
  let dir: string;
  let server: StaticServer;
  const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'static-server-'));
    await mkdir(join(dir, 'site', 'sub'), { recursive: true });
    await mkdir(join(dir, 'lib'));
    await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><p>hi</p>');
    await writeFile(join(dir, 'lib', 'm.wasm'), wasm);
    await writeFile(join(dir, 'lib', 'model.onnx'), wasm);
    await writeFile(join(dir, 'site', 'library.js'), 'export {};');
    await writeFile(join(dir, 'site', 'sub', 'index.html'), '<p>sub</p>');
    await writeFile(join(dir, 'secret.txt'), 'not served');
    server = await startStaticServer({ mounts: { '/': join(dir, 'site'), '/lib/': join(dir, 'lib') } });
  });

  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves on 127.0.0.1 with a free port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/$/);
  });

  test('serves files with their type and length', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html; ?charset=utf-8$/);
    expect(await page.text()).toBe('<!doctype html><p>hi</p>');
    const module = await fetch(new URL('lib/m.wasm', server.url));
    expect(module.headers.get('content-type')).toBe('application/wasm');
    expect(module.headers.get('content-length')).toBe(String(wasm.byteLength));
    expect(new Uint8Array(await module.arrayBuffer())).toEqual(wasm);
    expect((await fetch(new URL('lib/model.onnx', server.url))).headers.get('content-type')).toBe('application/octet-stream');
  });

  test('the longest prefix wins; directories give their index.html', async () => {
    expect(await (await fetch(new URL('library.js', server.url))).text()).toBe('export {};');
    expect((await fetch(new URL('lib/library.js', server.url))).status).toBe(404);
    expect(await (await fetch(new URL('sub/', server.url))).text()).toBe('<p>sub</p>');
  });

  test('404 for missing or escaping paths, 301 for a mount without its slash, 204 for a missing favicon, 405 for POST', async () => {
    const status = async (path: string, init?: RequestInit) => (await fetch(server.url + path, { redirect: 'manual', ...init })).status;
    expect(await status('missing.js')).toBe(404);
    expect(await status('lib/%2e%2e/%2e%2e/secret.txt')).toBe(404);
    expect(await status('lib')).toBe(301);
    expect(await status('favicon.ico')).toBe(204);
    expect(await status('', { method: 'POST' })).toBe(405);
  });

  test('paths that climb out of their mount are not found (sent raw: fetch would resolve the dots)', async () => {
    const rawStatus = (path: string) =>
      new Promise<number>((ok, fail) => {
        const { hostname, port } = new URL(server.url);
        request({ host: hostname, port, path }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        })
          .on('error', fail)
          .end();
      });
    expect(await rawStatus('/lib/m.wasm')).toBe(200);
    for (const path of ['/../secret.txt', '/lib/../secret.txt', '/lib/../../secret.txt', '/lib/%2e%2e/secret.txt', '/lib/..%2fsecret.txt']) {
      expect([path, await rawStatus(path)]).toEqual([path, 404]);
    }
  });

  test('adds the given headers to every response (COOP/COEP for wasm threads)', async () => {
    const isolated = await startStaticServer({
      mounts: { '/': dir },
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    });
    try {
      for (const path of ['', 'missing.js']) {
        const response = await fetch(isolated.url + path);
        expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
        expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      }
      expect((await fetch(server.url)).headers.get('cross-origin-opener-policy')).toBeNull();
    } finally {
      await isolated.close();
    }
  });

  test("with gzip, a file's precompressed .gz sibling goes to clients that accept gzip, with the original's type", async () => {
    const { gzipSync } = await import('node:zlib');
    const big = new Uint8Array(4096).fill(7);
    await writeFile(join(dir, 'lib', 'big.wasm'), big);
    await writeFile(join(dir, 'lib', 'big.wasm.gz'), gzipSync(big));
    const compressing = await startStaticServer({ mounts: { '/': join(dir, 'lib') }, gzip: true });
    const get = (url: string, encoding: string) =>
      new Promise<{ encoding: string | undefined; type: string | undefined; bytes: number }>((ok, fail) => {
        request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => ok({ encoding: res.headers['content-encoding'], type: res.headers['content-type'], bytes }));
        })
          .on('error', fail)
          .end();
      });
    try {
      const gz = gzipSync(big).byteLength;
      expect(await get(`${compressing.url}big.wasm`, 'gzip, br')).toEqual({ encoding: 'gzip', type: 'application/wasm', bytes: gz });
      expect(await get(`${compressing.url}big.wasm`, 'identity')).toEqual({ encoding: undefined, type: 'application/wasm', bytes: 4096 });
      // Without the option the file goes as it is.
      expect(await get(`${server.url}lib/big.wasm`, 'gzip')).toEqual({ encoding: undefined, type: 'application/wasm', bytes: 4096 });
    } finally {
      await compressing.close();
    }
  });

  test('with brotli and gzip, the .br sibling goes to clients that accept br, the .gz to those that accept only gzip', async () => {
    const { brotliCompressSync, gzipSync } = await import('node:zlib');
    const big = new Uint8Array(8192).fill(9);
    await mkdir(join(dir, 'both'));
    await writeFile(join(dir, 'both', 'big.wasm'), big);
    await writeFile(join(dir, 'both', 'big.wasm.br'), brotliCompressSync(big));
    await writeFile(join(dir, 'both', 'big.wasm.gz'), gzipSync(big));
    const compressing = await startStaticServer({ mounts: { '/': join(dir, 'both') }, gzip: true, brotli: true });
    const get = (url: string, encoding: string) =>
      new Promise<{ encoding: string | undefined; type: string | undefined; bytes: number }>((ok, fail) => {
        request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => ok({ encoding: res.headers['content-encoding'], type: res.headers['content-type'], bytes }));
        })
          .on('error', fail)
          .end();
      });
    try {
      const url = `${compressing.url}big.wasm`;
      expect(await get(url, 'gzip, deflate, br')).toEqual({ encoding: 'br', type: 'application/wasm', bytes: brotliCompressSync(big).byteLength });
      expect(await get(url, 'gzip')).toEqual({ encoding: 'gzip', type: 'application/wasm', bytes: gzipSync(big).byteLength });
      expect(await get(url, 'identity')).toEqual({ encoding: undefined, type: 'application/wasm', bytes: 8192 });
    } finally {
      await compressing.close();
    }
  });

  test('rejects a mount prefix without slashes', async () => {
    await expect(startStaticServer({ mounts: { lib: dir } })).rejects.toThrow(StaticServerError);
    await expect(startStaticServer({ mounts: { lib: dir } })).rejects.toThrow(/mount prefix "lib" must start and end with '\/'/);
  });
});
