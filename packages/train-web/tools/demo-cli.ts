#!/usr/bin/env node
// `nx run train-web:demo`: builds the site and serves it on 127.0.0.1 (--isolated: with COOP/COEP, so wasm can use threads).
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { buildSite } from './bundle.js';
import { startSiteServer } from './site-server.js';

const program = new Command('train-web:demo')
  .description('Build and serve the in-browser training page')
  .option('--port <n>', 'port (0 = any free port)', integerFlag(0, 65535), 8081)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--isolated', 'send COOP/COEP headers (cross-origin isolation: wasm threads, ?threads=2)', false)
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ port: number; host: string; isolated: boolean }>();

const report = await buildSite();
const total = report.files.reduce((sum, f) => sum + f.bytes, 0);
console.log(`site built in ${report.siteDir} (${(total / 1e6).toFixed(1)} MB)`);
const server = await startSiteServer({ port: flags.port, host: flags.host, isolated: flags.isolated });
console.log(`training page: ${server.url}${flags.isolated ? ' (cross-origin isolated; add ?threads=2)' : ''}`);
console.log('Press Ctrl-C to stop.');
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
