/**
 * The ONNX Runtime training engine: contract-3 graphs (training-graph.ts) run by any onnxruntime
 * JS package (onnxruntime-node on CPU or CUDA, onnxruntime-web in browsers), one `run` per batch.
 * Runtime-free: the package is injected, so the same class trains in Node and in a page.
 */
import { LanguageModelLoader, type Rng } from '@charrnn/data';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { EngineFactory, EngineInit, Evaluation, StateData, TokenBatch, TrainingEngine, TrainStepResult } from '../engine/engine.js';
import { refuseUnsupported } from '../engine/regularization.js';
import { dropoutMask } from '../model/dropout.js';
import { expectedShapes, type ModelConfig } from '../model/config.js';
import { ModelInputError } from '../model/errors.js';
import type { Weights } from '../model/weights.js';
import { OptimizerError, type OptimizerState } from '../optim/optimizer.js';
import { TRAINING_IO as IO, buildTrainingGraph, type GraphOptimizer, type TrainingGraphKind } from './training-graph.js';

/** The part of an onnxruntime module the engine uses (onnxruntime-node and onnxruntime-web both fit). */
export interface OrtApi {
  InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: typeof Tensor;
}

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
}

/** Contract 1's optimizer slot names for contract 3's `m.`/`v.` inputs. */
const SLOT_NAMES = { adam: { m: 'exp_avg', v: 'exp_avg_sq' }, sgd: { m: 'momentum_buffer', v: null } } as const;

/** Adam's defaults, torch.optim.Adam's. */
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

function int64(values: Int32Array, dims: readonly number[], ort: OrtApi): Tensor {
  // Token ids are small non-negative integers: write the low words and leave the high ones zero
  // rather than building a BigInt per id.
  const data = new BigInt64Array(values.length);
  const words = new Int32Array(data.buffer);
  for (let i = 0; i < values.length; i++) words[2 * i] = values[i];
  return new ort.Tensor('int64', data, dims);
}

export class OrtEngine implements TrainingEngine {
  readonly name: string;
  private readonly names: string[];
  private readonly shapes: Map<string, number[]>;
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  private weights = new Map<string, Tensor>();
  /** Keyed by contract 3's names, `m.<param>` and `v.<param>`. */
  private slots = new Map<string, Tensor>();
  private h: Tensor | null = null;
  private c: Tensor | null = null;
  private adamStep: number;
  private readonly graphOptimizer: GraphOptimizer;

  private constructor(
    readonly config: ModelConfig,
    private readonly init: EngineInit,
    private readonly options: OrtEngineOptions,
  ) {
    this.name = `${options.runtime} (${options.provider})`;
    this.shapes = expectedShapes(config);
    this.names = [...this.shapes.keys()];
    const saved = init.optimizerState;
    if (saved && saved.name !== init.optimizer) throw new OptimizerError(`optimizer state is for ${saved.name}, this run uses ${init.optimizer}`);
    this.adamStep = init.optimizer === 'adam' ? (saved?.scalars.step ?? 0) : 0;
    this.graphOptimizer =
      init.optimizer === 'adam'
        ? { name: 'adam', beta1: saved?.scalars.beta1 ?? ADAM.beta1, beta2: saved?.scalars.beta2 ?? ADAM.beta2, eps: saved?.scalars.eps ?? ADAM.eps }
        : { name: 'sgd', momentum: saved?.scalars.momentum ?? init.momentum };
    const { Tensor: T } = options.ort;
    for (const [name, shape] of this.shapes) {
      const w = init.weights.get(name);
      if (!w) throw new ModelInputError(`weights have no ${name}, expected shape [${shape}]`);
      this.weights.set(name, new T('float32', Float32Array.from(w.data), shape));
      for (const slot of this.slotKeys(name)) {
        const stored = saved?.slots.get(this.savedSlotName(slot, name));
        if (stored && stored.data.length !== w.data.length) {
          throw new OptimizerError(`optimizer slot ${this.savedSlotName(slot, name)} has ${stored.data.length} values, the parameter has ${w.data.length}`);
        }
        this.slots.set(slot, new T('float32', stored ? Float32Array.from(stored.data) : new Float32Array(w.data.length), shape));
      }
    }
  }

  static async create(init: EngineInit, options: OrtEngineOptions): Promise<OrtEngine> {
    refuseUnsupported(init.regularization, 'the ONNX Runtime engine');
    const engine = new OrtEngine(init.config, init, options);
    // The shortest graph is built and loaded at once, so an engine that cannot run fails here.
    await engine.session('eval', 1);
    return engine;
  }

  private slotKeys(name: string): string[] {
    return this.init.optimizer === 'adam' ? [IO.m(name), IO.v(name)] : [IO.m(name)];
  }

