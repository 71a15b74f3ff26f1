/**
 * End-of-stream token appended once per split, as torchtext did for the lesson. It occurs once, so
 * with minFreq ≥ 2 it never enters the vocabulary and numericalizes to `<unk>`.
 */
export const EOS = '<eos>';

export interface TokenizeOptions {
  /** Lower-case the text (default true, the lesson's `Field(lower=True)`). */
  lower?: boolean;
}

/**
 * The lesson's character tokenizer over one split: each line loses its trailing "\n", the lines
 * are concatenated with no separator, optionally lower-cased, cut into code points, then one EOS.
 */
export function tokenize(lines: readonly string[], opts: TokenizeOptions = {}): string[] {
  const lower = opts.lower ?? true;
  const tokens: string[] = [];
  for (const line of lines) {
    const body = line.endsWith('\n') ? line.slice(0, -1) : line;
    for (const ch of lower ? body.toLowerCase() : body) tokens.push(ch);
  }
  tokens.push(EOS);
  return tokens;
}
