// onnxruntime-node and onnxruntime-web share onnxruntime-common's types; either module fits OrtRuntime.
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { fromFloat16Array, IO, STATE_IO, mapStates, stateNames, toFloat16Array, type StateRecord } from '@charrnn/contract';
import type { ModelConfig } from '@charrnn/train/browser';

/** The part of onnxruntime-node's or onnxruntime-web's module a stateful run needs. */
export interface OrtRuntime {
  Tensor: typeof Tensor;
}

/** Logits of every position and the state after the last one, all as float32. */
export interface StatefulRunResult {
  /** [seq, batch, vocab], time-major like the model's own output. */
  logits: Float32Array;
  /** [layers, batch, hidden]. */
  h: Float32Array;
  /** LSTM only, [layers, batch, hidden]. */
  c?: Float32Array;
}

export class StatefulRunError extends Error {
  override name = 'StatefulRunError';
}

function floatTensor(ort: OrtRuntime, fp16: boolean, data: Float32Array, dims: number[]): Tensor {
  return fp16 ? new ort.Tensor('float16', toFloat16Array(data), dims) : new ort.Tensor('float32', data, dims);
}

function floatData(tensor: Tensor | undefined, name: string): Float32Array {
  if (!tensor) throw new StatefulRunError(`the model returned no output "${name}"`);
  // A fresh copy: outputs may live in another JS realm (jest's vm contexts), and onnxruntime's
  // Tensor constructor rejects typed arrays from a foreign realm when they are fed back in.
  if (tensor.type === 'float32') return new Float32Array(tensor.data as Float32Array);
  // onnxruntime hands float16 back as raw bits (Uint16Array) where Float16Array is missing.
  if (tensor.type === 'float16') return fromFloat16Array(tensor.data as Uint16Array);
  throw new StatefulRunError(`output "${name}" has type ${tensor.type}, expected float32 or float16`);
}

/**
 * Runs `tokens` ([seq, batch] time-major ids) through an exported model in consecutive chunks of
 * `chunkSizes` characters, starting from a zero state and feeding each call's `hn` (and `cn`)
 * back as the next call's `h0` (and `c0`), which is how a generator uses the model.
 */
export async function runStateful(
  ort: OrtRuntime,
  session: InferenceSession,
  config: ModelConfig,
  tokens: Int32Array,
  batch: number,
  chunkSizes: readonly number[],
  fp16 = false,
): Promise<StatefulRunResult> {
  const seq = tokens.length / batch;
  const total = chunkSizes.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(seq) || total !== seq) {
    throw new StatefulRunError(`chunk sizes ${chunkSizes.join('+')} = ${total} do not cover ${tokens.length} tokens of batch ${batch}`);
  }
  const { numLayers, hiddenSize, vocabSize } = config;
  const stateDims = [numLayers, batch, hiddenSize];
  let state: StateRecord<Float32Array> = mapStates(config.arch, () => new Float32Array(numLayers * batch * hiddenSize));
  const logits = new Float32Array(seq * batch * vocabSize);
  let start = 0;
  for (const size of chunkSizes) {
    const ids = BigInt64Array.from(tokens.subarray(start * batch, (start + size) * batch), (t) => BigInt(t));
    const feeds: Record<string, Tensor> = {
      [IO.tokens]: new ort.Tensor('int64', ids, [size, batch]),
    };
    for (const s of stateNames(config.arch)) feeds[STATE_IO[s].input] = floatTensor(ort, fp16, state[s] as Float32Array, stateDims);
    const out = await session.run(feeds);
    logits.set(floatData(out[IO.logits], IO.logits), start * batch * vocabSize);
    state = mapStates(config.arch, (s) => floatData(out[STATE_IO[s].output], STATE_IO[s].output));
    start += size;
  }
  return { logits, ...state };
}
