#!/usr/bin/env node
// `nx run infer-web:demo`: serves the demo page (after the bundle target) and prints its URL.
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCompressed } from '../src/node/web-files.js';
import { DEFAULT_OUT_DIR, PACKAGE_ROOT } from './bundle.js';
import { startDemoServer } from './demo-server.js';

const COMPRESSED_CACHE_DIR = join(PACKAGE_ROOT, '..', '..', 'node_modules', '.cache', 'infer-web-compressed');
import type { StaticServer } from './static-server.js';

const program = new Command('infer-web:demo')
  .description('Serve the <char-rnn-generator> / CharGenerator demo on localhost')
  .option('--port <n>', 'port (0 = any free port)', integerFlag(0, 65535), 8080)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ port: number; host: string }>();

// What a compressing server sends: the site folder's files with .br/.gz beside them. The build
// remakes the folder, so the compressed bytes are kept by content hash (brotli 11 over the
// runtimes takes a minute once; later runs copy them).
console.log(`compressing the site folder's files (brotli 11, gzip 9; kept in ${COMPRESSED_CACHE_DIR}, so minutes on the first run only)…`);
const compressed = { raw: 0, br: 0 };
const files = (await readdir(DEFAULT_OUT_DIR)).filter((name) => !/\.(map|br|gz|tmp)$/.test(name)).map((name) => join(DEFAULT_OUT_DIR, name));
// zlib's async calls run on libuv's thread pool: the files compress side by side.
await Promise.all(
  files.map(async (file) => {
    compressed.raw += (await stat(file)).size;
    for (const c of await writeCompressed(file, ['br', 'gzip'], COMPRESSED_CACHE_DIR)) if (c.encoding === 'br') compressed.br += c.bytes;
  }),
);
console.log(`site folder ${DEFAULT_OUT_DIR}: ${(compressed.raw / 1e6).toFixed(1)} MB, ${(compressed.br / 1e6).toFixed(1)} MB as brotli`);

let server: StaticServer;
try {
  server = await startDemoServer({ port: flags.port, host: flags.host });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  console.log(`port ${flags.port} is in use; using a free one`);
  server = await startDemoServer({ port: 0, host: flags.host });
}
console.log(`infer-web demo: ${server.url}`);
console.log(`  training page: ${server.url}train/; for developers: ${server.url}api.html`);
console.log(`  README examples: ${server.url}examples/script-tag.html, ${server.url}examples/element.html, ${server.url}examples/import.html`);
console.log('Press Ctrl-C to stop.');
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
