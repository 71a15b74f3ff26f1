import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CorpusError } from '@charrnn/data';
import {
  cachePathFor,
  EMBEDDED_CORPUS_PATH,
  EMBEDDED_CORPUS_SOURCE,
  loadCorpus,
  type ProgressSink,
} from '@charrnn/data/node';

const CORPUS = 'The first line.\nThe second line, ünïcode.\n'.repeat(3000); // ~130 kB: several chunks

/** Records what a download reports. */
function recordingSink() {
  const events: { start: [number | undefined, string][]; updates: number[]; stops: number; outcomes: (string | undefined)[] } = {
    start: [],
    updates: [],
    stops: 0,
    outcomes: [],
  };
  const sink: ProgressSink = {
    start: (total, label) => events.start.push([total, label]),
    update: (done) => events.updates.push(done),
    stop: (outcome) => {
      events.stops++;
      events.outcomes.push(outcome);
    },
  };
  return { sink, events };
}

describe('loadCorpus over HTTP', () => {
  let server: Server;
  let base: string;
  let cacheDir: string;
  const requests: string[] = [];
  const body = Buffer.from(CORPUS, 'utf8');

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      switch (req.url) {
        case '/nietzsche.txt':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
          res.end(body);
          return;
        case '/chunked.txt': // no Content-Length: total unknown
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write(body.subarray(0, 1000));
          res.end(body.subarray(1000));
          return;
        case '/bom.txt': {
          const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('abc\n')]);
          res.writeHead(200, { 'content-length': bom.length });
          res.end(bom);
          return;
        }
        case '/dropped.txt': // the connection dies a third of the way through the body
          res.writeHead(200, { 'content-length': body.length });
          res.write(body.subarray(0, Math.floor(body.length / 3)), () => setTimeout(() => res.socket?.destroy(), 20));
          return;
        case '/latin1.txt': {
          const latin1 = Buffer.from('caf\xe9\n', 'latin1');
          res.writeHead(200, { 'content-length': latin1.length });
          res.end(latin1);
          return;
        }
        case '/empty.txt':
          res.writeHead(200, { 'content-length': 0 });
          res.end();
          return;
        case '/stall.txt': // three bytes, then nothing: the connection stays open
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
          res.write('abc');
          return;
        case '/no-answer.txt': // the request is accepted, no status line ever comes
          return;
        case '/page.txt': // what a web page in place of the raw file looks like
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end('\n<!DOCTYPE html>\n<html lang="en"><head><title>nietzsche.txt</title></head><body>…</body></html>\n');
          return;
        case '/moved.txt':
          res.writeHead(302, { location: '/nietzsche.txt' });
          res.end();
          return;
        default:
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'charrnn-cache-'));
    requests.length = 0;
  });

  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  test('downloads once with progress, then serves the cache', async () => {
    const url = `${base}/nietzsche.txt`;
    const { sink, events } = recordingSink();
    const first = await loadCorpus(url, { cacheDir, progress: sink });
    expect(first.text).toBe(CORPUS);
    expect(first.source).toBe(url);
    expect(first.path).toBe(cachePathFor(url, cacheDir));
    expect(createHash('sha256').update(await readFile(first.path)).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(events.start).toEqual([[body.length, expect.stringContaining('nietzsche.txt')]]);
    expect(events.updates.length).toBeGreaterThan(1);
    expect(events.updates.at(-1)).toBe(body.length);
    expect(events.updates.every((v, i) => i === 0 || v > events.updates[i - 1])).toBe(true);
    expect(events.stops).toBe(1);

    const second = recordingSink();
    const again = await loadCorpus(url, { cacheDir, progress: second.sink });
    expect(again.text).toBe(CORPUS);
    expect(requests).toEqual(['/nietzsche.txt']); // one request for two loads
    expect(second.events.start).toEqual([]);
    expect(await readdir(cacheDir)).toEqual([first.path.slice(cacheDir.length + 1)]);
  });

  test('an unknown length (chunked) and a redirect still download', async () => {
    const { sink, events } = recordingSink();
    expect((await loadCorpus(`${base}/chunked.txt`, { cacheDir, progress: sink })).text).toBe(CORPUS);
    expect(events.start[0][0]).toBeUndefined();
    expect((await loadCorpus(`${base}/moved.txt`, { cacheDir, progress: false })).text).toBe(CORPUS);
  });

  test('a connection dropped mid-body leaves no cached file and no temp file', async () => {
    const url = `${base}/dropped.txt`;
    const { sink, events } = recordingSink();
    await expect(loadCorpus(url, { cacheDir, progress: sink })).rejects.toThrow(CorpusError);
    expect(await readdir(cacheDir)).toEqual([]);
    expect(events.stops).toBe(1); // the bar is closed even on failure, and not as done
    expect(events.outcomes).toEqual(['failed']);
    await expect(loadCorpus(url, { cacheDir, progress: false })).rejects.toThrow(
      new RegExp(`download of corpus ${url} (was interrupted after \\d+ bytes|is incomplete)`),
    );
    expect(requests).toEqual(['/dropped.txt', '/dropped.txt']); // nothing was cached
  });

  test('a download that stalls (after 3 bytes, or before any answer) ends after the idle timeout, naming the URL', async () => {
    const stall = `${base}/stall.txt`;
    const { sink, events } = recordingSink();
    const started = performance.now();
    await expect(loadCorpus(stall, { cacheDir, progress: sink, idleTimeoutMs: 300 })).rejects.toThrow(
      `download of corpus ${stall} stalled: no data for 0.3 s after 3 of 100 bytes`,
    );
    expect(performance.now() - started).toBeLessThan(5000);
    expect(events.outcomes).toEqual(['failed']);
    const silent = `${base}/no-answer.txt`;
    await expect(loadCorpus(silent, { cacheDir, progress: false, idleTimeoutMs: 300 })).rejects.toThrow(
      `download of corpus ${silent} stalled: no response for 0.3 s`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
    await expect(loadCorpus(stall, { cacheDir, idleTimeoutMs: 0 })).rejects.toThrow('idleTimeoutMs is 0; expected a positive number of milliseconds');
  });

  test('an HTML page in place of the text file is refused, saying what it is', async () => {
    const url = `${base}/page.txt`;
    await expect(loadCorpus(url, { cacheDir, progress: false })).rejects.toThrow(
      `download of corpus ${url} is an HTML page (content-type text/html; charset=utf-8, starts with "<!DOCTYPE html>"), not a text file; ` +
        'give the URL of the raw file, or save the page and pass its path',
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  test('HTTP 404 names the URL and the status', async () => {
    const url = `${base}/missing.txt`;
    await expect(loadCorpus(url, { cacheDir, progress: false })).rejects.toThrow(`download of corpus ${url} failed: HTTP 404 Not Found`);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  test('invalid UTF-8 and an empty body are refused, naming the URL, and not cached', async () => {
    await expect(loadCorpus(`${base}/latin1.txt`, { cacheDir, progress: false })).rejects.toThrow(
      `corpus ${base}/latin1.txt is not valid UTF-8 (first bad byte at offset 3)`,
    );
    await expect(loadCorpus(`${base}/empty.txt`, { cacheDir, progress: false })).rejects.toThrow(`corpus ${base}/empty.txt is empty`);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  test('a BOM is dropped', async () => {
    expect((await loadCorpus(`${base}/bom.txt`, { cacheDir, progress: false })).text).toBe('abc\n');
  });

  test('an unreachable server is a CorpusError naming the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x.txt`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(loadCorpus(url, { cacheDir, progress: false })).rejects.toThrow(new RegExp(`download of corpus ${url} failed: .*ECONNREFUSED`));
  });
});

describe('loadCorpus from files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charrnn-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('no source → the embedded corpus', async () => {
    const loaded = await loadCorpus();
    expect(loaded.source).toBe(EMBEDDED_CORPUS_SOURCE);
    expect(loaded.path).toBe(EMBEDDED_CORPUS_PATH);
    expect(loaded.text).toHaveLength(600893);
  });

  test('a path and a file: URL read the same text, BOM dropped', async () => {
    const path = join(dir, 'bom.txt');
    await writeFile(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x\ny\n')]));
    expect(await loadCorpus(path)).toEqual({ text: 'x\ny\n', source: path, path });
    const url = pathToFileURL(path).href;
    expect(await loadCorpus(url)).toEqual({ text: 'x\ny\n', source: url, path });
  });

  test('missing files, directories and unknown schemes give clear errors', async () => {
    const missing = join(dir, 'nope.txt');
    await expect(loadCorpus(missing)).rejects.toThrow(`corpus file ${missing} (${missing}) does not exist`);
    await expect(loadCorpus(dir)).rejects.toThrow(/is a directory/);
    await expect(loadCorpus('ftp://example.com/x.txt')).rejects.toThrow(
      'corpus source ftp://example.com/x.txt has unsupported scheme ftp:; give a file path, a file: URL or an http(s) URL',
    );
  });

  test('invalid UTF-8 in a file names the file', async () => {
    const path = join(dir, 'bad.txt');
    await writeFile(path, Buffer.from([0x61, 0xff, 0x62]));
    await expect(loadCorpus(path)).rejects.toThrow(`corpus ${path} is not valid UTF-8 (first bad byte at offset 1)`);
  });
});
