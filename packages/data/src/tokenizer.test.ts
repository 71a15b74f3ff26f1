import { EOS, tokenize } from '@charrnn/data';

describe('tokenize', () => {
  test('strips each trailing newline, concatenates, lower-cases, one EOS', () => {
    expect(tokenize(['Ab\n', 'C d\n', 'e'])).toEqual(['a', 'b', 'c', ' ', 'd', 'e', EOS]);
  });

  test('lower: false keeps case; an empty split is just EOS', () => {
    expect(tokenize(['Ab\n'], { lower: false })).toEqual(['A', 'b', EOS]);
    expect(tokenize([])).toEqual([EOS]);
  });

  test('splits by code point, keeping astral characters whole', () => {
    expect(tokenize(['a😀ä\n'])).toEqual(['a', '😀', 'ä', EOS]);
  });

  test('only the line-final newline goes; blank lines add nothing', () => {
    expect(tokenize(['\n', 'a\n', '\n'])).toEqual(['a', EOS]);
  });
});
