/**
 * The request parameters, each declared once as a TypeBox schema: its type and validation (Ajv
 * checks them before a handler runs), its OpenAI default (`default`), and the sentence that says
 * what a valid value is (`description`, which a validation error quotes). A body's TypeScript
 * type is derived from the same schema (@fastify/type-provider-typebox), and toSamplerSettings()
 * is the one place that turns a body into sampler settings: the request's value, else the
 * server's default, else OpenAI's (vLLM's `to_sampling_params()` order).
 *
 * OpenAI's clients and the libraries around them send `null` for "the default", and no-op values
 * of fields this server has no use for (`best_of: 1`, `suffix: null`): those are accepted.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { ServerOptionError } from '../errors.js';
import type { ServerLimits } from '../options.js';
import type { SamplingSettings } from '../scheduler/stream.js';

const STOP_MAX = 4;
const STOP_CHARS = 64;
const NAME_CHARS = 256;
/** Alternatives per character in logprobs at most (OpenAI's chat allows 20). */
const MAX_LOGPROBS = 20;

/** A parameter that may be left out or sent as null, both meaning its default. */
function nullable<T extends TSchema>(schema: T, description: string, defaultValue?: unknown) {
  return Type.Optional(Type.Union([schema, Type.Null()], defaultValue === undefined ? { description } : { description, default: defaultValue }));
}

/** The sampling parameters, the same on /v1/completions and /v1/chat/completions. */
export function samplingParameters(limits: ServerLimits) {
  const stopString = Type.String({ minLength: 1, maxLength: STOP_CHARS });
  return {
    max_tokens: nullable(Type.Integer({ minimum: 0, maximum: limits.maxTokens }), `an integer from 0 to ${limits.maxTokens}`, 16),
    temperature: nullable(Type.Number({ minimum: 0, maximum: 2 }), 'a number from 0 to 2 (0 = greedy)', 1),
    top_p: nullable(Type.Number({ minimum: 0, maximum: 1 }), 'a number from 0 to 1 (1 = off; 0 keeps only the most likely character)', 1),
    top_k: nullable(Type.Integer({ minimum: -1, maximum: 1_000_000 }), 'an integer ≥ -1 (0 or -1 = off)', 0),
    min_p: nullable(Type.Number({ minimum: 0, maximum: 1 }), 'a number from 0 to 1 (0 = off)', 0),
    presence_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 }), 'a number from -2 to 2 (0 = off)', 0),
    frequency_penalty: nullable(Type.Number({ minimum: -2, maximum: 2 }), 'a number from -2 to 2 (0 = off)', 0),
    repetition_penalty: nullable(Type.Number({ exclusiveMinimum: 0, maximum: 10 }), 'a number greater than 0 and at most 10 (1 = off)', 1),
    n: nullable(Type.Integer({ minimum: 1, maximum: limits.maxChoices }), `an integer from 1 to ${limits.maxChoices}`, 1),
    seed: nullable(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), `an integer from 0 to ${Number.MAX_SAFE_INTEGER}`),
    stop: Type.Optional(
      Type.Union([stopString, Type.Array(stopString, { maxItems: STOP_MAX }), Type.Null()], {
        description: `a non-empty string of at most ${STOP_CHARS} characters, an array of up to ${STOP_MAX} such strings, or null`,
      }),
    ),
    include_stop_str_in_output: nullable(Type.Boolean(), 'true or false', false),
    stream: nullable(Type.Boolean(), 'true or false', false),
    stream_options: Type.Optional(
      Type.Union([Type.Null(), Type.Object({ include_usage: nullable(Type.Boolean(), 'true or false', false) }, { additionalProperties: false })], {
        description: 'null or an object { include_usage: boolean }',
      }),
    ),
    user: Type.Optional(Type.String({ maxLength: NAME_CHARS, description: `a string of at most ${NAME_CHARS} characters` })),
    session: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: NAME_CHARS }), Type.Literal(true)], {
        description: 'a session id (from a previous response or POST /v1/sessions), or true to start a new session',
      }),
    ),
  };
}

const modelParameter = Type.Optional(Type.String({ minLength: 1, maxLength: NAME_CHARS, description: 'the id of a served model (GET /v1/models), a string' }));

