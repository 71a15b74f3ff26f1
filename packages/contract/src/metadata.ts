/**
 * The model metadata both files carry (docs/checkpoint.md, docs/onnx-model.md): the checkpoint's safetensors `__metadata__`
 * (contract 1) and the ONNX model's `metadata_props` (contract 2), written and read here only.
 */
import { readModelConfig, type ModelConfig } from './model-config.js';
import { shown } from './problem.js';
import { GRAPH_KINDS, type GraphKind } from './signature.js';
import { LEGACY_TEXT_MODE, TEXT_MODES, type TextMode } from './text-mode.js';

/** metadata keys: config, vocab, lower and text in both files; format and graph in ONNX models only. */
export const METADATA_KEYS = {
  format: 'charrnn.format',
  config: 'charrnn.config',
  vocab: 'charrnn.vocab',
  lower: 'charrnn.lower',
  text: 'charrnn.text',
  graph: 'charrnn.graph',
} as const;

/** The `charrnn.format` of contract 2. */
export const METADATA_FORMAT = '1';

/** The vocabulary's token (in `charrnn.vocab`) that stands for every character the model never saw. */
export const UNK = '<unk>';

/** What a model says about itself besides its weights. */
export interface ModelMetadata {
  config: ModelConfig;
  /** Token strings, index = id. */
  vocab: string[];
  /** Whether the corpus was lower-cased before tokenising (so prompts are too). */
  lower: boolean;
  /** How line breaks were read (text-mode.ts); absent = written before the key existed, `lesson`. */
  text?: TextMode;
}

/** The metadata entries of `meta` (config, vocab, lower, text), as a checkpoint stores them. */
export function modelMetadataEntries(meta: ModelMetadata): Record<string, string> {
  const { arch, vocabSize, embeddingDim, hiddenSize, numLayers, dropout } = meta.config;
  return {
    [METADATA_KEYS.config]: JSON.stringify({ arch, vocabSize, embeddingDim, hiddenSize, numLayers, dropout }),
    [METADATA_KEYS.vocab]: JSON.stringify(meta.vocab),
    [METADATA_KEYS.lower]: meta.lower ? 'true' : 'false',
    [METADATA_KEYS.text]: meta.text ?? LEGACY_TEXT_MODE,
  };
}

/** The metadata_props of an ONNX model of contract 2: format, the model's entries, graph kind. */
export function onnxMetadataEntries(meta: ModelMetadata, graph: GraphKind): Record<string, string> {
  return { [METADATA_KEYS.format]: METADATA_FORMAT, ...modelMetadataEntries(meta), [METADATA_KEYS.graph]: graph };
}

/** The result of reading metadata entries: every problem, and what could be read regardless. */
export interface MetadataReading {
  /** One line per problem, naming the key, what it holds and what would be valid. */
  problems: string[];
  /** The whole metadata, when there is no problem. */
  metadata: ModelMetadata | undefined;
  /** The parts that are valid, so that a validator can check the rest of a file against them. */
  config: Partial<ModelConfig>;
  vocab: string[] | undefined;
  lower: boolean | undefined;
  /** The text mode; `lesson` when the key is absent (files written before it existed). */
  text: TextMode | undefined;
  /** ONNX models only: the graph kind. */
  graph: GraphKind | undefined;
}

/** The JSON value of `text`, or `text` itself when it is not JSON (and is reported as the string it is). */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Checks a vocabulary (parsed JSON, or a checkpoint's in-memory list): a non-empty array of
 * strings, one distinct non-empty token per id (a tokenizer maps each character to one id), and
 * `vocabSize` entries when the config's vocabSize is known. `problems` receives one line per
 * problem, starting with `subject`; the result is the vocab when it has none.
 */
export function readVocab(value: unknown, vocabSize: number | undefined, subject: string, problems: string[]): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === 'string')) {
    problems.push(`${subject} is ${shown(value)}, expected a non-empty JSON array of strings (index = id)`);
    return undefined;
  }
  const vocab = value as string[];
  const before = problems.length;
  const ids = new Map<string, number[]>();
  vocab.forEach((token, id) => ids.set(token, [...(ids.get(token) ?? []), id]));
  for (const [token, at] of ids) {
    if (token !== '' && at.length > 1) problems.push(`${subject} entry ${shown(token)} appears at ids ${at.join(', ')}`);
  }
  for (const id of ids.get('') ?? []) problems.push(`${subject} entry ${id} is empty`);
  if (vocabSize !== undefined && vocab.length !== vocabSize) {
    problems.push(`${subject} has ${vocab.length} entries, expected ${vocabSize} strings (${METADATA_KEYS.config} vocabSize)`);
  }
  return problems.length === before ? vocab : undefined;
}

/** A metadata key as problems name it. */
const named = (key: string): string => `metadata '${key}'`;

/**
 * Reads the metadata entries of a checkpoint (`charrnn.config`, `charrnn.vocab`, `charrnn.lower`,
 * optionally `charrnn.text`)
 * or of an ONNX model (also `charrnn.format` and `charrnn.graph`) and checks them all, collecting
 * every problem instead of stopping at the first.
 */
export function readModelMetadata(entries: Readonly<Record<string, string>>, file: 'checkpoint' | 'onnx' = 'checkpoint'): MetadataReading {
  const problems: string[] = [];
  const need = (key: string): string | undefined => {
    const value = entries[key];
    if (value === undefined) problems.push(`missing ${named(key)}`);
    return value;
  };
  /** The value of `key` when it is one of `valid`; a problem naming them otherwise. */
  const oneOf = <T extends string>(key: string, text: string | undefined, valid: readonly T[]): T | undefined => {
    if (text === undefined || (valid as readonly string[]).includes(text)) return text as T | undefined;
    problems.push(`${named(key)} is ${shown(text)}, expected ${valid.map((v) => `"${v}"`).join(' or ')}`);
    return undefined;
  };
  const onnx = file === 'onnx';
  if (onnx) oneOf(METADATA_KEYS.format, need(METADATA_KEYS.format), [METADATA_FORMAT]);
  const configText = need(METADATA_KEYS.config);
  const config = configText === undefined ? {} : readModelConfig(jsonOrText(configText), named(METADATA_KEYS.config), problems);
  const vocabText = need(METADATA_KEYS.vocab);
  const vocab = vocabText === undefined ? undefined : readVocab(jsonOrText(vocabText), config.vocabSize, named(METADATA_KEYS.vocab), problems);
  const lowerText = oneOf(METADATA_KEYS.lower, need(METADATA_KEYS.lower), ['true', 'false']);
  const lower = lowerText === undefined ? undefined : lowerText === 'true';
  const textEntry = entries[METADATA_KEYS.text];
  const text = textEntry === undefined ? LEGACY_TEXT_MODE : oneOf(METADATA_KEYS.text, textEntry, TEXT_MODES);
  const graph = onnx ? oneOf(METADATA_KEYS.graph, need(METADATA_KEYS.graph), GRAPH_KINDS) : undefined;
  const metadata = problems.length === 0 ? ({ config, vocab, lower, text } as ModelMetadata) : undefined;
  return { problems, metadata, config, vocab, lower, text, graph };
}
