/**
 * JSON schemas of the request bodies (Fastify validates with Ajv before a handler runs), and, for
 * every field, the sentence that says what a valid value is: a validation error names the field
 * and quotes that sentence.
 */
import type { ServerLimits } from '../options.js';

/** The request as validated: OpenAI's completions subset plus `top_k` and `session`. */
export interface CompletionRequest {
  model?: string;
  prompt: string | string[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  n?: number;
  seed?: number;
  stop?: string | string[] | null;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  /** A session id to continue, or true to start a new session. */
  session?: string | true;
  user?: string;
  include_stop_str_in_output?: boolean;
}

export interface CreateSessionRequest {
  model?: string;
  state?: unknown;
}

/** Fields of OpenAI's completions API that this server does not implement (a clearer 400 than "unknown"). */
export const UNSUPPORTED_OPENAI_FIELDS: ReadonlySet<string> = new Set([
  'best_of',
  'echo',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'presence_penalty',
  'suffix',
]);

const STOP_MAX = 4;
const STOP_CHARS = 64;
const NAME_CHARS = 256;

export function fieldRules(limits: ServerLimits): Record<string, string> {
  return {
    model: 'the id of a served model (GET /v1/models), a string',
    prompt: `a string of at most ${limits.maxPromptChars} characters, or a non-empty array of up to ${limits.maxChoices} such strings`,
    max_tokens: `an integer from 0 to ${limits.maxTokens}`,
    temperature: 'a number from 0 to 2 (0 = greedy)',
    top_p: 'a number greater than 0 and at most 1 (1 = off)',
    top_k: 'an integer ≥ 0 (0 = off)',
    n: `an integer from 1 to ${limits.maxChoices}`,
    seed: `an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
    stop: `a non-empty string of at most ${STOP_CHARS} characters, an array of up to ${STOP_MAX} such strings, or null`,
    stream: 'true or false',
    stream_options: 'null or an object { include_usage: boolean }',
    'stream_options.include_usage': 'true or false',
    session: 'a session id (from a previous response or POST /v1/sessions), or true to start a new session',
    user: `a string of at most ${NAME_CHARS} characters`,
    state: "a state snapshot from GET /v1/sessions/{id}/state (infer-web's getState() format)",
  };
}

export function completionSchema(limits: ServerLimits): object {
  const promptString = { type: 'string', maxLength: limits.maxPromptChars };
  const stopString = { type: 'string', minLength: 1, maxLength: STOP_CHARS };
  return {
    type: 'object',
    additionalProperties: false,
    required: ['prompt'],
    properties: {
      model: { type: 'string', minLength: 1, maxLength: NAME_CHARS },
      prompt: { anyOf: [promptString, { type: 'array', minItems: 1, maxItems: limits.maxChoices, items: promptString }] },
      max_tokens: { type: 'integer', minimum: 0, maximum: limits.maxTokens },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      top_k: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      n: { type: 'integer', minimum: 1, maximum: limits.maxChoices },
      seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      stop: { anyOf: [stopString, { type: 'array', maxItems: STOP_MAX, items: stopString }, { type: 'null' }] },
      stream: { type: 'boolean' },
      stream_options: {
        anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: { include_usage: { type: 'boolean' } } }],
      },
      session: { anyOf: [{ type: 'string', minLength: 1, maxLength: NAME_CHARS }, { const: true }] },
      user: { type: 'string', maxLength: NAME_CHARS },
      include_stop_str_in_output: { type: 'boolean' },
    },
  };
}

export const createSessionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1, maxLength: NAME_CHARS },
    state: { type: 'object' },
  },
};

/** PUT …/state takes the snapshot object itself; infer-web's fromSnapshot checks its fields. */
export const stateSchema = { type: 'object' };

export const sessionParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: NAME_CHARS } },
  required: ['id'],
};

export const stateQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { encoding: { type: 'string', enum: ['base64', 'array'] } },
};
