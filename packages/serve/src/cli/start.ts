#!/usr/bin/env node
// `nx run serve:start` (charrnn-serve): parses flags, calls createServer, prints the URL.
import { Command, Option } from 'commander';
import { integerFlag } from '@charrnn/data/node';
import { createServer, DEFAULT_LIMITS, findDefaultModel, type ServerLimits } from '../index.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Server option → the flag that sets it, so that an option error names the flag. */
const OPTION_FLAGS: Record<string, string> = {
  largeRunThreads: '--large-run-threads',
  primeChars: '--prime-chars',
  flushIntervalMs: '--flush-interval-ms',
};

const LIMIT_FLAGS: [keyof ServerLimits, string, string][] = [
  ['maxStreams', '--max-streams <n>', 'streams stepped together per model'],
  ['maxQueue', '--max-queue <n>', 'streams that may wait per model (then 429)'],
  ['maxPromptChars', '--max-prompt-chars <n>', 'characters per prompt'],
  ['maxTokens', '--max-tokens <n>', 'largest max_tokens a request may ask for'],
  ['maxChoices', '--max-choices <n>', 'choices (prompts × n) per request'],
  ['maxBodyBytes', '--max-body-bytes <n>', 'request body size'],
  ['requestTimeoutMs', '--request-timeout-ms <n>', 'a request is ended after this long'],
  ['maxSessions', '--max-sessions <n>', 'sessions kept at once'],
  ['sessionTtlMs', '--session-ttl-ms <n>', 'idle time after which a session expires'],
];

const program = new Command('charrnn-serve')
  .description('Serve charrnn ONNX models over an OpenAI-compatible completions API (continuous batching, SSE, sessions).')
  .option('--model <file.onnx>', 'model to serve, repeatable; name=path sets its name (default: the newest checkpoints/*/*.onnx, else the demo model)', collect)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--port <n>', 'port (0 = any free port)', integerFlag(0, 65535), 8080)
  .addOption(new Option('--backend <name>', "'auto' (CUDA, then CPU), 'cuda' or 'cpu'").choices(['auto', 'cuda', 'cpu']).default('auto'))
  .option('--large-run-threads <n>', 'CPU threads for priming and wide batch steps (2 can help on an otherwise idle machine)', integerFlag(1, 256), 1)
  .option('--prime-chars <n>', 'prompt characters per priming run, over the streams primed together', integerFlag(1), 256)
  .option('--flush-interval-ms <n>', 'generated text goes out at most this often', integerFlag(0, 1000), 4)
  .option('--access-log', 'log every request as a JSON line', false);
for (const [key, flag, help] of LIMIT_FLAGS) program.option(flag, help, integerFlag(key === 'maxQueue' ? 0 : 1), DEFAULT_LIMITS[key]);
for (const [key, flag] of LIMIT_FLAGS) OPTION_FLAGS[`limits.${key}`] = flag.split(' ')[0];
program.showHelpAfterError();
program.parse();

type Flags = { model?: string[]; host: string; port: number; backend: 'auto' | 'cuda' | 'cpu'; largeRunThreads: number; primeChars: number; flushIntervalMs: number; accessLog: boolean } & ServerLimits;
const flags = program.opts<Flags>();

try {
  let models: { source: string; name?: string }[];
  if (flags.model !== undefined) {
    models = flags.model.map((m) => {
      const eq = m.indexOf('=');
      return eq > 0 && !/^[a-z]+:\/\//i.test(m) ? { name: m.slice(0, eq), source: m.slice(eq + 1) } : { source: m };
    });
  } else {
    const found = await findDefaultModel();
    console.log(`no --model given: serving the ${found.kind === 'demo' ? 'demo model' : 'newest exported model'} ${found.path}`);
    models = [{ source: found.path }];
  }
  // Only the limits given on the command line: the library's defaults (some of which follow
  // others, as --max-choices follows --max-streams) decide the rest.
  const limits = Object.fromEntries(LIMIT_FLAGS.filter(([key]) => program.getOptionValueSource(key) === 'cli').map(([key]) => [key, flags[key]])) as Partial<ServerLimits>;
  const server = await createServer({
    models,
    host: flags.host,
    port: flags.port,
    backend: flags.backend,
    limits,
    largeRunThreads: flags.largeRunThreads,
    primeChars: flags.primeChars,
    flushIntervalMs: flags.flushIntervalMs,
    accessLog: flags.accessLog,
    logger: { warn: (message) => console.error(message) },
  });
  const url = await server.listen();
  for (const m of server.models) {
    const { arch, numLayers, hiddenSize, vocabSize, graph } = m.info;
    console.log(`model ${m.name}: ${numLayers}-layer ${arch}, hidden ${hiddenSize}, vocab ${vocabSize}, ${graph} graph, on ${m.backend}`);
  }
  console.log(`listening on ${url}  (POST ${url}/v1/completions, GET ${url}/v1/models, ${url}/health, ${url}/metrics)`);
  const stop = (): void => {
    console.log('shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const message = (error as Error).message.replace(/\b(?:limits\.)?\w+\b/g, (word) => OPTION_FLAGS[word] ?? word).replace(/\boption (--)/g, '$1');
  console.error(`serve:start failed: ${message}`);
  process.exit(1);
}
