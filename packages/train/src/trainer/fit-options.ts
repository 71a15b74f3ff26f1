import type { TextMode } from '@charrnn/contract';
import type { BackendChoice } from '../backend/select.js';
import type { OrtDevice } from '../ort/node-runtime.js';
import type { Arch } from '../model/config.js';
import type { OptimizerName } from '../optim/optimizer.js';

/** Everything a training run is started with; stored in trainer.json so --resume needs no flags. */
export interface FitOptions {
  /** Corpus path or URL for loadCorpus; undefined = the embedded lesson corpus. */
  corpus?: string;
  arch: Arch;
  embed: number;
  hidden: number;
  layers: number;
  /** Dropout between recurrent layers, one mask per stream held over each BPTT window. */
  dropout: number;
  /** Locked dropout on the embedding output (one mask per stream held over each window); absent = 0. */
  embedDropout?: number;
  /** Locked dropout on the last layer's output, before the decoder; absent = 0. */
  outputDropout?: number;
  /** DropConnect on the recurrent matrices weight_hh (one mask per batch); absent = 0. */
  weightDrop?: number;
  /** decoder.weight = encoder.weight (needs embed = hidden); absent = false. */
  tie?: boolean;
  /** AdamW's decoupled weight decay, applied to weights and not to biases; absent = 0. */
  weightDecay?: number;
  bs: number;
  bptt: number;
  /** "6@1e-3,3@1e-4", "sgdr:3x1x2@1e-3" or "cosine:10@3e-3" (see schedule.ts); a time budget takes "cosine@<lr>". */
  schedule: string;
  /**
   * A time budget in minutes (`train:fit --minutes`): the run trains until it is spent, the
   * schedule a cosine over it, validating as it goes and ending on the best weights; absent = epochs.
   */
  minutes?: number;
  optimizer: OptimizerName;
  /** SGD momentum. */
  momentum: number;
  /** Max global gradient norm; null = no clipping. */
  clip: number | null;
  seed: number;
  /** Stop each epoch after this many batches (quick runs); null = whole epochs. */
  maxBatches: number | null;
  minFreq: number;
  /**
   * How the corpus becomes characters: 'faithful' (as written, line breaks kept) or 'lesson' (the
   * lesson's joined lines). Unset: faithful for a given corpus, lesson for the embedded one
   * (resolveTextOptions; a run records the resolved value).
   */
  text?: TextMode;
  /** Lower-case the corpus; unset: the text mode's default (lesson: yes, faithful: no). */
  lower?: boolean;
  /** Fraction held out at the end for validation: of the lines (lesson), of the characters (faithful). */
  validFraction: number;
  /** Keep NUL and other control characters of the corpus (refused by default as a sign of a binary or mis-encoded file). */
  allowControlChars?: boolean;
  /** Which engine trains: 'ort' (ONNX Runtime), 'tfjs', or 'auto' = ort where onnxruntime-node loads, else tfjs. */
  engine: EngineChoice;
  /** The ONNX Runtime engine's device: 'auto' = CUDA when its provider is installed and starts, else CPU. */
  device: OrtDevice;
  /** The tfjs engine's backend. */
  backend: BackendChoice;
}

export type EngineChoice = 'auto' | 'ort' | 'tfjs';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'ort', 'tfjs'];

/** The lesson's GRU run: embedding 42, hidden 256, bs 64, bptt 8, min_freq 3, 6 epochs at 1e-3 then 3 at 1e-4, Adam. */
export const DEFAULT_FIT_OPTIONS: FitOptions = {
  arch: 'gru',
  embed: 42,
  hidden: 256,
  layers: 1,
  dropout: 0,
  embedDropout: 0,
  outputDropout: 0,
  weightDrop: 0,
  tie: false,
  weightDecay: 0,
  bs: 64,
  bptt: 8,
  schedule: '6@1e-3,3@1e-4',
  optimizer: 'adam',
  momentum: 0.9,
  clip: null,
  seed: 0,
  maxBatches: null,
  minFreq: 3,
  validFraction: 0.2,
  engine: 'auto',
  device: 'auto',
  backend: 'auto',
};

/**
 * The text options a run trains with: what was given, else faithful for a given corpus or a time
 * budget and lesson for the lesson's run on the embedded corpus, and the mode's case rule. A run saved before text modes existed has
 * neither and was trained on lesson text.
 */
export function resolveTextOptions<T extends Pick<FitOptions, 'corpus' | 'text' | 'lower' | 'minutes'>>(options: T, saved = false): T & { text: TextMode; lower: boolean } {
  const text = options.text ?? (!saved && (options.corpus !== undefined || options.minutes !== undefined) ? 'faithful' : 'lesson');
  return { ...options, text, lower: options.lower ?? text === 'lesson' };
}
