import { CheckpointError, modelMetadata, parseModelMetadata, type CheckpointMeta } from '@charrnn/train/browser';
import type { ExportSource } from './export-source.js';
import { onnx } from '@charrnn/graph';

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

/** The metadata_props an exported model carries: the checkpoint's own entries, format and graph kind. */
export function metadataProps(source: ExportSource, graph: GraphKind): Record<string, string> {
  return { [METADATA_KEYS.format]: METADATA_FORMAT, ...modelMetadata(source), [METADATA_KEYS.graph]: graph };
}

export class OnnxMetadataError extends Error {
  override name = 'OnnxMetadataError';
}

/** What an exported model says about itself. */
export interface OnnxModelInfo extends CheckpointMeta {
  format: string;
  graph: GraphKind;
  /** Element type of the float inputs and outputs (and weights): float32, or float16 for --fp16. */
  precision: 'float32' | 'float16';
  /** ai.onnx opset the model imports. */
  opset: number;
  irVersion: number;
  /** Every metadata_props entry, including any this reader does not interpret. */
  props: Record<string, string>;
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
  for (const entry of model.metadataProps) props[entry.key ?? ''] = entry.value ?? '';
  const format = props[METADATA_KEYS.format];
  if (format !== METADATA_FORMAT) {
    throw new OnnxMetadataError(
      `${source} has ${METADATA_KEYS.format} = ${JSON.stringify(format)}, expected "${METADATA_FORMAT}" (a model written by @charrnn/export)`,
    );
  }
  let meta: CheckpointMeta;
  try {
    // The same keys and checks as a checkpoint's model.safetensors metadata.
    meta = parseModelMetadata(props, source);
  } catch (error) {
    if (error instanceof CheckpointError) throw new OnnxMetadataError(error.message);
    throw error;
  }
  const graph = props[METADATA_KEYS.graph];
  if (!(GRAPH_KINDS as readonly string[]).includes(graph)) {
    throw new OnnxMetadataError(`${source} has ${METADATA_KEYS.graph} = ${JSON.stringify(graph)}, expected one of ${GRAPH_KINDS.join(', ')}`);
  }
  const h0 = model.graph?.input?.find((i) => i.name === 'h0');
  const precision = h0?.type?.tensorType?.elemType === onnx.TensorProto.DataType.FLOAT16 ? 'float16' : 'float32';
  const defaultDomain = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return {
    format,
    ...meta,
    graph: graph as GraphKind,
    precision,
    opset: Number(defaultDomain?.version ?? 0),
    irVersion: Number(model.irVersion),
    props,
  };
}
