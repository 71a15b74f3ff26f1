// Every public entry point of every package, type-checked strictly without skipLibCheck in the
// consumer app (tools/consumer/consumer.test.ts), with node16 and bundler module resolution.
import { LanguageModelLoader, prepareCorpus, Vocab, type PreparedCorpus } from '@charrnn/data';
import { loadCorpus } from '@charrnn/data/node';
import { IO, METADATA_KEYS, readModelDescription, validateContract, type ModelInfo } from '@charrnn/contract';
import { cudaProviderMissing, integerFlag, ONNXRUNTIME_NODE_INSTALL_HINT, writeFileAtomic } from '@charrnn/contract/node';
import { GraphBuilder, cellSpec, encodeModel, type IModelProto } from '@charrnn/graph';
import { DEFAULT_FIT_OPTIONS, fit, ortNodeEngine, selectBackend, type FitOptions, type FitResult } from '@charrnn/train';
import { CharModel, tfjsEngine } from '@charrnn/train/tfjs';
import { BrowserTrainer, trainingLoop, type TrainingEngine } from '@charrnn/train/browser';
import { exportCheckpoint, verifyOnnx, type ExportResult } from '@charrnn/export';
import { buildOnnxModel, type BuildOptions } from '@charrnn/export/browser';
import { CharGenerator as WebCharGenerator, webRuntime, type GenerationOptions } from '@charrnn/infer-web';
import { CharGenerator, copyWebFiles, nodeRuntime, type NodeLoadOptions } from '@charrnn/infer-web/node';
import { CharRnnGeneratorElement, ELEMENT_NAME } from '@charrnn/infer-web/element';
import { createServer, type CharServer, type ServerOptions } from '@charrnn/serve';

const options: FitOptions = { ...DEFAULT_FIT_OPTIONS, schedule: '1@1e-3', maxBatches: 3 };
const generation: GenerationOptions = { maxNewTokens: 10, temperature: 0.8, seed: 1 };
const load: NodeLoadOptions = { backend: 'cpu' };
const build: BuildOptions = { graph: 'fused' };
const server: ServerOptions = { models: [{ source: 'model.onnx', name: 'mine' }], port: 0 };

export async function everything(corpus: PreparedCorpus, info: ModelInfo): Promise<[FitResult, ExportResult, string, CharServer, IModelProto]> {
  const { factory } = await ortNodeEngine({ device: 'cpu', threads: 1 });
  const trained = await fit({ corpus, options, outDir: 'checkpoints/types', engine: factory });
  await fit({ corpus, options, outDir: 'checkpoints/types-tfjs', engine: tfjsEngine() });
  const exported = await exportCheckpoint(trained.outDir, build);
  const generator = await CharGenerator.load(exported.out, load);
  const text = (await generator.generate('the ', generation).result()).text;
  const graph = new GraphBuilder('types');
  return [trained, exported, text + info.arch, await createServer(server), graph.build()];
}

export const used: unknown[] = [
  LanguageModelLoader, prepareCorpus, Vocab, integerFlag, loadCorpus, writeFileAtomic, IO, METADATA_KEYS,
  readModelDescription, validateContract, cudaProviderMissing, ONNXRUNTIME_NODE_INSTALL_HINT, encodeModel, cellSpec,
  selectBackend, tfjsEngine, CharModel, BrowserTrainer, trainingLoop, verifyOnnx, buildOnnxModel, WebCharGenerator, webRuntime,
  nodeRuntime, copyWebFiles, CharRnnGeneratorElement, ELEMENT_NAME,
];
export type Engine = TrainingEngine;
