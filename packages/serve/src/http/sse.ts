/**
 * Server-sent events on a raw Node response, OpenAI's way: `data: <json>\n\n` per chunk, then
 * `data: [DONE]\n\n`. Writes report backpressure (Node's `write` returning false) to the caller,
 * which pauses its stream until 'drain', so a slow reader holds at most one socket buffer of text
 * instead of an unbounded queue.
 */
import type { ServerResponse } from 'node:http';

export class SseWriter {
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly raw: ServerResponse) {
    raw.on('drain', () => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const wake of waiters) wake();
    });
  }

  open(headers: Record<string, string> = {}): void {
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
      ...headers,
    });
    // Headers now, so the client sees the stream open before the first text.
    this.raw.flushHeaders();
  }

  /** Whether the client is still there to write to. */
  get writable(): boolean {
    return !this.raw.destroyed && !this.raw.writableEnded;
  }

  /** Writes one event; false means the socket's buffer is full (wait for onDrain). */
  send(json: string): boolean {
    if (!this.writable) return true;
    return this.raw.write(`data: ${json}\n\n`);
  }

  /** Calls `wake` once the buffer has drained (or at once if it is not full). */
  onDrain(wake: () => void): void {
    if (!this.raw.writableNeedDrain || !this.writable) wake();
    else this.drainWaiters.push(wake);
  }

  done(): void {
    if (!this.writable) return;
    this.raw.end('data: [DONE]\n\n');
  }
}
