import { mkdtemp, readFile, readdir, rm, truncate, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileWriteError } from '@charrnn/contract/node';
import { CheckpointError, MODEL_FILE, OrtRuntimeError, randomWeights, saveModelCheckpoint, selectBackend, writeSafetensors, type Arch } from '@charrnn/train';
import { CheckpointNotFoundError, newestCheckpoint } from './checkpoint-discovery.js';
import { exportCheckpoint } from './export-checkpoint.js';
import { readOnnxMetadata } from './metadata.js';
import { OpsetError } from '@charrnn/contract';
import { VERIFICATION_SKIPPED, VerificationError } from './verify.js';
import { smallConfig, smallVocab } from './test-helpers/fixtures.js';

let root: string;

beforeAll(async () => {
  await selectBackend('cpu');
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'charrnn-export-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function checkpoint(name: string, arch: Arch = 'gru', layers = 2): Promise<string> {
  const dir = path.join(root, name);
  const config = smallConfig(arch, layers);
  await saveModelCheckpoint(dir, { config, vocab: smallVocab(config.vocabSize), lower: false }, randomWeights(config, 3));
  return dir;
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('exportCheckpoint', () => {
  it('writes a verified model.onnx beside the checkpoint, with its metadata', async () => {
    const dir = await checkpoint('run1', 'lstm');
    const result = await exportCheckpoint(dir);
    expect(result.out).toBe(path.join(dir, 'model.onnx'));
    expect(await filesIn(dir)).toEqual(['model.onnx', MODEL_FILE]);
    const bytes = new Uint8Array(await readFile(result.out));
    expect(bytes.length).toBe(result.bytes);
    const info = readOnnxMetadata(bytes);
    expect(info.config).toEqual(smallConfig('lstm', 2));
    expect(info.graph).toBe('fused');
    const v = result.verification!;
    expect([v.chars, v.batch, v.passed, v.tolerance]).toEqual([200, 1, true, 1e-4]);
    // Chunks 7,1,19,64, 7,1,19,64, 7,1,10: hn → h0 carried across 11 calls.
    expect(v.calls).toBe(11);
    expect(v.maxAbsDiff.logits).toBeLessThan(1e-5);
    expect(v.maxAbsDiff.h).toBeLessThan(1e-5);
    expect(v.maxAbsDiff.c).toBeLessThan(1e-5);
  });

  it('without onnxruntime-node (an optional peer) writes the model unverified and says why and how to install it', async () => {
    const dir = await checkpoint('run1', 'gru', 1);
    const missing = async (specifier: string) => {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from ${dir}`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const result = await exportCheckpoint(dir, { loader: missing });
    expect(result.verification).toBeUndefined();
    expect(result.verificationSkipped).toBe(VERIFICATION_SKIPPED);
    expect(VERIFICATION_SKIPPED).toMatch(/^onnxruntime-node is not installed, .*ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);
    expect(readOnnxMetadata(new Uint8Array(await readFile(result.out))).graph).toBe('fused');
    // Switched off, nothing is skipped; an install that is there but broken fails the export.
    expect((await exportCheckpoint(dir, { verify: false, loader: missing })).verificationSkipped).toBeUndefined();
    const broken = async () => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file');
    };
    await expect(exportCheckpoint(dir, { loader: broken })).rejects.toThrow(/onnxruntime-node failed to load: libonnxruntime\.so\.1/);
    await expect(exportCheckpoint(dir, { loader: broken })).rejects.toThrow(OrtRuntimeError);
    // With onnxruntime-node present (this workspace) the same export is verified.
    expect((await exportCheckpoint(dir)).verification!.passed).toBe(true);
  });

  it('exports the step graph in float16 to a chosen path, within the float16 tolerance', async () => {
    const dir = await checkpoint('run1', 'gru', 1);
    const out = path.join(root, 'elsewhere', 'small.onnx');
    const result = await exportCheckpoint(dir, { out, graph: 'step', fp16: true });
    expect(result.verification!.calls).toBe(200);
    expect(result.verification!.precision).toBe('float16');
    // float16 rounding is visible but small for weights of magnitude ~0.3.
    expect(result.verification!.maxAbsDiff.logits).toBeGreaterThan(1e-5);
    expect(result.verification!.maxAbsDiff.logits).toBeLessThan(2e-2);
    expect(readOnnxMetadata(new Uint8Array(await readFile(out))).precision).toBe('float16');
  });

  it('fails verification above the tolerance and writes nothing', async () => {
    const dir = await checkpoint('run1');
    await expect(exportCheckpoint(dir, { verifyOptions: { tolerance: 1e-12 } })).rejects.toThrow(VerificationError);
    await expect(exportCheckpoint(dir, { verifyOptions: { tolerance: 1e-12 } })).rejects.toThrow(/differs from the tfjs model by max \|Δ\| logits .* more than the tolerance 1e-12/);
    expect(await filesIn(dir)).toEqual([MODEL_FILE]);
  });

  it('names a missing checkpoint and writes nothing', async () => {
    const out = path.join(root, 'out.onnx');
    await expect(exportCheckpoint(path.join(root, 'nope'), { out })).rejects.toThrow(CheckpointError);
    await expect(exportCheckpoint(path.join(root, 'nope'), { out })).rejects.toThrow(/nope.model\.safetensors/);
    expect(await filesIn(root)).toEqual([]);
  });

  it('names a truncated checkpoint and keeps an existing output file intact', async () => {
    const dir = await checkpoint('run1');
    await truncate(path.join(dir, MODEL_FILE), 500);
    const out = path.join(root, 'out.onnx');
    await writeFile(out, 'previous export');
    await expect(exportCheckpoint(dir, { out })).rejects.toThrow(CheckpointError);
    expect(await readFile(out, 'utf8')).toBe('previous export');
    expect(await filesIn(root)).toEqual(['out.onnx', 'run1']);
    expect(await filesIn(dir)).toEqual([MODEL_FILE]);
  });

  it('names a tensor with the wrong shape and an unknown arch', async () => {
    const config = smallConfig('gru', 1);
    const weights = randomWeights(config, 1);
    weights.set('rnn.weight_hh_l0', { shape: [10, 30], data: new Float32Array(300) });
    const meta = { 'charrnn.config': JSON.stringify(config), 'charrnn.vocab': JSON.stringify(smallVocab(13)), 'charrnn.lower': 'false' };
    await mkdir(path.join(root, 'shapes'));
    await writeFile(path.join(root, 'shapes', MODEL_FILE), writeSafetensors(weights, meta));
    await expect(exportCheckpoint(path.join(root, 'shapes'))).rejects.toThrow(/rnn.weight_hh_l0 has shape \[10,30\], expected \[30,10\]/);

    await mkdir(path.join(root, 'arch'));
    const bad = { ...meta, 'charrnn.config': JSON.stringify({ ...config, arch: 'mamba' }) };
    await writeFile(path.join(root, 'arch', MODEL_FILE), writeSafetensors(randomWeights(config, 1), bad));
    await expect(exportCheckpoint(path.join(root, 'arch'))).rejects.toThrow(/arch is "mamba", expected one of rnn, gru, lstm/);
    expect(await filesIn(path.join(root, 'shapes'))).toEqual([MODEL_FILE]);
    expect(await filesIn(path.join(root, 'arch'))).toEqual([MODEL_FILE]);
  });

  it('names the tensor of a checkpoint with NaN weights instead of failing verification with a NaN difference', async () => {
    const config = smallConfig('lstm', 1);
    const weights = randomWeights(config, 2);
    weights.get('rnn.weight_ih_l0')!.data[7] = NaN;
    const dir = path.join(root, 'nan');
    await saveModelCheckpoint(dir, { config, vocab: smallVocab(config.vocabSize), lower: false }, weights);
    await expect(exportCheckpoint(dir)).rejects.toThrow(/non-finite weights: rnn\.weight_ih_l0 has 1 \(NaN ×1\), the first at \[1,1\]/); // embeddingDim 6
    expect(await filesIn(dir)).toEqual([MODEL_FILE]);
  });

  it('refuses an output path that is a directory or lies under a file, before reading the checkpoint', async () => {
    await expect(exportCheckpoint(path.join(root, 'nope'), { out: root })).rejects.toThrow(FileWriteError);
    await expect(exportCheckpoint(path.join(root, 'nope'), { out: root })).rejects.toThrow(`cannot write ${root}: it is a directory; give the path of a file`);
    const file = path.join(root, 'a-file');
    await writeFile(file, 'x');
    await expect(exportCheckpoint(path.join(root, 'nope'), { out: path.join(file, 'model.onnx') })).rejects.toThrow(
      `cannot write ${path.join(file, 'model.onnx')}: ${file} is a file, not a directory`,
    );
    expect(await filesIn(root)).toEqual(['a-file']);
  });

  it('a file given for the checkpoint directory is named as such, pointing to its directory', async () => {
    const dir = await checkpoint('given-a-file');
    const file = path.join(dir, MODEL_FILE);
    const refused = exportCheckpoint(file);
    await expect(refused).rejects.toThrow(CheckpointError);
    await expect(refused).rejects.toThrow(`${file} is a file; a checkpoint is the directory train:fit wrote, the one holding model.safetensors: ${dir}`);
    expect(await filesIn(dir)).toEqual([MODEL_FILE]);
  });

  it('refuses an unknown opset before reading anything', async () => {
    const dir = await checkpoint('run1');
    await expect(exportCheckpoint(dir, { opset: 23 })).rejects.toThrow(OpsetError);
    expect(await filesIn(dir)).toEqual([MODEL_FILE]);
  });
});

describe('newestCheckpoint', () => {
  it('picks the checkpoint whose weights were written last', async () => {
    const older = await checkpoint('a-older');
    const newer = await checkpoint('b-newer');
    await mkdir(path.join(root, 'not-a-checkpoint'));
    await utimes(path.join(older, MODEL_FILE), new Date(), new Date(Date.now() + 60_000));
    expect(await newestCheckpoint(root)).toBe(older);
    await utimes(path.join(newer, MODEL_FILE), new Date(), new Date(Date.now() + 120_000));
    expect(await newestCheckpoint(root)).toBe(newer);
  });

  it('says how to get a checkpoint when there is none', async () => {
    await expect(newestCheckpoint(root)).rejects.toThrow(CheckpointNotFoundError);
    await expect(newestCheckpoint(root)).rejects.toThrow(/no checkpoint under .*\(run charrnn-fit, nx run train:fit in the workspace, or pass --checkpoint <dir>\)/);
    await expect(newestCheckpoint(path.join(root, 'missing'))).rejects.toThrow(/no checkpoint directory .*missing/);
  });
});
