#!/usr/bin/env node
// `nx run export:triton`: parses flags, writes a Triton model repository for an exported model.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { newestCheckpoint } from '../checkpoint-discovery.js';
import { DEFAULT_ONNX_FILE } from '../export-checkpoint.js';
import { DEFAULT_TRITON_OPTIONS as D, writeTritonRepository } from '../triton.js';

const program = new Command('charrnn-triton')
  .description('Write an NVIDIA Triton model repository (batch-first wrapper graph + config.pbtxt with sequence batching and implicit state) for a contract-2 ONNX model')
  .option('--model <file.onnx>', `contract-2 model (default: <newest checkpoint>/${DEFAULT_ONNX_FILE}, as export:onnx writes it)`)
  .option('--out <dir>', 'repository directory', 'triton-repository')
  .option('--name <name>', 'model name in the repository', D.name)
  .option('--max-batch-size <n>', 'sequences stepped together', integerFlag(1), D.maxBatchSize)
  .option('--max-candidate-sequences <n>', 'sequences the oldest strategy keeps as candidates', integerFlag(1), D.maxCandidateSequences)
  .option('--idle-ms <n>', 'an idle sequence is ended after this long', integerFlag(1), D.idleMs)
  .showHelpAfterError();
program.parse(process.argv);
const flags = program.opts<{ model?: string; out: string; name: string; maxBatchSize: number; maxCandidateSequences: number; idleMs: number }>();

try {
  const model = flags.model ?? path.join(await newestCheckpoint(), DEFAULT_ONNX_FILE);
  const bytes = new Uint8Array(await readFile(model));
  const result = await writeTritonRepository(bytes, flags.out, {
    name: flags.name,
    maxBatchSize: flags.maxBatchSize,
    maxCandidateSequences: flags.maxCandidateSequences,
    idleMs: flags.idleMs,
  });
  process.stdout.write(`model: ${model}\n`);
  for (const file of result.files) process.stdout.write(`wrote ${file}\n`);
  process.stdout.write(`run: tritonserver --model-repository ${path.resolve(flags.out)}\n`);
} catch (error) {
  process.stderr.write(`export:triton failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
