/**
 * One load-test client: streaming completions, one after another on a keep-alive connection,
 * until its deadline. For every SSE chunk it records when it arrived and how many characters it
 * carried, so that per-character latency is the wait a reader had for each character: the gap
 * before the chunk that delivered it (the first chunk's gap is from the request start).
 */
import { type Agent, request } from 'node:http';

export interface ClientOptions {
  url: string;
  agent: Agent;
  /** Stop starting requests at this time (performance.now()); abort the one in flight at `hardStop`. */
  deadline: number;
  hardStop: number;
  /** Requests per client at most (the loop is bounded in count as well as in time). */
  maxRequests: number;
  prompt: (i: number) => string;
  maxTokens: number;
  seed: (i: number) => number;
  /** Whether request i is cut by the client once its first text arrives (a reader that goes away). */
  disconnect?: (i: number) => boolean;
}

export interface ClientStats {
  requests: number;
  completed: number;
  /** Requests this client cut itself (disconnect), not errors. */
  disconnected: number;
  errors: string[];
  /** Characters received before the deadline. */
  chars: number;
  /** One entry per character received before the deadline: the gap (ms) before its chunk. */
  charLatencies: number[];
  /** Time to the first character, per request (ms). */
  firstChar: number[];
  chunks: number;
}

function oneRequest(options: ClientOptions, i: number, stats: ClientStats): Promise<void> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ prompt: options.prompt(i), max_tokens: options.maxTokens, seed: options.seed(i), stream: true });
    const started = performance.now();
    let last = started;
    let first = true;
    let buffer = '';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error !== undefined) stats.errors.push(error);
      resolve();
    };
    const req = request(
      options.url + '/v1/completions',
      { method: 'POST', agent: options.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          finish(`HTTP ${res.statusCode}`);
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const now = performance.now();
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!event.startsWith('data: ')) continue;
            const data = event.slice(6);
            if (data === '[DONE]') {
              stats.completed++;
              continue;
            }
            const chunk = JSON.parse(data) as { error?: { message: string }; choices?: { text: string }[] };
            if (chunk.error !== undefined) {
              stats.errors.push(chunk.error.message);
              continue;
            }
            const n = chunk.choices?.[0]?.text.length ?? 0;
            if (n === 0) continue;
            if (options.disconnect?.(i) === true) {
              // Gone mid-stream: the server must free the slot; nothing of this request is counted.
              stats.disconnected++;
              done = true;
              clearTimeout(timer);
              req.destroy();
              resolve();
              return;
            }
            if (now <= options.deadline) {
              const gap = now - last;
              stats.chars += n;
              stats.chunks++;
              for (let k = 0; k < n; k++) stats.charLatencies.push(gap);
              if (first) stats.firstChar.push(gap);
            }
            first = false;
            last = now;
          }
        });
        res.on('end', () => finish());
        res.on('error', (e) => finish(e.message));
      },
    );
    req.on('error', (e) => finish(done ? undefined : e.message));
    // The time bound: a request still streaming at the hard stop is cut (not an error).
    timer = setTimeout(() => {
      done = true;
      req.destroy();
      resolve();
    }, Math.max(0, options.hardStop - performance.now()));
    req.end(body);
  });
}

export async function runClient(options: ClientOptions): Promise<ClientStats> {
  const stats: ClientStats = { requests: 0, completed: 0, disconnected: 0, errors: [], chars: 0, charLatencies: [], firstChar: [], chunks: 0 };
  for (let i = 0; i < options.maxRequests && performance.now() < options.deadline; i++) {
    stats.requests++;
    await oneRequest(options, i, stats);
  }
  return stats;
}
