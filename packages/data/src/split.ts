import { OptionError } from './errors.js';

/** A corpus cut by lines; every line keeps its trailing "\n" (the last one may have none). */
export interface CorpusSplit {
  trainLines: string[];
  validLines: string[];
}

/**
 * Lines as Python's text-mode `readlines()` gives them (universal newlines: "\r\n" and "\r" read
 * as "\n"), so the split matches the lesson's `trn/` and `val/` files line for line.
 */
export function readLines(text: string): string[] {
  const normalised = text.replace(/\r\n?/g, '\n');
  const lines = normalised.split('\n').map((line) => line + '\n');
  // split() leaves one piece after the last "\n": empty if the text ends with a newline.
  const last = lines.pop() as string;
  if (last !== '\n') lines.push(last.slice(0, -1));
  return lines;
}

/** Number of training lines: ceil((1 − validFraction) · lines), immune to float noise like 0.7·10. */
export function trainLineCount(lines: number, validFraction: number): number {
  checkValidFraction(validFraction);
  const exact = (1 - validFraction) * lines;
  return Math.min(lines, Math.ceil(exact - 1e-9 * Math.max(1, exact)));
}

/** The lesson's split: train = the first ceil((1 − validFraction) · lines) lines, validation = the rest. */
export function splitLines(text: string, validFraction = 0.2): CorpusSplit {
  checkValidFraction(validFraction);
  const lines = readLines(text);
  const nTrain = trainLineCount(lines.length, validFraction);
  return { trainLines: lines.slice(0, nTrain), validLines: lines.slice(nTrain) };
}

function checkValidFraction(validFraction: number): void {
  if (!(Number.isFinite(validFraction) && validFraction >= 0 && validFraction < 1)) {
    throw new OptionError(`validFraction ${validFraction} is invalid; expected a number in [0, 1) such as 0.2`);
  }
}

/** A faithful corpus cut by characters: train = the first ⌊n · (1 − validFraction)⌋ code points, as nanoGPT cuts its data. */
export function splitCharacters<T>(chars: readonly T[], validFraction = 0.2): { train: T[]; valid: T[] } {
  checkValidFraction(validFraction);
  const nTrain = Math.floor(chars.length * (1 - validFraction));
  return { train: chars.slice(0, nTrain), valid: chars.slice(nTrain) };
}
