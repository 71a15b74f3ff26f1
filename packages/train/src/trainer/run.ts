import { existsSync, readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import path from 'node:path';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { createProgress, loadCorpus } from '@charrnn/data/node';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import type { EngineFactory } from '../engine/engine.js';
import { tfjsEngine } from '../engine/tfjs-engine.js';
import { ORT_DEVICES, OrtRuntimeError, ortNodeEngine, type OrtDevice } from '../ort/node-runtime.js';
import { parseSchedule, totalEpochs } from '../schedule/schedule.js';
import { DEFAULT_FIT_OPTIONS, ENGINE_CHOICES, resolveTextOptions, type EngineChoice, type FitOptions } from './fit-options.js';
import { ParallelGradients } from '../fast/parallel-gradients.js';
import { checkModelSize } from './model-size.js';
import { fit, modelConfigFor, type FitResult, type FitRun } from './fit.js';
import { loadTrainingCheckpoint } from './training-checkpoint-directory.js';
import { checkpointMarkIn } from '../checkpoint/checkpoint-sets.js';
import { CheckpointError } from '../checkpoint/errors.js';
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
   * Training options given explicitly along with `resume` (flags typed on the command line). A
   * resumed run keeps its own options, so one that differs is refused rather than ignored.
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
  factory: EngineFactory;
  dispose?: () => Promise<void>;
}

/**
 * `auto`: the ONNX Runtime engine where onnxruntime-node loads, else the tfjs engine (one line
 * says why). `ort` never falls back; `tfjs` never tries onnxruntime.
 */
async function chooseEngine(options: FitOptions, req: RunFitRequest, vocabSize: number, log: (line: string) => void): Promise<ChosenEngine> {
  if (options.engine !== 'tfjs') {
    try {
      const ort = await ortNodeEngine({ device: options.device, threads: req.threads ?? ORT_DEFAULT_THREADS, workers: req.workers, cudaMissing: req.cudaMissing, loader: req.ortLoader });
      for (const line of ort.log) log(`engine: ${line}`);
      return { factory: ort.factory };
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
  return { factory: tfjsEngine({ gradients: parallel?.lossAndGradients }), dispose: parallel ? () => parallel.dispose() : undefined };
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
  const outDir = req.out ?? req.resume ?? freshDirectory(path.join('checkpoints', defaultRunName(options)));
  await refuseExistingRun(outDir, req);
  const corpus = await prepareFor(options, log);
  if (resume?.trainer.complete) {
    log(`${req.resume} holds a complete run (${resume.trainer.totalEpochs} epochs, step ${resume.trainer.step}); nothing to resume`);
    return { engine: 'none (nothing to train)', history: resume.trainer.history, interrupted: false, step: resume.trainer.step, outDir };
  }
  const size = checkModelSize(modelConfigFor(options, corpus.vocab.size), req.memoryBytes ?? totalmem());
  log(`model: ${size.parameters.toLocaleString('en-US')} parameters, about ${(size.trainingBytes / 2 ** 20).toFixed(1)} MB to train`);
  const engine = await chooseEngine(options, req, corpus.vocab.size, log);
  log(
    resume
      ? `resuming ${req.resume} at epoch ${resume.trainer.epoch + 1}, batch ${resume.trainer.batch} (step ${resume.trainer.step}) → ${outDir}`
      : `training ${options.arch} e${options.embed} h${options.hidden} × ${options.layers}, bs ${options.bs}, bptt ${options.bptt}, ${options.optimizer}, schedule ${options.schedule} (${totalEpochs(schedule)} epochs) → ${outDir}`,
  );
  try {
    // The run records the options it was trained with, engine choice included.
    const run = resume ? { ...resume, trainer: { ...resume.trainer, options } } : undefined;
    return await fit({ corpus, options, outDir, resume: run, log, signal: req.signal, onBatch: req.onBatch, progress: createProgress({ unit: 'batches' }), engine: engine.factory });
  } finally {
    await engine.dispose?.();
  }
}
