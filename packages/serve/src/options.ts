/**
 * Server options: one typed object, its defaults written beside it, validated in one place so
 * that every bad value is named (as infer-web's generation options).
 */
import type { Logger, Runtime } from '@charrnn/infer-web/node';
import type { NodeBackend } from '@charrnn/infer-web/node';
import { ServerOptionError } from './errors.js';
import { resolveChatTemplate, type ChatTemplate } from './http/chat.js';
import { resolveSamplingDefaults, type SamplingDefaults } from './http/schemas.js';

/** A model to serve: a path (or file:/http(s): URL) or the ONNX bytes, and the name clients use. */
export interface ModelSpec {
  /** Path or URL of a charrnn ONNX file (contract 2), or its bytes. */
  source: string | URL | Uint8Array;
  /**
   * The `model` clients ask for. Default: the file's directory name for `…/<name>/model.onnx`
   * (what export:onnx writes), else the file name without `.onnx`.
   */
  name?: string;
}

export interface ServerLimits {
  /** Streams stepped together per model; more wait in the queue. */
  maxStreams: number;
  /** Streams that may wait per model; beyond it requests get 429 with Retry-After. */
  maxQueue: number;
  /** Characters in one prompt. */
  maxPromptChars: number;
  /** The largest `max_tokens` a request may ask for. */
  maxTokens: number;
  /** Choices per request: prompts × n. */
  maxChoices: number;
  /** Request body size in bytes. */
  maxBodyBytes: number;
  /** A request (queueing and generating) is ended after this long. */
  requestTimeoutMs: number;
  /** Sessions kept at once. */
  maxSessions: number;
  /** A session unused for this long expires. */
  sessionTtlMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxStreams: 64,
  maxQueue: 256,
  maxPromptChars: 32_768,
  maxTokens: 4096,
  maxChoices: 16,
  maxBodyBytes: 1 << 20,
  requestTimeoutMs: 120_000,
  maxSessions: 10_000,
  sessionTtlMs: 15 * 60_000,
});

export interface ServerOptions {
  /** Models to serve (at least one); the first is used when a request names none. */
  models: readonly (ModelSpec | string)[];
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** onnxruntime-node execution provider, as infer-web's Node entry: 'auto' (CUDA, then CPU), 'cuda', 'cpu'. Default 'auto'. */
  backend?: NodeBackend;
  limits?: Partial<ServerLimits>;
  /**
   * CPU threads of the onnxruntime session that runs priming and wide batch steps (infer-web's
   * `largeRunIntraOpNumThreads`). Default 1, not infer-web's 2: a server's own thread (HTTP,
   * JSON, sampling) wants the second core, and when another process has it a two-thread step
   * waits for a descheduled worker; measured on the 2-core machine under load, a batch-64 step
   * ran 10× slower on two threads than on one (README "Load test").
   */
  largeRunThreads?: number;
  /** Prompt characters per priming run, summed over the streams primed together. Default 256. */
  primeChars?: number;
  /** Generated text goes out at most this often, coalesced per stream. Default 4 ms. */
  flushIntervalMs?: number;
  /**
   * Server-wide sampling defaults, used when a request leaves a parameter out or sends null
   * (llama.cpp's server has the same). Default OpenAI's: maxTokens 16, temperature 1, topP 1,
   * topK 0 (off). Each is checked by its request parameter's schema.
   */
  defaults?: Partial<SamplingDefaults>;
  /**
   * How /v1/chat/completions joins messages into a prompt (a character model has no chat format
   * of its own). Default: `{role}: {content}\n` per message, then `assistant: `, stop at `\n`.
   */
  chatTemplate?: Partial<ChatTemplate>;
  /**
   * On close() (SIGTERM, SIGINT in the CLI): new requests get 503 at once, running ones get this
   * long to finish, then are ended with an error that says so. Default 30 s.
   */
  drainSeconds?: number;
  /**
   * Keep sessions across restarts: their states are saved here (one file, written atomically) on
   * close() and every `sessionSaveSeconds`, and restored on start. Default: not kept.
   */
  sessionDir?: string;
  /** How often sessions are saved to `sessionDir`. Default 60 s. */
  sessionSaveSeconds?: number;
  /**
   * API keys: every /v1 request must send `Authorization: Bearer <one of them>` (compared in
   * constant time by @fastify/bearer-auth); /health and /metrics stay open. Default: none, no auth.
   */
  apiKeys?: readonly string[];
  /**
   * Origins whose web pages may call the API (CORS, @fastify/cors): exact origins such as
   * `https://example.com`, or `*` for any. Default: none (no CORS headers).
   */
  corsOrigins?: readonly string[];
  /** Where the server reports what it chose (backend fallback). Default console. */
  logger?: Logger;
  /** Log every request (Fastify's pino logger, JSON lines on stdout). Default false. */
  accessLog?: boolean;
  /** A custom runtime (tests); default infer-web's onnxruntime-node runtime with `backend`. */
  runtime?: Runtime;
  /**
   * The clock sessions' idle time is measured by, in milliseconds since the epoch. Default
   * Date.now; tests pass one they move, so that expiry does not depend on how fast the machine is.
   */
  clock?: () => number;
}

