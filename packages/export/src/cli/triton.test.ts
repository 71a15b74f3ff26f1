// export:triton as a user runs it (bundled from source, in a child process): the repository it
// writes for a contract-2 model, flags, exit codes and messages.
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomWeights } from '@charrnn/train';
import { bundleCli, runCli } from '../../../../tools/cli-under-test.mjs';
import { buildOnnxModel } from '../build.js';

let cli: string;
let dir: string;
let model: string;

beforeAll(async () => {
  cli = await bundleCli(fileURLToPath(new URL('./triton.ts', import.meta.url)));
  dir = await mkdtemp(path.join(tmpdir(), 'charrnn-triton-cli-'));
  model = path.join(dir, 'model.onnx');
  const config = { arch: 'gru' as const, vocabSize: 6, embeddingDim: 4, hiddenSize: 5, numLayers: 1, dropout: 0 };
  await writeFile(model, buildOnnxModel({ config, vocab: ['<unk>', 'a', 'b', 'c', ' ', '.'], lower: true, weights: randomWeights(config, 1) }));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('export:triton', () => {
  test('writes the repository for --model, naming each file and the tritonserver command', async () => {
    const out = path.join(dir, 'repo');
    const r = await runCli(cli, ['--model', model, '--out', out, '--name', 'lesson', '--max-batch-size', '16', '--idle-ms', '5000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`model: ${model}\n`);
    expect(r.stdout).toContain(`run: tritonserver --model-repository ${out}\n`);
    const config = await readFile(path.join(out, 'lesson', 'config.pbtxt'), 'utf8');
    expect(config).toMatch(/name: "lesson"/);
    expect(config).toMatch(/max_batch_size: 16/);
    expect(config).toMatch(/max_sequence_idle_microseconds: 5000000/);
    const written = r.stdout.split('\n').filter((l) => l.startsWith('wrote ')).map((l) => l.slice(6));
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const file of written) await expect(access(file)).resolves.toBeUndefined();
  });

  test('bad flags and a file that is not a charrnn model exit 1 with the reason, writing nothing', async () => {
    const out = path.join(dir, 'never');
    const notModel = path.join(dir, 'notes.txt');
    await writeFile(notModel, 'not an onnx file');
    const cases: [string[], RegExp][] = [
      [['--model', model, '--max-batch-size', '0'], /option '--max-batch-size <n>' argument '0' is invalid/],
      [['--model', path.join(dir, 'missing.onnx')], /export:triton failed: .*missing\.onnx/],
      [['--model', notModel], /export:triton failed: ONNX model is not a readable ONNX ModelProto/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(cli, [...args, '--out', out]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
    }
    expect(await readdir(dir)).not.toContain('never');
  });
});
