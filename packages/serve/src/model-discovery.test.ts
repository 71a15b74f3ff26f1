import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_DEMO_MODEL, findDefaultModel } from './model-discovery.js';
import { ServerOptionError } from './errors.js';
import { modelNameFor } from './model-registry.js';

describe('findDefaultModel', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'serve-discovery-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function file(relative: string, mtimeSeconds: number): Promise<string> {
    const full = path.join(root, relative);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, 'x');
    await utimes(full, mtimeSeconds, mtimeSeconds);
    return full;
  }

  it('takes the newest exported .onnx under checkpoints/<name>/, before the demo model', async () => {
    await file(DEFAULT_DEMO_MODEL, 3000);
    await file('checkpoints/rnn-e42-h256/model.onnx', 1000);
    const newest = await file('checkpoints/gru-e42-h256/model.onnx', 2000);
    await file('checkpoints/gru-e42-h256/model.safetensors', 2500); // not a model to serve
    await file('checkpoints/stray.onnx', 2600); // not in a checkpoint directory
    expect(await findDefaultModel(root)).toEqual({ path: newest, kind: 'checkpoint' });
  });

  it('falls back to the demo model, and names both places when neither exists', async () => {
    await mkdir(path.join(root, 'checkpoints', 'empty'), { recursive: true });
    const demo = await file(DEFAULT_DEMO_MODEL, 1000);
    expect(await findDefaultModel(root)).toEqual({ path: demo, kind: 'demo' });
    await rm(demo);
    await expect(findDefaultModel(root)).rejects.toThrow(ServerOptionError);
    await expect(findDefaultModel(root)).rejects.toThrow(/no checkpoints\/<name>\/\*\.onnx .* and no packages\/infer-web\/demo\/nietzsche-gru\.onnx; pass --model/);
  });
});

describe('modelNameFor', () => {
  it("names export:onnx's <dir>/model.onnx after the directory, other files after themselves", () => {
    expect(modelNameFor('checkpoints/gru-e42-h256/model.onnx')).toBe('gru-e42-h256');
    expect(modelNameFor('/x/nietzsche-gru.onnx')).toBe('nietzsche-gru');
    expect(modelNameFor(new URL('file:///tmp/my%20model.onnx'))).toBe('my_model');
  });
});
