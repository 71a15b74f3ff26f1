#!/usr/bin/env node
// `nx run export:onnx`: parses flags, exports and verifies a checkpoint, prints what it measured.
import { Command, Option } from 'commander';
import { booleanFlag, integerFlag, positiveFlag } from '@charrnn/contract/node';
import { DEFAULT_OPSET, GRAPH_KINDS, MAX_OPSET, MIN_OPSET, type GraphKind } from '@charrnn/contract';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from '@charrnn/train';
import { DEFAULT_CHECKPOINT_ROOT, newestCheckpoint } from '../checkpoint-discovery.js';
import { exportCheckpoint } from '../export-checkpoint.js';
import { DEFAULT_TOLERANCE, formatDiffs } from '../verify.js';

const program = new Command('charrnn-export')
  .description('Export a train:fit checkpoint to ONNX (hidden state as explicit inputs/outputs) and verify it against the tfjs model')
  .option('--checkpoint <dir>', `checkpoint directory (default: the newest under ${DEFAULT_CHECKPOINT_ROOT}/)`)
  .option('--out <file>', 'output file (default: <checkpoint>/model.onnx)')
  .addOption(new Option('--graph <kind>', 'fused: ONNX GRU/LSTM/RNN nodes, any seq; step: elementwise cells, seq = 1').choices(GRAPH_KINDS).default('fused'))
  // nx consumes `--graph` (and `--graph-…`) itself for its task-graph viewer, so `nx run` needs another spelling.
  .addOption(new Option('--onnx-graph <kind>', 'same as --graph (use this one through `nx run`)').choices(GRAPH_KINDS))
  .option('--opset <n>', `ai.onnx opset, ${MIN_OPSET} to ${MAX_OPSET}`, integerFlag(1), DEFAULT_OPSET)
  .option('--fp16', 'float16 weights, inputs and outputs (tokens stay int64)', false)
  .option('--tolerance <x>', `largest allowed |Δ| of logits and state (default ${DEFAULT_TOLERANCE.float32}, ${DEFAULT_TOLERANCE.float16} with --fp16)`, positiveFlag)
  .option('--verify-chars <n>', 'characters run through both models', integerFlag(1), 200)
  .option('--no-verify', 'write without comparing against the tfjs model')
  // nx forwards `--no-verify` as `--verify=false`.
  .addOption(new Option('--verify <bool>').argParser(booleanFlag).hideHelp())
  .addOption(new Option('--backend <name>', 'tfjs backend of the reference model').choices(BACKEND_CHOICES).default('cpu'))
  .showHelpAfterError();

program.parse(process.argv);
const flags = program.opts<{
  checkpoint?: string;
  out?: string;
  graph: GraphKind;
  onnxGraph?: GraphKind;
  opset: number;
  fp16: boolean;
  tolerance?: number;
  verifyChars: number;
  verify: boolean;
  backend: BackendChoice;
}>();

try {
  const checkpoint = flags.checkpoint ?? (await newestCheckpoint());
  if (flags.verify) {
    const backend = await selectBackend(flags.backend);
    process.stdout.write(`tfjs backend: ${backend.name}\n`);
  }
  process.stdout.write(`checkpoint: ${checkpoint}\n`);
  const result = await exportCheckpoint(checkpoint, {
    out: flags.out,
    graph: flags.onnxGraph ?? flags.graph,
    opset: flags.opset,
    fp16: flags.fp16,
    verify: flags.verify,
    verifyOptions: { chars: flags.verifyChars, tolerance: flags.tolerance },
  });
  const { arch, numLayers, hiddenSize, vocabSize } = result.config;
  process.stdout.write(`model: ${numLayers}-layer ${arch}, hidden ${hiddenSize}, vocab ${vocabSize}\n`);
  const v = result.verification;
  if (v) {
    process.stdout.write(
      `verified: ${v.chars} chars in ${v.calls} onnxruntime-node calls (hn → h0 carried) vs tfjs: ${formatDiffs(v.maxAbsDiff)} ≤ tolerance ${v.tolerance}\n`,
    );
  }
  if (result.verificationSkipped) process.stdout.write(`not verified: ${result.verificationSkipped}\n`);
  const { graph, opset, fp16 } = result.options;
  process.stdout.write(`wrote ${result.out} (${result.bytes} bytes; ${graph} graph, opset ${opset}, ${fp16 ? 'float16' : 'float32'})\n`);
} catch (error) {
  process.stderr.write(`export:onnx failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
