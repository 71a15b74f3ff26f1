/** The embedded corpus as the page serves it (the bundler copies @charrnn/data's file beside the page). */
export const EMBEDDED_CORPUS_URL = 'nietzsche.txt';
/** How runs on it are named: the same name `loadCorpus` gives it in Node. */
export const EMBEDDED_CORPUS_NAME = 'embedded:nietzsche.txt';
/** How runs on text pasted into the page are named (and the file `train:fit --resume` looks for). */
export const PASTED_CORPUS_NAME = 'pasted.txt';

/**
 * The fewest characters a visitor's text needs for batch size `bs` at BPTT `bptt`: read as
 * written, it is cut by characters (the last `validFraction` held out), and checkBatchFit wants
 * 2 × BPTT × batch size characters to train on and 2 × batch size to validate on.
 */
export function minimumCharacters(bs: number, bptt: number, validFraction: number): { characters: number; train: number; valid: number } {
  const train = 2 * bptt * bs;
  const valid = 2 * bs;
  const trainOf = (n: number) => Math.floor(n * (1 - validFraction));
  const fits = (n: number) => trainOf(n) >= train && n - trainOf(n) >= valid;
  if (validFraction <= 0) return { characters: Infinity, train, valid };
  // train + valid is a lower bound; the split's rounding decides the rest.
  let n = train + valid;
  while (!fits(n)) n++;
  return { characters: n, train, valid };
}

/** Why `text` is too short for the batch settings, in words a visitor can act on (undefined: it fits). */
export function corpusSizeProblem(name: string, text: string, settings: { bs: number; bptt: number }, validFraction: number): string | undefined {
  const { bs, bptt } = settings;
  if (!(Number.isInteger(bs) && bs >= 1 && Number.isInteger(bptt) && bptt >= 1)) return undefined; // the form's own checks name these
  const length = [...text.replace(/\r\n?/g, '\n')].length;
  const least = minimumCharacters(bs, bptt, validFraction);
  if (length >= least.characters) return undefined;
  const fmt = (n: number) => n.toLocaleString('en-US');
  return (
    `${name} has ${fmt(length)} characters; at batch size ${bs} and BPTT ${bptt} a text needs at least ${fmt(least.characters)} ` +
    `(${fmt(least.train)} to train on and ${fmt(least.valid)} to validate on, the last ${Math.round(validFraction * 100)}% of it). ` +
    'Choose a longer text, or lower the batch size or BPTT.'
  );
}
