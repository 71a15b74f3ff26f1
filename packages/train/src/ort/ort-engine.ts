/**
 * The ONNX Runtime training engine: contract-3 graphs (training-graph.ts) run by any onnxruntime
 * JS package (onnxruntime-node on CPU or CUDA, onnxruntime-web in browsers), one `run` per batch.
 * Runtime-free: the package is injected, so the same class trains in Node and in a page.
 */
import { STATE_IO, stateNames, type OrtApi as ContractOrtApi, type StateName } from '@charrnn/contract';
import { LanguageModelLoader, type Rng } from '@charrnn/data';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { EngineFactory, EngineInit, Evaluation, StateData, TokenBatch, TrainingEngine, TrainStepResult } from '../engine/engine.js';
import { NO_REGULARIZATION, type Regularization } from '../engine/regularization.js';
import { drawWindowMasks } from '../engine/window-masks.js';
import { expectedShapes, gateCount, type ModelConfig } from '../model/config.js';
import { ModelInputError } from '../model/errors.js';
import type { NamedTensor, Weights } from '../model/weights.js';
import { ADAM_DEFAULTS, OptimizerError, type OptimizerName, type OptimizerState } from '../optim/optimizer.js';
import { TRAINING_IO as IO, buildTrainingGraph, trainedShapes, type GraphOptimizer, type TrainingGraphKind } from './training-graph.js';

/** The part of an onnxruntime module the engine uses (contract's OrtApi over onnxruntime's types; onnxruntime-node and onnxruntime-web both fit). */
export type OrtApi = ContractOrtApi<InferenceSession, InferenceSession.SessionOptions, typeof Tensor>;

