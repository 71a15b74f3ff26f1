import { readFileSync } from 'node:fs';
import { METADATA_FORMAT, METADATA_KEYS, UNK, modelMetadataEntries, onnxMetadataEntries, readModelMetadata, readVocab, type ModelMetadata } from './metadata.js';

const meta: ModelMetadata = {
  config: { arch: 'lstm', vocabSize: 4, embeddingDim: 3, hiddenSize: 8, numLayers: 2, dropout: 0.25 },
  vocab: ['<unk>', 'a', '"', 'é'],
  lower: false,
  text: 'faithful',
};

const good = {
  'charrnn.config': '{"arch":"lstm","vocabSize":4,"embeddingDim":3,"hiddenSize":8,"numLayers":2,"dropout":0.25}',
  'charrnn.vocab': '["<unk>","a","\\"","é"]',
  'charrnn.lower': 'false',
  'charrnn.text': 'faithful',
};

describe('metadata entries', () => {
  test('keys and values are spelled as docs/onnx-model.md and docs/checkpoint.md give them', () => {
    expect(METADATA_KEYS).toEqual({ format: 'charrnn.format', config: 'charrnn.config', vocab: 'charrnn.vocab', lower: 'charrnn.lower', text: 'charrnn.text', graph: 'charrnn.graph' });
    expect(METADATA_FORMAT).toBe('1');
    expect(modelMetadataEntries(meta)).toEqual(good);
    expect(Object.entries(onnxMetadataEntries(meta, 'step'))).toEqual([['charrnn.format', '1'], ...Object.entries(good), ['charrnn.graph', 'step']]);
  });

  test('the config is written in a fixed key order whatever the object, so files are byte-stable', () => {
    const shuffled = { dropout: 0.25, numLayers: 2, hiddenSize: 8, embeddingDim: 3, vocabSize: 4, arch: 'lstm' as const };
    expect(modelMetadataEntries({ ...meta, config: shuffled })['charrnn.config']).toBe(good['charrnn.config']);
  });

  test('what is written reads back', () => {
    const reading = readModelMetadata(modelMetadataEntries(meta));
    expect(reading.problems).toEqual([]);
    expect(reading.metadata).toEqual(meta);
    // Extra keys (a training step, format and graph) are the callers' business.
    expect(readModelMetadata({ ...onnxMetadataEntries(meta, 'fused'), 'charrnn.step': '7' }).metadata).toEqual(meta);
  });

  test('a lower-cased corpus is written "true" and reads back', () => {
    const entries = modelMetadataEntries({ ...meta, lower: true });
    expect(entries['charrnn.lower']).toBe('true');
    expect(readModelMetadata(entries).metadata?.lower).toBe(true);
  });

  test('the text mode: absent reads as lesson (files written before it existed), a bad one is named, unset writes lesson', () => {
    const { 'charrnn.text': _text, ...older } = good;
    expect(readModelMetadata(older).metadata?.text).toBe('lesson');
    expect(readModelMetadata({ ...good, 'charrnn.text': 'lesson' }).metadata?.text).toBe('lesson');
    const bad = readModelMetadata({ ...good, 'charrnn.text': 'Faithful' });
    expect(bad.problems).toEqual([`metadata 'charrnn.text' is "Faithful", expected "faithful" or "lesson"`]);
    expect(bad.metadata).toBeUndefined();
    const { text: _unset, ...withoutText } = meta;
    expect(modelMetadataEntries(withoutText)['charrnn.text']).toBe('lesson');
  });

  test('an absent dropout reads as 0', () => {
    const config = JSON.stringify({ arch: 'gru', vocabSize: 4, embeddingDim: 3, hiddenSize: 8, numLayers: 1 });
    expect(readModelMetadata({ ...good, 'charrnn.config': config }).metadata?.config.dropout).toBe(0);
  });
});

