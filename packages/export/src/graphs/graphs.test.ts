// The graph builders against the plain-TypeScript reference forward pass (PyTorch's equations),
// run by onnxruntime-node. Parity with the tfjs model itself is tested in parity.test.ts.
import * as ort from 'onnxruntime-node';
import { GraphBuilder, encodeModel, type ElementType } from '@charrnn/graph';
import { runStateful } from '../stateful-run.js';
import { referenceForward } from '../test-helpers/reference-rnn.js';
import { lcgSource, maxAbsDiff, tokenStream } from '../test-helpers/fixtures.js';
import type { ExportSource } from '../export-source.js';
import { buildFusedGraph } from './fused.js';
import { buildStepGraph } from './step.js';

const FUSED_CHUNKS = [7, 1, 19];
const STEP_CHUNKS = Array<number>(25).fill(1);

async function session(source: ExportSource, kind: 'fused' | 'step', float: ElementType) {
  const g = new GraphBuilder('test');
  (kind === 'fused' ? buildFusedGraph : buildStepGraph)(g, source, float);
  return ort.InferenceSession.create(encodeModel(g.build(), { opset: 17, irVersion: 8, metadata: {}, producerName: 'test', producerVersion: '0' }));
}

describe.each(['rnn', 'gru', 'lstm'] as const)('%s graphs against the reference equations', (arch) => {
  it.each([
    [1, 'fused', FUSED_CHUNKS],
    [2, 'fused', FUSED_CHUNKS],
    [1, 'step', STEP_CHUNKS],
    [2, 'step', STEP_CHUNKS],
  ] as const)('%i layer(s), %s graph, state carried over chunks', async (layers, kind, chunks) => {
    const source = lcgSource(arch, layers);
    const batch = 3;
    const tokens = tokenStream(chunks.reduce((a, b) => a + b, 0) * batch, source.config.vocabSize);
    const got = await runStateful(ort, await session(source, kind, 'float32'), source.config, tokens, batch, chunks);
    const want = referenceForward(source, tokens, batch);
    expect(maxAbsDiff(got.logits, want.logits)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.h, want.h)).toBeLessThan(1e-5);
    if (want.c) expect(maxAbsDiff(got.c!, want.c)).toBeLessThan(1e-5);
    else expect(got.c).toBeUndefined();
  });
});

describe('float16 graphs', () => {
  // Weights rounded to float16 (relative error ≤ 2^-11) and float16 arithmetic: logits of these
  // small models (|logit| of a few units) land within a few 1e-3 of float32, far from 1e-5.
  it.each(['fused', 'step'] as const)('%s graph stays within 2e-2 of the float32 reference', async (kind) => {
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      const source = lcgSource(arch, 2);
      const chunks = kind === 'fused' ? FUSED_CHUNKS : STEP_CHUNKS;
      const tokens = tokenStream(chunks.reduce((a, b) => a + b, 0), source.config.vocabSize);
      const got = await runStateful(ort, await session(source, kind, 'float16'), source.config, tokens, 1, chunks, true);
      const want = referenceForward(source, tokens, 1);
      const logitError = maxAbsDiff(got.logits, want.logits);
      expect(logitError).toBeLessThan(2e-2);
      // Not float32 in disguise: the rounding must show.
      expect(logitError).toBeGreaterThan(1e-5);
      expect(maxAbsDiff(got.h, want.h)).toBeLessThan(1e-2);
    }
  });
});
