import { existsSync, readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import path from 'node:path';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { createProgress, loadCorpus } from '@charrnn/data/node';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import type { EngineFactory } from '../engine/engine.js';
import { tfjsEngine } from '../engine/tfjs-engine.js';
import { ORT_DEVICES, OrtRuntimeError, ortNodeEngine, type OrtDevice } from '../ort/node-runtime.js';
import { availableWorkers } from '../ort/parallel-engine.js';
import { releaseSessions } from '../ort/ort-engine.js';
import type { InferenceSession } from 'onnxruntime-common';
import { ScheduleError, parseSchedule, totalEpochs } from '../schedule/schedule.js';
import { DEFAULT_FIT_OPTIONS, ENGINE_CHOICES, resolveTextOptions, type EngineChoice, type FitOptions } from './fit-options.js';
import { ParallelGradients } from '../fast/parallel-gradients.js';
import { checkModelSize } from './model-size.js';
import { fit, modelConfigFor, type FitResult, type FitRun } from './fit.js';
import type { ExpectedSpeed } from './budget-clock.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';
import { checkpointMarkIn } from '../checkpoint/checkpoint-sets.js';
import { CheckpointError } from '../checkpoint/errors.js';
import type { Throughput } from './measure.js';
import { checkMinutes } from './plan.js';
import { planBudget, type BudgetEngine } from './budget-plan.js';
import { regularizationOf } from '../engine/regularization.js';

export interface RunFitRequest {
  options: FitOptions;
  /** Checkpoint directory; default checkpoints/<arch>-e<embed>-h<hidden>[-l<layers>] (a fresh -2, -3… if taken). */
  out?: string;
  /** Continue the run saved in this directory (its trainer.json options are used). */
  resume?: string;
  /** Train into an `out` that holds another run (replaced at the first save); refused otherwise. */
  overwrite?: boolean;
  /**
   * Training options given explicitly (flags typed on the command line). A resumed run keeps its
   * own options, so one that differs is refused rather than ignored; a time-budget run
   * (`options.minutes`) keeps these and plans the rest.
   */
  given?: Partial<FitOptions>;
  /** Override the saved engine, device and backend on resume. */
  engine?: EngineChoice;
  device?: OrtDevice;
  backend?: BackendChoice;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Called after every optimizer step. */
  onBatch?: FitRun['onBatch'];
  /**
   * Threads computing each batch, data-parallel over its streams (default 1): the ONNX Runtime
   * engine's worker threads on the CPU (ParallelOrtEngine, each with its own sessions), or the tfjs
   * engine's (ParallelGradients). availableWorkers() is the count that uses every core.
   */
  workers?: number;
  /** Intra-op threads of each ONNX Runtime session on the CPU (default ORT_DEFAULT_THREADS). */
  threads?: number;
  /** Why onnxruntime-node's CUDA provider is unavailable, or undefined if it may be tried (injected by tests). */
  cudaMissing?: () => Promise<string | undefined>;
  /** The memory a model may take to train (checkModelSize); default the machine's (os.totalmem). */
  memoryBytes?: number;
  /** Loads onnxruntime-node (injected by tests to simulate a missing or broken package). */
  ortLoader?: (specifier: string) => Promise<unknown>;
}

/** Intra-op threads of each ONNX Runtime session on the CPU: 2 gained only 1.17× for the lesson GRU on 2 cores, where data-parallel workers do better (README, Performance). */
export const ORT_DEFAULT_THREADS = 1;

interface ChosenEngine {
  /** As the plan table names it, e.g. "onnxruntime-node (cpu)". */
  name: string;
  factory: EngineFactory;
  /** Releases what the engines share (sessions, worker threads). */
  dispose?: () => Promise<void>;
  /** Worker threads built for one model config. */
  parallel?: boolean;
}

/**
 * `auto`: the ONNX Runtime engine where onnxruntime-node loads, else the tfjs engine (one line
 * says why). `ort` never falls back; `tfjs` never tries onnxruntime.
 */
async function chooseEngine(options: FitOptions, req: RunFitRequest, vocabSize: number, log: (line: string) => void): Promise<ChosenEngine> {
  if (options.engine !== 'tfjs') {
    try {
      // One run builds each graph once, though its warm-up and its training are two engines.
      const sessionCache = new Map<string, Promise<InferenceSession>>();
      const ort = await ortNodeEngine({ device: options.device, threads: req.threads ?? ORT_DEFAULT_THREADS, workers: req.workers, cudaMissing: req.cudaMissing, loader: req.ortLoader, sessionCache });
      for (const line of ort.log) log(`engine: ${line}`);
      return { name: `onnxruntime-node (${ort.provider})`, factory: ort.factory, dispose: () => releaseSessions(sessionCache) };
    } catch (e) {
      // A device asked for by name, or the ort engine asked for by name, is never silently replaced.
      if (!(e instanceof OrtRuntimeError) || options.engine === 'ort' || options.device === 'cuda') throw e;
      log(`engine: ${e.message}; using the tfjs engine`);
    }
  }
  const backend = await selectBackend(options.backend);
  for (const line of backend.log) log(`backend: ${line}`);
  // tfjs-node runs its kernels multi-threaded already; worker threads pay off on wasm and cpu.
  const workers = backend.name === 'tensorflow' ? 1 : (req.workers ?? 1);
  const parallel = workers > 1 ? await ParallelGradients.create({ ...modelConfigFor(options, vocabSize) }, { parts: workers, backend: backend.name, maxBatchSize: options.bs }) : null;
  if (parallel) log(`gradients: ${workers} threads, streams split between them`);
  return { name: `tfjs (${backend.name})`, factory: tfjsEngine({ gradients: parallel?.lossAndGradients }), dispose: parallel ? () => parallel.dispose() : undefined, parallel: parallel !== null };
}

/** What a resumed run may change: where and how it runs, not what it trains. */
const RESUME_OVERRIDES: readonly (keyof FitOptions)[] = ['engine', 'device', 'backend'];

/** Refuses options given with --resume that differ from the saved run's, naming each (they would be ignored). */
export function checkResumeOptions(dir: string, saved: FitOptions, given: Partial<FitOptions>): void {
  const differ = (Object.keys(given) as (keyof FitOptions)[]).filter(
    (key) => !RESUME_OVERRIDES.includes(key) && given[key] !== undefined && JSON.stringify(given[key]) !== JSON.stringify(saved[key]),
  );
  if (differ.length === 0) return;
  const show = (key: keyof FitOptions, o: Partial<FitOptions>) => `${key} ${JSON.stringify(o[key] ?? null)}`;
  throw new CheckpointError(
    `--resume ${dir} continues that run with its own options; these differ from it: ${differ.map((k) => `${show(k, given)} (saved: ${JSON.stringify(saved[k] ?? null)})`).join(', ')}. ` +
      `Drop them to resume, or start a new run (without --resume) to train with them. Only ${RESUME_OVERRIDES.join(', ')} may change on resume.`,
  );
}

/** An --out that holds a run other than the one resumed is never trained into silently. */
async function refuseExistingRun(outDir: string, req: RunFitRequest): Promise<void> {
  if (req.overwrite || (req.resume !== undefined && path.resolve(outDir) === path.resolve(req.resume))) return;
  const mark = await checkpointMarkIn(outDir);
  if (mark === undefined) return;
  throw new CheckpointError(
    `--out ${outDir} holds a run (${mark}); continue it with --resume ${outDir}, choose another --out, or add --overwrite to replace it`,
  );
}

export function defaultRunName(o: FitOptions): string {
  return `${o.arch}-e${o.embed}-h${o.hidden}${o.layers > 1 ? `-l${o.layers}` : ''}`;
}

/** A directory name under `base` that holds no earlier run, so a new run never overwrites one. */
export function freshDirectory(base: string): string {
  const used = (dir: string) => existsSync(dir) && readdirSync(dir).length > 0;
  if (!used(base)) return base;
  for (let n = 2; ; n++) if (!used(`${base}-${n}`)) return `${base}-${n}`;
}

export async function prepareFor(options: FitOptions, log: (line: string) => void): Promise<PreparedCorpus> {
  const allowControlChars = options.allowControlChars ?? false;
  const loaded = await loadCorpus(options.corpus, { progress: true, allowControlChars });
  const { text, lower } = resolveTextOptions(options);
  const corpus = prepareCorpus(loaded.text, { text, minFreq: options.minFreq, lower, validFraction: options.validFraction, allowControlChars });
  log(
    `corpus ${loaded.source} (${text} text${lower ? ', lower-cased' : ''}): vocab ${corpus.vocab.size}, train ${corpus.train.length} chars, valid ${corpus.valid.length} chars`,
  );
  return corpus;
}

/** The whole `train:fit` command: corpus → backend → fit, with a progress bar and the epoch table on `log`. */
export async function runFit(req: RunFitRequest): Promise<FitResult> {
  const log = req.log ?? ((line: string) => console.log(line));
  const resume = req.resume ? await loadTrainingCheckpoint(req.resume) : undefined;
  if (resume && req.given) checkResumeOptions(req.resume!, resume.trainer.options, req.given);
  const options: FitOptions = resume
    ? {
        ...resolveTextOptions(resume.trainer.options, true),
        // Runs saved before the ONNX Runtime engine existed have no engine or device.
        engine: req.engine ?? resume.trainer.options.engine ?? DEFAULT_FIT_OPTIONS.engine,
        device: req.device ?? resume.trainer.options.device ?? DEFAULT_FIT_OPTIONS.device,
        backend: req.backend ?? resume.trainer.options.backend,
      }
    : resolveTextOptions(req.options);
  // Fail on bad options before any slow work.
  const schedule = parseSchedule(options.schedule);
  regularizationOf(options, { embeddingDim: options.embed, hiddenSize: options.hidden });
  if (!ENGINE_CHOICES.includes(options.engine)) throw new OrtRuntimeError(`engine ${JSON.stringify(options.engine)} is not one of ${ENGINE_CHOICES.join(', ')}`);
  if (!ORT_DEVICES.includes(options.device)) throw new OrtRuntimeError(`device ${JSON.stringify(options.device)} is not one of ${ORT_DEVICES.join(', ')}`);
  // A flag for the engine that will not run is refused, not ignored (auto may run either).
  if (options.engine === 'tfjs' && req.device !== undefined) {
    throw new OrtRuntimeError(`--device ${req.device} is for the ONNX Runtime engine, which --engine tfjs does not use; drop --device, or train with --engine ort (or auto)`);
  }
  if (options.engine === 'ort' && req.backend !== undefined) {
    throw new OrtRuntimeError(`--backend ${req.backend} is for the tfjs engine, which --engine ort does not use; drop --backend, or train with --engine tfjs (or auto)`);
  }
  // Without --out, a fresh directory named after the model (a time-budget run's, once planned) is taken later.
  const explicitOut = req.out ?? req.resume;
  if (explicitOut !== undefined) await refuseExistingRun(explicitOut, req);
  if (options.minutes !== undefined) {
    checkMinutes(options.minutes);
    if (req.given?.schedule !== undefined && (schedule.kind !== 'cosine' || schedule.epochs !== null)) {
      throw new ScheduleError(`--minutes trains to a time budget with a cosine schedule over it ("cosine@<lr>"), not ${JSON.stringify(options.schedule)}`);
    }
  } else if (totalEpochs(schedule) === Infinity) {
    throw new ScheduleError(`schedule ${JSON.stringify(options.schedule)} runs over a time budget: give --minutes, or a number of epochs ("cosine:10@3e-3")`);
  }
  const corpus = await prepareFor(options, log);
  if (resume?.trainer.complete) {
    const outDir = explicitOut!;
    const length = resume.trainer.totalEpochs === null ? `${resume.trainer.options.minutes} min` : `${resume.trainer.totalEpochs} epochs`;
    log(`${req.resume} holds a complete run (${length}, step ${resume.trainer.step}); nothing to resume`);
    return { engine: 'none (nothing to train)', history: resume.trainer.history, interrupted: false, resumable: false, step: resume.trainer.step, outDir };
  }
  const sizeOf = (o: FitOptions) => {
    const size = checkModelSize(modelConfigFor(o, corpus.vocab.size), req.memoryBytes ?? totalmem());
    log(`model: ${size.parameters.toLocaleString('en-US')} parameters, about ${(size.trainingBytes / 2 ** 20).toFixed(1)} MB to train`);
  };
  if (options.minutes === undefined || resume) sizeOf(options);
  const planned = options.minutes !== undefined && !resume ? await planBudgetRun(options, corpus, req, log) : { options, engine: await chooseEngine(options, req, corpus.vocab.size, log), spent: 0 };
  const { engine, spent } = planned;
  const expected = 'expected' in planned ? planned.expected : undefined;
  const trained = planned.options;
  if (trained !== options) sizeOf(trained);
  const outDir = explicitOut ?? freshDirectory(path.join('checkpoints', defaultRunName(trained)));
  const length = trained.minutes !== undefined ? `for ${trained.minutes} min` : `${totalEpochs(schedule)} epochs`;
  log(
    resume
      ? `resuming ${req.resume} at epoch ${resume.trainer.epoch + 1}, batch ${resume.trainer.batch} (step ${resume.trainer.step}) → ${outDir}`
      : `training ${trained.arch} e${trained.embed} h${trained.hidden} × ${trained.layers}, bs ${trained.bs}, bptt ${trained.bptt}, ${trained.optimizer}, schedule ${trained.schedule} (${length}) → ${outDir}`,
  );
  try {
    // The run records the options it was trained with, engine choice included.
    const run = resume ? { ...resume, trainer: { ...resume.trainer, options } } : undefined;
    const progress = createProgress({ unit: trained.minutes !== undefined ? 's' : 'batches' });
    return await fit({ corpus, options: trained, outDir, resume: run, log, signal: req.signal, onBatch: req.onBatch, progress, engine: engine.factory, elapsedBefore: spent, expected });
  } finally {
    await engine.dispose?.();
  }
}

/**
 * A time-budget run's plan (budget-plan.ts) on the engine Node chooses: the ONNX Runtime engine
 * where onnxruntime-node loads (with data-parallel workers where the warm-up finds them faster),
 * else tfjs. One table says what it chose and why.
 */
async function planBudgetRun(
  options: FitOptions,
  corpus: PreparedCorpus,
  req: RunFitRequest,
  log: (line: string) => void,
): Promise<{ options: FitOptions; engine: ChosenEngine; spent: number; expected: ExpectedSpeed }> {
  const started = performance.now();
  const minutes = options.minutes!;
  const budget = await planBudget({
    options,
    corpus,
    given: req.given ?? {},
    label: (m) => `--minutes ${m}`,
    engine: async (warm, measure) => {
      const engine = await chooseEngine(warm, req, corpus.vocab.size, log);
      const speed = await measure(budgetEngine(engine), warm);
      return parallelIfFaster(engine, speed, warm, minutes, corpus.vocab.size, req, measure, log);
    },
  });
  for (const line of budget.table) log(line);
  let engine = budget.engine as BudgetEngine & ChosenEngine;
  if (!budget.measuredPlanned && engine.parallel) {
    // An engine built around one model (tfjs' worker threads): build it again for the plan's.
    await engine.dispose?.();
    engine = { ...(await chooseEngine(budget.plan.options, req, corpus.vocab.size, () => {})), fixedModel: true };
  }
  return { options: budget.plan.options, engine, spent: (performance.now() - started) / 1000, expected: budget.expected };
}

function budgetEngine(engine: ChosenEngine): BudgetEngine & ChosenEngine {
  return { ...engine, fixedModel: engine.parallel };
}

/** Every core, where that is faster: a budget of 2 minutes or more measures data-parallel workers too (ONNX Runtime on the CPU, --workers not given). */
async function parallelIfFaster(
  engine: ChosenEngine,
  speed: Throughput,
  warm: FitOptions,
  minutes: number,
  vocabSize: number,
  req: RunFitRequest,
  measure: (engine: BudgetEngine, model: FitOptions) => Promise<Throughput>,
  log: (line: string) => void,
): Promise<{ engine: BudgetEngine & ChosenEngine; speed: Throughput }> {
  const cores = availableWorkers();
  if (!(req.workers === undefined && minutes >= 2 && cores > 1 && engine.name === 'onnxruntime-node (cpu)' && warm.bs >= cores)) return { engine: budgetEngine(engine), speed };
  const parallel = await chooseEngine(warm, { ...req, workers: cores }, vocabSize, () => {});
  const parallelSpeed = await measure(budgetEngine(parallel), warm);
  const ratio = parallelSpeed.charsPerSecond / speed.charsPerSecond;
  log(`engine: ${cores} data-parallel workers trained ${ratio.toFixed(2)}× as fast as one in the warm-up: ${ratio > 1.05 ? `training on ${cores}` : 'training on one'}`);
  if (ratio > 1.05) {
    await engine.dispose?.();
    return { engine: budgetEngine({ ...parallel, name: `onnxruntime-node (cpu, ${cores} data-parallel workers)` }), speed: parallelSpeed };
  }
  await parallel.dispose?.();
  return { engine: budgetEngine(engine), speed };
}
