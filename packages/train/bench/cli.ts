#!/usr/bin/env node
// train:bench — parses flags, runs the training-throughput benchmark, prints one JSON report.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { EMBEDDED_CORPUS_PATH } from '@charrnn/data/node';
import { ARCHS, BACKEND_CHOICES, ORT_DEVICES, type Arch, type BackendChoice, type OrtDevice } from '@charrnn/train';
import { runBench, type BenchEngine, type GradientsImpl } from './run-bench.js';
import { integerFlag } from '@charrnn/contract/node';

const int = (min: number) => integerFlag(min);

// The project's PyTorch reference (tools/pytorch-reference/lesson.py); this file runs from
// packages/train/dist-bench/.
const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const defaultScript = process.env.CHARRNN_PYTORCH_REFERENCE ?? path.join(workspaceRoot, 'tools/pytorch-reference/lesson.py');

const program = new Command('train:bench')
  .description('Training throughput (chars/s) of one config, side by side with the PyTorch reference at 1 and 2 threads; prints JSON.')
  .addOption(new Option('--engine <name>', 'training engine').choices(['ort', 'tfjs']).default('ort'))
  .addOption(new Option('--device <name>', 'ort engine: execution provider').choices(ORT_DEVICES).default('auto'))
  .addOption(new Option('--arch <arch>', 'recurrent cell').choices(ARCHS).default('gru'))
  .option('--embed <n>', 'embedding size', int(1), 42)
  .option('--hidden <n>', 'hidden size', int(1), 256)
  .option('--layers <n>', 'recurrent layers', int(1), 1)
  .option('--bs <n>', 'batch size (parallel streams), as train:fit spells it', int(1), 64)
  // nx consumes `--batch` itself (its own flag) and never forwards it, so `--bs` is the flag that
  // works through `nx run train:bench`; `--batch` stays for direct `node dist/cli/bench.js` runs.
  .addOption(new Option('--batch <n>', 'same as --bs').argParser(int(1)).hideHelp())
  .option('--bptt <n>', 'BPTT length', int(1), 8)
  .addOption(new Option('--impl <impl>', 'tfjs engine: gradient implementation').choices(['fast', 'reference']).default('fast'))
  .option('--workers <n>', 'threads computing each batch, data-parallel over its streams (ort: worker threads on the CPU; tfjs: gradient threads)', int(1), 1)
  .option('--scaling', 'with --workers N (N > 1): each round also measures one worker just before, and the report gives the speed-up')
  .option('--threads <n>', 'ort: intra-op threads of each session', int(1), 1)
  .addOption(new Option('--backend <name>', 'tfjs engine: backend').choices(BACKEND_CHOICES).default('wasm'))
  .option('--corpus <path>', 'text corpus (default: the embedded nietzsche.txt)')
  .option('--warmup <n>', 'untimed batches first', int(0), 20)
  .option('--windows <n>', 'timed windows (the median is reported)', int(1), 5)
  .option('--window-batches <n>', 'batches per timed window', int(1), 20)
  .option('--rounds <n>', 'rounds of (ours, PyTorch) back to back', int(1), 1)
  .option('--no-pytorch', 'do not run the PyTorch reference')
  .option('--pytorch-script <path>', 'the PyTorch reference script', defaultScript)
  .option('--python <path>', 'python with torch', '/usr/bin/python3')
  .option('--pytorch-batches <n>', 'batches of the PyTorch run (--max-batches)', int(1), 200)
  .option('--pytorch-floor <n>', "PyTorch's lesson-GRU chars per CPU-second at 1 thread below which it is refused as an anchor (default: this CPU class's)", (v: string) => int(1)(v))
  .option('--pytorch-threads <list>', 'torch.set_num_threads values, each run every round', (v: string) => v.split(',').map((x) => int(1)(x)), [1, 2])
  .option('--seed <n>', 'seed', int(0), 0)
  .showHelpAfterError();

program.parse();
const f = program.opts<{
  engine: BenchEngine; device: OrtDevice; arch: Arch; embed: number; hidden: number; layers: number; bs: number; batch?: number; bptt: number; impl: GradientsImpl; workers: number; threads: number; scaling?: boolean; backend: BackendChoice;
  corpus?: string; warmup: number; windows: number; windowBatches: number; rounds: number; pytorch: boolean; pytorchScript: string;
  python: string; pytorchBatches: number; pytorchThreads: number[]; pytorchFloor?: number; seed: number;
}>();

try {
  const report = await runBench(
    {
      engine: f.engine,
      device: f.device,
      arch: f.arch,
      embed: f.embed,
      hidden: f.hidden,
      layers: f.layers,
      batchSize: f.batch ?? f.bs,
      bptt: f.bptt,
      impl: f.impl,
      workers: f.workers,
      threads: f.threads,
      scaling: f.scaling === true,
      backend: f.backend,
      corpus: f.corpus,
      warmupBatches: f.warmup,
      windows: f.windows,
      batchesPerWindow: f.windowBatches,
      rounds: f.rounds,
      pytorch: f.pytorch
        ? {
            python: f.python,
            script: f.pytorchScript,
            corpusFile: f.corpus ?? EMBEDDED_CORPUS_PATH,
            maxBatches: f.pytorchBatches,
            threads: f.pytorchThreads,
            floorCorpus: EMBEDDED_CORPUS_PATH,
            ...(f.pytorchFloor !== undefined ? { floor: f.pytorchFloor } : {}),
          }
        : null,
      seed: f.seed,
    },
    (line) => console.error(line),
  );
  console.log(JSON.stringify(report, null, 2));
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
