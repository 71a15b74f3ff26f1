import * as tf from '@tensorflow/tfjs-core';
import { LanguageModelLoader, type Batch } from '@charrnn/data';
import { CharModel, disposeState } from '../model/char-model.js';
import type { ModelConfig } from '../model/config.js';
import type { RecurrentState } from '../model/recurrent.js';
import { randomWeights } from '../model/weights.js';
import { createOptimizer } from '../optim/create.js';
import type { LossAndGradients, TokenBatch } from '../trainer/gradients.js';

/** A training step's gradient computation, e.g. the trainer's lossAndGradients or a faster one. */
export type GradientsFn = (model: CharModel, batch: TokenBatch, state: RecurrentState, opts: { training: boolean }) => LossAndGradients | Promise<LossAndGradients>;

export interface ThroughputOptions {
  /** Batches run before timing starts (wasm compiles kernels and grows its heap on first use). */
  warmupBatches: number;
  /** Timed windows; the result is their median. */
  windows: number;
  batchesPerWindow: number;
  batchSize: number;
  bptt: number;
  seed: number;
}

export interface Throughput {
  /** Median over the windows of trained characters (targets) per second. */
  charsPerSecond: number;
  /** Every window's chars/s, in order. */
  windows: number[];
  /** Median over the windows of chars per CPU-second of this process (all its threads): less load-sensitive than wall time. */
  charsPerCpuSecond: number;
  /** Median over the windows of CPU time / wall time (≈ cores kept busy). */
  cpuPerWall: number;
  /** Mean training loss of the timed batches (a sanity check that it trains). */
  loss: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Training throughput as PyTorch's reference script counts it: full steps (forward, backward,
 * Adam update at lr 1e-3) on the corpus' training stream with the loader's randomised sequence
 * lengths, state carried and detached between batches; chars = targets trained on.
 */
export async function measureThroughput(config: ModelConfig, trainIds: Int32Array, gradients: GradientsFn, opts: ThroughputOptions): Promise<Throughput> {
  const model = CharModel.fromWeights(config, randomWeights(config, opts.seed));
  const optimizer = createOptimizer('adam', { momentum: 0 });
  const loader = new LanguageModelLoader(trainIds, { batchSize: opts.batchSize, bptt: opts.bptt, seed: opts.seed });
  const needed = opts.warmupBatches + opts.windows * opts.batchesPerWindow;
  const batches: Batch[] = [];
  for (let epoch = 0; batches.length < needed; epoch++) {
    for (const b of loader.epoch(epoch)) {
      batches.push(b);
      if (batches.length === needed) break;
    }
  }
  let state = model.zeroState(opts.batchSize);
  const trainStep = async (batch: Batch) => {
    const result = await gradients(model, batch, state, { training: true });
    optimizer.step(model.parameters, result.grads, 1e-3);
    tf.dispose([...result.grads.values()]);
    disposeState(state);
    state = result.state;
    return result.loss;
  };
  try {
    for (let i = 0; i < opts.warmupBatches; i++) await trainStep(batches[i]);
    const windows: number[] = [];
    const perCpu: number[] = [];
    const busy: number[] = [];
    let lossSum = 0;
    let targets = 0;
    for (let w = 0; w < opts.windows; w++) {
      const from = opts.warmupBatches + w * opts.batchesPerWindow;
      let chars = 0;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (const batch of batches.slice(from, from + opts.batchesPerWindow)) {
        const n = batch.seqLen * batch.batchSize;
        lossSum += (await trainStep(batch)) * n;
        chars += n;
      }
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      windows.push(chars / wall);
      perCpu.push(chars / cpuSeconds);
      busy.push(cpuSeconds / wall);
      targets += chars;
    }
    return { charsPerSecond: median(windows), windows, charsPerCpuSecond: median(perCpu), cpuPerWall: median(busy), loss: lossSum / targets };
  } finally {
    disposeState(state);
    optimizer.dispose();
    model.dispose();
  }
}
