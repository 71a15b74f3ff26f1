/**
 * A small static file server for the demo and the browser tests (node:http only: no server
 * dependency). Serves several directories under URL prefixes, on 127.0.0.1 by default.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

/** application/wasm matters: browsers only stream-compile wasm served with it. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServerOptions {
  /** URL prefix ('/', '/lib/') → directory; the longest matching prefix wins. */
  mounts: Readonly<Record<string, string>>;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /**
   * Headers added to every response, e.g. COOP/COEP (Cross-Origin-Opener-Policy: same-origin,
   * Cross-Origin-Embedder-Policy: require-corp) for a page that needs SharedArrayBuffer (wasm threads).
   */
  headers?: Readonly<Record<string, string>>;
}

export interface StaticServer {
  /** Base URL, ending in '/'. */
  url: string;
  close(): Promise<void>;
}

export class StaticServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaticServerError';
  }
}

/** The file a URL path names, or undefined if no mount holds it (or it escapes its mount). */
export function resolveMountedPath(mounts: Readonly<Record<string, string>>, urlPath: string): string | undefined {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!urlPath.startsWith(prefix)) continue;
    const root = resolve(mounts[prefix]);
    const relative = urlPath.slice(prefix.length);
    const file = resolve(join(root, relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative));
    if (file !== root && !file.startsWith(root + sep)) return undefined;
    return file;
  }
  return undefined;
}

async function handle(mounts: Readonly<Record<string, string>>, req: IncomingMessage, res: ServerResponse, headers: Readonly<Record<string, string>> = {}): Promise<void> {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end('bad URL');
    return;
  }
  const file = resolveMountedPath(mounts, path);
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if ((file !== undefined && info?.isDirectory()) || `${path}/` in mounts) {
    res.writeHead(301, { location: `${path}/` }).end();
    return;
  }
  if (path === '/favicon.ico' && info === undefined) {
    // Browsers ask for it on every page; a 404 there would be console noise in every test.
    res.writeHead(204).end();
    return;
  }
  if (file === undefined || info === undefined || !info.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
    return;
  }
  res.writeHead(200, {
    'content-type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  for (const prefix of Object.keys(options.mounts)) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new StaticServerError(`mount prefix ${JSON.stringify(prefix)} must start and end with '/'`);
    }
  }
  const server = createServer((req, res) => {
    handle(options.mounts, req, res, options.headers).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500).end(error.message);
      else res.destroy(error);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
