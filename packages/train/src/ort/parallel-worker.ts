// A worker thread of the data-parallel ONNX Runtime engine (parallel-engine.ts): its own
// onnxruntime-node sessions, the gradients graph on its streams of each batch, then, once every
// worker's gradients are in shared memory, the weighted sum and the optimizer update (flatStep)
// of its own slice of the parameters.
import { parentPort, workerData } from 'node:worker_threads';
import { hasState } from '@charrnn/contract';
import { LanguageModelLoader } from '@charrnn/data';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { setStateColumns, stateColumns, streamRanges, tokenColumns } from '../engine/stream-split.js';
import { flatOffsets } from '../model/weights.js';
import { clipGradScale, decayPieces } from '../optim/flat-step.js';
import { SimdStep } from '../optim/simd-step.js';
import { Barrier, BarrierBrokenError } from './barrier.js';
import { PhaseTimes, phaseTimesWanted } from './phase-times.js';
import { loadOrtNode } from './node-runtime.js';
import { int64, maskDims, trainingSessionOptions, type OrtApi } from './ort-engine.js';
import type { EvalRequest, SharedLayout, StepRequest, WorkerReply, WorkerRequest, WorkerSetup } from './parallel-protocol.js';
import { TRAINING_IO as IO, buildTrainingGraph, trainedShapes, type TrainingGraphKind } from './training-graph.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;

class ParallelWorker {
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  private readonly barrier: Barrier;
  private readonly sums: Float64Array;
  /** The gradient sum and update kernels over the shared memory, and that memory's float view. */
  private readonly simd: SimdStep;
  private readonly floats: Float32Array;
  private readonly layout: SharedLayout;
  /** This thread's copy of all weights (onnxruntime-node takes no SharedArrayBuffer), refreshed before each run. */
  private readonly weights: Float32Array;
  private readonly weightFeeds: Record<string, Tensor> = {};
  /** Preallocated outputs of the gradients graph: every gradient into one flat array. */
  private readonly gradients: Float32Array;
  private readonly gradientFetches: Record<string, Tensor | null> = {};
  /** This worker's slice [from, to) of the flat parameters: it alone updates their weights and optimizer slots in shared memory. */
  private readonly slice: [number, number];
  /** The slice cut at the parameters' boundaries, each piece with its weight decay (AdamW's λ for a weight, 0 for a bias). */
  private readonly pieces: { from: number; to: number; weightDecay: number }[];
  readonly phases = new PhaseTimes(phaseTimesWanted());

  constructor(private readonly ort: OrtApi) {
    const { config } = setup;
    const shapes = trainedShapes(config, setup.tie);
    const offsets = flatOffsets(shapes);
    const size = [...offsets.values()].reduce((n, [, count]) => n + count, 0);
    this.barrier = new Barrier(setup.barrier, setup.workers);
    this.sums = new Float64Array(setup.sums);
    this.simd = new SimdStep(setup.memory);
    this.floats = this.simd.floats;
    this.layout = setup.layout;
    this.weights = new Float32Array(size);
    this.gradients = new Float32Array(size);
    for (const [name, shape] of shapes) {
      const [at, n] = offsets.get(name)!;
      this.weightFeeds[name] = new ort.Tensor('float32', this.weights.subarray(at, at + n), shape);
      this.gradientFetches[IO.grad(name)] = new ort.Tensor('float32', this.gradients.subarray(at, at + n), shape);
    }
    this.gradientFetches[IO.loss] = null;
    this.gradientFetches[IO.hn] = null;
    if (hasState(config.arch, 'c')) this.gradientFetches[IO.cn] = null;
    this.slice = streamRanges(size, setup.workers)[setup.index];
    // Without decay, one piece: the whole slice.
    this.pieces = setup.weightDecay > 0 ? decayPieces(offsets, this.slice[0], this.slice[1], setup.weightDecay) : [{ from: this.slice[0], to: this.slice[1], weightDecay: 0 }];
  }

  private sessionOptions(): InferenceSession.SessionOptions {
    return trainingSessionOptions({ provider: 'cpu', intraOpNumThreads: setup.intraOpNumThreads, sessionOptions: setup.sessionOptions });
  }

