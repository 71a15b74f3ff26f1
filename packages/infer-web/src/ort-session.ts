/**
 * RecurrentSession over any onnxruntime JS package (node or web share onnxruntime-common's API).
 * One step is one tiny session run, so per-call overhead is the cost (DESIGN.md "Where the time
 * goes"): tensors wrapping the caller's reused buffers are created once and cached by buffer, so
 * a generation step builds no new input tensors.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import type { ModelInfo } from './contract.js';
import type { RecurrentOutputs, RecurrentSession } from './session.js';

/** The part of an onnxruntime module infer-web uses; tests inject fakes of it. */
export interface OrtApi {
  InferenceSession: { create(buffer: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: typeof Tensor;
}

/**
 * What OrtRecurrentSession runs on: an onnxruntime InferenceSession, or onnxruntime-node's
 * synchronous binding (native-session.ts), whose run may return its outputs at once.
 */
export interface OrtRunner {
  run(feeds: Record<string, Tensor>): Promise<InferenceSession.ReturnType> | InferenceSession.ReturnType;
  release(): Promise<void>;
}

interface CachedTensor {
  dims: string;
  tensor: Tensor;
}

export class OrtRecurrentSession implements RecurrentSession {
  private readonly cache = new WeakMap<BigInt64Array | Float32Array, CachedTensor>();
  private lastFeeds:
    | { tokens: BigInt64Array; h0: Float32Array; c0: Float32Array | undefined; seq: number; batch: number; feeds: Record<string, Tensor> }
    | undefined;

  constructor(
    private readonly ort: OrtApi,
    private readonly session: OrtRunner,
    private readonly info: ModelInfo,
    readonly backend: string,
  ) {}

  private tensor(data: BigInt64Array | Float32Array, dims: readonly number[]): Tensor {
    const key = dims.join('x');
    const hit = this.cache.get(data);
    if (hit !== undefined && hit.dims === key) return hit.tensor;
    const tensor =
      data instanceof BigInt64Array ? new this.ort.Tensor('int64', data, dims) : new this.ort.Tensor('float32', data, dims);
    this.cache.set(data, { dims: key, tensor });
    return tensor;
  }

  run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Promise<RecurrentOutputs> {
    const feeds = this.feedsFor(tokens, seq, batch, h0, c0);
    const out = this.session.run(feeds);
    // A synchronous runner (native-session.ts) answers at once: no await, one promise per step.
    return out instanceof Promise ? out.then((o) => this.outputs(o, c0 !== undefined)) : Promise.resolve(this.outputs(out, c0 !== undefined));
  }

  /** The feeds of the last run again when the buffers and shape are the same (every generation step). */
  private feedsFor(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Record<string, Tensor> {
    const last = this.lastFeeds;
    if (last !== undefined && last.tokens === tokens && last.h0 === h0 && last.c0 === c0 && last.seq === seq && last.batch === batch) {
      return last.feeds;
    }
    const stateDims = [this.info.numLayers, batch, this.info.hiddenSize];
    const feeds: Record<string, Tensor> = { tokens: this.tensor(tokens, [seq, batch]), h0: this.tensor(h0, stateDims) };
    if (c0 !== undefined) feeds.c0 = this.tensor(c0, stateDims);
    this.lastFeeds = { tokens, h0, c0, seq, batch, feeds };
    return feeds;
  }

  private outputs(out: InferenceSession.ReturnType, lstm: boolean): RecurrentOutputs {
    const result: RecurrentOutputs = { logits: out.logits.data as Float32Array, hn: out.hn.data as Float32Array };
    if (lstm) result.cn = out.cn.data as Float32Array;
    return result;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Session options for tiny sequential models: one thread is fastest (no pool hand-offs). */
export const TINY_MODEL_SESSION_OPTIONS: InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};
