import type { Rng } from '@charrnn/data';
import type { ModelConfig } from '../model/config.js';
import type { NamedTensor, Weights } from '../model/weights.js';
import type { OptimizerName, OptimizerState } from '../optim/optimizer.js';
import type { Regularization } from './regularization.js';

export interface TokenBatch {
  /** int32, time-major [seqLen, batchSize] flattened (index t·batchSize + b). */
  input: Int32Array;
  target: Int32Array;
  seqLen: number;
  batchSize: number;
}

export interface Evaluation {
  /** Mean NLL per target character over the whole split. */
  loss: number;
  /** Targets counted. */
  targets: number;
}

/** The recurrent state carried between windows, as host arrays [layers, batch, hidden]. */
export interface StateData {
  h: NamedTensor;
  /** LSTM only. */
  c?: NamedTensor;
}

/** What an engine starts from: the model, its weights, and how it is optimized. */
export interface EngineInit {
  config: ModelConfig;
  weights: Weights;
  optimizer: OptimizerName;
  /** SGD momentum. */
  momentum: number;
  /** Max global gradient norm, null for none. */
  clip: number | null;
  /** A saved optimizer state to continue from (resume). */
  optimizerState?: OptimizerState;
  /** Regularisation beyond the config's between-layer dropout; absent = none. */
  regularization?: Regularization;
}

export interface TrainStepResult {
  /** Mean cross-entropy of the window, before the update. */
  loss: number;
}

/**
 * Where training runs: it owns the weights, the optimizer state and the recurrent state carried
 * from window to window (detached between them), and does one whole optimizer step per window.
 * The training loop (trainer/loop.ts) knows nothing else about it, so the tfjs engine and the
 * ONNX Runtime engine (Node, CUDA, browsers) train from the same loop.
 */
export interface TrainingEngine {
  /** What runs the math, e.g. "tfjs (wasm)" or "onnxruntime-node (cpu)". */
  readonly name: string;
  readonly config: ModelConfig;
  /** Streams of the carried state (0 before the first reset). */
  readonly stateBatch: number;
  /** Sets the carried state to zeros for `batch` streams. */
  resetState(batch: number): void;
  getState(): Promise<StateData>;
  setState(state: StateData): void;
  /**
   * Forward, backward and the optimizer update for one window, from and to the carried state;
   * dropout masks (when the config has dropout) are drawn from `rng`. A non-finite loss applies
   * nothing: weights, optimizer state and carried state stay as they were.
   */
  trainStep(batch: TokenBatch, lr: number, rng: Rng): Promise<TrainStepResult>;
  /** Exact mean NLL over `ids` (fixed-length windows of `bptt`, state from zeros), leaving the carried state alone. */
  evaluate(ids: Int32Array, batchSize: number, bptt: number): Promise<Evaluation>;
  getWeights(): Promise<Weights>;
  getOptimizerState(): Promise<OptimizerState>;
  dispose(): Promise<void>;
}

/** Builds an engine for a run (the loop calls it once, with fresh or resumed weights). */
export type EngineFactory = (init: EngineInit) => Promise<TrainingEngine>;
