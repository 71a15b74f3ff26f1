import { MaxNewTokensCriterion, StopStringsCriterion, stoppingCriteria } from './stopping.js';

describe('StopStringsCriterion', () => {
  test('a stop string matches only generated text: nothing stands before the first character of a row', () => {
    // Every two-character stop string ending in '!' (any printable ASCII first): none matches a row's first '!'.
    const stops = Array.from({ length: 95 }, (_, i) => `${String.fromCharCode(32 + i)}!`);
    const c = new StopStringsCriterion(stops, 2);
    expect(c.check(0, '!')).toBeNull();
    expect(c.check(1, '!')).toBeNull();
    expect(c.check(0, '!')).toBe('stop'); // now '!!' was generated
  });

  test('rows keep separate tails; a stop string spanning several steps is found', () => {
    const c = new StopStringsCriterion(['\n\n', 'END'], 2);
    expect(['E', 'N'].map((t) => c.check(0, t))).toEqual([null, null]);
    expect(c.check(1, 'D')).toBeNull();
    expect(c.check(0, 'D')).toBe('stop');
    expect(['a', '\n', '\n'].map((t) => c.check(1, t))).toEqual([null, null, 'stop']);
  });
});

describe('stoppingCriteria', () => {
  test('max_new_tokens ends a row at exactly that count; stop strings only when given', () => {
    const max = new MaxNewTokensCriterion(3);
    expect([1, 2, 3, 4].map((n) => max.check(0, 'x', n))).toEqual([null, null, 'length', 'length']);
    expect(stoppingCriteria(5, [], 1)).toHaveLength(1);
    expect(stoppingCriteria(5, ['.'], 1).map((c) => c.constructor.name)).toEqual(['MaxNewTokensCriterion', 'StopStringsCriterion']);
  });
});
