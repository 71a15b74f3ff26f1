/**
 * The static file server of the demo and the browser tests. sirv serves each directory (content
 * types such as application/wasm, which browsers need to stream-compile wasm; lengths; ranges;
 * paths that climb out of the directory are not found); this file mounts several directories under
 * URL prefixes, on 127.0.0.1 by default.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';

/** The headers that make a page cross-origin isolated, so SharedArrayBuffer (wasm threads) is available. */
export const CROSS_ORIGIN_ISOLATION: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
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
  /**
   * Serve a file's precompressed `.gz` sibling, when there is one, to clients that accept gzip
   * (sirv's `gzip`, as nginx's gzip_static): the page benchmark measures what a visitor of a
   * compressing server downloads.
   */
  gzip?: boolean;
  /** The same for a `.br` sibling and clients that accept brotli (preferred over gzip when both exist). */
  brotli?: boolean;
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

function notFound(res: ServerResponse, path: string): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}`);
}

export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const prefixes = Object.keys(options.mounts).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new StaticServerError(`mount prefix ${JSON.stringify(prefix)} must start and end with '/'`);
    }
  }
  // dev: look files up on every request (the tests rebuild bundles under a running server) and
  // send them with `Cache-Control: no-store`. mrmime knows no type for .onnx.
  const serve = new Map(
    prefixes.map((prefix) => [
      prefix,
      sirv(options.mounts[prefix], {
        dev: true,
        gzip: options.gzip ?? false,
        brotli: options.brotli ?? false,
        setHeaders: (res, pathname) => pathname.endsWith('.onnx') && res.setHeader('content-type', 'application/octet-stream'),
      }),
    ]),
  );
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(options.headers ?? {})) res.setHeader(name, value);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (serve.has(`${path}/`)) {
      res.writeHead(301, { location: `${path}/` }).end();
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (prefix === undefined) return notFound(res, path);
    // sirv resolves the URL against its own directory: hand it the part after the prefix.
    req.url = `/${(req.url ?? '/').slice(prefix.length)}`;
    serve.get(prefix)!(req, res, () => {
      // Browsers ask for it on every page; a 404 there would be console noise in every test.
      if (path === '/favicon.ico') res.writeHead(204).end();
      else notFound(res, path);
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
