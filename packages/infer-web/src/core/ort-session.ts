/**
 * RecurrentSession over any onnxruntime JS package (node or web share onnxruntime-common's API).
 * One step is one tiny session run, so per-call overhead is the cost (docs/recurrent-cells.md,
 * "What a character costs"): tensors wrapping the caller's reused buffers are created once and cached by buffer, so
 * a generation step builds no new input tensors.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { float16BitsToFloat32, float32ToFloat16Bits, IO, type ModelInfo, type OrtApi as ContractOrtApi } from '@charrnn/contract';
import type { RecurrentOutputs, RecurrentSession } from './session.js';

/** The part of an onnxruntime module infer-web uses (contract's OrtApi over onnxruntime's types); tests inject fakes of it. */
export type OrtApi = ContractOrtApi<InferenceSession, InferenceSession.SessionOptions, typeof Tensor>;

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

/**
 * A float16 model's state goes in as binary16 bits: one bit buffer per caller state buffer,
 * refilled before every run (the caller changes its buffer's contents between runs).
 */
interface HalfState {
  h0Bits: Uint16Array;
  c0Bits: Uint16Array | undefined;
}

/** onnxruntime gives float16 outputs as bits (Uint16Array), or as Float16Array where one exists. */
type HalfData = Uint16Array | ArrayLike<number>;

export class OrtRecurrentSession implements RecurrentSession {
  private readonly cache = new WeakMap<BigInt64Array | Float32Array | Uint16Array, CachedTensor>();
  private readonly halfBits = new WeakMap<Float32Array, Uint16Array>();
  private halfState: HalfState | undefined;
  private lastFeeds:
    | { tokens: BigInt64Array; h0: Float32Array; c0: Float32Array | undefined; seq: number; batch: number; feeds: Record<string, Tensor> }
    | undefined;

  constructor(
    private readonly ort: OrtApi,
    private readonly session: OrtRunner,
    private readonly info: ModelInfo,
    readonly backend: string,
    /** copyInputs: run on copies of the caller's buffers, for a runner that takes them (onnxruntime-web's proxy worker transfers them). */
    private readonly options: { copyInputs?: boolean } = {},
  ) {}

  private tensor(data: BigInt64Array | Float32Array | Uint16Array, dims: readonly number[]): Tensor {
    const key = dims.join('x');
    const hit = this.cache.get(data);
    if (hit !== undefined && hit.dims === key) return hit.tensor;
    const tensor =
      data instanceof BigInt64Array
        ? new this.ort.Tensor('int64', data, dims)
        : data instanceof Uint16Array
          ? new this.ort.Tensor('float16', data, dims)
          : new this.ort.Tensor('float32', data, dims);
    this.cache.set(data, { dims: key, tensor });
    return tensor;
  }

  run(tokens: BigInt64Array, seq: number, batch: number, h0: Float32Array, c0?: Float32Array): Promise<RecurrentOutputs> {
    const feeds = this.options.copyInputs ? this.feedsFor(tokens.slice(), seq, batch, h0.slice(), c0?.slice()) : this.feedsFor(tokens, seq, batch, h0, c0);
    if (this.halfState !== undefined) {
      float32ToFloat16Bits(h0, this.halfState.h0Bits);
      if (c0 !== undefined && this.halfState.c0Bits !== undefined) float32ToFloat16Bits(c0, this.halfState.c0Bits);
    }
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
    const feeds: Record<string, Tensor> = { [IO.tokens]: this.tensor(tokens, [seq, batch]) };
    if (this.info.precision === 'float16') {
      const h0Bits = this.bitsFor(h0);
      const c0Bits = c0 === undefined ? undefined : this.bitsFor(c0);
      this.halfState = { h0Bits, c0Bits };
      feeds[IO.h0] = this.tensor(h0Bits, stateDims);
      if (c0Bits !== undefined) feeds[IO.c0] = this.tensor(c0Bits, stateDims);
    } else {
      feeds[IO.h0] = this.tensor(h0, stateDims);
      if (c0 !== undefined) feeds[IO.c0] = this.tensor(c0, stateDims);
    }
    this.lastFeeds = { tokens, h0, c0, seq, batch, feeds };
    return feeds;
  }

  private bitsFor(state: Float32Array): Uint16Array {
    let bits = this.halfBits.get(state);
    if (bits === undefined || bits.length !== state.length) {
      bits = new Uint16Array(state.length);
      this.halfBits.set(state, bits);
    }
    return bits;
  }

  /**
   * Output `name` as float32: as onnxruntime gives it, or converted from float16 into a new array
   * per run (as onnxruntime gives float32 outputs, so callers may keep it).
   */
  private float32Output(out: InferenceSession.ReturnType, name: string): Float32Array {
    const data = out[name].data as Float32Array | HalfData;
    if (this.info.precision !== 'float16') return data as Float32Array;
    const target = new Float32Array(data.length);
    if (data instanceof Uint16Array) return float16BitsToFloat32(data, target);
    for (let i = 0; i < data.length; i++) target[i] = data[i];
    return target;
  }

  private outputs(out: InferenceSession.ReturnType, lstm: boolean): RecurrentOutputs {
    const result: RecurrentOutputs = { logits: this.float32Output(out, IO.logits), hn: this.float32Output(out, IO.hn) };
    if (lstm) result.cn = this.float32Output(out, IO.cn);
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
