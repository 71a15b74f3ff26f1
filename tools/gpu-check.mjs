#!/usr/bin/env node
// The whole pipeline on CUDA, proved: one short training epoch on the ONNX Runtime engine on
// CUDA, export (verified against tfjs), generation on CUDA, then one JSON line of figures. Every
// training and generation session is profiled and each kernel run's execution provider counted;
// any kernel that ran on the CPU fails the check (exit 1) naming the operators, as does a CUDA
// provider that is missing or fails to start. Run it through tools/gpu-check.sh (which builds
// first). `--cpu` runs the same pipeline on the CPU provider, to try the script where there is
// no GPU; its JSON line then says so and nothing is claimed about CUDA.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepareCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { integerFlag } from '@charrnn/contract/node';
import { cudaProviderMissing, onnxruntimeNodeDir } from '@charrnn/contract/node';
import { exportCheckpoint } from '@charrnn/export';
import { CharGenerator } from '@charrnn/infer-web/node';
import { DEFAULT_FIT_OPTIONS, fit, ortNodeEngine, placementOf, requireProvider, selectBackend } from '@charrnn/train';

const { values: args } = parseArgs({ options: { cpu: { type: 'boolean', default: false }, 'max-batches': { type: 'string', default: '300' }, chars: { type: 'string', default: '2000' } } });
const provider = args.cpu ? 'CPUExecutionProvider' : 'CUDAExecutionProvider';
const fail = (message) => {
  console.error(`gpu-check: FAILED: ${message}`);
  process.exit(1);
};
/** The CLIs' integer parser (@charrnn/data/node); checked before any training starts. */
function count(flag) {
  try {
    return integerFlag(1)(args[flag]);
  } catch (error) {
    return fail(`--${flag}: ${error.message}`);
  }
}
const maxBatches = count('max-batches');
const chars = count('chars');

async function profiles(dir) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8'))));
}

const work = await mkdtemp(path.join(tmpdir(), 'charrnn-gpu-check-'));
try {
  const trainProfiles = path.join(work, 'train-profile');
  const genProfiles = path.join(work, 'generate-profile');
  await Promise.all([trainProfiles, genProfiles].map((d) => import('node:fs/promises').then((fs) => fs.mkdir(d))));

  // 1. Train: the lesson GRU for one short epoch; strict placement makes any CPU node a load error.
  let engine;
  try {
    engine = await ortNodeEngine({
      device: args.cpu ? 'cpu' : 'cuda',
      threads: 1,
      strictDevice: !args.cpu,
      cudaMissing: () => cudaProviderMissing(onnxruntimeNodeDir()),
      sessionOptions: { enableProfiling: true, profileFilePrefix: path.join(trainProfiles, 'train') },
    });
  } catch (e) {
    fail(e.message);
  }
  const corpus = prepareCorpus((await loadCorpus(undefined, { progress: false })).text, { minFreq: 3 });
  const checkpoint = path.join(work, 'checkpoint');
  const options = { ...DEFAULT_FIT_OPTIONS, schedule: '1@1e-3', maxBatches };
  const trained = await fit({ corpus, options, outDir: checkpoint, engine: engine.factory });
  const epoch = trained.history[0];
  const trainPlacement = placementOf(await profiles(trainProfiles));
  requireProvider(trainPlacement, provider, 'training');

  // 2. Export, verified against the tfjs model (on tfjs' CPU backend: verification is not the step under test).
  await selectBackend('cpu');
  const exported = await exportCheckpoint(checkpoint, {});

  // 3. Generate on the same provider, profiled.
  const gen = await CharGenerator.load(exported.out, {
    backend: args.cpu ? 'cpu' : 'cuda',
    largeRunIntraOpNumThreads: 0,
    sessionOptions: {
      enableProfiling: true,
      profileFilePrefix: path.join(genProfiles, 'generate'),
      ...(args.cpu ? {} : { extra: { session: { disable_cpu_ep_fallback: '1' } } }),
    },
  });
  const t0 = performance.now();
  const stream = gen.generate('the meaning of life is ', { maxNewTokens: chars, temperature: 0.8, seed: 1 });
  await stream;
  const result = await stream.result();
  const seconds = (performance.now() - t0) / 1000;
  const backend = gen.backend;
  await gen.release();
  if (backend !== (args.cpu ? 'cpu' : 'cuda')) fail(`generation ran on '${backend}'`);
  const genPlacement = placementOf(await profiles(genProfiles));
  requireProvider(genPlacement, provider, 'generation');

  console.log(
    JSON.stringify({
      device: args.cpu ? 'cpu (--cpu: nothing is claimed about CUDA)' : 'cuda',
      engine: trained.engine,
      train: { batches: epoch.batches, charsPerSecond: Math.round(epoch.charsPerSecond), trainLoss: +epoch.trainLoss.toFixed(4), validLoss: +epoch.validLoss.toFixed(4), kernelRuns: trainPlacement.runsByProvider },
      export: { bytes: exported.bytes, verification: exported.verification?.passed ?? null },
      generate: { backend, chars: result.newTokens, charsPerSecond: Math.round(result.newTokens / seconds), kernelRuns: genPlacement.runsByProvider },
    }),
  );
} catch (e) {
  fail(e.message);
} finally {
  await rm(work, { recursive: true, force: true });
}
