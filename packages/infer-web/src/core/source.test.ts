import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CharGenerator as WebCharGenerator } from '../web/runtime.js';
import { InvalidOptionError, ModelFormatError, ModelSourceError } from './errors.js';
import { CharGenerator as NodeCharGenerator, type CoreCharGenerator } from '../node.js';
import { testModel } from '../test-helpers/models.js';

const model = testModel('gru');
const html = '<!doctype html>\n<html><head><title>model.onnx · a repository</title></head><body>…</body></html>\n';
const lfs = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 1432072\n';

type Load = (source: string, extra?: { idleTimeoutMs?: number; onProgress?: (loaded: number, total: number | undefined) => void }) => Promise<CoreCharGenerator>;
const entries: [string, Load][] = [
  ['browser entry', (source, extra) => WebCharGenerator.load(source, { backend: 'wasm', ...extra })],
  ['Node entry', (source, extra) => NodeCharGenerator.load(source, { backend: 'cpu', ...extra })],
];

describe.each(entries)('model URLs on the %s', (_, load) => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/model.onnx':
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.byteLength });
          res.end(model);
          return;
        case '/gzip.onnx': // a compressing server: content-length counts the gzip bytes
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'content-length': gzipSync(model).byteLength });
          res.end(gzipSync(model));
          return;
        case '/stall.onnx': // three bytes, then nothing: the connection stays open
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 100 });
          res.write(Buffer.from(model.subarray(0, 3)));
          return;
        case '/no-answer.onnx':
          return;
        case '/closed.onnx': // the server goes away a third of the way through
          res.writeHead(200, { 'content-length': model.byteLength });
          res.write(Buffer.from(model.subarray(0, 300)), () => setTimeout(() => res.socket?.destroy(), 20));
          return;
        case '/page.onnx':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(html);
          return;
        case '/lfs.onnx':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(lfs);
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a model downloads', async () => {
    const gen = await load(`${base}/model.onnx`);
    expect(gen.info.arch).toBe('gru');
    await gen.release();
  });

  test('progress ends at the model size; from a compressing server the total is unknown (content-length counts the gzip bytes)', async () => {
    for (const [file, total] of [['model.onnx', model.byteLength], ['gzip.onnx', undefined]] as const) {
      const progress: [number, number | undefined][] = [];
      const gen = await load(`${base}/${file}`, { onProgress: (loaded, t) => progress.push([loaded, t]) });
      expect(progress.at(-1)).toEqual([model.byteLength, total]);
      expect(progress.every(([loaded, t]) => t === undefined || loaded <= t)).toBe(true);
      await gen.release();
    }
  });

  test('a download that stalls, or never answers, ends after the idle timeout, naming the URL', async () => {
    const started = performance.now();
    await expect(load(`${base}/stall.onnx`, { idleTimeoutMs: 300 })).rejects.toThrow(ModelSourceError);
    await expect(load(`${base}/stall.onnx`, { idleTimeoutMs: 300 })).rejects.toThrow(
      `could not fetch model ${base}/stall.onnx: stalled, no data for 0.3 s after 3 of 100 bytes`,
    );
    await expect(load(`${base}/no-answer.onnx`, { idleTimeoutMs: 300 })).rejects.toThrow(
      `could not fetch model ${base}/no-answer.onnx: no response for 0.3 s`,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(load(`${base}/model.onnx`, { idleTimeoutMs: -1 })).rejects.toThrow(InvalidOptionError);
  });

  test('a connection closed mid-body names the URL and how far it got', async () => {
    await expect(load(`${base}/closed.onnx`)).rejects.toThrow(
      new RegExp(`could not fetch model ${base}/closed.onnx: the connection closed after 300 of ${model.byteLength} bytes \\(.+\\)`),
    );
  });

  test('a web page or a Git LFS pointer is named for what it is, not as a protobuf error', async () => {
    await expect(load(`${base}/page.onnx`)).rejects.toThrow(
      `model ${base}/page.onnx starts with \`<!doctype html>\`, content-type text/html; charset=utf-8: not an ONNX file (a web page: use the URL of the file itself)`,
    );
    await expect(load(`${base}/lfs.onnx`)).rejects.toThrow(
      `model ${base}/lfs.onnx starts with \`version https://git-lfs.github.com/spec/v1\`, content-type text/plain; charset=utf-8: not an ONNX file (a Git LFS pointer: fetch the file it points to)`,
    );
  });
});

describe('model bytes that are text', () => {
  test('a path or bytes holding a web page are named for what they are', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charrnn-source-'));
    try {
      const file = path.join(dir, 'model.onnx');
      await writeFile(file, html);
      await expect(NodeCharGenerator.load(file, { backend: 'cpu' })).rejects.toThrow(ModelFormatError);
      await expect(NodeCharGenerator.load(file, { backend: 'cpu' })).rejects.toThrow(
        `model ${file} starts with \`<!doctype html>\`: not an ONNX file (a web page: use the URL of the file itself)`,
      );
      await expect(WebCharGenerator.load(new TextEncoder().encode('{"error": "not found"}'), { backend: 'wasm' })).rejects.toThrow(
        'model bytes start with `{"error": "not found"}`: not an ONNX file',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