export interface ResolvedServerOptions {
  models: readonly ModelSpec[];
  host: string;
  port: number;
  backend: NodeBackend;
  limits: Readonly<ServerLimits>;
  largeRunThreads: number;
  primeChars: number;
  flushIntervalMs: number;
  defaults: Readonly<SamplingDefaults>;
  chatTemplate: Readonly<ChatTemplate>;
  drainSeconds: number;
  apiKeys: readonly string[];
  corsOrigins: readonly string[];
  sessionDir: string | undefined;
  sessionSaveSeconds: number;
  logger: Logger;
  accessLog: boolean;
  runtime: Runtime | undefined;
  clock: () => number;
}

const OPTION_KEYS = new Set([
  'models',
  'host',
  'port',
  'backend',
  'limits',
  'largeRunThreads',
  'primeChars',
  'flushIntervalMs',
  'defaults',
  'chatTemplate',
  'drainSeconds',
  'apiKeys',
  'corsOrigins',
  'sessionDir',
  'sessionSaveSeconds',
  'logger',
  'accessLog',
  'runtime',
  'clock',
]);
const BACKENDS: readonly NodeBackend[] = ['auto', 'cuda', 'cpu'];

function bad(name: string, value: unknown, valid: string): never {
  throw new ServerOptionError(`option ${name} is ${typeof value === 'string' ? JSON.stringify(value) : String(value)}; expected ${valid}`);
}

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) bad(name, value, `an integer in [${min}, ${max}]`);
  return value;
}

function strings(name: string, value: unknown, valid: (s: string) => boolean, expected: string): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) bad(name, value, `an array of ${expected}`);
  value.forEach((v, i) => {
    if (typeof v === 'string' && valid(v)) return;
    // A key is never echoed in a message.
    if (name === 'apiKeys') throw new ServerOptionError(`option ${name}[${i}] is a ${typeof v} of length ${String((v as string)?.length)}; expected ${expected}`);
    bad(`${name}[${i}]`, v, expected);
  });
  return Object.freeze([...(value as string[])]);
}

