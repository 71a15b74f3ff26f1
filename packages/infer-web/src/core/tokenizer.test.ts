import { InvalidPromptError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

/** The straightforward encoding: one Map lookup per code point. */
function reference(vocab: readonly string[], lower: boolean, text: string): number[] {
  const ids = new Map(vocab.map((t, i) => [t, i]));
  const unk = ids.get('<unk>') ?? -1;
  return [...(lower ? text.toLowerCase() : text)].map((ch) => ids.get(ch) ?? unk);
}

describe('Tokenizer.encode', () => {
  const vocab = ['<unk>', '<pad>', 'a', 'b', ' ', '\n', 'é', '😀', 'i', '\u0307', 'x'];

  test.each([
    ['plain text', 'ab a\nb'],
    ['unknown characters', 'abz?'],
    ['astral characters (surrogate pairs), known and unknown', 'a😀b🙂 😀'],
    ['lone surrogates', 'a\ud83db\ude00'],
    ['lower-casing that changes the length (İ → i̇)', 'İaB'],
    ['a special token spelled out is text, not the token', '<unk>'],
  ])('%s: same ids as one lookup per code point', (_, text) => {
    for (const lower of [false, true]) expect(new Tokenizer(vocab, lower, 'faithful').encode(text)).toEqual(reference(vocab, lower, text));
  });

  test('faithful text: every line break (LF, CRLF, CR) is the model\'s "\\n"; lesson text: each character as it is', () => {
    const faithful = new Tokenizer(vocab, false, 'faithful');
    expect(faithful.encode('a\nb\r\nb\ra')).toEqual([2, 5, 3, 5, 3, 5, 2]);
    expect(faithful.decode([2, 5, 3])).toBe('a\nb');
    // A lesson model's vocabulary has no line break: it reads as <unk>, and "\r" stays a character.
    const lessonVocab = vocab.filter((t) => t !== '\n');
    const lesson = new Tokenizer(lessonVocab, false, 'lesson');
    expect(lesson.encode('a\nb\r\nb')).toEqual([2, 0, 3, 0, 0, 3]);
    // A model that records no text mode is a lesson model.
    expect(new Tokenizer(lessonVocab, false).encode('a\r\nb')).toEqual([2, 0, 0, 3]);
  });

  test('without <unk>, the first unknown character is named', () => {
    const t = new Tokenizer(['a', '😀'], false);
    expect(t.encode('a😀a')).toEqual([0, 1, 0]);
    expect(() => t.encode('a🙂')).toThrow(InvalidPromptError);
    expect(() => t.encode('a🙂')).toThrow(`prompt character "🙂" (U+1F642) is not in the model's vocabulary, which has no '<unk>' token`);
    expect(() => t.encode('ab')).toThrow('prompt character "b" (U+0062)');
  });
});
