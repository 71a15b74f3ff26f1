/**
 * Prometheus metrics (prom-client, text format 0.0.4 at GET /metrics). Each server has its own
 * registry, so several servers in one process (tests) never share counters. prom-client's default
 * metrics add the process_* and nodejs_* series (CPU, resident memory, open file descriptors,
 * event-loop lag, heap, GC).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CutReason, SchedulerObserver } from './scheduler/scheduler.js';

/** The `reason` label of charrnn_cancelled_streams_total. */
const CUT_LABELS: Readonly<Record<CutReason, string>> = { cancelled: 'client_closed', timeout: 'timeout', drain: 'drain', error: 'error' };

/** Live figures read when /metrics is scraped. */
export interface MetricsSource {
  models(): Iterable<{ name: string; activeStreams: number; queuedStreams: number }>;
  sessions(): number;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly characters: Counter<'model'>;
  private readonly cancelled: Counter<'model' | 'reason'>;
  private readonly batchSize: Histogram<'model'>;
  private readonly stepSeconds: Histogram<'model'>;
  private readonly requestSeconds: Histogram<'route'>;
  private readonly queueSeconds: Histogram<'model'>;
  private readonly firstTokenSeconds: Histogram<'model'>;
  private readonly perTokenSeconds: Histogram<'model'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const latency = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    this.requestSeconds = new Histogram({
      name: 'charrnn_request_duration_seconds',
      help: 'Time from a request to the end of its response (streams included), by route',
      labelNames: ['route'],
      buckets: latency,
      registers,
    });
    this.queueSeconds = new Histogram({
      name: 'charrnn_queue_seconds',
      help: 'Time a stream waited for a slot, by model',
      labelNames: ['model'],
      buckets: [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.firstTokenSeconds = new Histogram({
      name: 'charrnn_time_to_first_token_seconds',
      help: 'Time from submitting a stream to its first character (queue and prompt included), by model',
      labelNames: ['model'],
      buckets: latency,
      registers,
    });
    this.perTokenSeconds = new Histogram({
      name: 'charrnn_time_per_output_token_seconds',
      help: "Mean time between a stream's characters, once per stream of two or more, by model",
      labelNames: ['model'],
      buckets: [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1],
      registers,
    });
    this.requests = new Counter({
      name: 'charrnn_requests_total',
      help: 'HTTP requests, by route and status code (499: the client closed the connection first)',
      labelNames: ['route', 'status'],
      registers,
    });
    this.characters = new Counter({
      name: 'charrnn_generated_characters_total',
      help: 'Characters generated, by model',
      labelNames: ['model'],
      registers,
    });
    this.cancelled = new Counter({
      name: 'charrnn_cancelled_streams_total',
      help: 'Streams ended before their length or stop string, by model and reason (client_closed, timeout, drain, error)',
      labelNames: ['model', 'reason'],
      registers,
    });
    new Gauge({
      name: 'charrnn_active_streams',
      help: 'Streams being generated (in the batch, priming or paused by a slow reader), by model',
      labelNames: ['model'],
      registers,
      collect() {
        for (const m of source.models()) this.set({ model: m.name }, m.activeStreams);
      },
    });
    new Gauge({
      name: 'charrnn_queued_streams',
      help: 'Streams waiting for a free slot, by model',
      labelNames: ['model'],
      registers,
      collect() {
        for (const m of source.models()) this.set({ model: m.name }, m.queuedStreams);
      },
    });
    new Gauge({
      name: 'charrnn_sessions',
      help: 'Sessions kept',
      registers,
      collect() {
        this.set(source.sessions());
      },
    });
    this.batchSize = new Histogram({
      name: 'charrnn_batch_size',
      help: 'Streams stepped together per decode step, by model',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.stepSeconds = new Histogram({
      name: 'charrnn_step_seconds',
      help: 'Time of one scheduler step (sampling, priming, one batched model run), by model',
      labelNames: ['model'],
      buckets: [5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25],
      registers,
    });
  }

  request(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.requestSeconds.observe({ route }, seconds);
  }

  /** The scheduler's hook for one model; label children are looked up once, not per step. */
  observerFor(model: string): SchedulerObserver {
    const batch = this.batchSize.labels(model);
    const seconds = this.stepSeconds.labels(model);
    const chars = this.characters.labels(model);
    const cancelled = this.cancelled;
    const queue = this.queueSeconds.labels(model);
    const first = this.firstTokenSeconds.labels(model);
    const perToken = this.perTokenSeconds.labels(model);
    return {
      queued: (s) => queue.observe(s),
      firstToken: (s) => first.observe(s),
      perToken: (s) => perToken.observe(s),
      cut(reason) {
        cancelled.inc({ model, reason: CUT_LABELS[reason] });
      },
      step(size, elapsed) {
        batch.observe(size);
        seconds.observe(elapsed);
      },
      generated(n) {
        chars.inc(n);
      },
    };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
