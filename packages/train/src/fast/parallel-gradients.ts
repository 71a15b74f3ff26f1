import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@charrnn/data';
import type { CharModel } from '../model/char-model.js';
import { expectedShapes, type ModelConfig } from '../model/config.js';
import type { RecurrentState } from '../model/recurrent.js';
import type { LossAndGradients, TokenBatch } from '../trainer/gradients.js';
import { fastLossAndGradients } from './loss-and-gradients.js';
import { stateColumns, streamRanges, tokenColumns } from '../engine/stream-split.js';
import { windowGradients } from './window-gradients.js';
import { paramCount, paramOffsets } from '../model/weights.js';
import { CONTROL_DONE, CONTROL_FAILED, type WorkerRequest, type WorkerSetup } from './worker-protocol.js';

export interface ParallelOptions {
  /** Parts the streams are split into: the calling thread computes one, a worker thread each other. */
  parts: number;
  /** tfjs backend the workers select ('wasm' or 'cpu'; tfjs-node is multi-threaded already). */
  backend: string;
  /** Largest batch size that will be passed (sizes the shared result buffers). */
  maxBatchSize: number;
  /** The compiled worker module; defaults to gradient-worker.js beside this file. */
  workerUrl?: URL;
}

export class ParallelGradientsError extends Error {
  override name = 'ParallelGradientsError';
}

interface WorkerSlot {
  worker: Worker;
  grads: Float32Array;
  control: Int32Array;
  result: Float32Array;
}

/**
 * Data-parallel gradients on several cores: tfjs-backend-wasm runs single-threaded in Node, so a
 * batch's streams are split between the calling thread and worker threads, each with its own
 * wasm backend, running windowGradients on its streams. Weights go to the workers and gradients
 * come back through SharedArrayBuffers; the calling thread blocks in Atomics.wait only after
 * computing its own part, so `lossAndGradients` stays synchronous like the trainer's seam.
 * Results equal the single-thread ones up to float rounding (a sum split in parts).
 */
export class ParallelGradients {
  private readonly offsets: Map<string, [number, number]>;
  private readonly weights: Float32Array;

  private constructor(
    readonly config: ModelConfig,
    readonly parts: number,
    private readonly slots: WorkerSlot[],
    weights: SharedArrayBuffer,
  ) {
    this.offsets = paramOffsets(config);
    this.weights = new Float32Array(weights);
  }

