import cliProgress from 'cli-progress';

/** Where long work reports how far it is; a terminal bar or plain log lines behind one interface. */
export interface ProgressSink {
  /** Begins a task of `total` units (undefined when unknown, e.g. a download without Content-Length). */
  start(total: number | undefined, label: string): void;
  /** `done` units so far; `extra` fields (loss, chars/s…) are shown after the rate. */
  update(done: number, extra?: Record<string, string | number>): void;
  /** Ends the task; 'failed' (an interrupted download, a stopped run) is not reported as done. Default 'done'. */
  stop(outcome?: ProgressOutcome): void;
}

export type ProgressOutcome = 'done' | 'failed';

export interface ProgressOptions {
  /** What is counted: 'B' shows bytes as KiB/MiB; anything else is printed as is ('batches', 'chars'). */
  unit: string;
  /** Default label, used when `start` gets an empty one. */
  label?: string;
  /** Default process.stderr, so progress never mixes with a command's stdout. */
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between plain (non-TTY) lines (default 2000). */
  lineIntervalMs?: number;
}

/** A cli-progress bar with rate and ETA on a TTY; throttled plain lines otherwise (CI logs, pipes). */
export function createProgress(opts: ProgressOptions): ProgressSink {
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? new BarProgress(opts, stream) : new LineProgress(opts, stream);
}

/** Shared bookkeeping: rate over the whole task, ETA from it. */
abstract class MeasuredProgress implements ProgressSink {
  protected total: number | undefined;
  protected label = '';
  protected done = 0;
  protected extra: Record<string, string | number> = {};
  protected startedAt = 0;
  protected active = false;

  constructor(protected readonly opts: ProgressOptions) {}

  start(total: number | undefined, label: string): void {
    this.total = total !== undefined && Number.isFinite(total) && total > 0 ? total : undefined;
    this.label = label || (this.opts.label ?? '');
    this.done = 0;
    this.extra = {};
    this.startedAt = performance.now();
    this.active = true;
  }

  update(done: number, extra?: Record<string, string | number>): void {
    this.done = done;
    if (extra) this.extra = { ...this.extra, ...extra };
  }

  abstract stop(outcome?: ProgressOutcome): void;

  protected seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  protected rate(): number {
    const s = this.seconds();
    return s > 0 ? this.done / s : 0;
  }

  protected etaSeconds(): number | undefined {
    const rate = this.rate();
    if (this.total === undefined || rate <= 0) return undefined;
    return Math.max(0, (this.total - this.done) / rate);
  }

  protected amount(n: number): string {
    return formatAmount(n, this.opts.unit);
  }

  /** "120/942 batches", "1.2 MiB/3.4 MiB", or just the done amount when the total is unknown. */
  protected count(): string {
    if (this.total === undefined) return this.amount(this.done);
    const done = this.opts.unit === 'B' ? this.amount(this.done) : String(this.done);
    return `${done}/${this.amount(this.total)}`;
  }

  protected extraText(): string {
    return Object.entries(this.extra)
      .map(([key, value]) => ` ${key}=${typeof value === 'number' ? formatNumber(value) : value}`)
      .join('');
  }
}

class BarProgress extends MeasuredProgress {
  private bar: cliProgress.SingleBar | undefined;

  constructor(opts: ProgressOptions, private readonly stream: NodeJS.WriteStream) {
    super(opts);
  }

  override start(total: number | undefined, label: string): void {
    this.bar?.stop();
    super.start(total, label);
    const known = this.total !== undefined;
    // cli-progress renders its own ETA from value/total; rate, amounts and extras arrive as payload.
    const format = known
      ? `{label} |{bar}| {percentage}% {countText} | {rateText} | ETA {eta_formatted} |{extraText}`
      : `{label} {countText} | {rateText} | {duration_formatted} |{extraText}`;
    this.bar = new cliProgress.SingleBar(
      { format, stream: this.stream, hideCursor: true, etaBuffer: 50, fps: 5, barsize: 20, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.total ?? 1, 0, this.payload());
  }

  override update(done: number, extra?: Record<string, string | number>): void {
    super.update(done, extra);
    this.bar?.update(this.total === undefined ? 0 : done, this.payload());
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.update(this.total === undefined ? 0 : this.done, this.payload());
    this.bar.stop();
    this.bar = undefined;
    this.active = false;
  }

  private payload(): Record<string, string> {
    return {
      label: this.label,
      countText: this.count(),
      rateText: `${this.amount(this.rate())}/s`,
      extraText: this.extraText(),
    };
  }
}

class LineProgress extends MeasuredProgress {
  private lastLineAt = 0;

  constructor(opts: ProgressOptions, private readonly stream: NodeJS.WriteStream) {
    super(opts);
  }

  override start(total: number | undefined, label: string): void {
    super.start(total, label);
    this.lastLineAt = performance.now();
    const of = this.total === undefined ? '' : ` of ${this.amount(this.total)}`;
    this.stream.write(`${this.label}: started${of}\n`);
  }

  override update(done: number, extra?: Record<string, string | number>): void {
    super.update(done, extra);
    const now = performance.now();
    if (now - this.lastLineAt >= (this.opts.lineIntervalMs ?? 2000)) {
      this.lastLineAt = now;
      this.stream.write(this.line() + '\n');
    }
  }

  stop(outcome: ProgressOutcome = 'done'): void {
    if (!this.active) return;
    this.active = false;
    this.stream.write(`${this.line()} ${outcome === 'done' ? 'done in' : 'failed after'} ${formatNumber(this.seconds())} s\n`);
  }

  private line(): string {
    const pct = this.total === undefined ? '' : ` (${((100 * this.done) / this.total).toFixed(1)}%)`;
    const eta = this.etaSeconds();
    const etaText = eta === undefined ? '' : ` ETA ${formatNumber(eta)} s`;
    return `${this.label}: ${this.count()}${pct} ${this.amount(this.rate())}/s${etaText}${this.extraText()}`;
  }
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatAmount(n: number, unit: string): string {
  if (unit !== 'B') return `${formatNumber(n)} ${unit}`;
  let value = n;
  let i = 0;
  while (value >= 1024 && i < BYTE_UNITS.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(value) : value.toFixed(1)} ${BYTE_UNITS[i]}`;
}

/** Integers as they are, others with 4 significant digits: enough for a loss, short in a bar. */
function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 1000 ? n.toFixed(0) : Number(n.toPrecision(4)).toString();
}
