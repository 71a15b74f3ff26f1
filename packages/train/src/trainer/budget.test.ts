// A time-budget run (`train:fit --minutes`) on a clock the test drives: every training step takes
// 100 ms and every validation 40 ms of that clock, so what the loop decides (when to validate,
// the learning rate at each step, when to stop, which weights it ends on, where a resumed run
// goes on) is exact and does not depend on how fast or busy the machine is.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import type { EngineFactory, TrainingEngine } from '../engine/engine.js';
import type { Weights } from '../model/weights.js';
import { ortEngine, type OrtApi } from '../ort/ort-engine.js';
import { learningRate, parseSchedule } from '../schedule/schedule.js';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit-options.js';
import { fit } from './fit.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';

const onCpu = ortEngine({ ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', intraOpNumThreads: 1 });
const STEP_MS = 100;
const VALIDATION_MS = 40;
// 0.1 min = 6 s of the test's clock: about 50 steps, a validation every 2 s (the shortest interval).
const options: FitOptions = { ...DEFAULT_FIT_OPTIONS, embed: 8, hidden: 16, bs: 4, bptt: 8, minutes: 0.1, schedule: 'cosine@3e-3,warmup=0.1,final=0.05', clip: 2 };

let corpus: PreparedCorpus;
let dir: string;
beforeAll(async () => {
  corpus = prepareCorpus((await loadCorpus()).text.slice(0, 20_000), { text: 'faithful', validFraction: 0.1 });
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-budget-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

interface Driven {
  factory: EngineFactory;
  now: () => number;
  /** The learning rate of every step, in order. */
  lrs: number[];
  /** The weights at each validation, in order. */
  validated: Weights[];
}

/** The ort engine on a clock that moves only when it trains or validates; `losses` replaces the validation losses when given. */
function driven(start = 0, losses?: number[]): Driven {
  let ms = start;
  const lrs: number[] = [];
  const validated: Weights[] = [];
  const factory: EngineFactory = async (init) => {
    const engine = await onCpu(init);
    // The engine itself, two methods replaced (its own run on the wrapper, which holds its state).
    const wrapped: TrainingEngine = Object.create(engine) as TrainingEngine;
    wrapped.trainStep = async (batch, lr, rng) => {
      lrs.push(lr);
      const result = await engine.trainStep.call(wrapped, batch, lr, rng);
      ms += STEP_MS;
      return result;
    };
    wrapped.evaluate = async (ids, bs, bptt) => {
      const result = await engine.evaluate.call(wrapped, ids, bs, bptt);
      validated.push(await wrapped.getWeights());
      ms += VALIDATION_MS;
      return losses ? { ...result, loss: losses[validated.length - 1] ?? result.loss } : result;
    };
    return wrapped;
  };
  return { factory, now: () => ms, lrs, validated };
}

describe('a time-budget run', () => {
  test('trains until the budget minus the last validation and save, validates every 2 s, its rate a cosine over the time', async () => {
    const d = driven();
    const result = await fit({ corpus, options, outDir: dir, engine: d.factory, now: d.now });
    // After the second validation (4.08 s) a step is stopped after when now + another step (0.1 s) +
    // 1.2 × the validation's 0.04 s + 0.5 s reaches 6 s: at 4.08 + 13 × 0.1 = 5.38 s, the 53rd step.
    expect(result.step).toBe(53);
    expect(d.lrs).toHaveLength(53);
    const saved = await loadTrainingCheckpoint(dir);
    expect(saved.trainer).toMatchObject({ complete: true, totalEpochs: null, step: 53 });
    expect(saved.trainer.elapsed).toBeCloseTo(5.42, 6);
    expect(saved.trainer.elapsed).toBeLessThanOrEqual(6);
    // Rows: validations once 2 s passed since the last, and the last one at the end.
    expect(result.history.map((r) => r.elapsed)).toEqual([2.04, 4.08, 5.42].map((s) => expect.closeTo(s, 6)));
    expect(result.history.map((r) => r.step)).toEqual([20, 40, 53]);
    expect(result.history.map((r) => r.batches)).toEqual([20, 20, 13]);
    // Each step's rate is the schedule's at (seconds so far) / (6 s − the reserve): the reserve is
    // 1.2 × the validation's cost + 0.5 s, the cost estimated from the speed until a validation measured it.
    const schedule = parseSchedule(options.schedule);
    const validTokens = corpus.valid.length;
    let ms = 0;
    let cost = 0;
    const expected = d.lrs.map((_, i) => {
      if (i === 20 || i === 40) {
        ms += VALIDATION_MS;
        cost = VALIDATION_MS / 1000;
      }
      // Before a validation, its cost is estimated at three times the training speed (4 × 8 characters in 0.1 s)
      // once a step measured it; before the first step, nothing is known and only the save's 0.5 s is kept.
      const reserve = 1.2 * (cost > 0 ? cost : i === 0 ? 0 : validTokens / (3 * (32 / 0.1))) + 0.5;
      const lr = learningRate(schedule, 0, 0, Math.min(1, ms / 1000 / (6 - reserve)));
      ms += STEP_MS;
      return lr;
    });
    expect(d.lrs).toEqual(expected.map((lr) => expect.closeTo(lr, 12)));
    expect(Math.max(...d.lrs)).toBeCloseTo(3e-3, 4);
    expect(d.lrs[d.lrs.length - 1]).toBeLessThan(3e-4);
  });

  test('ends on the weights of its best validation when the last one is worse, and says so', async () => {
    // Scripted validation losses: the second is the best, the last worse.
    const d = driven(0, [3.2, 2.5, 2.9]);
    const lines: string[] = [];
    await fit({ corpus, options, outDir: dir, engine: d.factory, now: d.now, log: (l) => lines.push(l) });
    expect(lines).toContain('kept the weights of step 40 (validation loss 2.5000), better than the last (2.9000)');
    const saved = await loadTrainingCheckpoint(dir);
    expect(saved.trainer.best).toEqual({ validLoss: 2.5, step: 40 });
    expect(d.validated).toHaveLength(3);
    for (const [name, t] of d.validated[1]) expect(saved.weights.get(name)!.data).toEqual(t.data);
    // …and the best is not the last weights.
    const encoder = saved.weights.get('encoder.weight')!.data;
    expect(Array.from(encoder)).not.toEqual(Array.from(d.validated[2].get('encoder.weight')!.data));
  });

  test('an interrupted run resumes to the same plan: the same steps, rates and final weights as one that was not interrupted', async () => {
    const whole = driven();
    await fit({ corpus, options, outDir: path.join(dir, 'whole'), engine: whole.factory, now: whole.now });

    const first = driven();
    const controller = new AbortController();
    const part = await fit({
      corpus,
      options,
      outDir: path.join(dir, 'cut'),
      engine: first.factory,
      now: first.now,
      signal: controller.signal,
      onBatch: ({ step }) => step === 27 && controller.abort(),
    });
    expect(part).toMatchObject({ interrupted: true, step: 27 });
    const cut = await loadTrainingCheckpoint(path.join(dir, 'cut'));
    expect(cut.trainer.elapsed).toBeCloseTo(2.74, 6);
    // The resumed process starts its clock anywhere: the run goes on from the saved elapsed time.
    const second = driven(123_456);
    const rest = await fit({ corpus, options, outDir: path.join(dir, 'cut'), engine: second.factory, now: second.now, resume: cut });
    expect(rest.step).toBe(53);
    // Equal but for the last bit: the resumed clock adds the saved seconds to its own.
    expect([...first.lrs, ...second.lrs]).toEqual(whole.lrs.map((lr) => expect.closeTo(lr, 15)));
    const a = await loadTrainingCheckpoint(path.join(dir, 'whole'));
    const b = await loadTrainingCheckpoint(path.join(dir, 'cut'));
    expect(b.trainer.history).toEqual(a.trainer.history.map((r) => ({ ...r, lr: expect.closeTo(r.lr, 15), charsPerSecond: expect.any(Number), seconds: expect.any(Number) })));
    for (const [name, t] of a.weights) expect(b.weights.get(name)!.data).toEqual(t.data);
  });
});
