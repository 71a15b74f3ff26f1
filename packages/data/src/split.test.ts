import { OptionError, readLines, splitLines, trainLineCount } from '@charrnn/data';

describe('readLines', () => {
  test('keeps each newline with its line, like readlines()', () => {
    expect(readLines('a\nbb\nc')).toEqual(['a\n', 'bb\n', 'c']);
    expect(readLines('a\nbb\n')).toEqual(['a\n', 'bb\n']);
    expect(readLines('a\n\nb')).toEqual(['a\n', '\n', 'b']);
    expect(readLines('')).toEqual([]);
  });

  test('reads \\r\\n and \\r as \\n (universal newlines)', () => {
    expect(readLines('a\r\nb\rc\n')).toEqual(['a\n', 'b\n', 'c\n']);
  });
});

describe('splitLines', () => {
  test('train = first ceil(0.8·lines)', () => {
    const text = Array.from({ length: 11 }, (_, i) => `line ${i}`).join('\n');
    const { trainLines, validLines } = splitLines(text);
    expect(trainLines).toHaveLength(9); // ceil(8.8)
    expect(validLines).toHaveLength(2);
    expect(trainLines.join('') + validLines.join('')).toBe(text);
  });

  test('the fraction is settable and immune to float noise', () => {
    expect(trainLineCount(10, 0.3)).toBe(7); // (1 − 0.3)·10 = 7.000000000000001 in floats
    expect(trainLineCount(10, 0.25)).toBe(8);
    expect(trainLineCount(9935, 0.2)).toBe(7948);
    expect(trainLineCount(5, 0)).toBe(5);
    expect(splitLines('a\nb\nc\nd', 0.5).validLines).toEqual(['c\n', 'd']);
  });

  test.each([-0.1, 1, 1.5, Number.NaN])('validFraction %p is refused', (f) => {
    expect(() => splitLines('a\nb', f)).toThrow(OptionError);
    expect(() => splitLines('a\nb', f)).toThrow(/validFraction .* expected a number in \[0, 1\)/);
  });
});
