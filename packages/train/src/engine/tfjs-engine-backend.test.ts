// A file of its own: nothing may register a tfjs backend before this test's first fit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { prepareCorpus } from '@charrnn/data';
import { BackendError, selectBackend } from '../backend/select.js';
import { DEFAULT_FIT_OPTIONS } from '../trainer/fit-options.js';
import { fit } from '../trainer/fit.js';
import { tfjsEngine } from './tfjs-engine.js';

const corpus = prepareCorpus('the quick brown fox jumps over the lazy dog.\n'.repeat(200), { minFreq: 1 });
const options = { ...DEFAULT_FIT_OPTIONS, embed: 4, hidden: 8, bs: 2, bptt: 4, schedule: '1@1e-3', maxBatches: 2, engine: 'tfjs' as const, minFreq: 1 };

test('fit on the tfjs engine before a backend is selected says what to call, not "No backend found in registry"', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'tfjs-no-backend-'));
  try {
    expect(tf.findBackendFactory('cpu')).toBeNull();
    for (const engine of [tfjsEngine(), undefined]) {
      const run = fit({ corpus, options, outDir, engine });
      await expect(run).rejects.toThrow(BackendError);
      await expect(fit({ corpus, options, outDir, engine })).rejects.toThrow(
        /^the tfjs engine needs an active TensorFlow\.js backend and there is none \(No backend found in registry\.\): call `await selectBackend\('auto'\)` from @charrnn\/train first, or train on the ONNX Runtime engine \(ortNodeEngine\)$/,
      );
    }
    // Once one is selected the same run trains.
    await selectBackend('cpu');
    const result = await fit({ corpus, options, outDir, engine: tfjsEngine() });
    expect(result.history).toHaveLength(1);
    expect(result.history[0].batches).toBe(2);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
});
