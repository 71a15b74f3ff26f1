/**
 * DESIGN.md contract 2 (export → infer-web), checked before a session is created so that a model
 * that cannot work is refused with every problem named, instead of failing at the first run.
 */
import { ModelContractError } from './errors.js';
import { ELEM_TYPE, type ModelDescription, type ValueInfo } from './model-proto.js';

export type Arch = 'rnn' | 'gru' | 'lstm';
export type GraphKind = 'fused' | 'step';
/** Element type of the state inputs and float outputs (export's `fp16` option gives float16). */
export type Precision = 'float32' | 'float16';

/** Everything the generator needs to know about a model, read from its metadata. */
export interface ModelInfo {
  arch: Arch;
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  /** Token strings, index = id. */
  vocab: readonly string[];
  /** Whether prompts are lower-cased before encoding (the corpus was). */
  lower: boolean;
  /** "fused": any seq length per run; "step": seq fixed to 1. */
  graph: GraphKind;
  /** ai.onnx opset of the file (0 if absent). */
  opset: number;
  /** float16 models take and give float16 state and logits; the session converts at its boundary. */
  precision: Precision;
}

const ARCHS: readonly Arch[] = ['rnn', 'gru', 'lstm'];
const ELEM_NAMES: Record<number, string> = { 1: 'float32', 7: 'int64', 10: 'float16', 11: 'float64', 6: 'int32' };

