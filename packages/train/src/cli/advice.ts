// The library's errors say what to change in words (a page and a program read them too); the
// command line adds the flags that change it.
import { ControlCharactersError } from '@charrnn/data';
import { TrainingDivergedError } from '../trainer/loop.js';
import { ModelSizeError } from '../trainer/model-size.js';

/** `error`'s message as train:fit and train:lr-find print it: with the flags for what it advises. */
export function messageWithFlags(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TrainingDivergedError && error.during === 'training') return `${message} On the command line: --lr or --schedule for the rate, --clip 0.25 to clip.`;
  if (error instanceof ModelSizeError) return `${message} (--hidden, --layers, --embed)`;
  if (error instanceof ControlCharactersError && !error.looksUtf16) return `${message} Or keep them with --allow-control-chars.`;
  return message;
}
