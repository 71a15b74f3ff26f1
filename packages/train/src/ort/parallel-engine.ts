/**
 * The ONNX Runtime engine data-parallel over CPU cores (onnxruntime-node): one intra-op thread
 * gains little on a second core (1.17× at 2 threads, lesson GRU), so the batch's streams are split
 * between worker threads instead, each with its own sessions (parallel-worker.ts).
 *
 * A step: this thread draws the window's dropout masks as the one-thread engine does (same rng
 * order) and sends each worker its streams' columns of tokens, targets and masks. Each worker runs
 * the "gradients" graph on its streams from their carried state; the workers meet at a barrier;
 * then each sums all workers' gradients (weighted by their share of the targets) over its own
 * slice of the flat parameters and updates that slice's weights and optimizer slots (flatStep).
 * Weights, optimizer slots and gradients live in one shared WebAssembly memory (the sum and the
 * update are SIMD kernels working in place on it, optim/simd-step.ts), the carried state in
 * SharedArrayBuffers, so no weight is sent anywhere: each worker copies the weights into its own
 * memory before a run (onnxruntime-node takes no SharedArrayBuffer as tensor data) and writes back
 * only its slice.
 * A worker replies with the loss as soon as every gradient is in, and sums and updates after, while
 * this thread returns the loss and prepares the next step (on 2 cores that hides this thread's
 * turnaround and the workers' wake-up behind the update); the next step, and any read of the
 * weights, slots or state here, first waits for those updates (Barrier.finished).
 * The result is the one-thread engine's up to float rounding (sums in another order), and the
 * same on every run with the same worker count.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { hasState } from '@charrnn/contract';
import type { Rng } from '@charrnn/data';
import type { InferenceSession } from 'onnxruntime-common';
import type { EngineInit, Evaluation, StateData, TokenBatch, TrainingEngine, TrainStepResult } from '../engine/engine.js';
import { NO_REGULARIZATION, type Regularization } from '../engine/regularization.js';
import { stateColumns, streamRanges, tokenColumns } from '../engine/stream-split.js';
import { expectedShapes, type ModelConfig } from '../model/config.js';
import { flatOffsets, type Weights } from '../model/weights.js';
import type { OptimizerState } from '../optim/optimizer.js';
import { BARRIER_BYTES, Barrier, BarrierBrokenError } from './barrier.js';
import { addSamples, formatPhaseTimes, PhaseTimes, phaseTimesWanted, type PhaseSamples } from './phase-times.js';
import { checkBatch, checkState, checkStateBatch, savedOptimizerState, slotKeys, startingPoint, updateScalars, windowMasks } from './ort-engine.js';
import { sharedLayout, type SharedLayout, type SharedState, type WorkerReply, type WorkerRequest, type WorkerSetup } from './parallel-protocol.js';
import { trainedShapes, type GraphOptimizer } from './training-graph.js';

export interface ParallelOrtOptions {
  /** Worker threads; each batch's streams are split between them. */
  workers: number;
  /** Intra-op threads of each worker's sessions (default 1). */
  intraOpNumThreads?: number;
  /** Extra onnxruntime session options for every worker session (structured-cloneable). */
  sessionOptions?: InferenceSession.SessionOptions;
  /** The compiled worker module; default parallel-worker.js beside this file. */
  workerUrl?: URL;
}

export class ParallelOrtError extends Error {
  override name = 'ParallelOrtError';
}

/** Cores this process may use (os.availableParallelism): the worker count that trains on every one. */
export function availableWorkers(): number {
  return os.availableParallelism();
}

let running = 0;

/** Worker threads of data-parallel engines in this process that have not exited (none once every engine is disposed). */
export function runningOrtWorkers(): number {
  return running;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

class WorkerHandle {
  pending: Pending | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly worker: Worker,
    readonly index: number,
    onMessage: (reply: WorkerReply, handle: WorkerHandle) => void,
    onDeath: (why: string, handle: WorkerHandle) => void,
  ) {
    running++;
    worker.on('message', (reply: WorkerReply) => onMessage(reply, this));
    worker.on('error', (e) => onDeath(`threw ${String(e?.message ?? e).split('\n')[0]}`, this));
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        running--;
        onDeath(`exited with code ${code}`, this);
        resolve();
      }),
    );
  }

  /** Sends one request (or none, to wait for the start-up reply) and resolves with the worker's reply. */
  request(message?: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      if (message) this.worker.postMessage(message, transfer);
    });
  }
}

