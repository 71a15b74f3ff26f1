import { compareCodePoints, OptionError, Vocab, VocabError } from '@charrnn/data';

describe('Vocab.build', () => {
  test('specials, then count ≥ minFreq by descending count, ties by code point', () => {
    const tokens = [...'bbbbaaaacccdd', 'z', 'z', 'z'];
    const vocab = Vocab.build(tokens);
    // a and b tie at 4 (a first), c and z tie at 3 (c first), d (2) is below minFreq 3.
    expect(vocab.itos).toEqual(['<unk>', '<pad>', 'a', 'b', 'c', 'z']);
    expect(vocab.unkId).toBe(0);
    expect(vocab.size).toBe(6);
  });

  test('ties between a BMP character above U+D800 and an astral one follow code points, as Python', () => {
    const vocab = Vocab.build(['\uff01', '😀'], { minFreq: 1 });
    expect(vocab.itos.slice(2)).toEqual(['\uff01', '😀']); // U+FF01 < U+1F600, though '😀' < '！' in UTF-16
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'ab')).toBe(0);
  });

  test('custom specials and minFreq; specials seen in the data are not listed twice', () => {
    const vocab = Vocab.build(['x', 'x', '<unk>', '<unk>'], { minFreq: 2, specials: ['<pad>', '<unk>'] });
    expect(vocab.itos).toEqual(['<pad>', '<unk>', 'x']);
    expect(vocab.unkId).toBe(1);
  });

  test.each([0, 1.5, -3])('minFreq %p is refused', (minFreq) => {
    expect(() => Vocab.build(['a'], { minFreq })).toThrow(OptionError);
    expect(() => Vocab.build(['a'], { minFreq })).toThrow(`minFreq ${minFreq} is invalid; expected an integer ≥ 1 such as 3`);
  });

  test('the constructor refuses a token that is not a string (a caller without types)', () => {
    expect(() => new Vocab(['<unk>', 7 as unknown as string])).toThrow('vocab entry 1 is 7; expected a non-empty string');
  });
});

describe('encode / decode', () => {
  const vocab = new Vocab(['<unk>', '<pad>', 'a', 'b', '😀']);

  test('a string is encoded by code point, unknowns → <unk>', () => {
    expect(Array.from(vocab.encode('ab?😀'))).toEqual([2, 3, 0, 4]);
    expect(vocab.encode(['b', 'zz'])).toEqual(Int32Array.from([3, 0]));
    expect(vocab.encode('')).toHaveLength(0);
  });

  test('id of a token, <unk> for one not in the vocabulary', () => {
    expect(vocab.id('b')).toBe(3);
    expect(vocab.id('😀')).toBe(4);
    expect(vocab.id('zz')).toBe(0);
  });

  test('decode inverts encode for known characters', () => {
    expect(vocab.decode(vocab.encode('ba😀ab'))).toBe('ba😀ab');
    expect(vocab.decode([0, 1])).toBe('<unk><pad>');
  });

  test.each([[[5]], [[-1]], [[1.5]], [[Number.NaN]]])('decode(%p) names the bad id', (ids) => {
    expect(() => vocab.decode(ids)).toThrow(VocabError);
    expect(() => vocab.decode(ids)).toThrow(/position 0 is not in the vocabulary; valid ids are 0…4/);
  });
});

describe('JSON', () => {
  test('round-trips through JSON text', () => {
    const vocab = Vocab.build([...'hello world, hello'], { minFreq: 1 });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(vocab)));
    expect(back.itos).toEqual(vocab.itos);
    expect(back.encode('hello')).toEqual(vocab.encode('hello'));
  });

  test.each([
    [null, /object \{"itos": \[token, …\]\}; got null$/],
    [7, /; got number 7$/],
    [['a'], /got an array/],
    [{ itos: 'abc' }, /without an itos array/],
    [{ itos: ['<unk>', 3] }, /itos\[1\] is number 3/],
    [{ itos: [3, '<unk>'] }, /^vocab JSON itos\[0\] is number 3; every entry must be a string$/],
    [{ itos: ['<unk>', 'a', 'a'] }, /"a" appears twice \(ids 1 and 2\)/],
    [{ itos: ['a', ''] }, /entry 1 is ""/],
    [{ itos: ['a', 'b'] }, /has no <unk>/],
  ])('fromJSON(%p) throws a VocabError that says what is wrong', (json, message) => {
    expect(() => Vocab.fromJSON(json)).toThrow(VocabError);
    expect(() => Vocab.fromJSON(json)).toThrow(message);
  });
});
