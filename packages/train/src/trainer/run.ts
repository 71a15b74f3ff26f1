import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { prepareCorpus, type PreparedCorpus } from '@charrnn/data';
import { createProgress, loadCorpus } from '@charrnn/data/node';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import { parseSchedule, totalEpochs } from '../schedule/schedule.js';
import type { FitOptions } from './fit-options.js';
import { ParallelGradients } from '../fast/parallel-gradients.js';
import { fit, modelConfigFor, type FitResult } from './fit.js';
import { loadTrainingCheckpoint } from './training-checkpoint.js';

export interface RunFitRequest {
  options: FitOptions;
  /** Checkpoint directory; default checkpoints/<arch>-e<embed>-h<hidden>[-l<layers>] (a fresh -2, -3… if taken). */
  out?: string;
  /** Continue the run saved in this directory (its trainer.json options are used). */
  resume?: string;
  /** Overrides the saved backend on resume. */
  backend?: BackendChoice;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Threads computing each batch's gradients, data-parallel over streams (ParallelGradients); default 1. */
  workers?: number;
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
  const loaded = await loadCorpus(options.corpus, { progress: true });
  const corpus = prepareCorpus(loaded.text, { minFreq: options.minFreq, lower: options.lower, validFraction: options.validFraction });
  log(`corpus ${loaded.source}: vocab ${corpus.vocab.size}, train ${corpus.train.length} chars, valid ${corpus.valid.length} chars`);
  return corpus;
}

/** The whole `train:fit` command: corpus → backend → fit, with a progress bar and the epoch table on `log`. */
export async function runFit(req: RunFitRequest): Promise<FitResult> {
  const log = req.log ?? ((line: string) => console.log(line));
  const resume = req.resume ? await loadTrainingCheckpoint(req.resume) : undefined;
  const options = resume ? { ...resume.trainer.options, backend: req.backend ?? resume.trainer.options.backend } : req.options;
  parseSchedule(options.schedule); // fail on a bad schedule before any slow work
  const backend = await selectBackend(options.backend);
  for (const line of backend.log) log(`backend: ${line}`);
  const corpus = await prepareFor(options, log);
  const outDir = req.out ?? req.resume ?? freshDirectory(path.join('checkpoints', defaultRunName(options)));
  const schedule = parseSchedule(options.schedule);
  if (resume?.trainer.complete) {
    log(`${req.resume} holds a complete run (${resume.trainer.totalEpochs} epochs, step ${resume.trainer.step}); nothing to resume`);
    return { history: resume.trainer.history, interrupted: false, step: resume.trainer.step, outDir };
  }
  log(
    resume
      ? `resuming ${req.resume} at epoch ${resume.trainer.epoch + 1}, batch ${resume.trainer.batch} (step ${resume.trainer.step}) → ${outDir}`
      : `training ${options.arch} e${options.embed} h${options.hidden} × ${options.layers}, bs ${options.bs}, bptt ${options.bptt}, ${options.optimizer}, schedule ${options.schedule} (${totalEpochs(schedule)} epochs) → ${outDir}`,
  );
  // tfjs-node runs its kernels multi-threaded already; worker threads pay off on wasm and cpu.
  const workers = backend.name === 'tensorflow' ? 1 : (req.workers ?? 1);
  const parallel = workers > 1 ? await ParallelGradients.create(modelConfigFor(options, corpus.vocab.size), { parts: workers, backend: backend.name, maxBatchSize: options.bs }) : null;
  if (parallel) log(`gradients: ${workers} threads, streams split between them`);
  try {
    return await fit({ corpus, options, outDir, resume, log, signal: req.signal, progress: createProgress({ unit: 'batches' }), gradients: parallel?.lossAndGradients });
  } finally {
    await parallel?.dispose();
  }
}
