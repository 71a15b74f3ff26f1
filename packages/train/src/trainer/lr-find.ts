import * as tf from '@tensorflow/tfjs-core';
import { LanguageModelLoader, Rng, type PreparedCorpus } from '@charrnn/data';
import type { ProgressSink } from '@charrnn/data/node';
import { CharModel, disposeState } from '../model/char-model.js';
import { randomWeights } from '../model/weights.js';
import { createOptimizer } from '../optim/create.js';
import type { FitOptions } from './fit-options.js';
import { modelConfigFor } from './fit.js';
import { fastLossAndGradients } from '../fast/loss-and-gradients.js';
import { clipGradNorm } from './gradients.js';

export interface LrFindOptions {
  startLr: number;
  endLr: number;
  /** Batches to spread the exponential ramp over (stops earlier when the loss explodes). */
  batches: number;
}

export interface LrFindPoint {
  lr: number;
  loss: number;
  /** Bias-corrected exponential moving average of the loss (β = 0.98). */
  smoothed: number;
}

export interface LrFindResult {
  points: LrFindPoint[];
  /** The lr where the smoothed loss falls fastest (steepest negative slope in log lr). */
  steepest: number;
  /** The lr of the lowest smoothed loss, divided by 10: the usual rule of thumb. */
  minimumOver10: number;
}

/**
 * The lesson's lr_find (Smith 2015, "Cyclical Learning Rates"): train from a fresh model with the
 * learning rate growing exponentially from startLr to endLr, one step per batch, and record the
 * loss; stop when the smoothed loss exceeds 4× its best.
 */
export function lrFind(corpus: PreparedCorpus, options: FitOptions, find: LrFindOptions, progress?: ProgressSink): LrFindResult {
  const config = modelConfigFor(options, corpus.vocab.size);
  const model = CharModel.fromWeights(config, randomWeights(config, options.seed));
  const optimizer = createOptimizer(options.optimizer, { momentum: options.momentum });
  const rng = new Rng(options.seed, 1);
  const loader = new LanguageModelLoader(corpus.train, { batchSize: options.bs, bptt: options.bptt, seed: options.seed });
  const ratio = find.endLr / find.startLr;
  const points: LrFindPoint[] = [];
  let state = model.zeroState(options.bs);
  let avg = 0;
  let best = Infinity;
  let i = 0;
  progress?.start(find.batches, 'lr find');
  try {
    for (let epoch = 0; i < find.batches; epoch++) {
      let any = false;
      for (const batch of loader.epoch(epoch)) {
        if (i >= find.batches) break;
        any = true;
        const lr = find.startLr * ratio ** (i / Math.max(1, find.batches - 1));
        const result = fastLossAndGradients(model, batch, state, { training: true, rng });
        disposeState(state);
        state = result.state;
        if (options.clip !== null) clipGradNorm(result.grads, options.clip);
        if (Number.isFinite(result.loss)) optimizer.step(model.parameters, result.grads, lr);
        tf.dispose([...result.grads.values()]);
        i++;
        avg = 0.98 * avg + 0.02 * result.loss;
        const smoothed = avg / (1 - 0.98 ** i);
        points.push({ lr, loss: result.loss, smoothed });
        progress?.update(i, { lr: lr.toExponential(2), loss: smoothed.toFixed(4) });
        if (!Number.isFinite(smoothed) || smoothed > 4 * best) return suggestLearningRates(points);
        best = Math.min(best, smoothed);
      }
      if (!any) break;
      disposeState(state);
      state = model.zeroState(options.bs);
    }
    return suggestLearningRates(points);
  } finally {
    progress?.stop();
    disposeState(state);
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * The two suggestions from a sweep's points: the lowest smoothed loss's lr / 10, and the lr where
 * the smoothed loss falls fastest over 5 points (in log lr), looking only at or below that lowest
 * point (past it the loss is exploding, which is not a descent). Non-finite points are ignored.
 */
export function suggestLearningRates(points: LrFindPoint[]): LrFindResult {
  const finite = points.filter((p) => Number.isFinite(p.smoothed));
  let min = finite[0];
  for (const p of finite) if (p.smoothed < min.smoothed) min = p;
  // Skip the first few points: the moving average is still dominated by its first samples there.
  let steepest = finite[0].lr;
  let slope = Infinity;
  for (let k = 5; k < finite.length; k++) {
    const s = (finite[k].smoothed - finite[k - 5].smoothed) / Math.log(finite[k].lr / finite[k - 5].lr);
    if (s < slope && finite[k].lr <= min.lr) {
      slope = s;
      steepest = finite[k].lr;
    }
  }
  return { points, steepest, minimumOver10: min.lr / 10 };
}