  static async create(config: ModelConfig, opts: ParallelOptions): Promise<ParallelGradients> {
    if (!Number.isInteger(opts.parts) || opts.parts < 1) {
      throw new ParallelGradientsError(`parts is ${opts.parts}, expected an integer ≥ 1 (1 = no worker threads)`);
    }
    const count = paramCount(config);
    const weights = new SharedArrayBuffer(4 * count);
    const resultSize = 1 + 2 * config.numLayers * opts.maxBatchSize * config.hiddenSize;
    const url = opts.workerUrl ?? new URL('./gradient-worker.js', import.meta.url);
    const slots: WorkerSlot[] = [];
    try {
      for (let i = 1; i < opts.parts; i++) {
        const setup: WorkerSetup = {
          config,
          backend: opts.backend,
          weights,
          grads: new SharedArrayBuffer(4 * count),
          control: new SharedArrayBuffer(8),
          result: new SharedArrayBuffer(4 * resultSize),
        };
        const worker = new Worker(url, { workerData: setup });
        worker.unref();
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', (e) => reject(new ParallelGradientsError(`gradient worker failed to start: ${e.message}`)));
        });
        slots.push({ worker, grads: new Float32Array(setup.grads), control: new Int32Array(setup.control), result: new Float32Array(setup.result) });
      }
    } catch (e) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw e;
    }
    return new ParallelGradients(config, opts.parts, slots, weights);
  }

  /** Same contract as the trainer's lossAndGradients. */
  readonly lossAndGradients = (model: CharModel, batch: TokenBatch, state: RecurrentState, opts: { training: boolean; rng?: Rng }): LossAndGradients => {
    const { dropout, numLayers, hiddenSize } = this.config;
    const B = batch.batchSize;
    // Dropout masks are drawn over the whole batch in one rng order; splitting them is not worth
    // it for the lesson's configs, so those batches run on this thread alone.
    if (this.slots.length === 0 || (opts.training && dropout > 0 && numLayers > 1) || B < this.parts) {
      return fastLossAndGradients(model, batch, state, opts);
    }
    if (B * numLayers * hiddenSize * 2 + 1 > this.slots[0].result.length) {
      throw new ParallelGradientsError(`batch size ${B} exceeds the maxBatchSize the workers were created for`);
    }
    for (const [name, v] of model.parameters) this.weights.set(v.dataSync() as Float32Array, this.offsets.get(name)![0]);
    const N = batch.seqLen * B;
    const ranges = streamRanges(B, this.parts);
    const h = state.h.dataSync() as Float32Array;
    const c = state.c ? (state.c.dataSync() as Float32Array) : undefined;
    const part = (from: number, to: number) => ({
      input: tokenColumns(batch.input, batch.seqLen, B, from, to),
      target: tokenColumns(batch.target, batch.seqLen, B, from, to),
      seqLen: batch.seqLen,
      batchSize: to - from,
      h: stateColumns(h, numLayers, B, hiddenSize, from, to),
      c: c ? stateColumns(c, numLayers, B, hiddenSize, from, to) : undefined,
    });
    const before = this.slots.map((s) => Atomics.load(s.control, CONTROL_DONE));
    this.slots.forEach((slot, i) => {
      const [from, to] = ranges[i + 1];
      const request: WorkerRequest = { ...part(from, to), normalizer: N };
      slot.worker.postMessage(request);
    });

    const [from0, to0] = ranges[0];
    const mine = part(from0, to0);
    const stateShape = (w: number): [number, number, number] => [numLayers, w, hiddenSize];
    const own = tf.tidy(() => {
      const s = { h: tf.tensor3d(mine.h, stateShape(mine.batchSize)), ...(mine.c ? { c: tf.tensor3d(mine.c, stateShape(mine.batchSize)) } : {}) };
      const r = windowGradients(this.config, model.parameters, mine, s, N);
      return { lossSum: r.lossSum, grads: [...r.grads.values()], h: r.state.h, c: r.state.c ? [r.state.c] : [] };
    });

    let lossSum = own.lossSum.dataSync()[0];
    this.slots.forEach((slot, i) => {
      while (Atomics.load(slot.control, CONTROL_DONE) === before[i]) Atomics.wait(slot.control, CONTROL_DONE, before[i], 1000);
      if (Atomics.load(slot.control, CONTROL_FAILED) > 0) {
        tf.dispose([own.lossSum, ...own.grads, own.h, ...own.c]);
        throw new ParallelGradientsError('a gradient worker failed (its error is on stderr)');
      }
      lossSum += slot.result[0];
    });
    const names = [...expectedShapes(this.config)];
    const grads = new Map<string, tf.Tensor>();
    const next = tf.tidy(() => {
      names.forEach(([name, shape], j) => {
        const [off, size] = this.offsets.get(name)!;
        const parts = [own.grads[j], ...this.slots.map((s) => tf.tensor(s.grads.subarray(off, off + size), shape))];
        grads.set(name, tf.keep(tf.addN(parts)));
      });
      const widths = ranges.slice(1).map(([a, b]) => b - a);
      const hs = [own.h, ...this.slots.map((s, i) => tf.tensor3d(s.result.subarray(1, 1 + numLayers * widths[i] * hiddenSize), stateShape(widths[i])))];
      const nextH = tf.concat(hs, 1) as tf.Tensor3D;
      if (!state.c) return { h: nextH };
      const cs = [own.c[0], ...this.slots.map((s, i) => {
        const at = 1 + numLayers * widths[i] * hiddenSize;
        return tf.tensor3d(s.result.subarray(at, at + numLayers * widths[i] * hiddenSize), stateShape(widths[i]));
      })];
      return { h: nextH, c: tf.concat(cs, 1) as tf.Tensor3D };
    });
    tf.dispose([own.lossSum, ...own.grads, own.h, ...own.c]);
    return { loss: lossSum / N, grads, state: next };
  };

  async dispose(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
