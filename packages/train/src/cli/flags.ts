import { Option, type Command } from 'commander';
import { TEXT_MODES } from '@charrnn/contract';
import { booleanFlag, integerFlag, numberFlag, positiveFlag } from '@charrnn/contract/node';
import { BACKEND_CHOICES } from '../backend/select.js';
import { ARCHS } from '../model/config.js';
import { OPTIMIZER_NAMES } from '../optim/optimizer.js';
import { ORT_DEVICES } from '../ort/node-runtime.js';
import { DEFAULT_FIT_OPTIONS as D, ENGINE_CHOICES, type FitOptions } from '../trainer/fit-options.js';

const int = (min: number) => integerFlag(min);
const num = numberFlag;
const positive = positiveFlag;

/** The model/data/optimizer flags shared by train:fit and train:lr-find. */
export function addTrainingFlags(cmd: Command): Command {
  return cmd
    .option('--corpus <path-or-url>', 'text corpus (default: the embedded nietzsche.txt)')
    .addOption(new Option('--arch <arch>', 'recurrent cell').choices(ARCHS).default(D.arch))
    .option('--embed <n>', 'embedding size', int(1), D.embed)
    .option('--hidden <n>', 'hidden size', int(1), D.hidden)
    .option('--layers <n>', 'recurrent layers', int(1), D.layers)
    .option('--dropout <p>', 'dropout between recurrent layers (locked over each BPTT window)', num(0, 1), D.dropout)
    .option('--embed-dropout <p>', 'locked dropout on the embedding output', num(0, 1), D.embedDropout)
    .option('--output-dropout <p>', "locked dropout on the last layer's output, before the decoder", num(0, 1), D.outputDropout)
    .option('--weight-drop <p>', 'DropConnect on the recurrent matrices weight_hh, one mask per batch', num(0, 1), D.weightDrop)
    // An optional value, so that nx's forwarded spelling `--tie=true` parses as well as `--tie`.
    .addOption(new Option('--tie [bool]', 'tie the decoder weight to the embedding (needs --embed equal to --hidden)').argParser(booleanFlag))
    .option('--weight-decay <λ>', 'AdamW decoupled weight decay on weights, not biases', num(0, Infinity), D.weightDecay)
    .option('--bs <n>', 'batch size (parallel streams)', int(1), D.bs)
    .option('--bptt <n>', 'BPTT length', int(1), D.bptt)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_NAMES).default(D.optimizer))
    .option('--momentum <m>', 'SGD momentum', num(0, 1), D.momentum)
    .option('--clip <norm>', 'clip the global gradient norm (default: off)', positive)
    .addOption(new Option('--engine <name>', "training engine: 'ort' (ONNX Runtime), 'tfjs', or 'auto' (ort where onnxruntime-node loads, else tfjs)").choices(ENGINE_CHOICES).default(D.engine))
    .addOption(new Option('--device <name>', "ONNX Runtime engine's device: 'auto' (CUDA when available, else CPU), 'cuda' or 'cpu'").choices(ORT_DEVICES).default(D.device))
    .addOption(new Option('--backend <name>', "tfjs engine's backend").choices(BACKEND_CHOICES).default(D.backend))
    .option('--seed <n>', 'seed for init, batches and dropout', int(0), D.seed)
    .option('--min-freq <n>', 'minimum character count to enter the vocabulary', int(1), D.minFreq)
    .addOption(
      new Option('--text <mode>', "'faithful': the corpus as written, line breaks kept; 'lesson': the lesson's lines joined without breaks (default: lesson for the embedded corpus, faithful for --corpus)").choices(
        TEXT_MODES,
      ),
    )
    .option('--valid-fraction <f>', 'fraction held out at the end for validation: of the lines (lesson text), of the characters (faithful)', num(0, 1), D.validFraction)
    // Declared before --no-lower so that neither sets a default (the text mode decides); nx forwards --no-lower as --lower=false.
    .addOption(new Option('--lower [bool]', 'lower-case the corpus (default: yes for lesson text, no for faithful)').argParser(booleanFlag))
    .option('--no-lower', 'keep case')
    .option('--allow-control-chars', 'keep NUL and other control characters in the corpus (refused by default)');
}

/** What the shared flags parse to: FitOptions less what each CLI sets itself; commander leaves an unset --clip undefined. */
export type TrainingFlags = Omit<FitOptions, 'schedule' | 'maxBatches' | 'clip' | 'tie'> & { clip?: number; tie?: boolean };

export function fitOptionsFrom(flags: TrainingFlags, rest: { schedule: string; maxBatches: number | null }): FitOptions {
  return {
    corpus: flags.corpus,
    arch: flags.arch,
    embed: flags.embed,
    hidden: flags.hidden,
    layers: flags.layers,
    dropout: flags.dropout,
    embedDropout: flags.embedDropout,
    outputDropout: flags.outputDropout,
    weightDrop: flags.weightDrop,
    tie: flags.tie ?? false,
    weightDecay: flags.weightDecay,
    bs: flags.bs,
    bptt: flags.bptt,
    schedule: rest.schedule,
    optimizer: flags.optimizer,
    momentum: flags.momentum,
    clip: flags.clip ?? null,
    seed: flags.seed,
    maxBatches: rest.maxBatches,
    minFreq: flags.minFreq,
    ...(flags.text !== undefined ? { text: flags.text } : {}),
    ...(flags.lower !== undefined ? { lower: flags.lower } : {}),
    validFraction: flags.validFraction,
    ...(flags.allowControlChars ? { allowControlChars: true } : {}),
    engine: flags.engine,
    device: flags.device,
    backend: flags.backend,
  };
}

export { integerFlag, positiveFlag };