export function completionSchema(limits: ServerLimits) {
  const promptString = Type.String({ maxLength: limits.maxPromptChars });
  return Type.Object(
    {
      model: modelParameter,
      prompt: Type.Union([promptString, Type.Array(promptString, { minItems: 1, maxItems: limits.maxChoices })], {
        description: `a string of at most ${limits.maxPromptChars} characters, or a non-empty array of up to ${limits.maxChoices} such strings`,
      }),
      ...samplingParameters(limits),
      echo: nullable(Type.Boolean(), 'true or false: the prompt before the text (with logprobs, its characters scored too)', false),
      logprobs: nullable(Type.Integer({ minimum: 0, maximum: MAX_LOGPROBS }), `an integer from 0 to ${MAX_LOGPROBS}: each character's log-probability and this many most likely alternatives`),
      best_of: nullable(Type.Literal(1), '1 or null (one candidate per choice; ask for more choices with n)', 1),
      suffix: Type.Optional(Type.Null({ description: 'null (a character model continues a text; it cannot fill in before a suffix)' })),
      logit_bias: Type.Optional(
        Type.Union([Type.Null(), Type.Object({}, { additionalProperties: false })], { description: 'null or {} (this server applies no logit biases)' }),
      ),
    },
    { additionalProperties: false },
  );
}

export type CompletionRequest = Static<ReturnType<typeof completionSchema>>;

const ROLES = ['system', 'developer', 'user', 'assistant'] as const;

export function chatSchema(limits: ServerLimits) {
  // Sessions continue a text; a chat request carries its whole conversation instead.
  const { session: _session, ...sampling } = samplingParameters(limits);
  const content = Type.Union(
    [Type.String(), Type.Array(Type.Object({ type: Type.Literal('text'), text: Type.String() }, { additionalProperties: false }), { maxItems: 1000 })],
    { description: "a string, or an array of { type: 'text', text } parts" },
  );
  const message = Type.Object(
    {
      role: Type.Union([Type.Literal('system'), Type.Literal('developer'), Type.Literal('user'), Type.Literal('assistant')], { description: `one of ${ROLES.join(', ')}` }),
      content,
      name: Type.Optional(Type.String({ maxLength: NAME_CHARS, description: `a string of at most ${NAME_CHARS} characters` })),
    },
    { additionalProperties: false },
  );
  return Type.Object(
    {
      model: modelParameter,
      messages: Type.Array(message, { minItems: 1, maxItems: 1000, description: 'a non-empty array of { role, content } messages' }),
      ...sampling,
      max_completion_tokens: nullable(Type.Integer({ minimum: 0, maximum: limits.maxTokens }), `an integer from 0 to ${limits.maxTokens} (max_tokens' newer name; it wins)`),
      logprobs: nullable(Type.Boolean(), 'true or false: each character of the reply with its log-probability', false),
      top_logprobs: nullable(Type.Integer({ minimum: 0, maximum: MAX_LOGPROBS }), `an integer from 0 to ${MAX_LOGPROBS} (with logprobs: true): the most likely alternatives per character`),
    },
    { additionalProperties: false },
  );
}

export type ChatRequest = Static<ReturnType<typeof chatSchema>>;
type SamplingRequest = Static<ReturnType<typeof Type.Object<ReturnType<typeof samplingParameters>>>>;

export const createSessionSchema = Type.Object(
  {
    model: modelParameter,
    state: Type.Optional(Type.Object({}, { description: "a state snapshot from GET /v1/sessions/{id}/state (infer-web's getState() format)" })),
  },
  { additionalProperties: false },
);
export type CreateSessionRequest = Static<typeof createSessionSchema>;

/** PUT …/state takes the snapshot object itself; infer-web's fromSnapshot checks its fields. */
export const stateSchema = Type.Object({}, { description: "a state snapshot from GET /v1/sessions/{id}/state (infer-web's getState() format)" });

export const idParamsSchema = Type.Object({ id: Type.String({ maxLength: NAME_CHARS }) });

export const stateQuerySchema = Type.Object(
  { encoding: Type.Optional(Type.Union([Type.Literal('base64'), Type.Literal('array')], { description: "'base64' (the default) or 'array'" })) },
  { additionalProperties: false },
);

/** Fields of OpenAI's APIs that this server does not implement (a clearer 400 than "unknown"). */
export const UNSUPPORTED_OPENAI_FIELDS: ReadonlySet<string> = new Set([
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'parallel_tool_calls',
  'response_format',
  'modalities',
  'audio',
  'prediction',
]);

/** Server-wide defaults of the sampling parameters (llama.cpp's `--temp`, `--top-p`, …). */
export interface SamplingDefaults {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
}

