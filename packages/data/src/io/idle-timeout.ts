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
