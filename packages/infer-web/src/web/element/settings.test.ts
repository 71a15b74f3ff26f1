import { jest } from '@jest/globals';
import { CharRnnGeneratorElement, DEFAULT_MAX_LENGTH, DEFAULT_PROMPT, defineCharRnnGenerator, parseSettings } from '../../element.js';
import { explainError } from './char-rnn-generator.js';
import { BackendUnavailableError, ModelFormatError, ModelSourceError } from '../../core/errors.js';

function attributes(values: Record<string, string>): (name: string) => string | null {
  return (name) => values[name] ?? null;
}

describe('parseSettings (the element attributes)', () => {
  test('defaults when no attribute is set', () => {
    const warn = jest.fn();
    expect(parseSettings(attributes({}), warn)).toEqual({
      prompt: DEFAULT_PROMPT,
      maxNewTokens: DEFAULT_MAX_LENGTH,
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
      presencePenalty: 0,
      frequencyPenalty: 0,
      repetitionPenalty: 1,
      seed: undefined,
    });
    expect(warn).not.toHaveBeenCalled();
  });

  test('reads every attribute', () => {
    const values = {
      prompt: 'the ',
      'max-length': '300',
      temperature: '0.8',
      'top-k': '20',
      'top-p': '0.9',
      'min-p': '0.05',
      'presence-penalty': '0.5',
      'frequency-penalty': '-0.25',
      'repetition-penalty': '1.3',
      seed: '7',
    };
    expect(parseSettings(attributes(values), jest.fn())).toEqual({
      prompt: 'the ',
      maxNewTokens: 300,
      temperature: 0.8,
      topK: 20,
      topP: 0.9,
      minP: 0.05,
      presencePenalty: 0.5,
      frequencyPenalty: -0.25,
      repetitionPenalty: 1.3,
      seed: 7,
    });
    expect(parseSettings(attributes({ prompt: '', temperature: '0', seed: '0' }), jest.fn())).toMatchObject({ prompt: '', temperature: 0, seed: 0 });
  });

  test('an invalid attribute falls back to its default and is reported by name', () => {
    const warn = jest.fn<(message: string) => void>();
    const values = { 'max-length': '-3', temperature: 'hot', 'top-k': '2.5', 'repetition-penalty': '0', seed: '-1' };
    expect(parseSettings(attributes(values), warn)).toEqual({
      prompt: DEFAULT_PROMPT,
      maxNewTokens: DEFAULT_MAX_LENGTH,
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
      presencePenalty: 0,
      frequencyPenalty: 0,
      repetitionPenalty: 1,
      seed: undefined,
    });
    expect(warn.mock.calls.map(([m]) => m)).toEqual([
      '<char-rnn-generator> attribute max-length="-3" is invalid (expected an integer ≥ 0); using 200',
      '<char-rnn-generator> attribute temperature="hot" is invalid (expected a number ≥ 0); using 1',
      '<char-rnn-generator> attribute top-k="2.5" is invalid (expected an integer ≥ 0); using 0',
      '<char-rnn-generator> attribute repetition-penalty="0" is invalid (expected a number > 0); using 1',
      '<char-rnn-generator> attribute seed="-1" is invalid (expected a non-negative integer); using none',
    ]);
  });
});

test('the element module imports in Node (no DOM) and defining it there is a no-op', () => {
  expect(typeof CharRnnGeneratorElement).toBe('function');
  expect(CharRnnGeneratorElement.observedAttributes).toEqual(['src', 'backend', 'wasm-paths', 'cache', 'worker', 'controls', 'prompt', 'max-length', 'temperature']);
  expect(() => defineCharRnnGenerator()).not.toThrow();
});

test("explainError: the visitor's sentence by kind of failure; the developer's message kept as it was", () => {
  const cases: [unknown, string, boolean][] = [
    [new ModelSourceError('model https://x.test/m.onnx: HTTP 404 Not Found'), 'Could not load the model: the site has no model file at this address.', false],
    [new ModelSourceError('model https://x.test/m.onnx: HTTP 503 Service Unavailable'), 'Could not load the model: the download failed. Check the connection, then press Retry.', false],
    [new ModelSourceError('model https://x.test/ starts with `<!doctype html>`: not an ONNX file'), 'Could not load the model: the file is not a model this generator can run.', false],
    [new ModelFormatError('not a ModelProto'), 'Could not load the model: the file is not a model this generator can run.', false],
    [new BackendUnavailableError('no available backend found'), 'The text generator could not start: part of it did not download. Check the connection, then reload the page.', true],
    [new Error('session creation failed'), 'Could not load the model. Press Retry to try again.', false],
  ];
  for (const [error, plain, needsReload] of cases) {
    expect(explainError('load', error)).toEqual({ plain, detail: (error as Error).message, needsReload });
  }
  expect(explainError('generate', new Error('boom'))).toEqual({ plain: 'Generation stopped with an error. Press Reset to start again.', detail: 'boom', needsReload: false });
});
