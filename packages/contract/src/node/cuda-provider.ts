/**
 * Whether onnxruntime-node's CUDA execution provider is installed. onnxruntime-node ships only the
 * CPU provider in its npm tarball; its install script downloads the CUDA provider libraries next to
 * the native binding. Asking onnxruntime for 'cuda' without them fails, but only after the native
 * library has printed an error line of its own, so the Node entry looks for the files first.
 */
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The file name of the CUDA provider library on this platform, or undefined where there is none. */
export function cudaProviderFileName(platform: string = process.platform): string | undefined {
  if (platform === 'linux') return 'libonnxruntime_providers_cuda.so';
  if (platform === 'win32') return 'onnxruntime_providers_cuda.dll';
  return undefined;
}

/**
 * Why the CUDA provider cannot be used, or undefined if its library is present. `packageDir` is
 * onnxruntime-node's folder; its binaries live in `bin/napi-v<N>/<platform>/<arch>/`.
 */
export async function cudaProviderMissing(
  packageDir: string,
  platform: string = process.platform,
  arch: string = process.arch,
): Promise<string | undefined> {
  const file = cudaProviderFileName(platform);
  if (file === undefined) return `onnxruntime-node has no CUDA provider for platform '${platform}'`;
  const bin = join(packageDir, 'bin');
  const versions = await readdir(bin).catch(() => [] as string[]);
  for (const napi of versions) {
    const files = await readdir(join(bin, napi, platform, arch)).catch(() => [] as string[]);
    if (files.includes(file)) return undefined;
  }
  // onnxruntime-node's npm package carries only the CPU provider; its install script downloads the
  // CUDA one on every linux/x64 install unless told to skip (as charrnn's workspace does).
  return `${file} is not installed under ${bin} (onnxruntime-node's install script downloads it; to add it, run \`node ${join(packageDir, 'script', 'install.js')} --onnxruntime-node-install=cuda12\`)`;
}

/** onnxruntime-node's package folder, as resolved from here. */
export function onnxruntimeNodeDir(): string {
  // The package's main is dist/index.js; its exports map does not expose package.json.
  return dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
}
