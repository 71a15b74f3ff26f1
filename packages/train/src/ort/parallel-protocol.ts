// What the data-parallel ONNX Runtime engine (parallel-engine.ts) and its worker threads
// (parallel-worker.ts) share: the worker's setup, the shared buffers' layout, and the messages.
import type { InferenceSession } from 'onnxruntime-common';
import type { ModelConfig } from '../model/config.js';
import type { PhaseTotals } from './phase-times.js';
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
   * Shared float32 memory (WebAssembly, so that the update's SIMD kernels work in place on it,
   * optim/simd-step.ts) holding the regions of `layout`, each [parameters] long: all trained
   * weights end to end in state_dict order (trainedShapes, flatOffsets), read whole by every worker
   * before a run and written by each in its own slice after the update; the optimizer slots (Adam
   * m, v; SGD m), each worker owning its slice; every worker's gradient of its streams' mean loss,
   * written by it and summed by all; the summed gradient, each worker writing its slice.
   */
  memory: WebAssembly.Memory;
  layout: SharedLayout;
  /** float64 [2 · workers]: worker i's loss sum at 2i, its slice's sum of squared gradients at 2i + 1. */
  sums: SharedArrayBuffer;
  /** The barrier between a step's phases (barrier.ts). */
  barrier: SharedArrayBuffer;
}

/** Float indices of the regions in the shared memory (WorkerSetup.memory). */
export interface SharedLayout {
  /** Trained parameters (the length of each region). */
  parameters: number;
  weights: number;
  /** In flatStep's order, as slotKeys lists them. */
  slots: number[];
  /** One per worker. */
  grads: number[];
  summed: number;
}

/** The regions of `parameters` floats for `slots` optimizer slots and `workers` workers, each 16-byte aligned (SIMD loads), and the memory's pages. */
export function sharedLayout(parameters: number, slots: number, workers: number): { layout: SharedLayout; pages: number } {
  const stride = Math.ceil(parameters / 4) * 4;
  const at = (k: number) => k * stride;
  const layout: SharedLayout = {
    parameters,
    weights: at(0),
    slots: Array.from({ length: slots }, (_, k) => at(1 + k)),
    grads: Array.from({ length: workers }, (_, j) => at(1 + slots + j)),
    summed: at(1 + slots + workers),
  };
  return { layout, pages: Math.max(1, Math.ceil((at(2 + slots + workers) * Float32Array.BYTES_PER_ELEMENT) / 65536)) };
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
  /** Updates (one per worker per step) that must have finished before this step reads the weights: every earlier step's. */
  after: number;
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
  /** As StepRequest's: every earlier step's updates. */
  after: number;
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
  /**
   * The batch's mean loss (every worker computes the same), sent once every gradient is in and
   * before this worker's update; non-finite means nothing is applied.
   */
  | { type: 'stepped'; loss: number; phases?: PhaseTotals }
  | { type: 'evaluated'; lossSum: number; targets: number }
  /** This worker failed; `message` says why. */
  | { type: 'failed'; message: string }
  /** Another worker failed (the barrier was broken) and this one stopped. */
  | { type: 'stopped' };
