import { ControlCharactersError, CorpusError } from './errors.js';

export interface DecodeCorpusOptions {
  /** Keep control characters other than tab, newline and carriage return (default false: refused). */
  allowControlChars?: boolean;
}

/**
 * Bytes of a corpus file → its text. Strict UTF-8 (a corrupt download must not silently become
 * U+FFFD characters in the vocabulary), a leading BOM dropped, and an empty corpus refused, and
 * so are control characters unless allowed: NUL, BEL, ESC… are valid UTF-8 but almost always
 * a binary file, UTF-16 text or mojibake, and would each become a vocabulary entry.
 * `source` names the file or URL in error messages.
 */
export function decodeCorpus(bytes: Uint8Array, source: string, opts: DecodeCorpusOptions = {}): string {
  let text: string;
  try {
    // ignoreBOM: false means the decoder consumes a leading U+FEFF instead of returning it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    throw new CorpusError(
      `corpus ${source} is not valid UTF-8 (first bad byte at offset ${offset})` +
        (utf16 ? '; it starts with a UTF-16 byte order mark: save it as UTF-8' : '; save it as UTF-8 text'),
      { cause },
    );
  }
  if (text.trim().length === 0) {
    throw new CorpusError(`corpus ${source} is empty (${bytes.length} bytes, no text); give a file with at least one line of text`);
  }
  checkCorpusText(text, source, opts);
  return text;
}

/**
 * Throws the CorpusError decodeCorpus gives for control characters (unless allowed), for text
 * that did not come from bytes: prepareCorpus calls it, so a corpus handed over as a string (a
 * page, a training worker) is held to the same rule.
 */
export function checkCorpusText(text: string, source: string, opts: DecodeCorpusOptions = {}): void {
  if (opts.allowControlChars) return;
  const problem = controlCharacterProblem(text);
  if (problem !== undefined) throw new ControlCharactersError(`corpus ${source} ${problem.message}`, problem.looksUtf16);
}


/** Unicode's control characters (category Cc) except tab, line feed and carriage return. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** What is wrong with the control characters in `text`, or undefined if it has none. */
function controlCharacterProblem(text: string): { message: string; looksUtf16: boolean } | undefined {
  const counts = new Map<string, number>();
  let first = -1;
  for (const match of text.matchAll(CONTROL)) {
    if (first < 0) first = match.index;
    counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
  }
  if (first < 0) return undefined;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const kinds = [...counts]
    .sort(([a], [b]) => a.charCodeAt(0) - b.charCodeAt(0))
    .map(([ch, n]) => `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ×${n}`);
  const before = text.slice(0, first);
  const line = before.split('\n').length;
  const column = first - before.lastIndexOf('\n');
  // UTF-16 read as UTF-8: every ASCII character followed (or preceded) by a NUL.
  const nuls = counts.get('\u0000') ?? 0;
  const looksUtf16 = nuls * 2 >= text.length - 1;
  const message =
    `has ${total} control character${total === 1 ? '' : 's'} (${kinds.join(', ')}), the first at line ${line}, column ${column}; ` +
    `they would enter the vocabulary as characters. ${looksUtf16 ? 'This looks like UTF-16 text: save it as UTF-8.' : 'Remove them.'}`;
  return { message, looksUtf16 };
}

/** Offset of the first byte that breaks UTF-8 well-formedness (RFC 3629 §4), or -1. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}
