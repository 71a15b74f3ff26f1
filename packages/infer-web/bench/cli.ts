#!/usr/bin/env node
// infer-web:bench — parses flags, gets model bytes (a file, or a lesson-size GRU from random
// weights), runs the benchmark (or, with --long-prompt, the long-prompt one) and prints its JSON
// report on stdout (progress on stderr).
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { buildOnnxModel } from '@charrnn/export';
import { randomWeights, type ModelConfig } from '@charrnn/train';
import { runBenchmark } from './benchmark.js';
import { runLongPromptBenchmark } from './long-prompt-benchmark.js';

const program = new Command('infer-web:bench')
  .description('Measure generation speed (chars/s) on onnxruntime-node and onnxruntime-web (wasm).')
  .option('--model <file.onnx>', "model to measure (default: the lesson's GRU, embed 42, hidden 256, vocab 55, random weights)")
  .option('--windows <n>', 'timed windows per figure (median reported)', integerFlag(1), 7)
  .option('--long-prompt <chars>', 'instead: prime a prompt of this many characters; report time, peak RSS, event-loop gaps, abort latency', integerFlag(1))
  .option('--large-run-threads <n>', 'for --long-prompt on node: intra-op threads of the session that primes (default min(2, CPUs))', integerFlag(1))
  .addOption(new Option('--runtime <name>', 'for --long-prompt: onnxruntime-node or onnxruntime-web (wasm)').choices(['node', 'wasm']).default('node'))
  // nx takes `--graph` for itself, as for export:onnx.
  .addOption(new Option('--onnx-graph <kind>', 'graph of the generated lesson GRU').choices(['fused', 'step']).default('fused'))
  .showHelpAfterError();

program.parse();
const flags = program.opts<{
  model?: string;
  windows: number;
  longPrompt?: number;
  largeRunThreads?: number;
  runtime: 'node' | 'wasm';
  onnxGraph: 'fused' | 'step';
}>();

/** Random weights are fine for speed: the cost per character does not depend on their values. */
function lessonGru(graph: 'fused' | 'step'): Uint8Array {
  const config: ModelConfig = { arch: 'gru', vocabSize: 55, embeddingDim: 42, hiddenSize: 256, numLayers: 1, dropout: 0 };
  const vocab = ['<unk>', ...Array.from({ length: 54 }, (_, i) => String.fromCharCode(32 + i))];
  return buildOnnxModel({ config, vocab, lower: false, weights: randomWeights(config, 0) }, { graph });
}

try {
  const model = flags.model === undefined ? lessonGru(flags.onnxGraph) : new Uint8Array(await readFile(flags.model));
  const onProgress = (line: string): void => console.error(line);
  const report =
    flags.longPrompt === undefined
      ? await runBenchmark(model, { windows: flags.windows, onProgress })
      : await runLongPromptBenchmark(model, { chars: flags.longPrompt, runtime: flags.runtime, largeRunThreads: flags.largeRunThreads, onProgress });
  console.log(JSON.stringify({ model_file: flags.model ?? 'lesson GRU (random weights)', ...report }, null, 2));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
