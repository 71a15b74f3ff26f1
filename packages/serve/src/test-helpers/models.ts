/**
 * Models for tests: the demo model infer-web ships (a trained GRU, so texts are real text), and
 * small random-weight models that @charrnn/export builds (other archs, the step graph).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOnnxModel } from '@charrnn/export';
import { randomWeights, type Arch } from '@charrnn/train';
import {
  nodeRuntime,
  readModelDescription,
  Tokenizer,
  validateContract,
  CharGenerator,
  type ModelInfo,
  type RecurrentSession,
} from '@charrnn/infer-web/node';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEMO_MODEL_PATH = path.resolve(here, '../../../infer-web/demo/nietzsche-gru.onnx');

export function demoModel(): Uint8Array {
  return new Uint8Array(readFileSync(DEMO_MODEL_PATH));
}

const SMALL_VOCAB = ['<unk>', '\n', ' ', '.', 'a', 'b', 'c', 'd', 'e', 'h', 'i', 'n', 'o', 's', 't'];

export function smallModel(arch: Arch, graph: 'fused' | 'step' = 'fused', numLayers = 2, nanBias = false): Uint8Array {
  const config = { arch, vocabSize: SMALL_VOCAB.length, embeddingDim: 5, hiddenSize: 12, numLayers, dropout: 0 };
  const weights = randomWeights(config, 3);
  // A larger decoder gives peaked, prompt-dependent distributions (as infer-web's test models).
  for (const [name, t] of weights) if (name.startsWith('decoder')) t.data.forEach((v, i) => (t.data[i] = v * 3));
  // One NaN in decoder.bias, so every logits row holds one NaN (a model whose training diverged).
  // export refuses non-finite weights, so a marker value is written and its bytes replaced.
  const marker = 1234.5;
  if (nanBias) weights.get('decoder.bias')!.data[4] = marker;
  const bytes = buildOnnxModel({ config, vocab: SMALL_VOCAB, lower: true, weights }, { graph });
  if (nanBias) {
    const find = new Uint8Array(Float32Array.of(marker).buffer);
    const at = Buffer.from(bytes).indexOf(Buffer.from(find));
    if (at < 0 || Buffer.from(bytes).indexOf(Buffer.from(find), at + 1) >= 0) throw new Error('the NaN marker is not unique in the model bytes');
    bytes.set(new Uint8Array(Float32Array.of(NaN).buffer), at);
  }
  return bytes;
}

export interface OpenModel {
  info: ModelInfo;
  tokenizer: Tokenizer;
  session: RecurrentSession;
}

export async function openModel(bytes: Uint8Array): Promise<OpenModel> {
  const info = validateContract(readModelDescription(bytes));
  const session = await nodeRuntime({ backend: 'cpu' }).createSession(bytes, info);
  return { info, tokenizer: new Tokenizer(info.vocab, info.lower, info.text), session };
}

export interface ReferenceCase {
  prompt: string;
  seed: number;
  maxNewTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  repetitionPenalty?: number;
  stop?: string[];
}

/** The reference: infer-web's own generator, batch 1, one generate() per case from a fresh state. */
export async function referenceTexts(bytes: Uint8Array, cases: readonly ReferenceCase[]): Promise<string[]> {
  const generator = await CharGenerator.load(bytes, { backend: 'cpu' });
  const texts: string[] = [];
  for (const { prompt, ...options } of cases) {
    generator.reset();
    texts.push(await generator.generate(prompt, options));
  }
  await generator.release();
  return texts;
}
