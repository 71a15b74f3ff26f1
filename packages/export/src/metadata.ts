import { checkModelConfig, type ExportSource, type ModelConfig } from './export-source.js';
import { onnx } from './onnx/proto.js';

/** How the recurrent layers are written: ONNX RNN operators, or one-character elementwise cells. */
export type GraphKind = 'fused' | 'step';
export const GRAPH_KINDS: readonly GraphKind[] = ['fused', 'step'];

/** metadata_props keys of contract 2. */
export const METADATA_KEYS = {
  format: 'charrnn.format',
  config: 'charrnn.config',
  vocab: 'charrnn.vocab',
  lower: 'charrnn.lower',
  graph: 'charrnn.graph',
} as const;

export const METADATA_FORMAT = '1';

/** The metadata_props an exported model carries; config, vocab and lower as the checkpoint stores them. */
export function metadataProps(source: ExportSource, graph: GraphKind): Record<string, string> {
  const { arch, vocabSize, embeddingDim, hiddenSize, numLayers, dropout } = source.config;
  return {
    [METADATA_KEYS.format]: METADATA_FORMAT,
    [METADATA_KEYS.config]: JSON.stringify({ arch, vocabSize, embeddingDim, hiddenSize, numLayers, dropout }),
    [METADATA_KEYS.vocab]: JSON.stringify(source.vocab),
    [METADATA_KEYS.lower]: String(source.lower),
    [METADATA_KEYS.graph]: graph,
  };
}

export class OnnxMetadataError extends Error {
  override name = 'OnnxMetadataError';
}

/** What an exported model says about itself. */
export interface OnnxModelInfo {
  format: string;
  config: ModelConfig;
  vocab: string[];
  lower: boolean;
  graph: GraphKind;
  /** ai.onnx opset the model imports. */
  opset: number;
  irVersion: number;
  /** Every metadata_props entry, including any this reader does not interpret. */
  props: Record<string, string>;
}

function required(props: Record<string, string>, key: string, source: string): string {
  const value = props[key];
  if (value === undefined) {
    throw new OnnxMetadataError(`${source} has no metadata_props entry ${key}; expected a model written by @charrnn/export (keys ${Object.values(METADATA_KEYS).join(', ')})`);
  }
  return value;
}

function parseJson(text: string, key: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new OnnxMetadataError(`${source} metadata ${key} is not valid JSON: ${text.slice(0, 80)}`);
  }
}

/** Decodes an ONNX file's header fields and charrnn metadata without running it. */
export function readOnnxMetadata(bytes: Uint8Array, source = 'ONNX model'): OnnxModelInfo {
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxMetadataError(`${source} is not a readable ONNX ModelProto (${(error as Error).message})`);
  }
  const props: Record<string, string> = {};
  for (const entry of model.metadataProps) props[entry.key] = entry.value;
  const format = required(props, METADATA_KEYS.format, source);
  if (format !== METADATA_FORMAT) {
    throw new OnnxMetadataError(`${source} has ${METADATA_KEYS.format} = ${JSON.stringify(format)}, expected "${METADATA_FORMAT}"`);
  }
  const vocab = parseJson(required(props, METADATA_KEYS.vocab, source), METADATA_KEYS.vocab, source);
  if (!Array.isArray(vocab) || !vocab.every((t) => typeof t === 'string')) {
    throw new OnnxMetadataError(`${source} metadata ${METADATA_KEYS.vocab} is not a JSON array of strings`);
  }
  const lower = required(props, METADATA_KEYS.lower, source);
  if (lower !== 'true' && lower !== 'false') {
    throw new OnnxMetadataError(`${source} has ${METADATA_KEYS.lower} = ${JSON.stringify(lower)}, expected "true" or "false"`);
  }
  const graph = required(props, METADATA_KEYS.graph, source);
  if (!(GRAPH_KINDS as readonly string[]).includes(graph)) {
    throw new OnnxMetadataError(`${source} has ${METADATA_KEYS.graph} = ${JSON.stringify(graph)}, expected one of ${GRAPH_KINDS.join(', ')}`);
  }
  const defaultDomain = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    format,
    config: checkModelConfig(parseJson(required(props, METADATA_KEYS.config, source), METADATA_KEYS.config, source), `${source} metadata ${METADATA_KEYS.config}`),
    vocab: vocab as string[],
    lower: lower === 'true',
    graph: graph as GraphKind,
    opset: Number(defaultDomain?.version ?? 0),
    irVersion: Number(model.irVersion),
    props,
  };
}
