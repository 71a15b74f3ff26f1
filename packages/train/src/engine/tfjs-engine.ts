import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@charrnn/data';
import { BackendError } from '../backend/select.js';
import { fastLossAndGradients } from '../fast/loss-and-gradients.js';
import { CharModel, disposeState } from '../model/char-model.js';
import type { RecurrentState } from '../model/recurrent.js';
import type { NamedTensor } from '../model/weights.js';
import { createOptimizer } from '../optim/create.js';
import type { Optimizer } from '../optim/tfjs-optimizer.js';
import { evaluate } from '../trainer/evaluate.js';
import { clipGradNorm, lossAndGradients, type TokenBatch } from '../trainer/gradients.js';
import { NO_REGULARIZATION, activeRegularization, type Regularization } from './regularization.js';
import type { EngineFactory, EngineInit, StateData, TrainingEngine, TrainStepResult } from './engine.js';

export interface TfjsEngineOptions {
  /** How a window's loss and gradients are computed; default the hand-written fast path (lossAndGradients is the tape reference). */
  gradients?: typeof lossAndGradients;
}

/** The TensorFlow.js engine on the active tfjs backend: the reference the ONNX Runtime engine is tested against. */
export class TfjsEngine implements TrainingEngine {
  readonly name = `tfjs (${tf.getBackend()})`;
  private state: RecurrentState | null = null;

  private constructor(
    private readonly model: CharModel,
    private readonly optimizer: Optimizer,
    private readonly clip: number | null,
    private readonly gradients: typeof lossAndGradients,
    private readonly regularization: Regularization,
  ) {}

  static create(init: EngineInit, options: TfjsEngineOptions = {}): TfjsEngine {
    const regularization = init.regularization ?? NO_REGULARIZATION;
    const model = CharModel.fromWeights(init.config, init.weights, { tie: regularization.tie });
    const optimizer = createOptimizer(init.optimizer, { momentum: init.momentum, weightDecay: regularization.weightDecay });
    if (init.optimizerState) {
      optimizer.setState(init.optimizerState);
      optimizer.checkAgainst(model.parameters);
    }
    // The hand-written fast path (and its worker threads) knows between-layer dropout and weight
    // decay only; the other regularisation trains on tfjs' tape, the reference.
    const tape = activeRegularization(regularization).some((key) => key !== 'weightDecay');
    return new TfjsEngine(model, optimizer, init.clip, tape ? lossAndGradients : (options.gradients ?? fastLossAndGradients), regularization);
  }

  get config() {
    return this.model.config;
  }

  get stateBatch(): number {
    return this.state?.h.shape[1] ?? 0;
  }

  resetState(batch: number): void {
    if (this.state) disposeState(this.state);
    this.state = this.model.zeroState(batch);
  }

  async getState(): Promise<StateData> {
    const state = this.current();
    const t = (x: tf.Tensor3D): NamedTensor => ({ shape: [...x.shape], data: Float32Array.from(x.dataSync() as Float32Array) });
    return { h: t(state.h), ...(state.c ? { c: t(state.c) } : {}) };
  }

  setState(data: StateData): void {
    if (this.state) disposeState(this.state);
    const t = (x: NamedTensor) => tf.tensor3d(x.data, x.shape as [number, number, number]);
    this.state = { h: t(data.h), ...(data.c ? { c: t(data.c) } : {}) };
  }

  private current(): RecurrentState {
    if (!this.state) throw new RangeError('the engine has no carried state: call resetState(batch) first');
    return this.state;
  }

  async trainStep(batch: TokenBatch, lr: number, rng: Rng): Promise<TrainStepResult> {
    const result = this.gradients(this.model, batch, this.current(), { training: true, rng, regularization: this.regularization });
    if (!Number.isFinite(result.loss)) {
      tf.dispose([...result.grads.values()]);
      disposeState(result.state);
      return { loss: result.loss };
    }
    if (this.clip !== null) clipGradNorm(result.grads, this.clip);
    this.optimizer.step(this.model.parameters, result.grads, lr);
    tf.dispose([...result.grads.values()]);
    disposeState(this.current());
    this.state = result.state;
    return { loss: result.loss };
  }

  async evaluate(ids: Int32Array, batchSize: number, bptt: number) {
    return evaluate(this.model, ids, batchSize, bptt);
  }

  async getWeights() {
    return this.model.getWeights();
  }

  async getOptimizerState() {
    return this.optimizer.getState();
  }

  async dispose(): Promise<void> {
    if (this.state) disposeState(this.state);
    this.state = null;
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/**
 * tfjs-core registers no backend of its own: before selectBackend() its first op fails with "No
 * backend found in registry.", which says neither what is missing nor how to get it.
 */
async function requireBackend(): Promise<void> {
  try {
    await tf.ready();
  } catch (error) {
    throw new BackendError(
      `the tfjs engine needs an active TensorFlow.js backend and there is none (${(error as Error).message}): ` +
        "call `await selectBackend('auto')` from @charrnn/train first, or train on the ONNX Runtime engine (ortNodeEngine)",
    );
  }
}

/** An EngineFactory for the tfjs engine on the active backend (selectBackend chooses it). */
export function tfjsEngine(options: TfjsEngineOptions = {}): EngineFactory {
  return async (init) => {
    await requireBackend();
    return TfjsEngine.create(init, options);
  };
}
