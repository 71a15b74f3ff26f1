// What every charrnn download shares (a corpus in @charrnn/data, a model in @charrnn/infer-web):
// the idle timeout that ends a stalled fetch, its default, and the words for a network failure.

/** A download that receives nothing for this long is abandoned (a corpus download, a model fetch). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * An AbortSignal that fires when nothing has happened for `ms` milliseconds: a download that
 * stalls (the server sends a few bytes and waits, or never answers) would otherwise hang for
 * ever, since fetch has no idle timeout of its own and undici's header timeout is 5 minutes.
 */
export class IdleTimeout {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firedFlag = false;

  constructor(readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the timeout, rather than anything else, ended the wait. */
  get fired(): boolean {
    return this.firedFlag;
  }

  /** Something arrived: the idle period starts again. */
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.firedFlag = true;
      this.controller.abort();
    }, this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** A fetch failure in words: undici reports network failures as "fetch failed"/"terminated" with the reason in `cause` (up to 4 levels). */
export function describeFetchError(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const message = (e as { message?: unknown }).message;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error (a string, a number) prints as itself
    parts.push(typeof message === 'string' ? message : String(e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(': ');
}
