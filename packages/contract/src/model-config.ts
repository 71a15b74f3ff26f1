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

/** The numeric fields: each one's test and what it must be. `dropout` may be absent (0). */
const NUMBERS: readonly [key: Exclude<keyof ModelConfig, 'arch'>, valid: (value: number) => boolean, expected: string][] = [
  ['vocabSize', isPositiveInteger, 'a positive integer'],
  ['embeddingDim', isPositiveInteger, 'a positive integer'],
  ['hiddenSize', isPositiveInteger, 'a positive integer'],
  ['numLayers', isPositiveInteger, 'a positive integer'],
  ['dropout', (p) => p >= 0 && p < 1, 'a number in [0, 1)'],
];

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value > 0;
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
  if ((ARCHS as readonly unknown[]).includes(r.arch)) config.arch = r.arch as Arch;
  else problems.push(`${subject} arch is ${shown(r.arch)}, expected one of ${ARCHS.join(', ')}`);
  for (const [key, valid, expected] of NUMBERS) {
    const value = key === 'dropout' ? (r.dropout ?? 0) : r[key];
    if (typeof value === 'number' && valid(value)) config[key] = value;
    else problems.push(`${subject} ${key} is ${shown(value)}, expected ${expected}`);
  }
  return config;
}

/** Checks a config read from JSON or flags; throws ModelConfigError listing every bad field. */
export function validateModelConfig(raw: unknown): ModelConfig {
  const problems: string[] = [];
  const config = readModelConfig(raw, 'model config', problems);
  if (problems.length > 0) throw new ModelConfigError(problems);
  return config as ModelConfig;
}
