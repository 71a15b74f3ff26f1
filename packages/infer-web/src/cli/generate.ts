#!/usr/bin/env node
// infer-web:generate — parses flags, loads the model with the Node entry and streams text to stdout.
import { Command, InvalidArgumentError } from 'commander';
import { CharGenerator, DEFAULT_GENERATION_OPTIONS as D, type NodeBackend } from '../node.js';

function numberFlag(min: number, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} ≥ ${min}`);
    }
    return n;
  };
}

const program = new Command('infer-web:generate')
  .description('Generate text from a charrnn ONNX model (onnxruntime-node), streaming to stdout.')
  .requiredOption('--model <file.onnx>', 'model path or URL')
  .option('--prompt <text>', 'text to start from', 'the ')
  .option('--max-new-tokens <n>', 'characters to generate', numberFlag(0, true), D.maxNewTokens)
  .option('--temperature <t>', 'sampling temperature, 0 = greedy', numberFlag(0, false), D.temperature)
  .option('--top-k <k>', 'sample among the k most likely characters (0 = off)', numberFlag(0, true), D.topK)
  .option('--top-p <p>', 'nucleus sampling mass in (0, 1] (1 = off)', numberFlag(0, false), D.topP)
  .option('--seed <n>', 'random seed (default: random)', numberFlag(0, true))
  .option('--stop <text...>', 'stop after any of these strings')
  .option('--backend <name>', "'auto' (CUDA then CPU), 'cuda' or 'cpu'", 'auto')
  .showHelpAfterError();

program.parse();
const flags = program.opts<{
  model: string;
  prompt: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed?: number;
  stop?: string[];
  backend: NodeBackend;
}>();

const controller = new AbortController();
process.on('SIGINT', () => controller.abort());

try {
  const gen = await CharGenerator.load(flags.model, { backend: flags.backend, seed: flags.seed, logger: { warn: (m) => console.error(m) } });
  process.stdout.write(flags.prompt);
  const stream = gen.generate(flags.prompt, {
    maxNewTokens: flags.maxNewTokens,
    temperature: flags.temperature,
    topK: flags.topK,
    topP: flags.topP,
    seed: flags.seed,
    stop: flags.stop,
    signal: controller.signal,
  });
  for await (const chunk of stream) process.stdout.write(chunk);
  process.stdout.write('\n');
  await gen.release();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
