#!/usr/bin/env node
// `nx run train-web:bench`: in-page training chars/s beside the Node ONNX Runtime engine (one
// thread), in one run, and the page weight before training starts; prints JSON.
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { runBench, runDefault } from './bench.js';

const program = new Command('train-web:bench')
  .description('In-page training speed (Chromium, wasm) against the Node ONNX Runtime engine, and page weight')
  .option('--batches <n>', 'batches per epoch (two epochs run; the second is timed)', integerFlag(1), 150)
  .option('--rounds <n>', 'alternating Node/page rounds per model', integerFlag(1), 3)
  .option('--threads <n>', 'also run the page cross-origin isolated with n wasm threads (0 = skip)', integerFlag(0), 2)
  .option('--default-run', "instead: train the page's defaults to the end and report the epochs, the time and the last sample")
  .showHelpAfterError();
program.parse();
const flags = program.opts<{ batches: number; rounds: number; threads: number; defaultRun?: boolean }>();
console.log(JSON.stringify(flags.defaultRun ? await runDefault() : await runBench(flags), null, 2));
