import { CorpusError, decodeCorpus, firstInvalidUtf8Offset } from '@charrnn/data';

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
