import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaProviderFileName, cudaProviderMissing, onnxruntimeNodeDir } from './cuda-provider.js';

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

  test('onnxruntimeNodeDir finds the installed package, and the message says how to get the provider', async () => {
    expect(onnxruntimeNodeDir()).toMatch(/node_modules\/onnxruntime-node$/);
    await mkdir(join(dir, 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
    expect(await cudaProviderMissing(dir, 'linux', 'x64')).toMatch(/--onnxruntime-node-install=cuda12/);
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
});
