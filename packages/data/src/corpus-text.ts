import { CorpusError } from './errors.js';

/**
 * Bytes of a corpus file → its text. Strict UTF-8 (a corrupt download must not silently become
 * U+FFFD characters in the vocabulary), a leading BOM dropped, and an empty corpus refused.
 * `source` names the file or URL in error messages.
 */
export function decodeCorpus(bytes: Uint8Array, source: string): string {
  let text: string;
  try {
    // ignoreBOM: false means the decoder consumes a leading U+FEFF instead of returning it.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new CorpusError(
      `corpus ${source} is not valid UTF-8 (first bad byte at offset ${offset}); save it as UTF-8 text`,
      { cause },
    );
  }
  if (text.trim().length === 0) {
    throw new CorpusError(`corpus ${source} is empty (${bytes.length} bytes, no text); give a file with at least one line of text`);
  }
  return text;
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
