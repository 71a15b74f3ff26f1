#!/usr/bin/env node
// `nx run infer-web:demo`: serves the demo page (after the bundle target) and prints its URL.
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { DEFAULT_OUT_DIR } from './bundle.js';
import { COMPRESSED_CACHE_DIR, compressSite, DEMO_BROTLI_QUALITY, startDemoServer } from './demo-server.js';
import type { StaticServer } from './static-server.js';

const program = new Command('infer-web:demo')
  .description('Serve the <char-rnn-generator> / CharGenerator demo on localhost')
  .option('--port <n>', 'port (0 = any free port)', integerFlag(0, 65535), 8080)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ port: number; host: string }>();

// What a compressing server sends: the site folder's files with .br/.gz beside them.
console.log(`compressing the site folder's files (brotli ${DEMO_BROTLI_QUALITY}, gzip 9; kept in ${COMPRESSED_CACHE_DIR}, so a minute on the first run only)…`);
const site = await compressSite();
console.log(`site folder ${DEFAULT_OUT_DIR}: ${site.files} files, ${(site.bytes / 1e6).toFixed(1)} MB, ${(site.brotliBytes / 1e6).toFixed(1)} MB as brotli`);

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
