import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { randomWeights, type Arch } from '@charrnn/train';
import { buildOnnxModel } from './build.js';
import { readOnnxMetadata } from './metadata.js';
import { buildTritonWrapper, tritonConfig, TritonExportError, writeTritonRepository } from './triton.js';

const VOCAB = ['<unk>', ' ', 'a', 'b', 'c', 'd', 'e', '.'];

function contract2(arch: Arch, graph: 'fused' | 'step' = 'fused', fp16 = false): Uint8Array {
  const config = { arch, vocabSize: VOCAB.length, embeddingDim: 4, hiddenSize: 6, numLayers: 2, dropout: 0 };
  return buildOnnxModel({ config, vocab: VOCAB, lower: false, weights: randomWeights(config, 5) }, { graph, fp16 });
}

type Float = Float32Array;

/** [d0, d1, d2] row-major → its [d1, d0, d2] transpose. */
function swap01(data: ArrayLike<number>, d0: number, d1: number, d2: number): Float32Array {
  const out = new Float32Array(d0 * d1 * d2);
  for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) for (let k = 0; k < d2; k++) out[(j * d0 + i) * d2 + k] = data[(i * d1 + j) * d2 + k];
  return out;
}

function randomState(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 97 + i * 1.7) * 0.8);
}

describe('the Triton wrapper (batch first) around a contract-2 model', () => {
  it.each([
    ['gru', 'fused'],
    ['lstm', 'fused'],
    ['rnn', 'fused'],
    ['gru', 'step'],
  ] as const)('%s (%s): same logits and states as the contract-2 model, for every row, carried over steps', async (arch, graph) => {
    const bytes = contract2(arch, graph);
    const plain = await ort.InferenceSession.create(bytes);
    const wrapped = await ort.InferenceSession.create(buildTritonWrapper(bytes));
    const withC = { rnn: false, gru: false, lstm: true }[arch];
    expect(wrapped.inputNames).toEqual(withC ? ['tokens', 'h0', 'c0'] : ['tokens', 'h0']);
    expect(wrapped.outputNames).toEqual(withC ? ['logits', 'hn', 'cn'] : ['logits', 'hn']);
    const B = 3;
    const T = graph === 'step' ? 1 : 5;
    const L = 2;
    const H = 6;
    const V = VOCAB.length;
    // Batch-first state, as Triton keeps it per sequence and stacks it per batch.
    let h = randomState(B * L * H, 1);
    let c = randomState(B * L * H, 2);
    let hPlain = swap01(h, B, L, H);
    let cPlain = swap01(c, B, L, H);
    let worst = 0;
    for (let step = 0; step < 3; step++) {
      const ids = Array.from({ length: B * T }, (_, i) => (i * 5 + step * 3) % V); // [batch, seq]
      const tokensBF = new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [B, T]);
      const tokensTM = new ort.Tensor('int64', BigInt64Array.from(swap01(ids, B, T, 1), (x) => BigInt(x)), [T, B]);
      const feedsBF: Record<string, ort.Tensor> = { tokens: tokensBF, h0: new ort.Tensor('float32', h, [B, L, H]) };
      const feedsTM: Record<string, ort.Tensor> = { tokens: tokensTM, h0: new ort.Tensor('float32', hPlain, [L, B, H]) };
      if (withC) {
        feedsBF.c0 = new ort.Tensor('float32', c, [B, L, H]);
        feedsTM.c0 = new ort.Tensor('float32', cPlain, [L, B, H]);
      }
      const outBF = await wrapped.run(feedsBF);
      const outTM = await plain.run(feedsTM);
      expect(outBF.logits.dims).toEqual([B, T, V]);
      expect(outBF.hn.dims).toEqual([B, L, H]);
      const pairs: [ArrayLike<number>, ArrayLike<number>][] = [
        [outBF.logits.data as Float, swap01(outTM.logits.data as Float, T, B, V)],
        [outBF.hn.data as Float, swap01(outTM.hn.data as Float, L, B, H)],
      ];
      if (withC) pairs.push([outBF.cn.data as Float, swap01(outTM.cn.data as Float, L, B, H)]);
      for (const [a, b] of pairs) for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      // Carry the state as Triton's implicit state does (hn → h0), each model its own.
      h = (outBF.hn.data as Float).slice();
      hPlain = (outTM.hn.data as Float).slice();
      if (withC) {
        c = (outBF.cn.data as Float).slice();
        cPlain = (outTM.cn.data as Float).slice();
      }
    }
    // The wrapper adds only Transposes: the arithmetic is the contract-2 model's own.
    expect(worst).toBe(0);
    await plain.release();
    await wrapped.release();
  });

  it('keeps the charrnn metadata and says it is batch first', () => {
    const wrapper = buildTritonWrapper(contract2('gru'));
    const info = readOnnxMetadata(wrapper);
    expect(info.vocab).toEqual(VOCAB);
    expect(info.props['charrnn.layout']).toMatch(/^batch-first/);
  });
});

