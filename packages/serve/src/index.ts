/**
 * `@charrnn/serve`: an OpenAI-compatible completions server for charrnn ONNX models (contract
 * 2, docs/onnx-model.md), built on infer-web's runtime, with continuous batching, SSE streaming, sessions and
 * Prometheus metrics. `createServer(options)` is the library; `charrnn-serve` the CLI.
 */
export { createServer, type CharServer } from './server.js';
export {
  DEFAULT_LIMITS,
  resolveServerOptions,
  type ModelSpec,
  type ResolvedServerOptions,
  type ServerLimits,
  type ServerOptions,
} from './options.js';
export { findDefaultModel, DEFAULT_DEMO_MODEL, type DefaultModel } from './model-discovery.js';
export { modelNameFor, type ServedModel } from './model-registry.js';
export {
  InvalidRequestError,
  NotFoundError,
  RequestTimeoutError,
  ServeError,
  ServerClosingError,
  ServerOptionError,
  SessionBusyError,
  TooManyRequestsError,
  type ErrorType,
  type OpenAIErrorBody,
  type OpenAIErrorObject,
} from './errors.js';
export { DEFAULT_PARAMETERS, toSamplerSettings, type CompletionRequest, type RequestSampling, type SamplingDefaults } from './http/schemas.js';
export type { CompletionChoice, CompletionLogprobs, CompletionResponse, FinishReason, Usage } from './http/completions.js';
export { DEFAULT_CHAT_TEMPLATE, renderChat, type ChatCompletionResponse, type ChatLogprob, type ChatTemplate } from './http/chat.js';
export type { ChatRequest } from './http/schemas.js';
export type { TokenLogprob } from './scheduler/logprobs.js';
export type { ModelObject } from './http/models.js';
export type { SessionObject } from './http/sessions.js';
export { Scheduler, type SchedulerObserver, type SchedulerOptions } from './scheduler/scheduler.js';
export type { SamplingSettings, StreamEnd, StreamResult, StreamSink, StreamSpec } from './scheduler/stream.js';
