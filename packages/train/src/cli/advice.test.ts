import { Command } from 'commander';
import { decodeCorpus } from '@charrnn/data';
import { TrainingDivergedError } from '../trainer/loop.js';
import { checkModelSize } from '../trainer/model-size.js';
import { messageWithFlags } from './advice.js';
import { addTrainingFlags } from './flags.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};
const utf8 = (s: string) => new TextEncoder().encode(s);
/** The flags train:fit and train:lr-find share; --lr and --schedule are train:fit's own. */
const sharedFlags = addTrainingFlags(new Command('t')).options.map((o) => o.long);

describe('messageWithFlags', () => {
  test("a too-large model's message gets the flags that set its sizes", () => {
    const error = thrown(() => checkModelSize({ arch: 'gru', vocabSize: 60, embeddingDim: 42, hiddenSize: 1e8, numLayers: 1, dropout: 0 }, Infinity));
    const message = messageWithFlags(error);
    expect(message).toBe(`${(error as Error).message} (--hidden, --layers, --embed)`);
    expect(message).toMatch(/; lower the hidden size, the layers or the embedding size \(--hidden, --layers, --embed\)$/);
    for (const flag of message.match(/--[a-z-]+/g)!) expect(sharedFlags).toContain(flag);
  });

  test('control characters: the flag that keeps them, except for UTF-16 text, which keeping would not fix', () => {
    const nul = thrown(() => decodeCorpus(utf8('ab\u0000c\n'), 'n.txt'));
    expect(messageWithFlags(nul)).toBe(
      'corpus n.txt has 1 control character (U+0000 ×1), the first at line 1, column 3; they would enter the vocabulary as characters. Remove them. Or keep them with --allow-control-chars.',
    );
    expect(sharedFlags).toContain('--allow-control-chars');
    const utf16 = thrown(() => decodeCorpus(new Uint8Array([...'hello\n'].flatMap((ch) => [ch.charCodeAt(0), 0])), 'u16.txt'));
    expect(messageWithFlags(utf16)).toBe((utf16 as Error).message);
    expect(messageWithFlags(utf16)).not.toContain('--');
  });

  test('a diverged training loss gets the flags for the rate and clipping; a diverged validation, and other errors, are unchanged', () => {
    const training = new TrainingDivergedError('training loss became NaN at epoch 1, batch 3 (lr 1000); no checkpoint had been saved yet. Try a lower learning rate or gradient clipping.', 'training');
    expect(messageWithFlags(training)).toBe(`${training.message} On the command line: --lr or --schedule for the rate, --clip 0.25 to clip.`);
    expect(sharedFlags).toContain('--clip');
    const validation = new TrainingDivergedError('validation loss became NaN after epoch 2; no checkpoint had been saved yet', 'validation');
    expect(messageWithFlags(validation)).toBe(validation.message);
    expect(messageWithFlags(new RangeError('out of range'))).toBe('out of range');
    expect(messageWithFlags('a string')).toBe('a string');
  });
});
