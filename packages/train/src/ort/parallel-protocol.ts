// What the data-parallel ONNX Runtime engine (parallel-engine.ts) and its worker threads
// (parallel-worker.ts) share: the worker's setup, the shared buffers' layout, and the messages.
import type { InferenceSession } from 'onnxruntime-common';
import type { ModelConfig } from '../model/config.js';
import type { GraphOptimizer } from './training-graph.js';

/** workerData of a worker. */
export interface WorkerSetup {
  /** This worker's index, 0 … workers − 1. */
  index: number;
  workers: number;
  config: ModelConfig;
  optimizer: GraphOptimizer;
  clip: number | null;
  /** Which dropout masks the gradients graphs take: between layers, on the embedding and the output, on every weight_hh. */
  masks: { dropout: boolean; embedDropout: boolean; outputDropout: boolean; weightDrop: boolean };
  /** AdamW's decoupled weight decay λ (0: none). */
  weightDecay: number;
  /** decoder.weight is encoder.weight: one parameter, so not in the flat buffers (trainedShapes). */
  tie: boolean;
  /** Intra-op threads of each of the worker's sessions. */
  intraOpNumThreads: number;
  /** Extra onnxruntime session options (structured-cloneable). */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * float32 [parameters]: all trained weights end to end in state_dict order (trainedShapes,
   * flatOffsets). Read whole by every worker before a run; written by each worker in its own
   * slice after the update.
   */
  weights: SharedArrayBuffer;
  /** float32 [parameters] each, the same layout: the optimizer slots (Adam m, v; SGD m), each worker owning its slice. */
  slots: SharedArrayBuffer[];
  /** float32 [parameters] per worker: the gradient of its streams' mean loss, written by it, summed by all. */
  grads: SharedArrayBuffer[];
  /** float64 [2 · workers]: worker i's loss sum at 2i, its slice's sum of squared gradients at 2i + 1. */
  sums: SharedArrayBuffer;
  /** The barrier between a step's phases (barrier.ts). */
  barrier: SharedArrayBuffer;
}

/** The carried state in shared memory, float32 [layers, batch, hidden]; each worker reads and writes its streams' columns. */
export interface SharedState {
  batch: number;
  h: SharedArrayBuffer;
  c?: SharedArrayBuffer;
}

/** One dropout mask's rows of a worker's streams, [steps · streams, width] time-major; a shared mask (weight drop) whole, [steps, width]. */
export interface MaskPart {
  name: string;
  data: Float32Array;
  steps: number;
  width: number;
  shared?: boolean;
}

export interface StepRequest {
  type: 'step';
  seqLen: number;
  /** Every worker's streams [from, to) of the batch, in worker order (some may be empty). */
  parts: [number, number][];
  /** This worker's columns of the window's inputs and targets, time-major [seqLen, streams]. */
  input: Int32Array;
  target: Int32Array;
  masks: MaskPart[];
  state: SharedState;
  /** The update's scalar inputs by contract-3 name (lr, Adam's bias corrections). */
  scalars: Record<string, number>;
}

export interface EvalRequest {
  type: 'eval';
  ids: Int32Array;
  batchSize: number;
  bptt: number;
  /** This worker's streams of each window. */
  from: number;
  to: number;
}

export type WorkerRequest = StepRequest | EvalRequest;

export type WorkerReply =
  | { type: 'ready' }
  /** The batch's mean loss (every worker computes the same); non-finite means nothing was applied. */
  | { type: 'stepped'; loss: number }
  | { type: 'evaluated'; lossSum: number; targets: number }
  /** This worker failed; `message` says why. */
  | { type: 'failed'; message: string }
  /** Another worker failed (the barrier was broken) and this one stopped. */
  | { type: 'stopped' };
