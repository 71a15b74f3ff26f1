import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaProviderFileName, cudaProviderMissing, onnxruntimeNodeDir } from './cuda-provider.js';
import { BackendUnavailableError } from './errors.js';
import { CharGenerator } from './node.js';
import { testModel } from './test-helpers/models.js';

describe('CUDA provider presence', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ort-node-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a package without the provider library is reported, naming the file and folder', async () => {
    await mkdir(join(dir, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
    await writeFile(join(dir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime.so.1'), '');
    const reason = await cudaProviderMissing(dir, 'linux', 'x64');
    expect(reason).toContain('libonnxruntime_providers_cuda.so');
    expect(reason).toContain(join(dir, 'bin'));
  });

  test('the library next to the binding of any napi version counts as installed', async () => {
    await mkdir(join(dir, 'bin', 'napi-v3', 'linux', 'x64'), { recursive: true });
    await writeFile(join(dir, 'bin', 'napi-v3', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'), '');
    expect(await cudaProviderMissing(dir, 'linux', 'x64')).toBeUndefined();
    // Other architectures' folders don't count.
    expect(await cudaProviderMissing(dir, 'linux', 'arm64')).toMatch(/not installed/);
  });

  test('platforms without a CUDA build are named', async () => {
    expect(cudaProviderFileName('darwin')).toBeUndefined();
    expect(await cudaProviderMissing(dir, 'darwin', 'arm64')).toMatch(/no CUDA provider for platform 'darwin'/);
    expect(cudaProviderFileName('win32')).toBe('onnxruntime_providers_cuda.dll');
  });

  test('with the real onnxruntime-node of this machine (no CUDA provider), cuda is refused before onnxruntime is asked', async () => {
    const missing = await cudaProviderMissing(onnxruntimeNodeDir());
    if (missing === undefined) return; // a CUDA machine: the simulated tests in node.test.ts cover selection there
    const error = await CharGenerator.load(testModel('gru'), { backend: 'cuda' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('libonnxruntime_providers_cuda.so is not installed');
    const warn: string[] = [];
    const gen = await CharGenerator.load(testModel('gru'), { logger: { warn: (m: string) => warn.push(m) }, largeRunIntraOpNumThreads: 1 });
    expect(gen.backend).toBe('cpu');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatch(/CUDA execution provider unavailable \(.*providers_cuda.*\); using CPU/);
    await gen.release();
  });
});
