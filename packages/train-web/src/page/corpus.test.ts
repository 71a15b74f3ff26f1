import { CorpusTooSmallError, checkBatchFit, prepareCorpus } from '@charrnn/data';
import { corpusSizeProblem, minimumCharacters } from './corpus.js';

/** Whether the trainer's own check takes `n` characters of faithful text at these settings. */
function trainerAccepts(n: number, bs: number, bptt: number): boolean {
  const corpus = prepareCorpus('ab\ncd e'.repeat(n).slice(0, n), { text: 'faithful', validFraction: 0.2 });
  try {
    checkBatchFit({ trainTokens: corpus.train.length, validTokens: corpus.valid.length }, { batchSize: bs, bptt });
    return true;
  } catch (e) {
    if (e instanceof CorpusTooSmallError) return false;
    throw e;
  }
}

describe('the smallest text the page accepts', () => {
  test.each([
    [64, 8],
    [32, 8],
    [7, 3],
    [1, 1],
    [5, 40],
  ])('at batch size %i, BPTT %i it is the first length the trainer accepts', (bs, bptt) => {
    const { characters } = minimumCharacters(bs, bptt, 0.2);
    expect(trainerAccepts(characters, bs, bptt)).toBe(true);
    expect(trainerAccepts(characters - 1, bs, bptt)).toBe(false);
  });

  test('the message names the text, its length, the minimum in characters and what to change; a text that fits has none', () => {
    expect(corpusSizeProblem('tiny.txt', 'x'.repeat(12), { bs: 64, bptt: 8 }, 0.2)).toBe(
      'tiny.txt has 12 characters; at batch size 64 and BPTT 8 a text needs at least 1,280 (1,024 to train on and 128 to validate on, the last 20% of it). ' +
        'Choose a longer text, or lower the batch size or BPTT.',
    );
    expect(corpusSizeProblem('ok.txt', 'x'.repeat(1280), { bs: 64, bptt: 8 }, 0.2)).toBeUndefined();
    // Line breaks count once however they are written.
    expect(corpusSizeProblem('crlf.txt', 'x\r\n'.repeat(600), { bs: 64, bptt: 8 }, 0.2)).toMatch(/^crlf\.txt has 1,200 characters/);
  });
});
