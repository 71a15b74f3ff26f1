/**
 * Every error infer-web throws is a CharRnnError, so callers can tell ours from the runtime's.
 * The message names the bad input and what would be valid. The base class and the model-file
 * errors come from @charrnn/contract, whose reader and validator throw them.
 */
import { CharRnnError } from '@charrnn/contract';

export { CharRnnError, ModelContractError, ModelFormatError } from '@charrnn/contract';

/** The model could not be fetched or read. */
export class ModelSourceError extends CharRnnError {}

/** A generation or load option is out of range or of the wrong type. */
export class InvalidOptionError extends CharRnnError {}

/** A prompt cannot be encoded, or there is nothing to continue from. */
export class InvalidPromptError extends CharRnnError {}

/** A state snapshot does not fit this model. */
export class InvalidStateError extends CharRnnError {}

/** The model produced NaN or ±Inf where logits should be: its weights or state are broken. */
export class NonFiniteOutputError extends CharRnnError {}

/** A requested execution provider is not available in this runtime. */
export class BackendUnavailableError extends CharRnnError {}