  private savedSlotName(slot: string, param: string): string {
    const names = SLOT_NAMES[this.init.optimizer];
    return `${slot.startsWith('v.') ? names.v : names.m}.${param}`;
  }

  private get withDropout(): boolean {
    return this.config.dropout > 0 && this.config.numLayers > 1;
  }

  /** The session of one graph, built and loaded on first use and kept (one per window length). */
  private session(kind: TrainingGraphKind, seqLen: number): Promise<InferenceSession> {
    const key = `${kind}:${seqLen}`;
    let session = this.sessions.get(key);
    if (!session) {
      const model = buildTrainingGraph({ config: this.config, seqLen, kind, optimizer: this.graphOptimizer, clip: this.init.clip, dropout: this.withDropout });
      const deviceOutputs = this.options.deviceResident && kind === 'train' ? this.deviceOutputLocations() : undefined;
      session = this.options.ort.InferenceSession.create(model, {
        executionProviders: [this.options.provider],
        interOpNumThreads: 1,
        // No CPU arena: each window length has a session, and each arena kept its peak for good
        // (lesson GRU: peak RSS 657–667 MB with it, 296–325 without, at the same speed; RNN 10% faster).
        enableCpuMemArena: false,
        ...(this.options.intraOpNumThreads !== undefined ? { intraOpNumThreads: this.options.intraOpNumThreads } : {}),
        // Idle pool threads sleep instead of spinning, so a second core stays free for the JS thread.
        ...((this.options.intraOpNumThreads ?? 0) !== 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
        ...(deviceOutputs ? { preferredOutputLocation: deviceOutputs } : {}),
        ...this.options.sessionOptions,
      });
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  /** Everything a train step carries to the next one stays on the device; the two scalars come back to the host. */
  private deviceOutputLocations(): Record<string, 'gpu-buffer' | 'cpu'> {
    const locations: Record<string, 'gpu-buffer' | 'cpu'> = { [IO.loss]: 'cpu', [IO.gradNorm]: 'cpu', [IO.hn]: 'gpu-buffer' };
    if (this.config.arch === 'lstm') locations[IO.cn] = 'gpu-buffer';
    for (const name of this.names) {
      locations[IO.updated(name)] = 'gpu-buffer';
      for (const slot of this.slotKeys(name)) locations[IO.updated(slot)] = 'gpu-buffer';
    }
    return locations;
  }

  get stateBatch(): number {
    return this.h?.dims[1] ?? 0;
  }

  private zeros(batch: number): Tensor {
    const { numLayers: L, hiddenSize: H } = this.config;
    return new this.options.ort.Tensor('float32', new Float32Array(L * batch * H), [L, batch, H]);
  }

  resetState(batch: number): void {
    this.replaceState(this.zeros(batch), this.config.arch === 'lstm' ? this.zeros(batch) : null);
  }

  private replaceState(h: Tensor, c: Tensor | null): void {
    if (this.h !== h) disposeDevice(this.h);
    if (this.c !== c) disposeDevice(this.c);
    this.h = h;
    this.c = c;
  }

  async getState(): Promise<StateData> {
    if (!this.h) throw new RangeError('the engine has no carried state: call resetState(batch) first');
    const copy = async (t: Tensor) => ({ shape: [...t.dims], data: Float32Array.from((await hostData(t)) as Float32Array) });
    return { h: await copy(this.h), ...(this.c ? { c: await copy(this.c) } : {}) };
  }

  setState(state: StateData): void {
    const { numLayers: L, hiddenSize: H } = this.config;
    const tensor = (x: { shape: number[]; data: Float32Array }, name: string) => {
      if (x.shape.length !== 3 || x.shape[0] !== L || x.shape[2] !== H) throw new ModelInputError(`recurrent state ${name} has shape [${x.shape}], expected [${L},batch,${H}]`);
      return new this.options.ort.Tensor('float32', Float32Array.from(x.data), x.shape);
    };
    if (this.config.arch === 'lstm' && !state.c) throw new ModelInputError(`an lstm state needs c [${L},batch,${H}] besides h`);
    this.replaceState(tensor(state.h, 'h'), state.c && this.config.arch === 'lstm' ? tensor(state.c, 'c') : null);
  }

  private stateFeeds(feeds: Record<string, Tensor>, batchSize: number): void {
    if (!this.h || this.stateBatch !== batchSize) {
      throw new ModelInputError(`the carried state has ${this.stateBatch} streams, the batch ${batchSize}: call resetState(${batchSize}) first`);
    }
    feeds[IO.h0] = this.h;
    if (this.c) feeds[IO.c0] = this.c;
  }

  async trainStep(batch: TokenBatch, lr: number, rng: Rng): Promise<TrainStepResult> {
    const { seqLen: T, batchSize: B } = batch;
    if (batch.input.length !== T * B || batch.target.length !== T * B) {
      throw new ModelInputError(`batch has ${batch.input.length} inputs and ${batch.target.length} targets, expected seqLen·batchSize = ${T * B}`);
    }
    const { ort } = this.options;
    const session = await this.session('train', T);
    const feeds: Record<string, Tensor> = { [IO.tokens]: int64(batch.input, [T, B], ort), [IO.targets]: int64(batch.target, [T, B], ort) };
    this.stateFeeds(feeds, B);
    for (const [name, t] of this.weights) feeds[name] = t;
    for (const [name, t] of this.slots) feeds[name] = t;
    if (this.withDropout) {
      // The tfjs engine's order: the mask of layer 0's output first, row-major [seq·batch, hidden].
      const { numLayers: L, hiddenSize: H, dropout } = this.config;
      for (let k = 0; k < L - 1; k++) feeds[IO.mask(k)] = new ort.Tensor('float32', dropoutMask(rng, dropout, T * B * H), [T * B, H]);
    }
    feeds[IO.lr] = new ort.Tensor('float32', Float32Array.of(lr), []);
    if (this.graphOptimizer.name === 'adam') {
      const { beta1, beta2 } = this.graphOptimizer;
      const t = this.adamStep + 1;
      feeds[IO.biasCorrection1] = new ort.Tensor('float32', Float32Array.of(1 - beta1 ** t), []);
      feeds[IO.biasCorrection2Sqrt] = new ort.Tensor('float32', Float32Array.of(Math.sqrt(1 - beta2 ** t)), []);
    }
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
    this.replaceState(out[IO.hn], this.config.arch === 'lstm' ? out[IO.cn] : null);
    if (this.graphOptimizer.name === 'adam') this.adamStep++;
    return { loss };
  }

  async evaluate(ids: Int32Array, batchSize: number, bptt: number): Promise<Evaluation> {
    const { ort } = this.options;
    const loader = new LanguageModelLoader(ids, { batchSize, bptt, fixedLength: true });
    const { numLayers: L, hiddenSize: H } = this.config;
    const zeros = () => new ort.Tensor('float32', new Float32Array(L * batchSize * H), [L, batchSize, H]);
    let h: Tensor = zeros();
    let c: Tensor | null = this.config.arch === 'lstm' ? zeros() : null;
    let sum = 0;
    let targets = 0;
    for (const batch of loader.epoch(0)) {
      const session = await this.session('eval', batch.seqLen);
      const feeds: Record<string, Tensor> = {
        [IO.tokens]: int64(batch.input, [batch.seqLen, batch.batchSize], ort),
        [IO.targets]: int64(batch.target, [batch.seqLen, batch.batchSize], ort),
        [IO.h0]: h,
      };
      if (c) feeds[IO.c0] = c;
      for (const [name, t] of this.weights) feeds[name] = t;
      const out = await session.run(feeds);
      const n = batch.seqLen * batch.batchSize;
      // Each window's mean is float32; the total is accumulated in float64, as the tfjs engine does.
      sum += (out[IO.loss].data as Float32Array)[0] * n;
      targets += n;
      h = out[IO.hn];
      if (c) c = out[IO.cn];
    }
    return { loss: sum / targets, targets };
  }

  async getWeights(): Promise<Weights> {
    const weights: Weights = new Map();
    for (const [name, t] of this.weights) weights.set(name, { shape: [...t.dims], data: Float32Array.from((await hostData(t)) as Float32Array) });
    return weights;
  }

  async getOptimizerState(): Promise<OptimizerState> {
    const slots = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const name of this.names) {
      for (const slot of this.slotKeys(name)) {
        const t = this.slots.get(slot) as Tensor;
        slots.set(this.savedSlotName(slot, name), { shape: [...t.dims], data: Float32Array.from((await hostData(t)) as Float32Array) });
      }
    }
    const o = this.graphOptimizer;
    return o.name === 'adam'
      ? { name: 'adam', slots, scalars: { step: this.adamStep, beta1: o.beta1, beta2: o.beta2, eps: o.eps } }
      : { name: 'sgd', slots, scalars: { momentum: o.momentum } };
  }

  async dispose(): Promise<void> {
    // Device tensors first: their buffers belong to the sessions' provider, and onnxruntime-web's
    // WebGPU build fails ("RuntimeError: null function") freeing them after its session is released.
    for (const t of [...this.weights.values(), ...this.slots.values(), this.h, this.c]) disposeDevice(t);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of await Promise.allSettled(sessions)) if (s.status === 'fulfilled') await s.value.release();
    this.weights.clear();
    this.slots.clear();
    this.h = this.c = null;
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
