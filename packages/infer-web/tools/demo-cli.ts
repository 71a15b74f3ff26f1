#!/usr/bin/env node
// `nx run infer-web:demo`: serves the demo page (after the bundle target) and prints its URL.
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { startDemoServer } from './demo-server.js';
import type { StaticServer } from './static-server.js';

const program = new Command('infer-web:demo')
  .description('Serve the <char-rnn-generator> / CharGenerator demo on localhost')
  .option('--port <n>', 'port (0 = any free port)', integerFlag(0, 65535), 8080)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ port: number; host: string }>();

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
