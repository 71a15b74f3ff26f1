import { UNK } from '@charrnn/contract';
import { VocabError, OptionError } from './errors.js';

export { UNK };
export const PAD = '<pad>';
export const DEFAULT_SPECIALS: readonly string[] = [UNK, PAD];

export interface VocabBuildOptions {
  /** Tokens seen fewer times than this are left out and read as `<unk>` (default 3, the lesson's). */
  minFreq?: number;
  /** Tokens placed first, in this order (default `['<unk>', '<pad>']`); must contain `<unk>`. */
  specials?: readonly string[];
}

/** Token ↔ id table; id = index in `itos`. */
export class Vocab {
  readonly itos: readonly string[];
  readonly size: number;
  readonly unkId: number;
  private readonly stoi: Map<string, number>;

  /**
   * Torchtext's ordering, which the lesson's vocabulary has: specials, then every token with
   * count ≥ minFreq by descending count, ties by code point.
   */
  static build(tokens: Iterable<string>, opts: VocabBuildOptions = {}): Vocab {
    const minFreq = opts.minFreq ?? 3;
    if (!(Number.isInteger(minFreq) && minFreq >= 1)) {
      throw new OptionError(`minFreq ${minFreq} is invalid; expected an integer ≥ 1 such as 3`);
    }
    const specials = opts.specials ?? DEFAULT_SPECIALS;
    const counts = new Map<string, number>();
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    const kept = [...counts]
      .filter(([token, count]) => count >= minFreq && !specials.includes(token))
      .sort(([a, ca], [b, cb]) => cb - ca || compareCodePoints(a, b))
      .map(([token]) => token);
    return new Vocab([...specials, ...kept]);
  }

  constructor(itos: readonly string[]) {
    const seen = new Map<string, number>();
    itos.forEach((token, id) => {
      if (typeof token !== 'string' || token.length === 0) {
        throw new VocabError(`vocab entry ${id} is ${JSON.stringify(token)}; expected a non-empty string`);
      }
      const previous = seen.get(token);
      if (previous !== undefined) {
        throw new VocabError(`vocab token ${JSON.stringify(token)} appears twice (ids ${previous} and ${id}); tokens must be unique`);
      }
      seen.set(token, id);
    });
    const unkId = seen.get(UNK);
    if (unkId === undefined) {
      throw new VocabError(`vocab of ${itos.length} tokens has no ${UNK}; it must contain ${UNK} for unknown tokens`);
    }
    this.itos = Object.freeze([...itos]);
    this.size = itos.length;
    this.unkId = unkId;
    this.stoi = seen;
  }

  /** Id of `token`, or `unkId` when it is not in the vocabulary. */
  id(token: string): number {
    return this.stoi.get(token) ?? this.unkId;
  }

  /** Tokens (or the code points of a string) → ids; unknown tokens → `<unk>`. */
  encode(tokens: Iterable<string> | string): Int32Array {
    const ids: number[] = [];
    for (const token of tokens) ids.push(this.stoi.get(token) ?? this.unkId);
    return Int32Array.from(ids);
  }

  /** Ids → the concatenated token strings (characters for a char vocab). */
  decode(ids: ArrayLike<number>): string {
    const parts = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const token = Number.isInteger(id) ? this.itos[id] : undefined;
      if (token === undefined) {
        throw new VocabError(`id ${id} at position ${i} is not in the vocabulary; valid ids are 0…${this.size - 1}`);
      }
      parts[i] = token;
    }
    return parts.join('');
  }

  toJSON(): { itos: string[] } {
    return { itos: [...this.itos] };
  }

  static fromJSON(json: unknown): Vocab {
    if (typeof json !== 'object' || json === null || !('itos' in json) || !Array.isArray(json.itos)) {
      throw new VocabError(`vocab JSON must be an object {"itos": [token, …]}; got ${describe(json)}`);
    }
    const itos: unknown[] = json.itos;
    const bad = itos.findIndex((token) => typeof token !== 'string');
    if (bad >= 0) {
      throw new VocabError(`vocab JSON itos[${bad}] is ${describe(itos[bad])}; every entry must be a string`);
    }
    return new Vocab(itos as string[]);
  }
}

/** Python's string order (by code point), which differs from JS `<` for astral characters. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without an itos array' : `${typeof value} ${JSON.stringify(value)}`;
}
