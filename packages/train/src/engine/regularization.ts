/**
 * The regularisation of a run beyond the model config's between-layer dropout: what the training
 * graphs and the tfjs engine apply, and what never reaches the exported inference model (masks
 * and decay act only while training; a tied decoder is exported as the plain decoder.weight it
 * equals).
 */
import type { ModelConfig } from '../model/config.js';

export interface Regularization {
  /** Locked dropout on the embedding output: one mask per stream, held over the window. */
  embedDropout: number;
  /** Locked dropout on the last layer's output, before the decoder. */
  outputDropout: number;
  /** DropConnect on every weight_hh: one mask per batch, shared by all streams and steps. */
  weightDrop: number;
  /** decoder.weight is encoder.weight (one parameter; needs embeddingDim = hiddenSize). */
  tie: boolean;
  /** AdamW's decoupled decay p ← p − lr·λ·p on weights (not biases). */
  weightDecay: number;
}

/** Today's behaviour: none of it. */
export const NO_REGULARIZATION: Readonly<Regularization> = Object.freeze({ embedDropout: 0, outputDropout: 0, weightDrop: 0, tie: false, weightDecay: 0 });

export class RegularizationError extends Error {
  override name = 'RegularizationError';
}

/**
 * The regularisation `options` ask for (absent fields: none), checked against `config`; throws
 * RegularizationError naming every bad field and what would be valid.
 */
export function regularizationOf(
  options: { embedDropout?: number; outputDropout?: number; weightDrop?: number; tie?: boolean; weightDecay?: number },
  config: Pick<ModelConfig, 'embeddingDim' | 'hiddenSize'>,
): Regularization {
  const r: Regularization = {
    embedDropout: options.embedDropout ?? 0,
    outputDropout: options.outputDropout ?? 0,
    weightDrop: options.weightDrop ?? 0,
    tie: options.tie ?? false,
    weightDecay: options.weightDecay ?? 0,
  };
  const problems: string[] = [];
  for (const key of ['embedDropout', 'outputDropout', 'weightDrop'] as const) {
    const p = r[key];
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) problems.push(`${key} is ${JSON.stringify(p)}, expected a number in [0, 1)`);
  }
  if (typeof r.weightDecay !== 'number' || !(r.weightDecay >= 0 && Number.isFinite(r.weightDecay))) {
    problems.push(`weightDecay is ${JSON.stringify(r.weightDecay)}, expected a finite number ≥ 0`);
  }
  if (typeof r.tie !== 'boolean') problems.push(`tie is ${JSON.stringify(r.tie)}, expected true or false`);
  else if (r.tie && config.embeddingDim !== config.hiddenSize) {
    problems.push(`tie needs the embedding size to equal the hidden size (the decoder reads the hidden state with the embedding's rows), got embed ${config.embeddingDim} and hidden ${config.hiddenSize}`);
  }
  if (problems.length > 0) throw new RegularizationError(`bad regularisation options: ${problems.join('; ')}`);
  return r;
}

/** Whether AdamW's decoupled decay applies to a parameter: to weights (embedding and decoder included), never to biases. */
export function isDecayed(name: string): boolean {
  return !name.includes('bias');
}

/** The fields of `r` that differ from NO_REGULARIZATION, by name. */
export function activeRegularization(r: Regularization): (keyof Regularization)[] {
  return (Object.keys(NO_REGULARIZATION) as (keyof Regularization)[]).filter((key) => r[key] !== NO_REGULARIZATION[key]);
}