function seconds(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) bad(name, value, `a number of seconds from ${min} to ${max}`);
  return value;
}

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) bad('options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new ServerOptionError(`unknown server option '${key}'; valid options are ${[...OPTION_KEYS].join(', ')}`);
  }
  if (!Array.isArray(options.models) || options.models.length === 0) bad('models', options.models, 'a non-empty array of paths or { source, name }');
  const models = (options.models as readonly unknown[]).map((m, i): ModelSpec => {
    const spec = (typeof m === 'string' ? { source: m } : m) as { source?: unknown; name?: unknown } | null;
    const ok = typeof spec === 'object' && spec !== null && (typeof spec.source === 'string' || spec.source instanceof URL || spec.source instanceof Uint8Array);
    if (!ok) bad(`models[${i}]`, JSON.stringify(m), 'a path, a URL, or { source: path | URL | Uint8Array, name? }');
    if (spec.name !== undefined && !(typeof spec.name === 'string' && /^[\w.:-]{1,128}$/.test(spec.name))) {
      bad(`models[${i}].name`, spec.name, 'a name of 1-128 letters, digits, _ . : -');
    }
    return spec as ModelSpec;
  });
  const limits: ServerLimits = { ...DEFAULT_LIMITS };
  if (options.limits !== undefined) {
    if (typeof options.limits !== 'object' || options.limits === null) bad('limits', options.limits, 'an object');
    for (const [key, value] of Object.entries(options.limits)) {
      if (!(key in DEFAULT_LIMITS)) throw new ServerOptionError(`unknown limit '${key}'; valid limits are ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
      if (value === undefined) continue;
      limits[key as keyof ServerLimits] = integer(`limits.${key}`, value, key === 'maxQueue' ? 0 : 1);
    }
  }
  // A request's choices run side by side, so they cannot outnumber the slots; unless given, the
  // default follows a smaller maxStreams down.
  if (options.limits?.maxChoices === undefined) limits.maxChoices = Math.min(limits.maxChoices, limits.maxStreams);
  if (limits.maxChoices > limits.maxStreams) bad('limits.maxChoices', limits.maxChoices, `at most limits.maxStreams (${limits.maxStreams})`);
  const backend = options.backend ?? 'auto';
  if (!BACKENDS.includes(backend)) bad('backend', backend, BACKENDS.join(', '));
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) bad('host', host, 'an address such as 127.0.0.1');
  if (options.defaults !== undefined && (typeof options.defaults !== 'object' || options.defaults === null)) bad('defaults', options.defaults, 'an object');
  const defaults = Object.freeze(resolveSamplingDefaults(limits, options.defaults));
  const flushIntervalMs = options.flushIntervalMs ?? 4;
  if (typeof flushIntervalMs !== 'number' || !(flushIntervalMs >= 0 && flushIntervalMs <= 1000)) bad('flushIntervalMs', flushIntervalMs, 'a number of milliseconds in [0, 1000]');
  return {
    models,
    host,
    port: integer('port', options.port ?? 8080, 0, 65535),
    backend,
    limits: Object.freeze(limits),
    largeRunThreads: integer('largeRunThreads', options.largeRunThreads ?? 1, 1, 256),
    primeChars: integer('primeChars', options.primeChars ?? 256, 1),
    flushIntervalMs,
    defaults,
    chatTemplate: Object.freeze(resolveChatTemplate(options.chatTemplate)),
    drainSeconds: seconds('drainSeconds', options.drainSeconds ?? 30, 0, 3600),
    apiKeys: strings('apiKeys', options.apiKeys, (k) => /^[\x21-\x7e]{16,256}$/.test(k), 'API keys of 16 to 256 printable ASCII characters without spaces'),
    corsOrigins: strings('corsOrigins', options.corsOrigins, (o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o), "origins such as https://example.com (scheme and host, no path), or '*'"),
    sessionDir: options.sessionDir === undefined ? undefined : typeof options.sessionDir === 'string' && options.sessionDir !== '' ? options.sessionDir : bad('sessionDir', options.sessionDir, 'a directory path'),
    sessionSaveSeconds: seconds('sessionSaveSeconds', options.sessionSaveSeconds ?? 60, 1, 86_400),
    logger: options.logger ?? console,
    accessLog: options.accessLog ?? false,
    runtime: options.runtime,
    clock: options.clock === undefined ? Date.now : typeof options.clock === 'function' ? options.clock : bad('clock', options.clock, 'a function returning milliseconds since the epoch'),
  };
}
