import { CharRnnError } from '@charrnn/contract';
import { ControlCharactersError, CorpusError, decodeCorpus, firstInvalidUtf8Offset } from '@charrnn/data';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('decodeCorpus', () => {
  test('decodes UTF-8 and drops a leading BOM (only a leading one)', () => {
    expect(decodeCorpus(utf8('\ufeffhé\n'), 'x.txt')).toBe('hé\n');
    expect(decodeCorpus(utf8('a\ufeffb'), 'x.txt')).toBe('a\ufeffb');
  });

  test('invalid UTF-8 names the source and the offset of the first bad byte', () => {
    const bytes = Uint8Array.from([0x61, 0x62, 0xc3, 0x28, 0x63]);
    expect(() => decodeCorpus(bytes, 'data/bad.txt')).toThrow(CorpusError);
    expect(() => decodeCorpus(bytes, 'data/bad.txt')).toThrow('corpus data/bad.txt is not valid UTF-8 (first bad byte at offset 2)');
  });

  test.each([
    [[], 'x'],
    [[0xef, 0xbb, 0xbf], 'a BOM alone'],
    [[0x0a, 0x20, 0x0a], 'only blanks'],
  ])('an empty corpus (%p) is refused', (bytes) => {
    expect(() => decodeCorpus(Uint8Array.from(bytes), 'e.txt')).toThrow(/corpus e.txt is empty/);
  });
});

describe('control characters', () => {
  test('NUL and other control characters are refused, counted by kind, the first one located', () => {
    const text = 'first line\nsec\u0000ond\u0000 \u0007line\n\u009b';
    expect(() => decodeCorpus(utf8(text), 'c.txt')).toThrow(CorpusError);
    // The message reads right wherever the library runs (a page has no flags): the command lines add theirs.
    expect(() => decodeCorpus(utf8(text), 'c.txt')).toThrow(
      new ControlCharactersError(
        'corpus c.txt has 4 control characters (U+0000 ×2, U+0007 ×1, U+009B ×1), the first at line 2, column 4; they would enter the vocabulary as characters. Remove them.',
        false,
      ),
    );
    expect(() => decodeCorpus(utf8(text), 'c.txt')).toThrow(expect.objectContaining({ name: 'ControlCharactersError', looksUtf16: false }));
    // Every package's errors share the contract's base, so a caller tells ours from a runtime's.
    expect(() => decodeCorpus(utf8(text), 'c.txt')).toThrow(CharRnnError);
  });

  test('UTF-16 text read as UTF-8 (a NUL after every ASCII character) is named as such', () => {
    const utf16 = new Uint8Array([...'hello\n'].flatMap((ch) => [ch.charCodeAt(0), 0]));
    expect(() => decodeCorpus(utf16, 'u16.txt')).toThrow(/U\+0000 ×6.*they would enter the vocabulary as characters\. This looks like UTF-16 text: save it as UTF-8\.$/);
    expect(() => decodeCorpus(utf16, 'u16.txt')).toThrow(expect.objectContaining({ looksUtf16: true }));
  });

  test('tab, newline and carriage return are text; allowControlChars keeps the rest', () => {
    expect(decodeCorpus(utf8('a\tb\r\nc\n'), 'ok.txt')).toBe('a\tb\r\nc\n');
    expect(decodeCorpus(utf8('a\u0000b\u007f'), 'nul.txt', { allowControlChars: true })).toBe('a\u0000b\u007f');
    expect(() => decodeCorpus(Uint8Array.from([0xff, 0xfe, 0x61, 0x00]), 'bom16.txt')).toThrow(
      'corpus bom16.txt is not valid UTF-8 (first bad byte at offset 0); it starts with a UTF-16 byte order mark: save it as UTF-8',
    );
  });
});

describe('firstInvalidUtf8Offset', () => {
  test.each([
    [[0x61, 0xc3, 0xa9], -1],
    [[0xf0, 0x9f, 0x98, 0x80], -1],
    [[0x61, 0x80], 1], // lone continuation byte
    [[0xc0, 0xaf], 0], // overlong "/"
    [[0xed, 0xa0, 0x80], 0], // UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x61, 0x62, 0xe2, 0x82], 2], // truncated sequence
  ])('%p → %p, agreeing with TextDecoder', (bytes, offset) => {
    const input = Uint8Array.from(bytes);
    expect(firstInvalidUtf8Offset(input)).toBe(offset);
    const strictOk = (() => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(input);
        return true;
      } catch {
        return false;
      }
    })();
    expect(strictOk).toBe(offset === -1);
  });
});
