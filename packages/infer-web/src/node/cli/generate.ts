#!/usr/bin/env node
// infer-web:generate — parses flags, loads the model with the Node entry and streams text to stdout.
import { readFile } from 'node:fs/promises';
import { integerFlag, numberFlag } from '@charrnn/contract/node';
import { DEFAULT_GENERATION_OPTIONS as D, resolveGenerationOptions } from '../../core/options.js';
import { readCommandLine } from './command-line.js';

/**
 * onnxruntime-node 1.30 crashes (segmentation fault, no message) in InferenceSession.create when
 * the process' command line is longer than about 28 kB (measured: 28,500 bytes of arguments run,
 * 29,000 crash). Longer prompts come from --prompt-file, and a command line above this is refused.
 */
const MAX_COMMAND_LINE_BYTES = 16_384;

const { options } = readCommandLine({
  name: 'charrnn-generate',
  description: 'Generate text from a charrnn ONNX model (onnxruntime-node), streaming to stdout.',
  options: {
    model: { flag: '--model <file.onnx>', description: 'model path or URL', required: true },
    prompt: { flag: '--prompt <text>', description: 'text to start from (default "the ")' },
    promptFile: { flag: '--prompt-file <path>', description: "read the prompt from a UTF-8 file ('-' = standard input); for prompts longer than a few thousand characters" },
    maxNewTokens: { flag: '--max-new-tokens <n>', description: 'characters to generate', parse: integerFlag(0), default: D.maxNewTokens },
    temperature: { flag: '--temperature <t>', description: 'sampling temperature, 0 = greedy', parse: numberFlag(0, Infinity), default: D.temperature },
    topK: { flag: '--top-k <k>', description: 'sample among the k most likely characters (0 = off)', parse: integerFlag(0), default: D.topK },
    topP: { flag: '--top-p <p>', description: 'nucleus sampling mass in (0, 1] (1 = off)', parse: numberFlag(0, Infinity), default: D.topP },
    minP: { flag: '--min-p <p>', description: 'only characters at least p × as likely as the most likely one (0 = off)', parse: numberFlag(0, Infinity), default: D.minP },
    presencePenalty: { flag: '--presence-penalty <x>', description: "OpenAI's presence penalty on characters already generated (0 = off)", parse: numberFlag(-Infinity, Infinity), default: D.presencePenalty },
    frequencyPenalty: { flag: '--frequency-penalty <x>', description: "OpenAI's frequency penalty on characters already generated (0 = off)", parse: numberFlag(-Infinity, Infinity), default: D.frequencyPenalty },
    repetitionPenalty: { flag: '--repetition-penalty <x>', description: "CTRL's repetition penalty, > 1 discourages repeats (1 = off)", parse: numberFlag(-Infinity, Infinity), default: D.repetitionPenalty },
    seed: { flag: '--seed <n>', description: 'random seed (default: random)', parse: integerFlag(0) },
    stop: { flag: '--stop <text...>', description: 'stop after any of these strings' },
    backend: { flag: '--backend <name>', description: "'auto' (CUDA then CPU), 'cuda' or 'cpu'", default: 'auto' },
  },
});
const flags = options as {
  model: string;
  prompt?: string;
  promptFile?: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
  seed?: number;
  stop?: string[];
  backend: 'auto' | 'cuda' | 'cpu';
};

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

async function readPrompt(): Promise<string> {
  if (flags.prompt !== undefined && flags.promptFile !== undefined) fail('give --prompt or --prompt-file, not both');
  if (flags.promptFile === undefined) return flags.prompt ?? 'the ';
  const source = flags.promptFile;
  let bytes: Uint8Array;
  try {
    if (source === '-') {
      if (process.stdin.isTTY) console.error('reading the prompt from standard input (end it with Ctrl-D)');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      bytes = Buffer.concat(chunks);
    } else {
      bytes = await readFile(source);
    }
  } catch (error) {
    fail(`cannot read --prompt-file ${source}: ${(error as Error).message}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(`--prompt-file ${source === '-' ? '- (standard input)' : source} is not UTF-8 text; save it as UTF-8`);
  }
}

const commandLineBytes = process.argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
if (commandLineBytes > MAX_COMMAND_LINE_BYTES) {
  const what =
    flags.prompt !== undefined && Buffer.byteLength(flags.prompt) > MAX_COMMAND_LINE_BYTES / 2
      ? `--prompt is ${[...flags.prompt].length} characters`
      : `the command line is ${commandLineBytes} bytes`;
  fail(
    `${what}: onnxruntime-node crashes when the command line is longer than about 28 kB, so a prompt this long must come from a file: ` +
      '--prompt-file <path>, or --prompt-file - to read it from standard input',
  );
}

const generation = {
  maxNewTokens: flags.maxNewTokens,
  temperature: flags.temperature,
  topK: flags.topK,
  topP: flags.topP,
  minP: flags.minP,
  presencePenalty: flags.presencePenalty,
  frequencyPenalty: flags.frequencyPenalty,
  repetitionPenalty: flags.repetitionPenalty,
  seed: flags.seed,
  stop: flags.stop,
};
try {
  // Every option is checked before the model is loaded or anything is written.
  resolveGenerationOptions(generation);
} catch (error) {
  fail((error as Error).message);
}
const prompt = await readPrompt();

const controller = new AbortController();
// A reader that stops reading (`… | head`) closes the pipe: the next write fails with EPIPE.
// That ends generation at the next step and the command exits 0 quietly, as Unix filters do.
let readerGone = false;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  readerGone = true;
  controller.abort();
});
const write = (text: string) => {
  if (!readerGone) process.stdout.write(text);
};
process.on('SIGINT', () => {
  // The first Ctrl-C ends generation (or priming) at the next step, or quits once the model has
  // loaded; a second one quits at once.
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
});

try {
  // onnxruntime-node is only loaded once the flags and the prompt are known to be good.
  const { CharGenerator } = await import('../runtime.js');
  const gen = await CharGenerator.load(flags.model, { backend: flags.backend, seed: flags.seed, logger: { warn: (m) => console.error(m) } });
  if (controller.signal.aborted) process.exit(130);
  const stream = gen.generate(prompt, { ...generation, signal: controller.signal });
  write(prompt);
  for await (const chunk of stream) write(chunk);
  write('\n');
  await gen.release();
  // As train:fit: interrupted by Ctrl-C, the shell's convention 128 + SIGINT.
  process.exitCode = controller.signal.aborted && !readerGone ? 130 : 0;
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
