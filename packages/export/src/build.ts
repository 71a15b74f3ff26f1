import { DEFAULT_OPSET, GRAPH_KINDS, IO, checkOpset, onnxMetadataEntries, stateInputs, stateOutputs, type GraphKind } from '@charrnn/contract';
import { GraphBuilder, encodeModel } from '@charrnn/graph';
import { validateExportSource, type ExportSource } from './export-source.js';
import { buildFusedGraph } from './graphs/fused.js';
import { buildStepGraph } from './graphs/step.js';
import { irVersionFor } from './onnx/opset.js';

export interface BuildOptions {
  /** "fused" (ONNX RNN operators, any seq) or "step" (elementwise cells, seq = 1). Default "fused". */
  graph?: GraphKind;
  /** ai.onnx opset, 14 to 21. Default 17. */
  opset?: number;
  /** Store weights and float inputs/outputs as float16 instead of float32. Default false. */
  fp16?: boolean;
}

export const DEFAULT_BUILD_OPTIONS: Required<BuildOptions> = { graph: 'fused', opset: DEFAULT_OPSET, fp16: false };

export class BuildOptionsError extends Error {
  override name = 'BuildOptionsError';
}

export function resolveBuildOptions(options: BuildOptions = {}): Required<BuildOptions> {
  const resolved = { ...DEFAULT_BUILD_OPTIONS, ...options };
  if (!GRAPH_KINDS.includes(resolved.graph)) {
    throw new BuildOptionsError(`graph ${JSON.stringify(resolved.graph)} is unknown; expected one of ${GRAPH_KINDS.join(', ')}`);
  }
  checkOpset(resolved.opset);
  return resolved;
}

/**
 * Serializes `source` as an ONNX model following contract 2 (docs/onnx-model.md). Pure: no file system,
 * so tests of other packages can build small models from `randomWeights(config, seed)`.
 */
export function buildOnnxModel(source: ExportSource, options: BuildOptions = {}): Uint8Array {
  const { graph, opset, fp16 } = resolveBuildOptions(options);
  validateExportSource(source, 'model', { fp16 });
  const g = new GraphBuilder(`charrnn_${source.config.arch}_${graph}`);
  const float = fp16 ? 'float16' : 'float32';
  if (graph === 'fused') buildFusedGraph(g, source, float);
  else buildStepGraph(g, source, float);
  const { arch } = source.config;
  return encodeModel(g.build(), {
    opset,
    irVersion: irVersionFor(opset),
    metadata: onnxMetadataEntries(source, graph),
    producerName: '@charrnn/export',
    producerVersion: '0.1.0',
    docString: `charrnn ${source.config.numLayers}-layer ${source.config.arch}, ${graph} graph: ${IO.tokens} int64 [seq, batch], ${stateInputs(arch).join('/')} [layers, batch, hidden] → ${IO.logits}, ${stateOutputs(arch).join('/')}`,
  });
}
