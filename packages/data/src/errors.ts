import { CharRnnError } from '@charrnn/contract';

/** Base class of every error this package throws (a CharRnnError, named by its class): the message names the bad input and what is valid. */
export class DataError extends CharRnnError {}

/** A corpus that cannot be read, downloaded, decoded or trusted (wrong checksum, empty, not UTF-8). */
export class CorpusError extends DataError {}

/**
 * A corpus with control characters, refused (DecodeCorpusOptions.allowControlChars keeps them).
 * The message locates them and says to remove them; a front end adds how its user keeps them.
 */
export class ControlCharactersError extends CorpusError {
  constructor(
    message: string,
    /** A NUL beside every other character: UTF-16 text read as UTF-8, which keeping the characters would not fix. */
    readonly looksUtf16: boolean,
  ) {
    super(message);
  }
}

/** A vocabulary that is malformed, or ids that are not in it. */
export class VocabError extends DataError {}

/** Options (batch size, bptt, fractions, seeds…) outside their valid range. */
export class OptionError extends DataError {}

/** A file could not be written (the contract's class: every package's writes go through its writeFileAtomic). */
export { FileWriteError } from '@charrnn/contract';
