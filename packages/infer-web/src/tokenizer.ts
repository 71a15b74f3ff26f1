/**
 * Characters ↔ ids from the model's own vocabulary (metadata `charrnn.vocab`, index = id), with the
 * corpus' lower-casing and `<unk>` for characters the model never saw.
 */
import { InvalidPromptError } from './errors.js';

export const UNK = '<unk>';

export class Tokenizer {
  private readonly ids = new Map<string, number>();
  /** Id of `<unk>`, or -1 if the vocabulary has none. */
  readonly unkId: number;
  /**
   * Ids of the special tokens (`<unk>`, `<pad>`, …): in a character vocabulary they are exactly
   * the entries longer than one character. Sampling them would print their names as text.
   */
  readonly specialIds: readonly number[];

  constructor(
    readonly vocab: readonly string[],
    readonly lower: boolean,
  ) {
    vocab.forEach((token, id) => this.ids.set(token, id));
    this.unkId = this.ids.get(UNK) ?? -1;
    this.specialIds = vocab.flatMap((token, id) => ([...token].length > 1 ? [id] : []));
  }

  get size(): number {
    return this.vocab.length;
  }

  /** One id per code point; unknown characters become `<unk>` (an error if the vocab has none). */
  encode(text: string): number[] {
    const source = this.lower ? text.toLowerCase() : text;
    const out: number[] = [];
    for (const ch of source) {
      const id = this.ids.get(ch);
      if (id !== undefined) out.push(id);
      else if (this.unkId >= 0) out.push(this.unkId);
      else {
        throw new InvalidPromptError(
          `prompt character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) is not in the model's vocabulary, which has no '${UNK}' token`,
        );
      }
    }
    return out;
  }

  /** The token's string; `<unk>` and other special tokens decode to themselves. */
  decodeOne(id: number): string {
    const token = this.vocab[id];
    if (token === undefined) throw new RangeError(`token id ${id} is outside the vocabulary [0, ${this.vocab.length})`);
    return token;
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.decodeOne(id)).join('');
  }
}