  /** The session of one graph, built and loaded on first use and kept (one per window length). */
  session(kind: TrainingGraphKind, seqLen: number): Promise<InferenceSession> {
    const key = `${kind}:${seqLen}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = this.ort.InferenceSession.create(buildTrainingGraph({ config: setup.config, seqLen, kind, ...setup.masks, tie: setup.tie }), this.sessionOptions());
      this.sessions.set(key, session);
    }
    return session;
  }

  /** Resolves once the sessions every request needs have loaded (so that a worker that cannot run fails at start). */
  async ready(): Promise<void> {
    await this.session('eval', 1);
  }

  /**
   * One training step: this worker's gradient, the meeting, then `reply` with the batch's loss
   * (the main thread prepares the next step meanwhile), then the carried state, the sum and the
   * update of this worker's slice, counted as finished at the barrier. A request waits for the
   * previous step's updates first (`req.after`), as every reader of the weights does.
   */
  async step(req: StepRequest, reply: (r: WorkerReply) => void): Promise<void> {
    this.barrier.awaitFinished(req.after);
    this.phases.lap('wait for updates');
    const next = await this.gradient(req);
    this.sums[2 * setup.index] = next?.lossSum ?? 0;
    this.barrier.arrive();
    this.phases.lap('barrier');
    // Every worker sums the same values in the same order, so all agree on the loss.
    let total = 0;
    for (let j = 0; j < setup.workers; j++) total += this.sums[2 * j];
    const loss = total / (req.seqLen * req.state.batch);
    reply({ type: 'stepped', loss, ...(this.phases.enabled ? { phases: this.phases.take() } : {}) });
    if (Number.isFinite(loss)) {
      if (next) this.keepState(req, next);
      this.phases.lap('state');
      this.update(req);
    }
    this.barrier.finish();
  }

  /** This worker's streams' gradient (into its region of the shared memory), loss sum and next state; null without streams. */
  private async gradient(req: StepRequest): Promise<{ lossSum: number; h: Float32Array; c?: Float32Array } | null> {
    const { numLayers: L, hiddenSize: H } = setup.config;
    const { seqLen: T, parts, state } = req;
    const B = state.batch;
    const [from, to] = parts[setup.index];
    const streams = to - from;
    if (streams === 0) return null;
    this.copyWeights();
    this.phases.lap('copy weights');
    const { Tensor: Tn } = this.ort;
    const feeds: Record<string, Tensor> = {
      ...this.weightFeeds,
      [IO.tokens]: int64(req.input, [T, streams], this.ort),
      [IO.targets]: int64(req.target, [T, streams], this.ort),
      [IO.h0]: new Tn('float32', stateColumns(new Float32Array(state.h), L, B, H, from, to), [L, streams, H]),
    };
    if (state.c) feeds[IO.c0] = new Tn('float32', stateColumns(new Float32Array(state.c), L, B, H, from, to), [L, streams, H]);
    for (const m of req.masks) feeds[m.name] = new Tn('float32', m.data, maskDims(m, streams));
    this.phases.lap('feeds');
    const session = await this.session('gradients', T);
    this.phases.lap('session');
    const out = await session.run(feeds, this.gradientFetches);
    this.phases.lap('run');
    this.floats.set(this.gradients, this.layout.grads[setup.index]);
    this.phases.lap('copy gradients');
    const lossSum = (out[IO.loss].data as Float32Array)[0] * T * streams;
    return { lossSum, h: out[IO.hn].data as Float32Array, ...(state.c ? { c: out[IO.cn].data as Float32Array } : {}) };
  }

  /** Writes this worker's streams' next state into the shared carried state. */
  private keepState(req: StepRequest, next: { h: Float32Array; c?: Float32Array }): void {
    const { numLayers: L, hiddenSize: H } = setup.config;
    const { state } = req;
    const from = req.parts[setup.index][0];
    setStateColumns(new Float32Array(state.h), L, state.batch, H, from, next.h);
    if (state.c && next.c) setStateColumns(new Float32Array(state.c), L, state.batch, H, from, next.c);
  }

  /** Sums every worker's gradient over this worker's slice and updates the slice's weights and slots (flatStep's math). */
  private update(req: StepRequest): void {
    const gradient = this.sumGradients(req.parts, req.state.batch);
    this.phases.lap('sum');
    let gradScale = 1;
    if (setup.clip !== null) {
      // Clipping needs the norm of the whole gradient: every worker's slice, after a second meeting.
      this.sums[2 * setup.index + 1] = this.sumOfSquares(this.floats.subarray(gradient, gradient + this.slice[1] - this.slice[0]));
      this.barrier.arrive();
      let sumSquares = 0;
      for (let j = 0; j < setup.workers; j++) sumSquares += this.sums[2 * j + 1];
      gradScale = clipGradScale(Math.sqrt(sumSquares), setup.clip);
    }
    const scalars = { lr: req.scalars[IO.lr], biasCorrection1: req.scalars[IO.biasCorrection1], biasCorrection2Sqrt: req.scalars[IO.biasCorrection2Sqrt], gradScale };
    const first = this.slice[0];
    const { weights, slots } = this.layout;
    for (const { from, to, weightDecay } of this.pieces) {
      this.simd.step(setup.optimizer, { ...scalars, weightDecay }, weights + from, gradient + from - first, slots.map((at) => at + from), to - from);
    }
    this.phases.lap('update');
  }

  /** This worker's copy of the weights, from the shared memory. */
  private copyWeights(): void {
    const at = this.layout.weights;
    this.weights.set(this.floats.subarray(at, at + this.layout.parameters));
  }

  /**
   * Where (a float index into the shared memory) this worker's slice of the batch's gradient is:
   * each worker's gradient of its streams' mean loss weighted by its share of the targets, summed
   * in worker order into the slice of the `summed` region. With one part it is that part's
   * gradient itself (weight 1).
   */
  private sumGradients(parts: [number, number][], batch: number): number {
    const [from, to] = this.slice;
    const terms = parts.flatMap(([a, b], j) => (b > a ? [{ weight: (b - a) / batch, at: this.layout.grads[j] + from }] : []));
    if (terms.length === 1) return terms[0].at;
    const out = this.layout.summed + from;
    this.simd.weightedSum(out, terms, to - from);
    return out;
  }

  /** Σ g² in float64. */
  private sumOfSquares(g: Float32Array): number {
    let sum = 0;
    for (let k = 0; k < g.length; k++) sum += g[k] * g[k];
    return sum;
  }

  async evaluate(req: EvalRequest): Promise<WorkerReply> {
    const { numLayers: L, hiddenSize: H, arch } = setup.config;
    const streams = req.to - req.from;
    this.barrier.awaitFinished(req.after);
    if (streams === 0) return { type: 'evaluated', lossSum: 0, targets: 0 };
    this.copyWeights();
    const { Tensor: Tn } = this.ort;
    const zeros = () => new Tn('float32', new Float32Array(L * streams * H), [L, streams, H]);
    let h: Tensor = zeros();
    let c: Tensor | null = hasState(arch, 'c') ? zeros() : null;
    let lossSum = 0;
    let targets = 0;
    const loader = new LanguageModelLoader(req.ids, { batchSize: req.batchSize, bptt: req.bptt, fixedLength: true });
    for (const batch of loader.epoch(0)) {
      const T = batch.seqLen;
      const columns = (ids: Int32Array) => int64(tokenColumns(ids, T, batch.batchSize, req.from, req.to), [T, streams], this.ort);
      const feeds: Record<string, Tensor> = { ...this.weightFeeds, [IO.tokens]: columns(batch.input), [IO.targets]: columns(batch.target), [IO.h0]: h };
      if (c) feeds[IO.c0] = c;
      const out = await (await this.session('eval', T)).run(feeds);
      // Each window's mean is float32; the sum is float64, as the one-thread engine keeps it.
      lossSum += (out[IO.loss].data as Float32Array)[0] * T * streams;
      targets += T * streams;
      h = out[IO.hn];
      if (c) c = out[IO.cn];
    }
    return { type: 'evaluated', lossSum, targets };
  }
}

function messageOf(e: unknown): string {
  return String((e as { message?: unknown } | null)?.message ?? e).split('\n')[0];
}

async function start(): Promise<ParallelWorker | null> {
  try {
    const worker = new ParallelWorker(await loadOrtNode());
    await worker.ready();
    return worker;
  } catch (e) {
    port.postMessage({ type: 'failed', message: messageOf(e) } satisfies WorkerReply);
    return null;
  }
}

const worker = await start();
const barrier = new Barrier(setup.barrier, setup.workers);
port.on('message', (req: WorkerRequest) => {
  // A worker that failed to start stays (listening) until the engine, having read why, terminates it.
  if (!worker) return;
  worker.phases.lap('idle');
  const reply = (r: WorkerReply) => port.postMessage(r);
  (req.type === 'step' ? worker.step(req, reply) : worker.evaluate(req).then(reply)).then(
    () => worker.phases.start(),
    (e: unknown) => {
      if (e instanceof BarrierBrokenError) return port.postMessage({ type: 'stopped' } satisfies WorkerReply);
      // The others may be waiting for this worker at the barrier: release them.
      barrier.break();
      port.postMessage({ type: 'failed', message: messageOf(e) } satisfies WorkerReply);
    },
  );
});
if (worker) port.postMessage({ type: 'ready' } satisfies WorkerReply);