describe('config.pbtxt', () => {
  it('declares the onnxruntime backend, batch-first I/O without the batch dim, the oldest strategy and zero-initialised implicit state', () => {
    const info = readOnnxMetadata(contract2('lstm'));
    const config = tritonConfig(info, { name: 'nietzsche', maxBatchSize: 32, idleMs: 30_000 });
    expect(config).toContain('name: "nietzsche"\nbackend: "onnxruntime"\nmax_batch_size: 32\n');
    expect(config).toContain('input [\n  {\n    name: "tokens"\n    data_type: TYPE_INT64\n    dims: [ -1 ]\n  }\n]');
    expect(config).toContain('output [\n  {\n    name: "logits"\n    data_type: TYPE_FP32\n    dims: [ -1, 8 ]\n  }\n]');
    expect(config).toContain('max_sequence_idle_microseconds: 30000000\n  oldest {\n    max_candidate_sequences: 1024\n    max_queue_delay_microseconds: 0\n  }');
    for (const [input, output] of [
      ['h0', 'hn'],
      ['c0', 'cn'],
    ]) {
      expect(config).toContain(
        `      input_name: "${input}"\n      output_name: "${output}"\n      data_type: TYPE_FP32\n      dims: [ 2, 6 ]\n      initial_state: {\n        name: "zero_${input}"\n        data_type: TYPE_FP32\n        dims: [ 2, 6 ]\n        zero_data: true\n      }`,
      );
    }
    // The vocabulary travels as a parameter, JSON escaped for protobuf text format.
    expect(config).toContain(`key: "charrnn.vocab"\n  value: { string_value: ${JSON.stringify(JSON.stringify(VOCAB))} }`);
  });

  it('uses TYPE_FP16 for float16 models and seq 1 for step graphs; refuses bad options', () => {
    const half = tritonConfig(readOnnxMetadata(contract2('gru', 'fused', true)));
    expect(half).toContain('data_type: TYPE_FP16\n    dims: [ -1, 8 ]');
    expect(half).not.toContain('TYPE_FP32');
    const step = tritonConfig(readOnnxMetadata(contract2('gru', 'step')));
    expect(step).toContain('data_type: TYPE_INT64\n    dims: [ 1 ]');
    expect(step).toContain('max_sequence_idle_microseconds: 60000000');
    expect(() => tritonConfig(readOnnxMetadata(contract2('gru')), { maxBatchSize: 0 })).toThrow(TritonExportError);
    expect(() => tritonConfig(readOnnxMetadata(contract2('gru')), { name: 'a/b' })).toThrow(/must be 1-128 letters/);
  });

  it('writes <dir>/<name>/config.pbtxt and <dir>/<name>/1/model.onnx', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'triton-'));
    try {
      const bytes = contract2('gru');
      const result = await writeTritonRepository(bytes, dir, { name: 'm' });
      expect(result.files).toEqual([path.join(dir, 'm', 'config.pbtxt'), path.join(dir, 'm', '1', 'model.onnx')]);
      expect(await readFile(result.files[0], 'utf8')).toBe(tritonConfig(readOnnxMetadata(bytes), { name: 'm' }));
      expect(new Uint8Array(await readFile(result.files[1]))).toEqual(buildTritonWrapper(bytes));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
