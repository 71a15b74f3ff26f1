import { ARCHS, type Arch } from './arch.js';
import { ModelConfigError } from './errors.js';
import { shown } from './problem.js';

/** Everything needed to rebuild a model's parameter shapes; stored as the `charrnn.config` JSON. */
export interface ModelConfig {
  arch: Arch;
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  /** Dropout probability between recurrent layers (PyTorch's `dropout` argument of nn.GRU). */
  dropout: number;
}

const SIZES = ['vocabSize', 'embeddingDim', 'hiddenSize', 'numLayers'] as const;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * Checks `raw` field by field. `problems` receives one line per bad field, starting with `subject`
 * (e.g. "model config"); the result holds the fields that are valid, so a caller can go on to
 * check other things against them. `dropout` may be absent (0).
 */
export function readModelConfig(raw: unknown, subject: string, problems: string[]): Partial<ModelConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${subject} is ${shown(raw)}, expected a JSON object`);
    return {};
  }
  const r = raw as Record<string, unknown>;
  const config: Partial<ModelConfig> = {};
  if (typeof r.arch === 'string' && (ARCHS as readonly string[]).includes(r.arch)) config.arch = r.arch as Arch;
  else problems.push(`${subject} arch is ${shown(r.arch)}, expected one of ${ARCHS.join(', ')}`);
  for (const key of SIZES) {
    const value = r[key];
    if (isPositiveInteger(value)) config[key] = value;
    else problems.push(`${subject} ${key} is ${shown(value)}, expected a positive integer`);
  }
  const dropout = r.dropout ?? 0;
  if (typeof dropout === 'number' && dropout >= 0 && dropout < 1) config.dropout = dropout;
  else problems.push(`${subject} dropout is ${shown(dropout)}, expected a number in [0, 1)`);
  return config;
}

/** Checks a config read from JSON or flags; throws ModelConfigError listing every bad field. */
export function validateModelConfig(raw: unknown): ModelConfig {
  const problems: string[] = [];
  const config = readModelConfig(raw, 'model config', problems);
  if (problems.length > 0) throw new ModelConfigError(problems);
  return config as ModelConfig;
}
