import type { ModelConfig } from '../model/config.js';

/** workerData of a gradient worker: the model config and its shared buffers. */
export interface WorkerSetup {
  config: ModelConfig;
  backend: string;
  /** float32 weights, all parameters in state_dict order (paramOffsets), written by the main thread. */
  weights: SharedArrayBuffer;
  /** float32 gradients, same layout, written by the worker. */
  grads: SharedArrayBuffer;
  /** int32 counters: CONTROL_DONE / CONTROL_FAILED, bumped by the worker when a request ends. */
  control: SharedArrayBuffer;
  /** float32: [lossSum, final h (layers·streams·hidden), final c (lstm)]. */
  result: SharedArrayBuffer;
}

/** One window's streams for a worker (ids time-major [seqLen, batchSize]). */
export interface WorkerRequest {
  input: Int32Array;
  target: Int32Array;
  seqLen: number;
  batchSize: number;
  h: Float32Array;
  c?: Float32Array;
  /** Targets of the whole batch, across all workers. */
  normalizer: number;
}

export const CONTROL_DONE = 0;
export const CONTROL_FAILED = 1;
