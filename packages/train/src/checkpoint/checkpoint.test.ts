import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CharModel } from '../model/char-model.js';
import type { ModelConfig } from '../model/config.js';
import { useBackend } from '../model/test-helpers/backends.js';
import { randomWeights } from '../model/weights.js';
import type { CheckpointMeta } from './checkpoint.js';
import { loadModelCheckpoint, saveModelCheckpoint } from './checkpoint-directory.js';
import { CheckpointError } from './errors.js';
import { writeSafetensors } from './safetensors.js';

const config: ModelConfig = { arch: 'gru', vocabSize: 6, embeddingDim: 4, hiddenSize: 5, numLayers: 2, dropout: 0.1 };
const meta: CheckpointMeta = { config, vocab: ['<unk>', '<pad>', ' ', 'e', 't', '\n'], lower: true };

let dir: string;
beforeAll(() => useBackend('cpu'));
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-ckpt-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('model checkpoint', () => {
  test('save → load gives identical bytes on re-save and identical logits', async () => {
    const model = CharModel.fromWeights(config, randomWeights(config, 9));
    await saveModelCheckpoint(dir, meta, model.getWeights());
    const first = await readFile(path.join(dir, 'model.safetensors'));
    expect(await readdir(dir)).toEqual(['model.safetensors']); // no temp file left behind

    const loaded = await loadModelCheckpoint(dir);
    expect(loaded.config).toEqual(config);
    expect(loaded.vocab).toEqual(meta.vocab);
    expect(loaded.lower).toBe(true);
    const again = path.join(dir, 'again');
    await saveModelCheckpoint(again, loaded, loaded.weights);
    expect(await readFile(path.join(again, 'model.safetensors'))).toEqual(first);

    const restored = CharModel.fromWeights(loaded.config, loaded.weights);
    const tokens = tf.tensor2d([[0, 2, 3], [4, 5, 1]], undefined, 'int32');
    const a = model.forward(tokens, model.zeroState(3)).logits.dataSync();
    const b = restored.forward(tokens, restored.zeroState(3)).logits.dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    model.dispose();
    restored.dispose();
  });

  test('metadata holds the contract keys', async () => {
    await saveModelCheckpoint(dir, meta, randomWeights(config, 1));
    const bytes = await readFile(path.join(dir, 'model.safetensors'));
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(JSON.parse(header.__metadata__['charrnn.config'])).toEqual(config);
    expect(JSON.parse(header.__metadata__['charrnn.vocab'])).toEqual(meta.vocab);
    expect(header.__metadata__['charrnn.lower']).toBe('true');
  });

  test('a truncated file names the file, the tensor and the sizes', async () => {
    await saveModelCheckpoint(dir, meta, randomWeights(config, 1));
    const file = path.join(dir, 'model.safetensors');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 10));
    await expect(loadModelCheckpoint(dir)).rejects.toThrow(CheckpointError);
    await expect(loadModelCheckpoint(dir)).rejects.toThrow(/model\.safetensors: tensor decoder\.bias ends at data byte \d+ but the file has only \d+ data bytes \(truncated\)/);
  });

  test('a wrong shape names the file, tensor, expected and actual shape', async () => {
    const weights = randomWeights(config, 1);
    const w = weights.get('rnn.weight_hh_l0')!;
    weights.set('rnn.weight_hh_l0', { shape: [5, 15], data: w.data });
    const metadata = {
      'charrnn.config': JSON.stringify(config),
      'charrnn.vocab': JSON.stringify(meta.vocab),
      'charrnn.lower': 'true',
    };
    await writeFile(path.join(dir, 'model.safetensors'), writeSafetensors(weights, metadata));
    await expect(loadModelCheckpoint(dir)).rejects.toThrow(/model\.safetensors: rnn\.weight_hh_l0 has shape \[5,15\], expected \[15,5\]/);
  });

  test('bad metadata and a missing directory are CheckpointErrors that say what is expected', async () => {
    await writeFile(path.join(dir, 'model.safetensors'), writeSafetensors(randomWeights(config, 1), { 'charrnn.config': '{"arch":"transformer"}' }));
    await expect(loadModelCheckpoint(dir)).rejects.toThrow(CheckpointError);
    await expect(loadModelCheckpoint(dir)).rejects.toThrow(
      /model\.safetensors: metadata 'charrnn\.config' arch is "transformer", expected one of rnn, gru, lstm; .*vocabSize is undefined, expected a positive integer; .*missing metadata 'charrnn\.vocab'; missing metadata 'charrnn\.lower'$/,
    );
    await expect(loadModelCheckpoint(path.join(dir, 'nope'))).rejects.toThrow(/cannot read checkpoint .*nope.*model\.safetensors/);
  });

  test('refuses to save weights that do not fit the config', async () => {
    const weights = randomWeights(config, 1);
    weights.delete('encoder.weight');
    await expect(saveModelCheckpoint(dir, meta, weights)).rejects.toThrow(/encoder\.weight is missing/);
  });
});
