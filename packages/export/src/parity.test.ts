// Done-when parity: onnxruntime-node (CPU) and onnxruntime-web (wasm, in Node) reproduce the tfjs
// CharModel's logits and final state to ≤ 1e-4, with the state carried across several calls.
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { randomWeights, selectBackend, type Arch } from '@charrnn/train';
import { buildOnnxModel } from './build.js';
import type { ExportSource } from './export-source.js';
import type { GraphKind } from '@charrnn/contract';
import { runStateful, type OrtRuntime } from './stateful-run.js';
import { randomTokens, tfjsForward } from './verify.js';
import { maxAbsDiff, smallConfig, smallVocab } from './test-helpers/fixtures.js';

const CHUNKS: Record<GraphKind, number[]> = { fused: [7, 1, 19], step: Array<number>(25).fill(1) };
const TOLERANCE = 1e-4;

type Runtime = OrtRuntime & { InferenceSession: { create(bytes: Uint8Array): Promise<ortNode.InferenceSession> } };
const RUNTIMES: Record<'node' | 'web', Runtime> = { node: ortNode, web: ortWeb };

const worst: Record<string, number> = {};

beforeAll(async () => {
  await selectBackend('cpu');
  ortWeb.env.wasm.numThreads = 1;
});

afterAll(() => {
  // The measured figures, for the record (one line per arch/graph/runtime, worst over layers and batches).
  console.log(Object.entries(worst).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n'));
});

describe.each(['rnn', 'gru', 'lstm'] as const)('%s', (arch: Arch) => {
  describe.each(['fused', 'step'] as const)('%s graph', (graph) => {
    it.each([1, 2])('%i layer(s): node and web match tfjs for batch 1 and 3', async (layers) => {
      const config = smallConfig(arch, layers);
      const weights = randomWeights(config, 100 + layers);
      const source: ExportSource = { config, vocab: smallVocab(config.vocabSize), lower: false, weights };
      const bytes = buildOnnxModel(source, { graph });
      const chunks = CHUNKS[graph];
      const seq = chunks.reduce((a, b) => a + b, 0);
      for (const batch of [1, 3]) {
        const tokens = randomTokens(config.vocabSize, seq, batch, batch);
        const want = tfjsForward(config, weights, tokens, batch);
        for (const [name, runtime] of Object.entries(RUNTIMES)) {
          const session = await runtime.InferenceSession.create(bytes);
          const got = await runStateful(runtime, session, config, tokens, batch, chunks);
          await session.release();
          const diffs = [maxAbsDiff(got.logits, want.logits), maxAbsDiff(got.h, want.h)];
          if (want.c) diffs.push(maxAbsDiff(got.c!, want.c));
          const key = `${arch} ${graph} ${name}`;
          worst[key] = Math.max(worst[key] ?? 0, ...diffs);
          for (const d of diffs) expect(d).toBeLessThanOrEqual(TOLERANCE);
        }
      }
    });
  });
});

describe('float16 export', () => {
  // Weights of magnitude ~0.3 and |logits| < 1: float16's 11 significant bits cost a few 1e-4.
  it.each(['fused', 'step'] as const)('%s graph: node and web stay within 2e-3 of float32 tfjs, and the rounding shows', async (graph) => {
    for (const arch of ['rnn', 'gru', 'lstm'] as const) {
      const config = smallConfig(arch, 2);
      const weights = randomWeights(config, 9);
      const bytes = buildOnnxModel({ config, vocab: smallVocab(config.vocabSize), lower: false, weights }, { graph, fp16: true });
      const chunks = CHUNKS[graph];
      const tokens = randomTokens(config.vocabSize, chunks.reduce((a, b) => a + b, 0), 3, 1);
      const want = tfjsForward(config, weights, tokens, 3);
      for (const [name, runtime] of Object.entries(RUNTIMES)) {
        const session = await runtime.InferenceSession.create(bytes);
        const got = await runStateful(runtime, session, config, tokens, 3, chunks, true);
        await session.release();
        const diffs = [maxAbsDiff(got.logits, want.logits), maxAbsDiff(got.h, want.h)];
        if (want.c) diffs.push(maxAbsDiff(got.c!, want.c));
        const key = `fp16 ${arch} ${graph} ${name}`;
        worst[key] = Math.max(worst[key] ?? 0, ...diffs);
        for (const d of diffs) expect(d).toBeLessThan(2e-3);
        expect(diffs[0]).toBeGreaterThan(1e-5);
      }
    }
  });
});
