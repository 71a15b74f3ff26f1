// End to end through the built CLIs, as CI runs them: train:fit writes a checkpoint, export:onnx
// exports and verifies it. Needs `nx run export:build` (the export:test target depends on it).
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readOnnxMetadata } from '../metadata.js';

const run = promisify(execFile);
const WORKSPACE = fileURLToPath(new URL('../../../../', import.meta.url));
const FIT = path.join(WORKSPACE, 'packages/train/dist/cli/fit.js');
const ONNX = path.join(WORKSPACE, 'packages/export/dist/cli/onnx.js');

let root: string;
let checkpoint: string;

beforeAll(async () => {
  for (const cli of [FIT, ONNX]) {
    await access(cli).catch(() => {
      throw new Error(`${cli} is missing: run npx nx run export:build (export:test depends on it)`);
    });
  }
  root = await mkdtemp(path.join(tmpdir(), 'charrnn-export-cli-'));
  checkpoint = path.join(root, 'fit');
  await run(
    process.execPath,
    [FIT, '--arch', 'lstm', '--embed', '8', '--hidden', '16', '--layers', '2', '--epochs', '1', '--max-batches', '3', '--backend', 'cpu', '--out', checkpoint],
    { cwd: WORKSPACE, timeout: 120_000 },
  );
}, 150_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function figure(stdout: string, name: string): number {
  const match = new RegExp(`${name} ([0-9.e+-]+)`).exec(stdout);
  if (!match) throw new Error(`no "${name}" figure in:\n${stdout}`);
  return Number(match[1]);
}

it('exports and verifies a train:fit checkpoint, printing the max abs differences', async () => {
  const { stdout } = await run(process.execPath, [ONNX, '--checkpoint', checkpoint], { cwd: WORKSPACE, timeout: 120_000 });
  expect(stdout).toMatch(/verified: 200 chars in 11 onnxruntime-node calls/);
  for (const name of ['logits', 'hn', 'cn']) expect(figure(stdout, name)).toBeLessThanOrEqual(1e-4);
  const info = readOnnxMetadata(new Uint8Array(await readFile(path.join(checkpoint, 'model.onnx'))));
  expect(info.config).toMatchObject({ arch: 'lstm', embeddingDim: 8, hiddenSize: 16, numLayers: 2 });
  expect(info.graph).toBe('fused');
}, 120_000);

it('exits 1 with the reason and writes nothing for a refused opset', async () => {
  const out = path.join(root, 'refused.onnx');
  const failure = await run(process.execPath, [ONNX, '--checkpoint', checkpoint, '--opset', '22', '--out', out], { cwd: WORKSPACE }).then(
    () => undefined,
    (error: { code: number; stderr: string }) => error,
  );
  expect(failure?.code).toBe(1);
  expect(failure?.stderr).toMatch(/export:onnx failed: opset 22 is refused/);
  expect(await readdir(root)).toEqual(['fit']);
}, 120_000);
