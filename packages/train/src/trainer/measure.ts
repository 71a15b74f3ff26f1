import { LanguageModelLoader, Rng } from '@charrnn/data';
import type { EngineFactory } from '../engine/engine.js';
import { regularizationOf } from '../engine/regularization.js';
import { randomWeights } from '../model/weights.js';
import type { FitOptions } from './fit-options.js';
import { modelConfigFor } from './loop.js';

export interface Throughput {
  /** Training target characters per second, after the first step (which builds the graph). */
  charsPerSecond: number;
  /** Seconds the first step took: building and loading the training graph. */
  firstStepSeconds: number;
  steps: number;
  /** Validation characters per second (a forward pass), measured on a sample of the validation split after building its graph. */
  evalCharsPerSecond: number;
}

/**
 * Trains `options`' model from random weights on `train` for about `seconds` (after a first step
 * that builds the graph) and reports its speed on this machine: what a time-budget plan needs
 * to size a model. The weights are thrown away.
 */
export async function measureThroughput(
  engineFactory: EngineFactory,
  options: FitOptions,
  vocabSize: number,
  corpus: { train: Int32Array; valid: Int32Array },
  seconds: number,
): Promise<Throughput> {
  const { train, valid } = corpus;
  const config = modelConfigFor(options, vocabSize);
  const engine = await engineFactory({
    config,
    weights: randomWeights(config, options.seed),
    optimizer: options.optimizer,
    momentum: options.momentum,
    clip: options.clip,
    regularization: regularizationOf(options, config),
  });
  try {
    const loader = new LanguageModelLoader(train, { batchSize: options.bs, bptt: options.bptt, seed: options.seed, fixedLength: true });
    const rng = new Rng(options.seed, 1);
    engine.resetState(options.bs);
    let firstStepSeconds = 0;
    let timed = 0;
    let chars = 0;
    let steps = 0;
    for (let epoch = 0; ; epoch++) {
      for (const batch of loader.epoch(epoch)) {
        if (engine.stateBatch !== batch.batchSize) engine.resetState(batch.batchSize);
        const t0 = performance.now();
        await engine.trainStep(batch, 1e-4, rng);
        const took = (performance.now() - t0) / 1000;
        if (steps++ === 0) firstStepSeconds = took;
        else {
          timed += took;
          chars += batch.seqLen * batch.batchSize;
        }
        if (steps > 1 && timed >= seconds) {
          // Validation's graph, built here once (a shared session cache keeps it for the run), then timed on a sample.
          const sample = valid.subarray(0, Math.min(valid.length, 4 * options.bs * options.bptt + 1));
          await engine.evaluate(sample, options.bs, options.bptt);
          const t1 = performance.now();
          const evaluation = await engine.evaluate(sample, options.bs, options.bptt);
          const evalCharsPerSecond = evaluation.targets / Math.max(1e-6, (performance.now() - t1) / 1000);
          return { charsPerSecond: chars / timed, firstStepSeconds, steps, evalCharsPerSecond };
        }
      }
    }
  } finally {
    await engine.dispose();
  }
}
