/** The runtime-free core, shared by both entry points. */
export { CharGenerator as CoreCharGenerator, checkLogits, type LoadOptions } from './generator.js';
export { PRIME_CHUNK_CHARS, interleaveRows, scatterRow } from './priming.js';
export {
  validateContract,
  readModelDescription,
  hasState,
  stateNames,
  type StateName,
  type Arch,
  type GraphKind,
  type TextMode,
  type ModelInfo,
  type ModelDescription,
  type ValueInfo,
} from '@charrnn/contract';
export { Tokenizer, UNK } from './tokenizer.js';
export { Rng, type RngState } from './rng.js';
export { Sampler, argmax, sampleSoftmax, type SamplerSettings } from './sampler.js';
export {
  logitsProcessorsFor,
  MinPProcessor,
  PresenceFrequencyPenaltyProcessor,
  RepetitionPenaltyProcessor,
  TemperatureProcessor,
  TopKProcessor,
  TopPProcessor,
  type LogitsContext,
  type LogitsProcessor,
  type SamplingOptions,
} from './logits-processors.js';
export {
  DEFAULT_GENERATION_OPTIONS,
  resolveGenerationOptions,
  type GenerationOptions,
  type ResolvedGenerationOptions,
} from './options.js';
export {
  AbortCriterion,
  MaxNewTokensCriterion,
  StopStringsCriterion,
  type StoppingCriterion,
} from './stopping.js';
export { GenerationStream, type FinishReason, type GenerationResult, type Streamer } from './streamer.js';
export {
  STATE_FORMAT,
  cloneStreamState,
  emptyStreamState,
  fromSnapshot,
  toSnapshot,
  type FloatEncoding,
  type GeneratorSnapshot,
  type StreamState,
} from './state.js';
export type { Logger, RecurrentOutputs, RecurrentSession, Runtime } from './session.js';
export { DEFAULT_IDLE_TIMEOUT_MS, fetchModel, type FetchModelOptions, type ModelSource, type ProgressCallback } from './source.js';
export {
  BackendUnavailableError,
  CharRnnError,
  InvalidOptionError,
  InvalidPromptError,
  InvalidStateError,
  ModelContractError,
  ModelFormatError,
  ModelSourceError,
  NonFiniteOutputError,
} from './errors.js';
