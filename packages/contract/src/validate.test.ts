import { ModelContractError } from './errors.js';
import { readModelDescription } from './model-reader.js';
import { edited, encode, signatureModel, TEST_VOCAB, type ModelProto } from './test-helpers/signature-model.js';
import { validateContract } from './validate.js';

function problemsOf(bytes: Uint8Array): readonly string[] {
  try {
    validateContract(readModelDescription(bytes));
  } catch (error) {
    if (error instanceof ModelContractError) return error.problems;
    throw error;
  }
  return [];
}

function setMeta(m: ModelProto, key: string, value: string | undefined): void {
  if (value === undefined) m.metadataProps = m.metadataProps.filter((p) => p.key !== key);
  else {
    const prop = m.metadataProps.find((p) => p.key === key);
    if (prop) prop.value = value;
    else m.metadataProps.push({ key, value } as ModelProto['metadataProps'][number]);
  }
}

describe('validateContract', () => {
  test('a contract-2 model passes for every arch, graph and precision, and says what it is', () => {
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      for (const graph of ['fused', 'step'] as const) {
        for (const fp16 of [false, true]) {
          const info = validateContract(readModelDescription(encode(signatureModel({ arch, graph, fp16, opset: 19 }))));
          expect(info).toEqual({
            arch,
            graph,
            vocabSize: 15,
            embeddingDim: 5,
            hiddenSize: 12,
            numLayers: 2,
            vocab: TEST_VOCAB,
            lower: true,
            text: 'lesson', // the helper's model records no text mode, as files before it existed
            opset: 19,
            precision: fp16 ? 'float16' : 'float32',
          });
        }
      }
    }
  });

  test('missing metadata is named, every key at once', () => {
    const bytes = edited((m) => {
      setMeta(m, 'charrnn.vocab', undefined);
      setMeta(m, 'charrnn.graph', undefined);
    });
    expect(problemsOf(bytes)).toEqual(["missing metadata 'charrnn.vocab'", "missing metadata 'charrnn.graph'"]);
    const bare = edited((m) => (m.metadataProps = []));
    expect(problemsOf(bare)).toEqual(['charrnn.format', 'charrnn.config', 'charrnn.vocab', 'charrnn.lower', 'charrnn.graph'].map((k) => `missing metadata '${k}'`));
  });

  test('bad metadata values are named with what is valid', () => {
    const bytes = edited((m) => {
      setMeta(m, 'charrnn.vocab', JSON.stringify(TEST_VOCAB.slice(1)));
      setMeta(m, 'charrnn.lower', 'yes');
      setMeta(m, 'charrnn.format', '2');
      setMeta(m, 'charrnn.graph', 'unrolled');
    });
    expect(problemsOf(bytes)).toEqual([
      'metadata \'charrnn.format\' is "2", expected "1"',
      "metadata 'charrnn.vocab' has 14 entries, expected 15 strings (charrnn.config vocabSize)",
      'metadata \'charrnn.lower\' is "yes", expected "true" or "false"',
      'metadata \'charrnn.graph\' is "unrolled", expected "fused" or "step"',
    ]);
  });

  test('a bad config is named field by field, and the signature is still checked with what is known', () => {
    const bytes = edited((m) => {
      setMeta(m, 'charrnn.config', JSON.stringify({ arch: 'mamba', vocabSize: 15, embeddingDim: 5, hiddenSize: 16, numLayers: 0, dropout: 2 }));
    });
    expect(problemsOf(bytes)).toEqual([
      "metadata 'charrnn.config' arch is \"mamba\", expected one of rnn, gru, lstm",
      "metadata 'charrnn.config' numLayers is 0, expected a positive integer",
      "metadata 'charrnn.config' dropout is 2, expected a number in [0, 1)",
      // hiddenSize 16 is valid, so the state dims are checked against it (numLayers is unknown).
      "input 'h0' has shape [2, batch, 12], expected [layers, batch, 16]",
      "output 'hn' has shape [2, batch, 12], expected [layers, batch, 16]",
    ]);
  });

  test('missing or mistyped inputs and outputs are named', () => {
    const bytes = edited(
      (m) => {
        const g = m.graph!;
        g.input = g.input!.filter((i) => i.name !== 'c0');
        g.input!.find((i) => i.name === 'h0')!.type!.tensorType!.elemType = 11;
        g.output!.find((o) => o.name === 'logits')!.name = 'scores';
      },
      { arch: 'lstm' },
    );
    expect(problemsOf(bytes)).toEqual([
      "input 'h0' is float64, expected float32",
      "missing input 'c0' (float32 [2, batch, 12]); inputs are: 'tokens', 'h0'",
      "missing output 'logits' (float32 [seq, batch, 15]); outputs are: 'scores', 'hn', 'cn'",
    ]);
  });

  test('fixed dims that disagree with the config or the graph kind are named', () => {
    const bytes = edited((m) => {
      setMeta(m, 'charrnn.config', m.metadataProps.find((p) => p.key === 'charrnn.config')!.value!.replace('"hiddenSize":12', '"hiddenSize":16'));
      m.graph!.output![0].type!.tensorType!.shape!.dim!.pop();
    });
    expect(problemsOf(bytes)).toEqual([
      "input 'h0' has shape [2, batch, 12], expected [2, batch, 16]",
      "output 'logits' has shape [seq, batch], expected [seq, batch, 15]",
      "output 'hn' has shape [2, batch, 12], expected [2, batch, 16]",
    ]);
    const step = edited(
      (m) => {
        m.graph!.input![0].type!.tensorType!.shape!.dim![0].dimValue = 4;
        // An unknown dim (neither size nor name) fits any size, and is shown as '?'.
        m.graph!.input![0].type!.tensorType!.shape!.dim![1] = {};
      },
      { graph: 'step' },
    );
    expect(problemsOf(step)).toEqual(["input 'tokens' has shape [4, ?], expected [1, batch]"]);
    // A step graph whose metadata says fused: refused at load, not inside onnxruntime at the first run.
    const mislabelled = edited((m) => setMeta(m, 'charrnn.graph', 'fused'), { graph: 'step' });
    expect(problemsOf(mislabelled)).toEqual([
      `input 'tokens' has shape [1, batch]: its seq is fixed to 1, as in a step graph, but metadata 'charrnn.graph' is "fused" (any seq per run); set it to "step", or export the fused graph`,
    ]);
  });

  test("the fused graph's seq check reads the tokens input wherever the graph lists it, and takes a tokens input of unknown shape", () => {
    // Listed last, after h0 whose first dim is a number (the layers): still a valid fused graph.
    const reordered = edited((m) => {
      const inputs = m.graph!.input!;
      inputs.push(...inputs.splice(0, 1));
    });
    expect(readModelDescription(reordered).inputs.map((v) => v.name)[0]).toBe('h0');
    expect(problemsOf(reordered)).toEqual([]);
    // No shape recorded at all (unknown rank, left to the runtime as elsewhere): no problem, and no TypeError.
    const shapeless = edited((m) => {
      delete m.graph!.input![0].type!.tensorType!.shape;
    });
    expect(readModelDescription(shapeless).inputs[0]).toMatchObject({ name: 'tokens', shape: null });
    expect(problemsOf(shapeless)).toEqual([]);
  });

  test('a mix of float16 and float32 state and outputs is one problem naming each type', () => {
    const bytes = edited(
      (m) => {
        m.graph!.output!.find((o) => o.name === 'cn')!.type!.tensorType!.elemType = 1;
      },
      { arch: 'lstm', fp16: true },
    );
    expect(problemsOf(bytes)).toEqual([
      "the state inputs and float outputs mix float16 and float32 (input 'h0' float16, input 'c0' float16, output 'logits' float16, output 'hn' float16, output 'cn' float32); expected all float32, or all float16",
    ]);
  });

  test('an unexpected input is refused unless it is an initializer (older IR versions list weights as inputs)', () => {
    const bytes = edited((m) => {
      m.graph!.input!.push({ ...m.graph!.input![1], name: 'encoder.weight' }, { ...m.graph!.input![1], name: 'temperature' });
    });
    expect(problemsOf(bytes)).toEqual(["unexpected input 'temperature': a gru model takes only 'tokens', 'h0'"]);
  });

  test('element types are named, including int32, an unset type and a code outside the contract', () => {
    const bytes = edited((m) => {
      m.graph!.input!.find((i) => i.name === 'tokens')!.type!.tensorType!.elemType = 6;
      m.graph!.input!.find((i) => i.name === 'h0')!.type!.tensorType!.elemType = 0;
      m.graph!.output!.find((o) => o.name === 'hn')!.type!.tensorType!.elemType = 16; // bfloat16
    });
    expect(problemsOf(bytes)).toEqual([
      "input 'tokens' is int32, expected int64",
      "input 'h0' is no type, expected float32",
      "output 'hn' is type code 16, expected float32",
    ]);
  });

  test('a shape of unknown rank is left to the runtime; a symbolic dim where a size is expected passes', () => {
    const bytes = edited((m) => {
      delete m.graph!.input!.find((i) => i.name === 'h0')!.type!.tensorType!.shape;
      m.graph!.output!.find((o) => o.name === 'hn')!.type!.tensorType!.shape!.dim![2] = { dimParam: 'hidden' };
    });
    expect(problemsOf(bytes)).toEqual([]);
  });

  test('without a config, expected shapes are named by their roles', () => {
    const bytes = edited((m) => {
      setMeta(m, 'charrnn.config', undefined);
      m.graph!.output!.find((o) => o.name === 'logits')!.type!.tensorType!.shape!.dim!.pop();
      m.graph!.output!.find((o) => o.name === 'hn')!.type!.tensorType!.shape!.dim!.pop();
    });
    expect(problemsOf(bytes)).toEqual([
      "missing metadata 'charrnn.config'",
      "output 'logits' has shape [seq, batch], expected [seq, batch, vocab]",
      "output 'hn' has shape [2, batch], expected [layers, batch, hidden]",
    ]);
  });

  test('a bad arch is checked as a gru signature', () => {
    const bytes = edited(
      (m) => {
        setMeta(m, 'charrnn.config', m.metadataProps.find((p) => p.key === 'charrnn.config')!.value!.replace('"arch":"lstm"', '"arch":7'));
      },
      { arch: 'lstm' },
    );
    expect(problemsOf(bytes)).toEqual([
      "metadata 'charrnn.config' arch is 7, expected one of rnn, gru, lstm",
      "unexpected input 'c0': a gru model takes only 'tokens', 'h0'",
    ]);
  });

  test('a model with no state and no outputs is described as float32 with nothing listed', () => {
    const bytes = edited((m) => {
      m.graph!.input = m.graph!.input!.filter((i) => i.name === 'tokens');
      m.graph!.output = [];
    });
    expect(problemsOf(bytes)).toEqual([
      "missing input 'h0' (float32 [2, batch, 12]); inputs are: 'tokens'",
      "missing output 'logits' (float32 [seq, batch, 15]); outputs are: none",
      "missing output 'hn' (float32 [2, batch, 12]); outputs are: none",
    ]);
  });

  test('float16 precision is decided by the state and float outputs only; a missing one in a mix is either type', () => {
    const extra = edited(
      (m) => {
        m.graph!.output!.push({ name: 'argmax', type: { tensorType: { elemType: 7, shape: { dim: [{ dimParam: 'batch' }] } } } });
      },
      { fp16: true },
    );
    expect(validateContract(readModelDescription(extra)).precision).toBe('float16');
    const mixedAndMissing = edited(
      (m) => {
        m.graph!.output!.find((o) => o.name === 'cn')!.type!.tensorType!.elemType = 1;
        m.graph!.input = m.graph!.input!.filter((i) => i.name !== 'c0');
      },
      { arch: 'lstm', fp16: true },
    );
    expect(problemsOf(mixedAndMissing)).toEqual([
      "the state inputs and float outputs mix float16 and float32 (input 'h0' float16, output 'logits' float16, output 'hn' float16, output 'cn' float32); expected all float32, or all float16",
      "missing input 'c0' (float32 or float16 [2, batch, 12]); inputs are: 'tokens', 'h0'",
    ]);
  });

  test('float16 beside a type that is neither float is checked as float32, naming each value', () => {
    const bytes = edited(
      (m) => {
        m.graph!.output!.find((o) => o.name === 'hn')!.type!.tensorType!.elemType = 11;
      },
      { fp16: true },
    );
    expect(problemsOf(bytes)).toEqual(["input 'h0' is float16, expected float32", "output 'logits' is float16, expected float32", "output 'hn' is float64, expected float32"]);
    // float16, float32 and float64 together: not a float16/float32 mix either; checked as float32.
    const three = edited(
      (m) => {
        m.graph!.output!.find((o) => o.name === 'logits')!.type!.tensorType!.elemType = 1;
        m.graph!.output!.find((o) => o.name === 'hn')!.type!.tensorType!.elemType = 11;
      },
      { fp16: true },
    );
    expect(problemsOf(three)).toEqual(["input 'h0' is float16, expected float32", "output 'hn' is float64, expected float32"]);
  });

  test('the text mode is what the metadata says; a bad one is named', () => {
    expect(validateContract(readModelDescription(edited((m) => setMeta(m, 'charrnn.text', 'faithful')))).text).toBe('faithful');
    expect(() => validateContract(readModelDescription(edited((m) => setMeta(m, 'charrnn.text', 'raw'))))).toThrow(`metadata 'charrnn.text' is "raw", expected "faithful" or "lesson"`);
  });

  test('lower is what the metadata says', () => {
    const bytes = edited((m) => setMeta(m, 'charrnn.lower', 'false'));
    expect(validateContract(readModelDescription(bytes)).lower).toBe(false);
  });

  test('the error message lists every problem, one per line', () => {
    const bytes = edited((m) => {
      setMeta(m, 'charrnn.lower', 'maybe');
      m.graph!.input![0].name = 'ids';
    });
    expect(() => validateContract(readModelDescription(bytes))).toThrow(
      'model does not follow the charrnn ONNX contract:\n' +
        '  - metadata \'charrnn.lower\' is "maybe", expected "true" or "false"\n' +
        "  - missing input 'tokens' (int64 [seq, batch]); inputs are: 'ids', 'h0'\n" +
        "  - unexpected input 'ids': a gru model takes only 'tokens', 'h0'",
    );
  });
});
