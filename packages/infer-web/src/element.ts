/**
 * `@charrnn/infer-web/element`: the `<char-rnn-generator>` custom element, registered on import
 * (the one module of this package with a side effect: see package.json `sideEffects`).
 */
import { defineCharRnnGenerator } from './web/element/char-rnn-generator.js';

export {
  CharRnnGeneratorElement,
  DEFAULT_MAX_LENGTH,
  DEFAULT_PROMPT,
  ELEMENT_NAME,
  defineCharRnnGenerator,
  parseSettings,
  type ElementSettings,
  type ErrorEventDetail,
  type GeneratorStatus,
  type ProgressEventDetail,
  type ReadyEventDetail,
  type TokenEventDetail,
} from './web/element/char-rnn-generator.js';

defineCharRnnGenerator();