function elemName(code: number): string {
  return ELEM_NAMES[code] ?? (code === 0 ? 'no type' : `type code ${code}`);
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

interface ConfigJson {
  arch?: unknown;
  vocabSize?: unknown;
  embeddingDim?: unknown;
  hiddenSize?: unknown;
  numLayers?: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A dim is fine if it is symbolic/unknown, or a number equal to the expected size. */
function checkShape(
  problems: string[],
  kind: 'input' | 'output',
  info: ValueInfo,
  expected: readonly (number | string)[],
): void {
  if (info.shape === null) return; // rank unknown: the runtime will check at run time
  if (info.shape.length !== expected.length) {
    problems.push(`${kind} '${info.name}' has rank ${info.shape.length}, expected [${expected.join(', ')}]`);
    return;
  }
  info.shape.forEach((dim, i) => {
    const want = expected[i];
    if (typeof want === 'number' && typeof dim === 'number' && dim !== want) {
      problems.push(`${kind} '${info.name}' dim ${i} is ${dim}, expected ${want} (shape [${expected.join(', ')}])`);
    }
  });
}

function checkValue(
  problems: string[],
  kind: 'input' | 'output',
  values: readonly ValueInfo[],
  name: string,
  elemType: number | undefined,
  shape: readonly (number | string)[],
): void {
  const info = values.find((v) => v.name === name);
  if (info === undefined) {
    const type = elemType === undefined ? 'float32 or float16' : elemName(elemType);
    problems.push(`missing ${kind} '${name}' (${type} [${shape.join(', ')}]); ${kind}s are: ${values.map((v) => `'${v.name}'`).join(', ') || 'none'}`);
    return;
  }
  if (elemType !== undefined && info.elemType !== elemType) {
    problems.push(`${kind} '${name}' is ${elemName(info.elemType)}, expected ${elemName(elemType)}`);
  }
  checkShape(problems, kind, info, shape);
}

/**
 * The float inputs and outputs must be all float32 or all float16. A mix is one problem naming
 * each value's type, and leaves their types unchecked (floatType undefined) so it is not repeated.
 */
function floatPrecision(problems: string[], model: ModelDescription, arch: Arch): { precision: Precision; floatType: number | undefined } {
  const inputs = arch === 'lstm' ? ['h0', 'c0'] : ['h0'];
  const outputs = arch === 'lstm' ? ['logits', 'hn', 'cn'] : ['logits', 'hn'];
  const present = [
    ...model.inputs.filter((v) => inputs.includes(v.name)).map((v) => ({ kind: 'input', v })),
    ...model.outputs.filter((v) => outputs.includes(v.name)).map((v) => ({ kind: 'output', v })),
  ];
  const halves = present.filter(({ v }) => v.elemType === ELEM_TYPE.float16).length;
  if (halves > 0 && halves === present.length) return { precision: 'float16', floatType: ELEM_TYPE.float16 };
  if (halves > 0 && present.every(({ v }) => v.elemType === ELEM_TYPE.float16 || v.elemType === ELEM_TYPE.float32)) {
    const types = present.map(({ kind, v }) => `${kind} '${v.name}' ${elemName(v.elemType)}`).join(', ');
    problems.push(`the state inputs and float outputs mix float16 and float32 (${types}); expected all float32, or all float16`);
    return { precision: 'float32', floatType: undefined };
  }
  return { precision: 'float32', floatType: ELEM_TYPE.float32 };
}

/**
 * Validates metadata and graph signature; returns the model's description or throws
 * ModelContractError listing every problem.
 */
export function validateContract(model: ModelDescription): ModelInfo {
  const problems: string[] = [];
  const meta = model.metadata;
  const need = (key: string): string | undefined => {
    const value = meta[key];
    if (value === undefined) problems.push(`missing metadata_props '${key}'`);
    return value;
  };

  const format = need('charrnn.format');
  if (format !== undefined && format !== '1') problems.push(`metadata 'charrnn.format' is "${format}", expected "1"`);

  let arch: Arch = 'gru';
  let vocabSize = 0;
  let embeddingDim = 0;
  let hiddenSize = 0;
  let numLayers = 0;
  const configText = need('charrnn.config');
  if (configText !== undefined) {
    const config = parseJson(configText);
    if (typeof config !== 'object' || config === null) {
      problems.push(`metadata 'charrnn.config' is not a JSON object: ${configText.slice(0, 80)}`);
    } else {
      const c = config as ConfigJson;
      if (typeof c.arch === 'string' && (ARCHS as readonly string[]).includes(c.arch)) arch = c.arch as Arch;
      else problems.push(`metadata 'charrnn.config' arch is ${JSON.stringify(c.arch)}, expected one of ${ARCHS.join(', ')}`);
      const sizes: [string, unknown][] = [
        ['vocabSize', c.vocabSize],
        ['embeddingDim', c.embeddingDim],
        ['hiddenSize', c.hiddenSize],
        ['numLayers', c.numLayers],
      ];
      for (const [key, value] of sizes) {
        if (!isPositiveInt(value)) problems.push(`metadata 'charrnn.config' ${key} is ${JSON.stringify(value)}, expected a positive integer`);
      }
      vocabSize = isPositiveInt(c.vocabSize) ? c.vocabSize : 0;
      embeddingDim = isPositiveInt(c.embeddingDim) ? c.embeddingDim : 0;
      hiddenSize = isPositiveInt(c.hiddenSize) ? c.hiddenSize : 0;
      numLayers = isPositiveInt(c.numLayers) ? c.numLayers : 0;
    }
  }

  let vocab: string[] = [];
  const vocabText = need('charrnn.vocab');
  if (vocabText !== undefined) {
    const parsed = parseJson(vocabText);
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((t) => typeof t === 'string' && t.length > 0)) {
      problems.push(`metadata 'charrnn.vocab' must be a non-empty JSON array of non-empty strings (index = id)`);
    } else {
      vocab = parsed as string[];
      if (new Set(vocab).size !== vocab.length) problems.push(`metadata 'charrnn.vocab' has duplicate entries`);
      if (vocabSize > 0 && vocab.length !== vocabSize) {
        problems.push(`metadata 'charrnn.vocab' has ${vocab.length} entries but charrnn.config vocabSize is ${vocabSize}`);
      }
    }
  }

  const lowerText = need('charrnn.lower');
  if (lowerText !== undefined && lowerText !== 'true' && lowerText !== 'false') {
    problems.push(`metadata 'charrnn.lower' is "${lowerText}", expected "true" or "false"`);
  }

  const graphText = need('charrnn.graph');
  if (graphText !== undefined && graphText !== 'fused' && graphText !== 'step') {
    problems.push(`metadata 'charrnn.graph' is "${graphText}", expected "fused" or "step"`);
  }
  const graph: GraphKind = graphText === 'step' ? 'step' : 'fused';

  const L = numLayers || 'layers';
  const H = hiddenSize || 'hidden';
  const V = vocabSize || 'vocab';
  const seq = graph === 'step' ? 1 : 'seq';
  const { precision, floatType } = floatPrecision(problems, model, arch);
  checkValue(problems, 'input', model.inputs, 'tokens', ELEM_TYPE.int64, [seq, 'batch']);
  checkValue(problems, 'input', model.inputs, 'h0', floatType, [L, 'batch', H]);
  checkValue(problems, 'output', model.outputs, 'logits', floatType, [seq, 'batch', V]);
  checkValue(problems, 'output', model.outputs, 'hn', floatType, [L, 'batch', H]);
  const known = new Set(['tokens', 'h0']);
  if (arch === 'lstm') {
    checkValue(problems, 'input', model.inputs, 'c0', floatType, [L, 'batch', H]);
    checkValue(problems, 'output', model.outputs, 'cn', floatType, [L, 'batch', H]);
    known.add('c0');
  }
  for (const input of model.inputs) {
    if (!known.has(input.name) && !model.initializers.has(input.name)) {
      problems.push(`unexpected input '${input.name}': a ${arch} model takes only ${[...known].map((n) => `'${n}'`).join(', ')}`);
    }
  }

  if (problems.length > 0) throw new ModelContractError(problems);
  return { arch, vocabSize, embeddingDim, hiddenSize, numLayers, vocab, lower: lowerText === 'true', graph, opset: model.opset, precision };
}
