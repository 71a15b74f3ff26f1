// @charrnn/train/tfjs from a Node app whose tsconfig has no DOM library (--lib es2023): the train
// README's TensorFlow.js variant of its Library example, and the state a CharModel hands back.
import { prepareCorpus } from '@charrnn/data';
import { DEFAULT_FIT_OPTIONS, fit, selectBackend, type FitResult } from '@charrnn/train';
import { CharModel, tfjsEngine } from '@charrnn/train/tfjs';

export async function trainOnTfjs(text: string): Promise<FitResult> {
  await selectBackend('auto');
  const options = { ...DEFAULT_FIT_OPTIONS, schedule: '1@1e-3', maxBatches: 3 };
  return fit({ corpus: prepareCorpus(text), options, outDir: 'checkpoints/mine-tfjs', engine: tfjsEngine() });
}

export function stateShape(model: CharModel, batch: number): [number, number, number] {
  const { h, c } = model.zeroState(batch);
  const shape = h.shape;
  h.dispose();
  c?.dispose();
  return shape;
}
