#!/usr/bin/env node
// `nx run serve:bench`: parses flags, builds the model to serve (the lesson GRU with random
// weights unless --model), runs the load test and prints its JSON report (progress on stderr).
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { integerFlag, numberFlag } from '@charrnn/contract/node';
import { buildOnnxModel } from '@charrnn/export';
import { randomWeights } from '@charrnn/train';
import { runLoadTest } from './loadtest.js';

const program = new Command('serve:bench')
  .description('Load-test serve on 127.0.0.1: 1, 8 and 64 concurrent streaming clients beside in-process batch-1 generation.')
  .option('--model <file.onnx>', "model to serve (default: the lesson's GRU, embed 42, hidden 256, vocab 55, random weights)")
  .option('--seconds <n>', 'seconds per concurrency level', integerFlag(1, 120), 10)
  .option('--concurrency <list>', 'comma-separated client counts', (v: string) => v.split(',').map((c) => integerFlag(1, 256)(c.trim())), [1, 8, 64])
  .option('--max-tokens <n>', 'max_tokens per request', integerFlag(1, 100_000), 2000)
  .option('--flush-interval-ms <n>', "the server's --flush-interval-ms", integerFlag(0, 1000), 4)
  .option('--large-run-threads <n>', "the server's --large-run-threads (default: the server's default)", integerFlag(1, 256))
  .option('--soak-seconds <n>', 'then a soak of this many seconds (0 = none; the target is 300)', integerFlag(0, 3600), 0)
  .option('--soak-clients <n>', 'streaming clients in the soak', integerFlag(1, 256), 64)
  .option('--disconnect-share <x>', 'share of the soak requests that their client cuts after the first text', numberFlag(0, 1.000001), 0.1)
  .showHelpAfterError();
program.parse();
const flags = program.opts<{
  model?: string;
  seconds: number;
  concurrency: number[];
  maxTokens: number;
  flushIntervalMs: number;
  largeRunThreads?: number;
  soakSeconds: number;
  soakClients: number;
  disconnectShare: number;
}>();

/** Random weights are fine for speed: the cost per character does not depend on their values. */
function lessonGru(): Uint8Array {
  const config = { arch: 'gru' as const, vocabSize: 55, embeddingDim: 42, hiddenSize: 256, numLayers: 1, dropout: 0 };
  const vocab = ['<unk>', ...Array.from({ length: 54 }, (_, i) => String.fromCharCode(32 + i))];
  return buildOnnxModel({ config, vocab, lower: false, weights: randomWeights(config, 0) });
}

try {
  const model = flags.model === undefined ? lessonGru() : new Uint8Array(await readFile(flags.model));
  const report = await runLoadTest({
    model,
    concurrency: flags.concurrency,
    seconds: flags.seconds,
    maxTokens: flags.maxTokens,
    flushIntervalMs: flags.flushIntervalMs,
    largeRunThreads: flags.largeRunThreads,
    soakSeconds: flags.soakSeconds,
    soakClients: flags.soakClients,
    disconnectShare: flags.disconnectShare,
    onProgress: (line) => console.error(line),
  });
  console.log(JSON.stringify({ model: flags.model ?? 'lesson GRU (embed 42, hidden 256, vocab 55, random weights)', ...report }, null, 2));
} catch (error) {
  console.error(`serve:bench failed: ${(error as Error).message}`);
  process.exit(1);
}