describe('readModelMetadata', () => {
  test('missing keys are named, all at once', () => {
    const reading = readModelMetadata({});
    expect(reading.problems).toEqual(["missing metadata 'charrnn.config'", "missing metadata 'charrnn.vocab'", "missing metadata 'charrnn.lower'"]);
    expect(reading.metadata).toBeUndefined();
  });

  test('every bad value is named with what would be valid, and the valid parts are kept', () => {
    const reading = readModelMetadata({
      'charrnn.config': '{"arch":"transformer","vocabSize":5,"embeddingDim":3.5,"hiddenSize":"8","numLayers":1,"dropout":-0.1}',
      'charrnn.vocab': '["a","b","a","c","b"]',
      'charrnn.lower': 'TRUE',
    });
    expect(reading.problems).toEqual([
      'metadata \'charrnn.config\' arch is "transformer", expected one of rnn, gru, lstm',
      "metadata 'charrnn.config' embeddingDim is 3.5, expected a positive integer",
      'metadata \'charrnn.config\' hiddenSize is "8", expected a positive integer',
      "metadata 'charrnn.config' dropout is -0.1, expected a number in [0, 1)",
      'metadata \'charrnn.vocab\' entry "a" appears at ids 0, 2',
      'metadata \'charrnn.vocab\' entry "b" appears at ids 1, 4',
      'metadata \'charrnn.lower\' is "TRUE", expected "true" or "false"',
    ]);
    expect(reading.metadata).toBeUndefined();
    expect(reading.config).toEqual({ vocabSize: 5, numLayers: 1 });
    expect(reading.vocab).toBeUndefined();
    expect(reading.lower).toBeUndefined();
  });

  test('the vocab must be a non-empty JSON array of non-empty strings whose length is vocabSize', () => {
    const vocabProblems = (vocab: string) => readModelMetadata({ ...good, 'charrnn.vocab': vocab }).problems;
    const expected = (shown: string) => `metadata 'charrnn.vocab' is ${shown}, expected a non-empty JSON array of strings (index = id)`;
    expect(vocabProblems('[')).toEqual([expected('"["')]);
    for (const text of ['{"a":1}', '[]', '["a",7,"b","c"]', 'null']) expect(vocabProblems(text)).toEqual([expected(text)]);
    const long = `[${'"x",'.repeat(40)}]`; // not JSON (trailing comma): shown as a string, cut at 80 characters
    expect(vocabProblems(long)).toEqual([expected(JSON.stringify(long).slice(0, 80))]);
    expect(vocabProblems('["a","","b",""]')).toEqual(["metadata 'charrnn.vocab' entry 1 is empty", "metadata 'charrnn.vocab' entry 3 is empty"]);
    expect(vocabProblems('["a","b","a","a"]')).toEqual(['metadata \'charrnn.vocab\' entry "a" appears at ids 0, 2, 3']);
    expect(vocabProblems('["a","b","c"]')).toEqual(["metadata 'charrnn.vocab' has 3 entries, expected 4 strings (charrnn.config vocabSize)"]);
    // With no valid vocabSize there is nothing to compare the length with: one problem, not two.
    const noSize = readModelMetadata({ ...good, 'charrnn.config': '{"arch":"gru"}', 'charrnn.vocab': '["a","b"]' });
    expect(noSize.problems.filter((p) => p.includes("'charrnn.vocab'"))).toEqual([]);
    expect(noSize.vocab).toEqual(['a', 'b']);
  });

  test('a config that is not a JSON object is named with its text', () => {
    for (const text of ['[1,2]', 'null', '"gru"', '7']) {
      expect(readModelMetadata({ ...good, 'charrnn.config': text }).problems).toEqual([`metadata 'charrnn.config' is ${text}, expected a JSON object`]);
    }
    expect(readModelMetadata({ ...good, 'charrnn.config': 'arch=gru' }).problems).toEqual(['metadata \'charrnn.config\' is "arch=gru", expected a JSON object']);
  });

  test('readVocab checks an in-memory vocabulary with the same rules, in the caller’s words', () => {
    const problems: string[] = [];
    expect(readVocab(['<unk>', 'a', 'a', '', 'b'], 6, 'vocab', problems)).toBeUndefined();
    expect(problems).toEqual(['vocab entry "a" appears at ids 1, 2', 'vocab entry 3 is empty', 'vocab has 5 entries, expected 6 strings (charrnn.config vocabSize)']);
    expect(readVocab(['<unk>', 'a'], 2, 'vocab', problems)).toEqual(['<unk>', 'a']);
    expect(problems).toHaveLength(3);
  });
});

test("UNK is the token the PyTorch reference puts first in its vocabulary (their checkpoints and ours read each other's)", () => {
  const reference = readFileSync(new URL('../../../tools/pytorch-reference/charrnn.py', import.meta.url), 'utf8');
  expect(reference).toContain(`vocab = ['${UNK}'] + sorted(set(text))`);
});
