#!/usr/bin/env node
// train:lr-find — parses flags and calls runLrFind.
import { Command } from 'commander';
import { runLrFind } from '../trainer/run-lr-find.js';
import { messageWithFlags } from './advice.js';
import { addTrainingFlags, fitOptionsFrom, integerFlag, positiveFlag, type TrainingFlags } from './flags.js';

const program = addTrainingFlags(new Command('charrnn-lr-find'))
  .description('Sweep the learning rate exponentially over a few hundred batches; print and plot loss against lr.')
  .option('--start-lr <rate>', 'first learning rate', positiveFlag, 1e-6)
  .option('--end-lr <rate>', 'last learning rate', positiveFlag, 1)
  .option('--batches <n>', 'batches in the sweep', integerFlag(2), 200)
  .option('--out <dir>', 'where lr-find.svg and lr-find.jsonl go', 'checkpoints/lr-find')
  .showHelpAfterError();

program.parse();
const flags = program.opts<TrainingFlags & { startLr: number; endLr: number; batches: number; out: string }>();
try {
  await runLrFind({
    options: fitOptionsFrom(flags, { schedule: '1@1e-3', maxBatches: null }),
    find: { startLr: flags.startLr, endLr: flags.endLr, batches: flags.batches },
    out: flags.out,
  });
} catch (e) {
  console.error(`error: ${messageWithFlags(e)}`);
  process.exit(1);
}
