#!/usr/bin/env node
// `npm run setup:cuda`: fetches onnxruntime-node's CUDA execution provider on a CUDA machine.
//
// onnxruntime-node's npm tarball carries only the CPU provider; its install script downloads the
// CUDA provider libraries (libonnxruntime_providers_cuda.so and friends, from Microsoft's NuGet
// feed) next to its native binding. This workspace denies dependencies' install scripts
// (package.json "allowScripts"), because that download runs on every linux/x64 install and fails
// offline, so nobody gets the CUDA provider by accident. This command runs the same script on
// purpose, for CUDA 12, and says what it did.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const say = (line) => console.log(`setup:cuda: ${line}`);
const fail = (line) => {
  console.error(`setup:cuda: ${line}`);
  process.exit(1);
};

if (`${process.platform}/${process.arch}` !== 'linux/x64') {
  fail(`onnxruntime-node publishes a CUDA provider for linux/x64 only (and Windows, through its own installer); this is ${process.platform}/${process.arch}. Nothing was changed.`);
}
let packageDir;
try {
  packageDir = path.dirname(path.dirname(require.resolve('onnxruntime-node')));
} catch {
  fail('onnxruntime-node is not installed here; run `npm ci` first. Nothing was changed.');
}
const version = require(path.join(packageDir, 'package.json')).version;
const bin = path.join(packageDir, 'bin', 'napi-v6', 'linux', 'x64');
const provider = path.join(bin, 'libonnxruntime_providers_cuda.so');

const gpu = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' });
if (gpu.status === 0) say(`GPU: ${gpu.stdout.trim().split('\n').join('; ')}`);
else say('nvidia-smi did not answer: this machine may have no NVIDIA driver; the provider will install but will not load without one');

if (existsSync(provider)) say(`the CUDA provider is already installed: ${provider}`);
else {
  say(`running onnxruntime-node ${version}'s installer for CUDA 12 (downloads the provider libraries from Microsoft's NuGet feed into ${bin})`);
  const run = spawnSync(process.execPath, [path.join(packageDir, 'script', 'install.js'), '--onnxruntime-node-install=cuda12'], { stdio: 'inherit' });
  if (run.status !== 0) fail(`the installer exited with ${run.status}; nothing usable was installed (is the NuGet feed reachable from here?)`);
  if (!existsSync(provider)) fail(`the installer finished but ${provider} is missing (it does not always report a failed download: is Microsoft's NuGet feed, api.nuget.org, reachable from here?); the CUDA provider is not usable`);
  say(`installed: ${readdirSync(bin).filter((f) => f.startsWith('libonnxruntime_providers')).join(', ')}`);
}
say('the provider also needs CUDA 12 and cuDNN 9 runtime libraries on the library path (from NVIDIA\'s packages);');
say('check with `npx nx run train:fit --device cuda --epochs 1 --max-batches 50` (fails loudly if CUDA cannot start) or `bash tools/gpu-check.sh`.');
