/** GET /v1/models: OpenAI's model list, with each model's charrnn description as an extension. */
import type { Arch, GraphKind, TextMode } from '@charrnn/infer-web/node';
import type { ServedModel } from '../model-registry.js';

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'charrnn';
  /** This server's extension: what the model is and where it runs. */
  charrnn: {
    arch: Arch;
    vocab_size: number;
    embedding_dim: number;
    hidden_size: number;
    num_layers: number;
    graph: GraphKind;
    precision: string;
    backend: string;
    vocab: readonly string[];
    lower: boolean;
    /** How prompts' line breaks are read: 'faithful' (kept) or 'lesson' (dropped). */
    text: TextMode;
    /** SHA-256 of the ONNX file: which weights these are (saved sessions are tied to it). */
    sha256: string;
  };
}

export function describeModel(model: ServedModel): ModelObject {
  const { info } = model;
  return {
    id: model.name,
    object: 'model',
    created: model.created,
    owned_by: 'charrnn',
    charrnn: {
      arch: info.arch,
      vocab_size: info.vocabSize,
      embedding_dim: info.embeddingDim,
      hidden_size: info.hiddenSize,
      num_layers: info.numLayers,
      graph: info.graph,
      precision: info.precision,
      backend: model.backend,
      vocab: info.vocab,
      lower: info.lower,
      text: info.text,
      sha256: model.sha256,
    },
  };
}
