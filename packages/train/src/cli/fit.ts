#!/usr/bin/env node
// train:fit — parses flags and calls runFit; SIGINT saves a checkpoint before exiting.
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from '../trainer/fit-options.js';
import { runFit } from '../trainer/run.js';
import { formatLearningRate, parseSchedule } from '../schedule/schedule.js';
import { messageWithFlags } from './advice.js';
import { addTrainingFlags, fitOptionsFrom, integerFlag, positiveFlag, type TrainingFlags } from './flags.js';

const program = addTrainingFlags(new Command('charrnn-fit'))
  .description("Train a char model with stateful truncated BPTT (default: the lesson's GRU on the embedded corpus).")
  .option('--schedule <spec>', `epochs@lr phases, or sgdr:<cycles>x<len>x<mult>@<lr> (default ${DEFAULT_FIT_OPTIONS.schedule})`, (v: string) => {
    try {
      parseSchedule(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
    return v;
  })
  .option(
    '--minutes <n>',
    'train for this many minutes: the run measures this machine, chooses the model, BPTT, batch, dropout and a cosine schedule for the budget (explicit flags win), validates as it goes and ends on the best weights',
    positiveFlag,
  )
  .option('--epochs <n>', 'epochs at --lr (instead of --schedule)', integerFlag(1))
  .option('--lr <rate>', 'learning rate with --epochs (default 1e-3), or the peak of --minutes\' cosine schedule', positiveFlag)
  .option('--out <dir>', 'checkpoint directory (default checkpoints/<arch>-e<embed>-h<hidden>, never overwriting a run)')
  .option('--resume <dir>', 'continue the run saved in <dir> exactly (schedule, optimizer, RNG, batch position)')
  .option('--overwrite', 'train into an --out that holds another run, replacing it (default: refuse)')
  .option('--max-batches <n>', 'train at most n batches per epoch (quick runs)', integerFlag(1))
  .option('--workers <n>', 'threads computing each batch, data-parallel over its streams (both engines; default 1; ONNX Runtime: on the CPU)', integerFlag(1))
  .showHelpAfterError();

program.parse();
const flags = program.opts<TrainingFlags & { schedule?: string; epochs?: number; lr?: number; out?: string; resume?: string; overwrite?: boolean; maxBatches?: number; workers?: number; minutes?: number }>();
if (flags.schedule && (flags.epochs !== undefined || flags.lr !== undefined)) {
  program.error('error: give either --schedule or --epochs/--lr, not both');
}
if (flags.minutes !== undefined && flags.epochs !== undefined) {
  program.error('error: give either --minutes (a time budget) or --epochs, not both');
}
const byLr = flags.minutes !== undefined ? `cosine@${formatLearningRate(flags.lr ?? 3e-3)}` : `${flags.epochs ?? 1}@${formatLearningRate(flags.lr ?? 1e-3)}`;
const schedule = flags.schedule ?? (flags.epochs !== undefined || flags.lr !== undefined ? byLr : DEFAULT_FIT_OPTIONS.schedule);
const given = (flag: string) => program.getOptionValueSource(flag) === 'cli';
const options = { ...fitOptionsFrom(flags, { schedule, maxBatches: flags.maxBatches ?? null }), ...(flags.minutes !== undefined ? { minutes: flags.minutes } : {}) };
// What was typed on the command line, so --resume can refuse flags it would otherwise ignore.
const typed: Partial<FitOptions> = {};
for (const key of Object.keys(options) as (keyof FitOptions)[]) if (given(key)) Object.assign(typed, { [key]: options[key] });
if (given('epochs') || given('lr')) typed.schedule = options.schedule;

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  console.error('\nSIGINT: finishing this batch and saving a checkpoint (press Ctrl-C again to quit without saving)');
  controller.abort();
});

// CHARRNN_FIT_SIGINT_AT_STEP=K sends this process SIGINT after optimizer step K, as a Ctrl-C
// pressed then would: a test interrupts at a known batch however fast or busy the machine is.
const SIGINT_AT_STEP = 'CHARRNN_FIT_SIGINT_AT_STEP';
const sigintAt = process.env[SIGINT_AT_STEP];
if (sigintAt !== undefined && !/^[1-9]\d*$/.test(sigintAt)) program.error(`error: ${SIGINT_AT_STEP} is ${JSON.stringify(sigintAt)}; expected a step number (an integer ≥ 1)`);
const onBatch =
  sigintAt === undefined
    ? undefined
    : ({ step }: { step: number }) => {
        if (step === Number(sigintAt)) process.kill(process.pid, 'SIGINT');
      };

try {
  const result = await runFit({
    options,
    out: flags.out,
    resume: flags.resume,
    overwrite: flags.overwrite,
    given: typed,
    engine: given('engine') ? flags.engine : undefined,
    device: given('device') ? flags.device : undefined,
    backend: given('backend') ? flags.backend : undefined,
    workers: flags.workers,
    signal: controller.signal,
    onBatch,
  });
  if (!result.interrupted) console.log(`done: ${result.step} steps; checkpoint in ${result.outDir}`);
  else if (result.resumable) console.log(`resume with --resume ${result.outDir}`);
  process.exit(result.interrupted ? 130 : 0);
} catch (e) {
  console.error(`error: ${messageWithFlags(e)}`);
  process.exit(1);
}
