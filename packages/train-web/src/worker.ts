/**
 * The training worker's entry: the page starts it as a module worker (worker.js beside the page).
 * It picks the onnxruntime-web build per provider (ort-builds.ts), exports contract-2 ONNX with
 * @charrnn/export/browser, samples with infer-web, and keeps runs in OPFS. The worker URL can
 * set wasm threads (?threads=N; threads need a cross-origin-isolated page), batches between
 * samples (?sampleEvery=200) and seconds between mid-epoch saves (?saveEvery=30).
 */
import { buildOnnxModel } from '@charrnn/export/browser';
import { opfsRunStore, serveTrainingWorker, type BrowserProvider, type WorkerScope } from '@charrnn/train/browser';
import { loadOrtWeb, type OrtWebModule } from './ort-builds.js';
import { sampleText } from './sample.js';

const scope = self as unknown as WorkerScope;
const params = new URLSearchParams(self.location.search);
const threads = Number(params.get('threads') ?? '1');
let ort: OrtWebModule | undefined;

serveTrainingWorker(scope, {
  async loadOrt(provider: BrowserProvider) {
    ort = await loadOrtWeb(provider);
    ort.env.wasm.numThreads = (self as { crossOriginIsolated?: boolean }).crossOriginIsolated ? threads : 1;
    return { ort, runtime: 'onnxruntime-web', provider };
  },
  store: opfsRunStore(),
  exportOnnx: (meta, weights) => buildOnnxModel({ ...meta, weights }),
  sample: (model, step) => sampleText(ort as OrtWebModule, model, step),
  sampleEveryBatches: Number(params.get('sampleEvery') ?? '200'),
  saveEverySeconds: Number(params.get('saveEvery') ?? '30'),
});
