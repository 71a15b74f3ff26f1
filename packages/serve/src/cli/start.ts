#!/usr/bin/env node
// `nx run serve:start` (charrnn-serve): parses flags, calls createServer, prints the URL.
import { readFile } from 'node:fs/promises';
import closeWithGrace from 'close-with-grace';
import { Command, Option } from 'commander';
import { integerFlag } from '@charrnn/contract/node';
import { createServer, DEFAULT_LIMITS, DEFAULT_PARAMETERS, findDefaultModel, type ChatTemplate, type SamplingDefaults, type ServerLimits } from '../index.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Server option → the flag that sets it, so that an option error names the flag. */
const OPTION_FLAGS: Record<string, string> = {
  apiKeys: '--api-key',
  corsOrigins: '--cors-origin',
  drainSeconds: '--drain-seconds',
  sessionDir: '--session-dir',
  sessionSaveSeconds: '--session-save-seconds',
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
  .option('--access-log', 'log every request as a JSON line', false)
  .option('--drain-seconds <n>', 'on SIGTERM/SIGINT: new requests get 503 at once, running ones get this long to finish', integerFlag(0, 3600), 30)
  .option('--session-dir <dir>', 'keep sessions across restarts: saved here on shutdown and every --session-save-seconds, restored on start')
  .option('--session-save-seconds <n>', 'how often sessions are saved to --session-dir', integerFlag(1, 86_400), 60)
  .option('--api-key <key>', 'require Authorization: Bearer <key> on /v1 (repeatable; also CHARRNN_API_KEYS, comma-separated, which keeps keys out of ps)', collect)
  .option('--cors-origin <origin>', "let web pages from this origin call the API (repeatable; '*' for any)", collect)
  .option('--chat-template <file.json>', 'how /v1/chat/completions joins messages into a prompt: {"message": "{role}: {content}\\n", "generation": "assistant: ", "stop": ["\\n"]} (the default)');
for (const [key, flag, help] of LIMIT_FLAGS) program.option(flag, help, integerFlag(key === 'maxQueue' ? 0 : 1), DEFAULT_LIMITS[key]);
for (const [key, flag] of LIMIT_FLAGS) OPTION_FLAGS[`limits.${key}`] = flag.split(' ')[0];
// --default-temperature …: the value a request's parameter takes when it is left out or null.
const DEFAULT_FLAGS = Object.entries(DEFAULT_PARAMETERS).map(([key, parameter]) => [key as keyof SamplingDefaults, `--default-${parameter.replace(/_/g, '-')}`] as const);
for (const [key, flag] of DEFAULT_FLAGS) {
  program.option(`${flag} <value>`, `the request's ${DEFAULT_PARAMETERS[key]} when it gives none`, (v: string) => (v.trim() === '' ? NaN : Number(v)));
  OPTION_FLAGS[`defaults.${key}`] = flag;
}
program.showHelpAfterError();
program.parse();

type Flags = {
  model?: string[];
  host: string;
  port: number;
  backend: 'auto' | 'cuda' | 'cpu';
  largeRunThreads: number;
  primeChars: number;
  flushIntervalMs: number;
  accessLog: boolean;
  drainSeconds: number;
  sessionDir?: string;
  sessionSaveSeconds: number;
  chatTemplate?: string;
  apiKey?: string[];
  corsOrigin?: string[];
} & ServerLimits &
  Record<string, unknown>;
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
  let chatTemplate: Partial<ChatTemplate> | undefined;
  if (flags.chatTemplate !== undefined) {
    const text = await readFile(flags.chatTemplate, 'utf8').catch((error: Error) => {
      throw new Error(`--chat-template ${flags.chatTemplate}: ${error.message}`);
    });
    try {
      chatTemplate = JSON.parse(text) as Partial<ChatTemplate>;
    } catch {
      throw new Error(`--chat-template ${flags.chatTemplate} is not valid JSON; expected {"message": "...{content}...", "generation": "...", "stop": [...]}`);
    }
  }
  const apiKeys = [...(flags.apiKey ?? []), ...(process.env.CHARRNN_API_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '')];
  const server = await createServer({
    chatTemplate,
    apiKeys,
    corsOrigins: flags.corsOrigin,
    models,
    host: flags.host,
    port: flags.port,
    backend: flags.backend,
    limits,
    defaults: Object.fromEntries(DEFAULT_FLAGS.map(([key]) => [key, flags[`default${key[0].toUpperCase()}${key.slice(1)}`]]).filter(([, v]) => v !== undefined)) as Partial<SamplingDefaults>,
    largeRunThreads: flags.largeRunThreads,
    primeChars: flags.primeChars,
    flushIntervalMs: flags.flushIntervalMs,
    accessLog: flags.accessLog,
    drainSeconds: flags.drainSeconds,
    sessionDir: flags.sessionDir,
    sessionSaveSeconds: flags.sessionSaveSeconds,
    logger: { warn: (message) => console.error(message) },
  });
  const url = await server.listen();
  for (const m of server.models) {
    const { arch, numLayers, hiddenSize, vocabSize, graph } = m.info;
    console.log(`model ${m.name}: ${numLayers}-layer ${arch}, hidden ${hiddenSize}, vocab ${vocabSize}, ${graph} graph, on ${m.backend}`);
  }
  console.log(`listening on ${url}  (POST ${url}/v1/completions, GET ${url}/v1/models, ${url}/health, ${url}/metrics)`);
  // close-with-grace: the first SIGTERM/SIGINT drains (server.close), a second one exits at once,
  // and the process exits anyway if the drain overruns by 10 s.
  closeWithGrace({ delay: (flags.drainSeconds + 10) * 1000, logger: { error: (m: string) => console.error(m) } }, async ({ signal, err }) => {
    if (err !== undefined) console.error(`serve:start: ${(err as Error).stack ?? String(err)}`);
    console.log(`${signal ?? 'error'}: draining (no new requests; running ones get up to ${flags.drainSeconds} s)`);
    await server.close();
    console.log('closed');
  });
} catch (error) {
  const message = (error as Error).message.replace(/\b(?:limits\.|defaults\.)?\w+\b/g, (word) => OPTION_FLAGS[word] ?? word).replace(/\boption (--)/g, '$1');
  console.error(`serve:start failed: ${message}`);
  process.exit(1);
}