export interface OrtEngineOptions {
  ort: OrtApi;
  /** Names the runtime in the engine's name, e.g. "onnxruntime-node". */
  runtime: string;
  /** The execution provider the sessions run on ('cpu', 'cuda', 'wasm', 'webgpu'). */
  provider: string;
  /** Threads inside one op (CPU providers); onnxruntime's default when undefined. */
  intraOpNumThreads?: number;
  /**
   * Keep weights, optimizer state and the carried state on the device between steps (CUDA,
   * WebGPU): their outputs are asked for as 'gpu-buffer' and fed back as the next run's inputs,
   * so a step moves only tokens, masks and two scalars across the bus.
   */
  deviceResident?: boolean;
  /** Extra session options, applied last. */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Sessions shared by the engines of one run (a time-budget run's warm-up and its training), so
   * that a graph is built and loaded once: keyed by everything the graph is built from, released
   * by the cache's owner (releaseSessions), never by an engine's dispose.
   */
  sessionCache?: Map<string, Promise<InferenceSession>>;
}

/** Releases the sessions of a shared cache (OrtEngineOptions.sessionCache) and empties it. */
export async function releaseSessions(cache: Map<string, Promise<InferenceSession>>): Promise<void> {
  const sessions = [...cache.values()];
  cache.clear();
  for (const s of await Promise.allSettled(sessions)) if (s.status === 'fulfilled') await s.value.release();
}

/** Contract 1's optimizer slot names for contract 3's `m.`/`v.` inputs. */
const SLOT_NAMES = { adam: { m: 'exp_avg', v: 'exp_avg_sq' }, sgd: { m: 'momentum_buffer', v: null } } as const;

/** Token ids as contract 3's int64 tensor. */
export function int64(values: Int32Array, dims: readonly number[], ort: OrtApi): Tensor {
  // Token ids are small non-negative integers: write the low words and leave the high ones zero
  // rather than building a BigInt per id.
  const data = new BigInt64Array(values.length);
  const words = new Int32Array(data.buffer);
  for (let i = 0; i < values.length; i++) words[2 * i] = values[i];
  return new ort.Tensor('int64', data, dims);
}

/** What an engine starts from in contract 3's terms, fresh or resumed; arrays are the engine's own copies. */
export interface StartingPoint {
  optimizer: GraphOptimizer;
  /** Adam's steps taken (its bias corrections' t − 1). */
  adamStep: number;
  /** Every trained weight by its contract-1 name, in state_dict order (a tied decoder.weight is encoder.weight, so not among them). */
  weights: Map<string, Float32Array>;
  /** Every optimizer slot by its contract-3 name (`m.<param>`, `v.<param>`). */
  slots: Map<string, Float32Array>;
}

/** The weights and optimizer state of `init`, checked against the config's shapes. */
export function startingPoint(init: EngineInit): StartingPoint {
  const saved = init.optimizerState;
  if (saved && saved.name !== init.optimizer) throw new OptimizerError(`optimizer state is for ${saved.name}, this run uses ${init.optimizer}`);
  const optimizer: GraphOptimizer =
    init.optimizer === 'adam'
      ? { name: 'adam', beta1: saved?.scalars.beta1 ?? ADAM_DEFAULTS.beta1, beta2: saved?.scalars.beta2 ?? ADAM_DEFAULTS.beta2, eps: saved?.scalars.eps ?? ADAM_DEFAULTS.eps }
      : { name: 'sgd', momentum: saved?.scalars.momentum ?? init.momentum };
  const weights = new Map<string, Float32Array>();
  const slots = new Map<string, Float32Array>();
  const tie = init.regularization?.tie ?? false;
  if (tie) checkTied(init.weights);
  for (const [name, shape] of trainedShapes(init.config, tie)) {
    const w = init.weights.get(name);
    if (!w) throw new ModelInputError(`weights have no ${name}, expected shape [${shape}]`);
    weights.set(name, Float32Array.from(w.data));
    for (const slot of slotKeys(init.optimizer, name)) {
      const stored = saved?.slots.get(savedSlotName(init.optimizer, slot, name));
      if (stored && stored.data.length !== w.data.length) {
        throw new OptimizerError(`optimizer slot ${savedSlotName(init.optimizer, slot, name)} has ${stored.data.length} values, the parameter has ${w.data.length}`);
      }
      slots.set(slot, stored ? Float32Array.from(stored.data) : new Float32Array(w.data.length));
    }
  }
  return { optimizer, adamStep: init.optimizer === 'adam' ? (saved?.scalars.step ?? 0) : 0, weights, slots };
}

/** Contract 3's slot names of one parameter: Adam's `m.` and `v.`, SGD's `m.`. */
export function slotKeys(optimizer: OptimizerName, param: string): string[] {
  return optimizer === 'adam' ? [IO.m(param), IO.v(param)] : [IO.m(param)];
}

/** Contract 1's name of a contract-3 slot: `m.<param>` → `exp_avg.<param>` (Adam) or `momentum_buffer.<param>` (SGD). */
export function savedSlotName(optimizer: OptimizerName, slot: string, param: string): string {
  const names = SLOT_NAMES[optimizer];
  return `${slot.startsWith('v.') ? names.v : names.m}.${param}`;
}

/** The optimizer state as a checkpoint saves it, from every slot's values (by contract-3 name). */
export function savedOptimizerState(optimizer: GraphOptimizer, adamStep: number, shapes: ReadonlyMap<string, number[]>, slot: (key: string) => Float32Array): OptimizerState {
  const slots = new Map<string, NamedTensor>();
  for (const [name, shape] of shapes) {
    for (const key of slotKeys(optimizer.name, name)) slots.set(savedSlotName(optimizer.name, key, name), { shape: [...shape], data: Float32Array.from(slot(key)) });
  }
  return optimizer.name === 'adam'
    ? { name: 'adam', slots, scalars: { step: adamStep, beta1: optimizer.beta1, beta2: optimizer.beta2, eps: optimizer.eps } }
    : { name: 'sgd', slots, scalars: { momentum: optimizer.momentum } };
}

/** The scalar inputs of an update: `lr`, and Adam's bias corrections for step t, computed in float64 and rounded once. */
export function updateScalars(optimizer: GraphOptimizer, lr: number, t: number): Record<string, number> {
  if (optimizer.name !== 'adam') return { [IO.lr]: lr };
  return { [IO.lr]: lr, [IO.biasCorrection1]: 1 - optimizer.beta1 ** t, [IO.biasCorrection2Sqrt]: Math.sqrt(1 - optimizer.beta2 ** t) };
}

/**
 * One dropout mask input of a window. A stream's mask is [steps·batch, width], rows step-major
 * then stream, so a stream's rows are its columns; the locked masks have one row group (steps
 * = 1: a stream's row holds for the whole window). A shared mask (weight drop) is [steps, width]
 * for every stream alike, and a split of the streams gives it whole to each part.
 */
export interface WindowMask {
  name: string;
  data: Float32Array;
  /** Row groups (per-stream masks), or rows (shared masks). */
  steps: number;
  width: number;
  /** The same for every stream (weight drop's [G·hidden, hidden]). */
  shared?: boolean;
}

/** The dims of `m` as a graph input for `batch` streams. */
export function maskDims(m: WindowMask, batch: number): number[] {
  return m.shared ? [m.steps, m.width] : [m.steps * batch, m.width];
}

/**
 * The dropout masks of one window of `batch` streams, drawn from `rng` in the order every engine
 * draws them (engine/window-masks.ts), empty without dropout. `seqLen` is unused: every mask is
 * locked over the window.
 */
export function windowMasks(config: ModelConfig, _seqLen: number, batch: number, rng: Rng, regularization: Regularization = NO_REGULARIZATION): WindowMask[] {
  const { embeddingDim: E, hiddenSize: H } = config;
  const drawn = drawWindowMasks(rng, config, regularization, batch);
  const masks: WindowMask[] = [];
  if (drawn.embed) masks.push({ name: IO.maskEmbed, data: drawn.embed, steps: 1, width: E });
  drawn.between.forEach((data, k) => masks.push({ name: IO.mask(k), data, steps: 1, width: H }));
  if (drawn.output) masks.push({ name: IO.maskOutput, data: drawn.output, steps: 1, width: H });
  drawn.weightHh.forEach((data, k) => masks.push({ name: IO.maskWeightHh(k), data, steps: gateCount(config.arch) * H, width: H, shared: true }));
  return masks;
}

/** A tied run starts from, and resumes with, decoder.weight equal to encoder.weight (tiedWeights makes them so). */
function checkTied(weights: Weights): void {
  const encoder = weights.get('encoder.weight');
  const decoder = weights.get('decoder.weight');
  if (encoder && decoder && (encoder.data.length !== decoder.data.length || encoder.data.some((v, i) => v !== decoder.data[i]))) {
    throw new ModelInputError('tie needs decoder.weight equal to encoder.weight (start from tiedWeights(randomWeights(config, seed)), or resume a tied run)');
  }
}

/** Throws ModelInputError unless a batch has seqLen·batchSize inputs and targets. */
export function checkBatch(batch: TokenBatch): void {
  const n = batch.seqLen * batch.batchSize;
  if (batch.input.length !== n || batch.target.length !== n) {
    throw new ModelInputError(`batch has ${batch.input.length} inputs and ${batch.target.length} targets, expected seqLen·batchSize = ${n}`);
  }
}

/** Throws ModelInputError unless the carried state has the batch's streams. */
export function checkStateBatch(stateBatch: number, batchSize: number): void {
  if (stateBatch !== batchSize) throw new ModelInputError(`the carried state has ${stateBatch} streams, the batch ${batchSize}: call resetState(${batchSize}) first`);
}

/** Throws ModelInputError unless `state` holds every state of the config's cell (h; an LSTM's c too), each [layers, batch, hidden]. */
export function checkState(config: ModelConfig, state: StateData): void {
  const { numLayers: L, hiddenSize: H } = config;
  for (const s of stateNames(config.arch)) {
    const x = state[s];
    if (!x) throw new ModelInputError(`${config.arch} state needs ${s} [${L},batch,${H}]${s === 'h' ? '' : ' besides h'}`);
    if (x.shape.length !== 3 || x.shape[0] !== L || x.shape[2] !== H) throw new ModelInputError(`recurrent state ${s} has shape [${x.shape}], expected [${L},batch,${H}]`);
  }
}

/** onnxruntime session options of a training session (the engine's and each data-parallel worker's). */
export function trainingSessionOptions(
  options: Pick<OrtEngineOptions, 'provider' | 'intraOpNumThreads' | 'sessionOptions'>,
  deviceOutputs?: Record<string, 'gpu-buffer' | 'cpu'>,
): InferenceSession.SessionOptions {
  return {
    executionProviders: [options.provider],
    interOpNumThreads: 1,
    // No CPU arena: each window length has a session, and each arena kept its peak for good
    // (lesson GRU: peak RSS 657–667 MB with it, 296–325 without, at the same speed; RNN 10% faster).
    enableCpuMemArena: false,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    // Idle pool threads sleep instead of spinning, so a second core stays free for the JS thread.
    ...((options.intraOpNumThreads ?? 0) !== 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    ...(deviceOutputs ? { preferredOutputLocation: deviceOutputs } : {}),
    ...options.sessionOptions,
  };
}

export class OrtEngine implements TrainingEngine {
  readonly name: string;
  private readonly names: string[];
  private readonly shapes: Map<string, number[]>;
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  private weights = new Map<string, Tensor>();
  /** Keyed by contract 3's names, `m.<param>` and `v.<param>`. */
  private slots = new Map<string, Tensor>();
  /** The carried recurrent state by name (h, and c for an LSTM); empty before the first reset. */
  private state: Partial<Record<StateName, Tensor>> = {};
  private readonly states: readonly StateName[];
  private adamStep: number;
  private readonly graphOptimizer: GraphOptimizer;
  private readonly regularization: Regularization;

  private constructor(
    readonly config: ModelConfig,
    private readonly init: EngineInit,
    private readonly options: OrtEngineOptions,
  ) {
    this.name = `${options.runtime} (${options.provider})`;
    this.regularization = init.regularization ?? NO_REGULARIZATION;
    // A tied decoder.weight is encoder.weight: one parameter, one set of optimizer slots.
    this.shapes = trainedShapes(config, this.regularization.tie);
    this.names = [...this.shapes.keys()];
    this.states = stateNames(config.arch);
    const start = startingPoint(init);
    this.adamStep = start.adamStep;
    this.graphOptimizer = start.optimizer;
    const { Tensor: T } = options.ort;
    for (const [name, shape] of this.shapes) {
      this.weights.set(name, new T('float32', start.weights.get(name) as Float32Array, shape));
      for (const slot of this.slotKeys(name)) this.slots.set(slot, new T('float32', start.slots.get(slot) as Float32Array, shape));
    }
  }

  static async create(init: EngineInit, options: OrtEngineOptions): Promise<OrtEngine> {
    const engine = new OrtEngine(init.config, init, options);
    // The shortest graph is built and loaded at once, so an engine that cannot run fails here.
    await engine.session('eval', 1);
    return engine;
  }

  private slotKeys(name: string): string[] {
    return slotKeys(this.init.optimizer, name);
  }


  /** The session of one graph, built and loaded on first use and kept (one per window length). */
  private session(kind: TrainingGraphKind, seqLen: number): Promise<InferenceSession> {
    const r = this.regularization;
    const spec = {
      config: this.config,
      seqLen,
      kind,
      optimizer: this.graphOptimizer,
      clip: this.init.clip,
      dropout: this.config.dropout > 0 && this.config.numLayers > 1,
      embedDropout: r.embedDropout > 0,
      outputDropout: r.outputDropout > 0,
      weightDrop: r.weightDrop > 0,
      tie: r.tie,
      weightDecay: r.weightDecay,
    };
    const deviceOutputs = this.options.deviceResident && kind === 'train' ? this.deviceOutputLocations() : undefined;
    const shared = this.options.sessionCache;
    const sessions = shared ?? this.sessions;
    const key = shared ? JSON.stringify({ spec, deviceOutputs }) : `${kind}:${seqLen}`;
    let session = sessions.get(key);
    if (!session) {
      session = this.options.ort.InferenceSession.create(buildTrainingGraph(spec), trainingSessionOptions(this.options, deviceOutputs));
      sessions.set(key, session);
      session.catch(() => sessions.delete(key));
    }
    return session;
  }

  /** Everything a train step carries to the next one stays on the device; the two scalars come back to the host. */
  private deviceOutputLocations(): Record<string, 'gpu-buffer' | 'cpu'> {
    const locations: Record<string, 'gpu-buffer' | 'cpu'> = { [IO.loss]: 'cpu', [IO.gradNorm]: 'cpu' };
    for (const s of this.states) locations[STATE_IO[s].output] = 'gpu-buffer';
    for (const name of this.names) {
      locations[IO.updated(name)] = 'gpu-buffer';
      for (const slot of this.slotKeys(name)) locations[IO.updated(slot)] = 'gpu-buffer';
    }
    return locations;
  }

  get stateBatch(): number {
    return this.state.h?.dims[1] ?? 0;
  }

  private zeros(batch: number): Tensor {
    const { numLayers: L, hiddenSize: H } = this.config;
    return new this.options.ort.Tensor('float32', new Float32Array(L * batch * H), [L, batch, H]);
  }

  resetState(batch: number): void {
    this.replaceState(Object.fromEntries(this.states.map((s) => [s, this.zeros(batch)])));
  }

  private replaceState(next: Partial<Record<StateName, Tensor>>): void {
    for (const s of this.states) if (this.state[s] !== next[s]) disposeDevice(this.state[s]);
    this.state = next;
  }

  async getState(): Promise<StateData> {
    if (!this.state.h) throw new RangeError('the engine has no carried state: call resetState(batch) first');
    const copy = async (t: Tensor) => ({ shape: [...t.dims], data: Float32Array.from((await hostData(t)) as Float32Array) });
    const data: Partial<StateData> = {};
    for (const s of this.states) data[s] = await copy(this.state[s] as Tensor);
    return data as StateData;
  }

  setState(state: StateData): void {
    checkState(this.config, state);
    const tensor = (x: NamedTensor) => new this.options.ort.Tensor('float32', Float32Array.from(x.data), x.shape);
    this.replaceState(Object.fromEntries(this.states.map((s) => [s, tensor(state[s] as NamedTensor)])));
  }

  private stateFeeds(feeds: Record<string, Tensor>, batchSize: number): void {
    checkStateBatch(this.stateBatch, batchSize);
    for (const s of this.states) feeds[STATE_IO[s].input] = this.state[s] as Tensor;
  }

  async trainStep(batch: TokenBatch, lr: number, rng: Rng): Promise<TrainStepResult> {
    checkBatch(batch);
    const { seqLen: T, batchSize: B } = batch;
    const { ort } = this.options;
    const session = await this.session('train', T);
    const feeds: Record<string, Tensor> = { [IO.tokens]: int64(batch.input, [T, B], ort), [IO.targets]: int64(batch.target, [T, B], ort) };
    this.stateFeeds(feeds, B);
    for (const [name, t] of this.weights) feeds[name] = t;
    for (const [name, t] of this.slots) feeds[name] = t;
    for (const m of windowMasks(this.config, T, B, rng, this.regularization)) feeds[m.name] = new ort.Tensor('float32', m.data, maskDims(m, B));
    for (const [name, value] of Object.entries(updateScalars(this.graphOptimizer, lr, this.adamStep + 1))) feeds[name] = new ort.Tensor('float32', Float32Array.of(value), []);
    const out = await session.run(feeds);
    const loss = (out[IO.loss].data as Float32Array)[0];
    if (!Number.isFinite(loss)) {
      for (const t of Object.values(out)) disposeDevice(t);
      return { loss };
    }
    for (const name of this.names) {
      this.weights.set(name, swap(this.weights.get(name), out[IO.updated(name)]));
      for (const slot of this.slotKeys(name)) this.slots.set(slot, swap(this.slots.get(slot), out[IO.updated(slot)]));
    }
    this.replaceState(Object.fromEntries(this.states.map((s) => [s, out[STATE_IO[s].output]])));
    if (this.graphOptimizer.name === 'adam') this.adamStep++;
    return { loss };
  }

  async evaluate(ids: Int32Array, batchSize: number, bptt: number): Promise<Evaluation> {
    const { ort } = this.options;
    const loader = new LanguageModelLoader(ids, { batchSize, bptt, fixedLength: true });
    const { numLayers: L, hiddenSize: H } = this.config;
    const zeros = () => new ort.Tensor('float32', new Float32Array(L * batchSize * H), [L, batchSize, H]);
    let state = new Map<StateName, Tensor>(this.states.map((s) => [s, zeros()]));
    let sum = 0;
    let targets = 0;
    for (const batch of loader.epoch(0)) {
      const session = await this.session('eval', batch.seqLen);
      const feeds: Record<string, Tensor> = {
        [IO.tokens]: int64(batch.input, [batch.seqLen, batch.batchSize], ort),
        [IO.targets]: int64(batch.target, [batch.seqLen, batch.batchSize], ort),
      };
      for (const [s, t] of state) feeds[STATE_IO[s].input] = t;
      for (const [name, t] of this.weights) feeds[name] = t;
      const out = await session.run(feeds);
      const n = batch.seqLen * batch.batchSize;
      // Each window's mean is float32; the total is accumulated in float64, as the tfjs engine does.
      sum += (out[IO.loss].data as Float32Array)[0] * n;
      targets += n;
      state = new Map(this.states.map((s) => [s, out[STATE_IO[s].output]]));
    }
    return { loss: sum / targets, targets };
  }

  async getWeights(): Promise<Weights> {
    if (this.weights.size === 0) throw new RangeError('the engine has been disposed: its weights are gone (take them before dispose())');
    const weights: Weights = new Map();
    // Every contract-1 name in state_dict order; a tied decoder.weight is a copy of encoder.weight, as PyTorch's state_dict writes it.
    for (const name of expectedShapes(this.config).keys()) {
      const t = this.weights.get(name) ?? (this.weights.get('encoder.weight') as Tensor);
      weights.set(name, { shape: [...t.dims], data: Float32Array.from((await hostData(t)) as Float32Array) });
    }
    return weights;
  }

  async getOptimizerState(): Promise<OptimizerState> {
    const values = new Map<string, Float32Array>();
    for (const [key, t] of this.slots) values.set(key, (await hostData(t)) as Float32Array);
    return savedOptimizerState(this.graphOptimizer, this.adamStep, this.shapes, (key) => values.get(key) as Float32Array);
  }

  async dispose(): Promise<void> {
    // Device tensors first: their buffers belong to the sessions' provider, and onnxruntime-web's
    // WebGPU build fails ("RuntimeError: null function") freeing them after its session is released.
    for (const t of [...this.weights.values(), ...this.slots.values(), ...Object.values(this.state)]) disposeDevice(t);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of await Promise.allSettled(sessions)) if (s.status === 'fulfilled') await s.value.release();
    this.weights.clear();
    this.slots.clear();
    this.state = {};
  }
}

/** A tensor's values on the host (a download for device-resident tensors). */
function hostData(t: Tensor): Promise<Tensor['data']> | Tensor['data'] {
  return t.location === 'cpu' || t.location === undefined ? t.data : t.getData();
}

/** Frees a device-resident tensor (host tensors are left to the garbage collector). */
function disposeDevice(t: Tensor | null | undefined): void {
  if (t && t.location !== 'cpu' && t.location !== undefined) t.dispose();
}

function swap(old: Tensor | undefined, next: Tensor): Tensor {
  if (old !== next) disposeDevice(old);
  return next;
}

/** An EngineFactory for the ONNX Runtime engine with these options. */
export function ortEngine(options: OrtEngineOptions): EngineFactory {
  return (init) => OrtEngine.create(init, options);
}