export class ParallelOrtEngine implements TrainingEngine {
  readonly name: string;
  private readonly shapes: Map<string, number[]>;
  private readonly offsets: Map<string, [number, number]>;
  private readonly optimizer: GraphOptimizer;
  private readonly regularization: Regularization;
  private adamStep: number;
  private readonly shared: { memory: WebAssembly.Memory; layout: SharedLayout; sums: SharedArrayBuffer; barrier: SharedArrayBuffer };
  /** The weights and each optimizer slot in the shared memory, [parameters] each. */
  private readonly weights: Float32Array;
  private readonly slots: Float32Array[];
  private readonly barrier: Barrier;
  private readonly handles: WorkerHandle[] = [];
  private state: SharedState | null = null;
  private failure: ParallelOrtError | null = null;
  private disposed = false;
  private busy = false;
  /** Slice updates the workers have been asked for (each step, one per worker): what a reader of the shared weights waits for. */
  private updates = 0;
  /** CHARRNN_PHASE_TIMES: this thread's phases, and each worker's summed from its replies. */
  private readonly phases = new PhaseTimes(phaseTimesWanted());
  private readonly phaseSamples: PhaseSamples[] = [];
  private timedSteps = 0;

  private constructor(
    readonly config: ModelConfig,
    private readonly init: EngineInit,
    private readonly options: ParallelOrtOptions,
  ) {
    this.name = `onnxruntime-node (cpu, ${options.workers} data-parallel workers)`;
    this.regularization = init.regularization ?? NO_REGULARIZATION;
    // A tied decoder.weight is encoder.weight: one parameter, one set of slots, one place in the buffers.
    this.shapes = trainedShapes(config, this.regularization.tie);
    this.offsets = flatOffsets(this.shapes);
    const start = startingPoint(init);
    this.optimizer = start.optimizer;
    this.adamStep = start.adamStep;
    const size = [...this.offsets.values()].reduce((n, [, count]) => n + count, 0);
    // Slots in flatStep's order, as slotKeys lists them: Adam m, v; SGD the momentum buffer.
    const { layout, pages } = sharedLayout(size, slotKeys(init.optimizer, '').length, options.workers);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.shared = {
      memory,
      layout,
      sums: new SharedArrayBuffer(2 * options.workers * Float64Array.BYTES_PER_ELEMENT),
      barrier: new SharedArrayBuffer(BARRIER_BYTES),
    };
    this.barrier = new Barrier(this.shared.barrier, options.workers);
    this.phases.start();
    const region = (at: number) => new Float32Array(memory.buffer, at * Float32Array.BYTES_PER_ELEMENT, size);
    this.weights = region(layout.weights);
    this.slots = layout.slots.map(region);
    for (const [name, [at]] of this.offsets) {
      this.weights.set(start.weights.get(name) as Float32Array, at);
      slotKeys(init.optimizer, name).forEach((key, k) => this.slots[k].set(start.slots.get(key) as Float32Array, at));
    }
  }

