import {
  METADATA_KEYS,
  ModelContractError,
  ModelFormatError,
  readModelDescription,
  readModelMetadata,
  validateContract,
  type GraphKind,
  type ModelMetadata,
  type Precision,
} from '@charrnn/contract';

/** An ONNX file that is not a readable charrnn model; `problems` lists every contract violation. */
export class OnnxMetadataError extends Error {
  override name = 'OnnxMetadataError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/** What an exported model says about itself. */
export interface OnnxModelInfo extends ModelMetadata {
  format: string;
  graph: GraphKind;
  /** Element type of the float inputs and outputs (and weights): float32, or float16 for --fp16. */
  precision: Precision;
  /** ai.onnx opset the model imports. */
  opset: number;
  irVersion: number;
  /** Every metadata_props entry, including any this reader does not interpret. */
  props: Record<string, string>;
}

/**
 * Reads an ONNX file's header fields and charrnn metadata without running it, and checks the
 * whole of contract 2 on it with @charrnn/contract (the reader and validator infer-web uses), so a
 * file export accepts is one infer-web loads.
 */
export function readOnnxMetadata(bytes: Uint8Array, source = 'ONNX model'): OnnxModelInfo {
  try {
    const model = readModelDescription(bytes);
    const info = validateContract(model);
    // validateContract found no problem, so the metadata reads in full.
    const { config, vocab, lower, text } = readModelMetadata(model.metadata).metadata as ModelMetadata;
    return {
      format: model.metadata[METADATA_KEYS.format],
      config,
      vocab,
      lower,
      text,
      graph: info.graph,
      precision: info.precision,
      opset: info.opset,
      irVersion: model.irVersion,
      props: { ...model.metadata },
    };
  } catch (error) {
    if (error instanceof ModelFormatError) throw new OnnxMetadataError(`${source} is not a readable ONNX ModelProto (${error.message})`);
    if (error instanceof ModelContractError) throw new OnnxMetadataError(`${source}: ${error.message}`, error.problems);
    throw error;
  }
}
