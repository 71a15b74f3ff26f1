import * as ort from 'onnxruntime-node';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomWeights } from '../model/weights.js';
import type { OrtApi } from './ort-engine.js';
import { OrtEngine } from './ort-engine.js';
import { PlacementError, placementOf, requireProvider } from './placement.js';

const event = (provider: string, op: string) => ({ cat: 'Node', name: `${op}_kernel_time`, args: { provider, op_name: op } });

describe('placement from onnxruntime profiles', () => {
  test('counts kernel runs and operators per provider across files, ignoring other events', () => {
    const placement = placementOf([
      [event('CUDAExecutionProvider', 'Gemm'), event('CUDAExecutionProvider', 'Gemm'), { cat: 'Session', name: 'model_run' }, { cat: 'Node', name: 'Gemm_fence_before', args: {} }],
      [event('CPUExecutionProvider', 'OneHot'), event('CUDAExecutionProvider', 'Add')],
    ]);
    expect(placement.runsByProvider).toEqual({ CUDAExecutionProvider: 3, CPUExecutionProvider: 1 });
    expect(placement.opsByProvider).toEqual({ CUDAExecutionProvider: ['Add', 'Gemm'], CPUExecutionProvider: ['OneHot'] });
    expect(() => requireProvider(placement, 'CUDAExecutionProvider', 'training')).toThrow(
      new PlacementError('training did not run entirely on CUDAExecutionProvider: 1 kernel runs on CPUExecutionProvider (OneHot)'),
    );
    expect(() => requireProvider(placementOf([[event('CUDAExecutionProvider', 'Gemm')]]), 'CUDAExecutionProvider', 'training')).not.toThrow();
    expect(() => requireProvider(placementOf([[]]), 'CUDAExecutionProvider', 'training')).toThrow(/holds no kernel runs/);
    expect(() => placementOf([{}])).toThrow(PlacementError);
  });

  test('a real training step profiled on the CPU provider: every training-graph operator ran there', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'charrnn-profile-'));
    try {
      const config = { arch: 'gru' as const, vocabSize: 7, embeddingDim: 3, hiddenSize: 4, numLayers: 2, dropout: 0.2 };
      const engine = await OrtEngine.create(
        { config, weights: randomWeights(config, 0), optimizer: 'adam', momentum: 0.9, clip: 1 },
        { ort: ort as unknown as OrtApi, runtime: 'onnxruntime-node', provider: 'cpu', sessionOptions: { enableProfiling: true, profileFilePrefix: path.join(dir, 'p') } },
      );
      engine.resetState(2);
      const { Rng } = await import('@charrnn/data');
      await engine.trainStep({ input: Int32Array.of(1, 2, 3, 4, 5, 6), target: Int32Array.of(2, 3, 4, 5, 6, 0), seqLen: 3, batchSize: 2 }, 1e-3, new Rng(1));
      await engine.dispose();
      const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
      const placement = placementOf(await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as unknown)));
      expect(Object.keys(placement.runsByProvider)).toEqual(['CPUExecutionProvider']);
      expect(placement.opsByProvider.CPUExecutionProvider).toEqual(expect.arrayContaining(['Gemm', 'Sigmoid', 'Tanh', 'ReduceMax', 'Relu', 'ReduceSumSquare', 'Sqrt']));
      requireProvider(placement, 'CPUExecutionProvider', 'training');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