  /** Starts `options.workers` worker threads, each loading its sessions; rejects (leaving no thread behind) if any cannot. */
  static async create(init: EngineInit, options: ParallelOrtOptions): Promise<ParallelOrtEngine> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new ParallelOrtError(`workers is ${options.workers}, expected an integer ≥ 1 (data-parallel worker threads)`);
    }
    const engine = new ParallelOrtEngine(init.config, init, options);
    try {
      await engine.start();
    } catch (e) {
      await engine.dispose();
      throw e;
    }
    return engine;
  }

  private async start(): Promise<void> {
    const { workers } = this.options;
    const url = this.options.workerUrl ?? new URL('./parallel-worker.js', import.meta.url);
    for (let index = 0; index < workers; index++) {
      const setup: WorkerSetup = {
        index,
        workers,
        config: this.config,
        optimizer: this.optimizer,
        clip: this.init.clip,
        masks: {
          dropout: this.config.dropout > 0 && this.config.numLayers > 1,
          embedDropout: this.regularization.embedDropout > 0,
          outputDropout: this.regularization.outputDropout > 0,
          weightDrop: this.regularization.weightDrop > 0,
        },
        weightDecay: this.regularization.weightDecay,
        tie: this.regularization.tie,
        intraOpNumThreads: this.options.intraOpNumThreads ?? 1,
        sessionOptions: this.options.sessionOptions,
        ...this.shared,
      };
      this.handles.push(new WorkerHandle(new Worker(url, { workerData: setup }), index, this.onMessage, this.onDeath));
    }
    const replies = await Promise.all(this.handles.map((h) => h.request()));
    const failed = replies.findIndex((r) => r.type !== 'ready');
    if (failed >= 0) {
      const reply = replies[failed];
      throw new ParallelOrtError(`onnxruntime worker ${failed + 1} of ${workers} failed to start: ${reply.type === 'failed' ? reply.message : reply.type}`);
    }
    for (const h of this.handles) h.worker.unref();
  }

  private readonly onMessage = (reply: WorkerReply, handle: WorkerHandle): void => {
    const pending = handle.pending;
    handle.pending = null;
    if (pending) pending.resolve(reply);
    // A worker that fails in its update has already replied to that step.
    else if (reply.type === 'failed') this.fail(`onnxruntime worker ${handle.index + 1} of ${this.options.workers} failed: ${reply.message}`);
  };

  /**
   * Resolves once the workers have finished every update asked of them, so that the shared
   * weights, slots and state are the last step's; at once when the engine has failed or was
   * disposed (a reader then gets what the workers left: a worker fails before its update or after).
   */
  private async settled(): Promise<void> {
    if (this.failure || this.barrier.broken || this.barrier.finished >= this.updates) return;
    // A pending Atomics.waitAsync keeps no process alive: the updating workers do, meanwhile.
    for (const h of this.handles) h.worker.ref();
    try {
      await this.barrier.finishedAsync(this.updates);
    } catch (e) {
      if (!(e instanceof BarrierBrokenError)) throw e;
    } finally {
      for (const h of this.handles) h.worker.unref();
    }
  }

  private readonly onDeath = (why: string, handle: WorkerHandle): void => {
    if (this.disposed) return;
    this.fail(`onnxruntime worker ${handle.index + 1} of ${this.options.workers} ${why}`);
  };

  /** Marks the engine failed for good: the workers still waiting at the barrier stop, and every pending request rejects. */
  private fail(message: string): ParallelOrtError {
    if (!this.failure) {
      this.failure = new ParallelOrtError(`${message}; the data-parallel engine stopped (its last checkpoint is intact)`);
      this.barrier.break();
    }
    for (const h of this.handles) {
      const pending = h.pending;
      h.pending = null;
      pending?.reject(this.failure);
    }
    return this.failure;
  }

  /** Sends every worker its request (asking `updates` more slice updates of them) and waits for all replies; throws if any worker failed. */
  private async all(requests: WorkerRequest[], transfers: ArrayBuffer[][], updates = 0): Promise<WorkerReply[]> {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new ParallelOrtError('the data-parallel engine was disposed');
    // The workers hold one request each: calls are sequential, as the training loop makes them.
    if (this.busy) throw new ParallelOrtError('the data-parallel engine is still running a request: await each call before the next');
    this.busy = true;
    this.updates += updates;
    // Referenced while working, so that the process waits for the replies; idle workers keep no process alive.
    for (const h of this.handles) h.worker.ref();
    try {
      const replies = await Promise.all(this.handles.map((h, i) => h.request(requests[i], transfers[i])));
      const failed = replies.findIndex((r) => r.type === 'failed');
      if (failed >= 0) throw this.fail(`onnxruntime worker ${failed + 1} of ${this.options.workers} failed: ${(replies[failed] as { message: string }).message}`);
      if (replies.some((r) => r.type === 'stopped')) throw this.fail('an onnxruntime worker stopped');
      return replies;
    } finally {
      this.busy = false;
      for (const h of this.handles) h.worker.unref();
    }
  }

  /** Each worker's streams [from, to) of `batch` streams, in worker order; with fewer streams than workers the last ones get none. */
  private parts(batch: number): [number, number][] {
    const ranges = streamRanges(batch, this.options.workers);
    while (ranges.length < this.options.workers) ranges.push([batch, batch]);
    return ranges;
  }

  get stateBatch(): number {
    return this.state?.batch ?? 0;
  }

  private newState(batch: number): SharedState {
    const { numLayers: L, hiddenSize: H, arch } = this.config;
    const bytes = L * batch * H * Float32Array.BYTES_PER_ELEMENT;
    return { batch, h: new SharedArrayBuffer(bytes), ...(hasState(arch, 'c') ? { c: new SharedArrayBuffer(bytes) } : {}) };
  }

  resetState(batch: number): void {
    this.state = this.newState(batch);
  }

  async getState(): Promise<StateData> {
    if (!this.state) throw new RangeError('the engine has no carried state: call resetState(batch) first');
    await this.settled();
    const { numLayers: L, hiddenSize: H } = this.config;
    const shape = [L, this.state.batch, H];
    const copy = (b: SharedArrayBuffer) => ({ shape: [...shape], data: new Float32Array(b).slice() });
    return { h: copy(this.state.h), ...(this.state.c ? { c: copy(this.state.c) } : {}) };
  }

  setState(state: StateData): void {
    checkState(this.config, state);
    const next = this.newState(state.h.shape[1]);
    new Float32Array(next.h).set(state.h.data);
    if (next.c && state.c) new Float32Array(next.c).set(state.c.data);
    this.state = next;
  }

  async trainStep(batch: TokenBatch, lr: number, rng: Rng): Promise<TrainStepResult> {
    this.phases.lap('caller');
    checkBatch(batch);
    const { seqLen: T, batchSize: B } = batch;
    checkStateBatch(this.stateBatch, B);
    const masks = windowMasks(this.config, T, B, rng, this.regularization);
    const parts = this.parts(B);
    const scalars = updateScalars(this.optimizer, lr, this.adamStep + 1);
    const after = this.updates;
    const transfers: ArrayBuffer[][] = [];
    const requests: WorkerRequest[] = parts.map(([from, to]) => {
      const input = tokenColumns(batch.input, T, B, from, to);
      const target = tokenColumns(batch.target, T, B, from, to);
      const maskParts = masks.map((m) => ({ name: m.name, steps: m.steps, width: m.width, shared: m.shared, data: m.shared ? m.data.slice() : stateColumns(m.data, m.steps, B, m.width, from, to) }));
      transfers.push([input.buffer as ArrayBuffer, target.buffer as ArrayBuffer, ...maskParts.map((m) => m.data.buffer as ArrayBuffer)]);
      return { type: 'step', after, seqLen: T, parts, input, target, masks: maskParts, state: this.state as SharedState, scalars };
    });
    this.phases.lap('prepare');
    const replies = await this.all(requests, transfers, this.options.workers);
    this.phases.lap('wait');
    this.recordPhases(replies);
    const loss = (replies[0] as { loss: number }).loss;
    if (Number.isFinite(loss) && this.optimizer.name === 'adam') this.adamStep++;
    return { loss };
  }

  private recordPhases(replies: WorkerReply[]): void {
    if (!this.phases.enabled) return;
    this.timedSteps++;
    addSamples((this.phaseSamples[0] ??= {}), this.phases.take());
    replies.forEach((r, i) => {
      if (r.type === 'stepped' && r.phases) addSamples((this.phaseSamples[i + 1] ??= {}), r.phases);
    });
  }

  async evaluate(ids: Int32Array, batchSize: number, bptt: number): Promise<Evaluation> {
    const requests: WorkerRequest[] = this.parts(batchSize).map(([from, to]) => ({ type: 'eval', after: this.updates, ids, batchSize, bptt, from, to }));
    const replies = await this.all(requests, requests.map(() => []));
    let lossSum = 0;
    let targets = 0;
    for (const r of replies) {
      if (r.type !== 'evaluated') continue;
      lossSum += r.lossSum;
      targets += r.targets;
    }
    return { loss: lossSum / targets, targets };
  }

  async getWeights(): Promise<Weights> {
    await this.settled();
    const flat = this.weights;
    const weights: Weights = new Map();
    // Every contract-1 name in state_dict order; a tied decoder.weight is a copy of encoder.weight, as PyTorch's state_dict writes it.
    for (const [name, shape] of expectedShapes(this.config)) {
      const [at, n] = this.offsets.get(name) ?? this.offsets.get('encoder.weight')!;
      weights.set(name, { shape: [...shape], data: flat.slice(at, at + n) });
    }
    return weights;
  }

  async getOptimizerState(): Promise<OptimizerState> {
    await this.settled();
    const flats = this.slots;
    const slots = new Map<string, Float32Array>();
    for (const [name, [at, n]] of this.offsets) slotKeys(this.optimizer.name, name).forEach((key, k) => slots.set(key, flats[k].subarray(at, at + n)));
    return savedOptimizerState(this.optimizer, this.adamStep, this.shapes, (key) => slots.get(key) as Float32Array);
  }

  /** Terminates every worker thread (also after a failure); resolves once all have exited. */
  async dispose(): Promise<void> {
    if (this.phases.enabled && !this.disposed && this.timedSteps > 0) {
      const threads = this.phaseSamples.map((samples, i) => ({ name: i === 0 ? 'main' : `worker ${i}`, samples }));
      process.stderr.write(`${formatPhaseTimes(threads, this.timedSteps)}\n`);
    }
    this.disposed = true;
    // A worker blocked in Atomics.wait at the barrier wakes to be terminated.
    this.barrier.break();
    await Promise.all(this.handles.map(async (h) => {
      await h.worker.terminate();
      await h.exited;
    }));
    for (const h of this.handles) {
      h.pending?.reject(new ParallelOrtError('the data-parallel engine was disposed'));
      h.pending = null;
    }
  }
}
