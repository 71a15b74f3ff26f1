/**
 * Generation options: one typed object, its defaults written beside it (as transformers.js'
 * GenerationConfig), validated in one place so every bad value is named.
 */
import { InvalidOptionError } from './errors.js';
import type { LogitsProcessor } from './logits-processors.js';
import type { Streamer } from './streamer.js';

export interface GenerationOptions {
  /** Characters to generate after the prompt. Default 200. */
  maxNewTokens?: number;
  /** Softmax temperature; 0 = greedy (argmax). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely characters; 0 = off. Default 0. */
  topK?: number;
  /** Nucleus sampling: the smallest set of characters with total probability ≥ p; 1 = off. Default 1. */
  topP?: number;
  /** min-p sampling: only characters at least minP × as likely as the most likely one; 0 = off. Default 0. */
  minP?: number;
  /** OpenAI's presence penalty: subtracted once from the logit of each character already generated; 0 = off. Default 0. */
  presencePenalty?: number;
  /** OpenAI's frequency penalty: subtracted per occurrence of a character already generated; 0 = off. Default 0. */
  frequencyPenalty?: number;
  /** CTRL's repetition penalty (> 0): > 1 makes characters already generated less likely; 1 = off. Default 1. */
  repetitionPenalty?: number;
  /**
   * Seed for this call's sampling. Default: none, which continues the generator's own random
   * stream (seeded by `LoadOptions.seed`), so successive calls differ but replay identically.
   */
  seed?: number;
  /** Stop as soon as the generated text ends with one of these (it is included). Default []. */
  stop?: readonly string[];
  /** Ends generation at the next character once aborted (finishReason 'abort'). */
  signal?: AbortSignal;
  /** Receives each chunk as it is produced, then `end()`. */
  streamer?: Streamer;
  /** Run before temperature / top-k / top-p, in order. Default []. */
  logitsProcessors?: readonly LogitsProcessor[];
  /**
   * Never generate the vocabulary's special tokens (`<unk>`, `<pad>`, …), whose names would
   * otherwise appear in the text. Default true.
   */
  suppressSpecialTokens?: boolean;
}

export interface ResolvedGenerationOptions {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  repetitionPenalty: number;
  seed: number | undefined;
  stop: readonly string[];
  signal: AbortSignal | undefined;
  streamer: Streamer | undefined;
  logitsProcessors: readonly LogitsProcessor[];
  suppressSpecialTokens: boolean;
}

export const DEFAULT_GENERATION_OPTIONS: Readonly<ResolvedGenerationOptions> = Object.freeze({
  maxNewTokens: 200,
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  seed: undefined,
  stop: Object.freeze([]) as readonly string[],
  signal: undefined,
  streamer: undefined,
  logitsProcessors: Object.freeze([]) as readonly LogitsProcessor[],
  suppressSpecialTokens: true,
});

const KNOWN = new Set(Object.keys(DEFAULT_GENERATION_OPTIONS));

function bad(name: string, value: unknown, valid: string): never {
  throw new InvalidOptionError(`option ${name} is ${typeof value === 'string' ? JSON.stringify(value) : String(value)}; expected ${valid}`);
}

export function resolveGenerationOptions(options: GenerationOptions = {}): ResolvedGenerationOptions {
  if (typeof options !== 'object' || options === null) bad('options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`unknown generation option '${key}'; valid options are ${[...KNOWN].join(', ')}`);
  }
  const o = { ...DEFAULT_GENERATION_OPTIONS, ...stripUndefined(options) };
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) bad('maxNewTokens', o.maxNewTokens, 'an integer ≥ 0');
  if (typeof o.temperature !== 'number' || !Number.isFinite(o.temperature) || o.temperature < 0) {
    bad('temperature', o.temperature, 'a finite number ≥ 0 (0 = greedy)');
  }
  if (!Number.isInteger(o.topK) || o.topK < 0) bad('topK', o.topK, 'an integer ≥ 0 (0 = off)');
  if (typeof o.topP !== 'number' || !(o.topP > 0 && o.topP <= 1)) bad('topP', o.topP, 'a number in (0, 1] (1 = off)');
  if (typeof o.minP !== 'number' || !(o.minP >= 0 && o.minP <= 1)) bad('minP', o.minP, 'a number in [0, 1] (0 = off)');
  for (const name of ['presencePenalty', 'frequencyPenalty'] as const) {
    if (typeof o[name] !== 'number' || !Number.isFinite(o[name])) bad(name, o[name], 'a finite number (0 = off; OpenAI allows -2 to 2)');
  }
  if (typeof o.repetitionPenalty !== 'number' || !(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty))) {
    bad('repetitionPenalty', o.repetitionPenalty, 'a finite number > 0 (1 = off)');
  }
  if (o.seed !== undefined && !(Number.isSafeInteger(o.seed) && o.seed >= 0)) bad('seed', o.seed, 'a non-negative safe integer');
  if (!Array.isArray(o.stop) || !o.stop.every((s) => typeof s === 'string' && s.length > 0)) {
    bad('stop', JSON.stringify(o.stop), 'an array of non-empty strings');
  }
  if (o.signal !== undefined && !(typeof o.signal === 'object' && o.signal !== null && 'aborted' in o.signal)) {
    bad('signal', o.signal, 'an AbortSignal');
  }
  if (o.streamer !== undefined && typeof o.streamer.put !== 'function') bad('streamer', o.streamer, 'an object with put(text) and end()');
  if (!Array.isArray(o.logitsProcessors) || !o.logitsProcessors.every((p: unknown) => typeof (p as Partial<LogitsProcessor> | null)?.process === 'function')) {
    bad('logitsProcessors', o.logitsProcessors, 'an array of { process(logits, context) }');
  }
  if (typeof o.suppressSpecialTokens !== 'boolean') bad('suppressSpecialTokens', o.suppressSpecialTokens, 'true or false');
  return o;
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
