#!/usr/bin/env node
// `nx run data:prepare`: parses flags, calls prepareDirectory, prints the stats.
import { Command, Option } from 'commander';
import { DEFAULT_IDLE_TIMEOUT_MS, TEXT_MODES, type TextMode } from '@charrnn/contract';
import { ControlCharactersError, DataError, FileWriteError } from './errors.js';
import { booleanFlag, integerFlag, numberFlag } from '@charrnn/contract/node';
import { prepareDirectory } from './io/prepare-directory.js';

const program = new Command('charrnn-prepare')
  .description('Split a corpus, build the vocabulary and write vocab.json, stats.json, trn/train.txt and val/val.txt')
  .option('--corpus <source>', 'file path, file: URL or http(s) URL (default: the embedded nietzsche.txt)')
  .requiredOption('--out <dir>', 'output directory')
  .option('--batch-size <n>', 'batch size for batchesPerEpoch', integerFlag(1), 64)
  // nx swallows `--batch-size` before forwarding (it has a `--batch` flag of its own); `--bs` gets through.
  .option('--bs <n>', 'same as --batch-size (use this one through `nx run`)', integerFlag(1))
  .option('--bptt <n>', 'base BPTT length for batchesPerEpoch', integerFlag(1), 8)
  .addOption(
    new Option('--text <mode>', "'faithful': the text as written, line breaks kept; 'lesson': the lesson's lines joined without breaks (default: lesson for the embedded corpus, faithful for --corpus)").choices(TEXT_MODES),
  )
  .option('--valid-fraction <f>', 'fraction held out for validation at the end: of the lines (lesson), of the characters (faithful)', numberFlag(0, 1), 0.2)
  .option('--min-freq <n>', 'minimum count in train for a character to enter the vocabulary', integerFlag(1), 3)
  // nx turns `--no-lower` into `--lower=false` when it forwards flags, so accept that spelling too.
  // Declared before --no-lower so that neither sets a default: the text mode decides.
  .addOption(new Option('--lower [bool]', 'lower-case the corpus (default: yes for lesson text, no for faithful)').argParser(booleanFlag))
  .option('--no-lower', 'keep upper case')
  .option('--cache-dir <dir>', 'where downloaded corpora are kept (default: ~/.cache/charrnn)')
  .option('--idle-timeout-ms <n>', 'abandon a download that receives nothing for this long', integerFlag(1), DEFAULT_IDLE_TIMEOUT_MS)
  .option('--allow-control-chars', 'keep control characters other than tab/newline/CR (default: such a corpus is refused)', false)
  .showHelpAfterError();

program.parse(process.argv);
const flags = program.opts<{
  corpus?: string;
  out: string;
  batchSize: number;
  bs?: number;
  bptt: number;
  validFraction: number;
  minFreq: number;
  lower?: boolean;
  text?: TextMode;
  cacheDir?: string;
  allowControlChars: boolean;
  idleTimeoutMs: number;
}>();

try {
  const { bs, out, ...rest } = flags;
  const stats = await prepareDirectory({ ...rest, batchSize: bs ?? flags.batchSize, outDir: out, progress: true });
  const { itos, ...figures } = stats;
  process.stdout.write(JSON.stringify({ out: flags.out, ...figures, vocab: itos.join('') }, null, 1) + '\n');
} catch (error) {
  if (!(error instanceof DataError || error instanceof FileWriteError)) throw error;
  // The library says to remove control characters; the command line can also keep them.
  const keep = error instanceof ControlCharactersError && !error.looksUtf16 ? ' Or keep them with --allow-control-chars.' : '';
  process.stderr.write(`prepare: ${error.message}${keep}\n`);
  process.exitCode = 1;
}