/** Each server default and the request parameter whose schema checks it. */
export const DEFAULT_PARAMETERS: Readonly<Record<keyof SamplingDefaults, keyof ReturnType<typeof samplingParameters>>> = {
  maxTokens: 'max_tokens',
  temperature: 'temperature',
  topP: 'top_p',
  topK: 'top_k',
  minP: 'min_p',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  repetitionPenalty: 'repetition_penalty',
};

/**
 * The server's defaults: OpenAI's (the schemas' `default`), overridden by `overrides`, each
 * checked by its parameter's own schema.
 */
export function resolveSamplingDefaults(limits: ServerLimits, overrides: Partial<SamplingDefaults> = {}): SamplingDefaults {
  const parameters = samplingParameters(limits);
  const defaults = {} as SamplingDefaults;
  for (const [key, name] of Object.entries(DEFAULT_PARAMETERS) as [keyof SamplingDefaults, keyof typeof parameters][]) {
    const schema = parameters[name] as TSchema & { default?: number; description?: string };
    const value = overrides[key] ?? schema.default;
    if (typeof value !== 'number' || !Value.Check(schema, value)) {
      throw new ServerOptionError(`option defaults.${key} is ${JSON.stringify(value)}; expected ${schema.description}`);
    }
    defaults[key] = value;
  }
  for (const key of Object.keys(overrides)) {
    if (!(key in DEFAULT_PARAMETERS)) throw new ServerOptionError(`unknown default '${key}'; valid defaults are ${Object.keys(DEFAULT_PARAMETERS).join(', ')}`);
  }
  return defaults;
}

/** What one request asks of each of its streams. */
export interface RequestSampling {
  maxTokens: number;
  sampling: SamplingSettings;
  stop: string[];
  includeStop: boolean;
  /** undefined: a random seed (or a session's own random stream). */
  seed: number | undefined;
}

/** The request's value, else the server's default, else OpenAI's. */
export function toSamplerSettings(body: SamplingRequest, defaults: SamplingDefaults): RequestSampling {
  const topK = body.top_k ?? defaults.topK;
  return {
    maxTokens: body.max_tokens ?? defaults.maxTokens,
    sampling: {
      temperature: body.temperature ?? defaults.temperature,
      topK: topK === -1 ? 0 : topK,
      topP: body.top_p ?? defaults.topP,
      minP: body.min_p ?? defaults.minP,
      presencePenalty: body.presence_penalty ?? defaults.presencePenalty,
      frequencyPenalty: body.frequency_penalty ?? defaults.frequencyPenalty,
      repetitionPenalty: body.repetition_penalty ?? defaults.repetitionPenalty,
    },
    stop: body.stop === undefined || body.stop === null ? [] : typeof body.stop === 'string' ? [body.stop] : [...body.stop],
    includeStop: body.include_stop_str_in_output === true,
    seed: body.seed ?? undefined,
  };
}

/**
 * The schema that `path` (`stream_options.include_usage`, `prompt[2]`) points at within `root`,
 * through unions and arrays; undefined if there is none.
 */
export function schemaAt(root: unknown, path: string): Record<string, unknown> | undefined {
  type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; description?: string };
  const parts = path === '' ? [] : path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let nodes: Node[] = [root as Node];
  let found: Node | undefined = root as Node;
  for (const part of parts) {
    const next: Node[] = [];
    const expand = (n: Node): void => {
      if (n.anyOf !== undefined) n.anyOf.forEach(expand);
      else if (/^\d+$/.test(part) ? n.items !== undefined : n.properties?.[part] !== undefined) next.push(/^\d+$/.test(part) ? n.items! : n.properties![part]);
    };
    nodes.forEach(expand);
    if (next.length === 0) return undefined;
    nodes = next;
    found = next.find((n) => n.description !== undefined) ?? next[0];
  }
  return found as Record<string, unknown> | undefined;
}

/** The sentence that says what a valid value at `path` is: the nearest description on the way up. */
export function ruleAt(root: unknown, path: string): string | undefined {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  for (let n = parts.length; n > 0; n--) {
    const description = schemaAt(root, parts.slice(0, n).join('.'))?.description;
    if (typeof description === 'string') return description;
  }
  return undefined;
}

/** The property names the schema allows at `parent` ('' = top level), through unions. */
export function fieldsAt(root: unknown, parent: string): string[] {
  const node = schemaAt(root, parent) as { properties?: object; anyOf?: { properties?: object }[] } | undefined;
  const object = node?.properties !== undefined ? node : node?.anyOf?.find((s) => s.properties !== undefined);
  return Object.keys(object?.properties ?? {});
}
