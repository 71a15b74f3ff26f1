import { PassThrough } from 'node:stream';
import { createProgress, formatAmount } from '@charrnn/data/node';

/** A stream that records what is written; `isTTY` decides which kind of progress is created. */
function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const pass = new PassThrough();
  const chunks: string[] = [];
  pass.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  Object.assign(pass, { isTTY, columns: 160 });
  return { stream: pass as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('createProgress without a TTY (CI logs, pipes)', () => {
  test('prints plain lines with amount, percentage, rate, ETA and the extra fields', async () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ unit: 'batches', stream, lineIntervalMs: 0 });
    progress.start(942, 'epoch 1');
    progress.update(100, { loss: 1.23456, 'chars/s': 5000 });
    progress.update(942);
    progress.stop();
    await flush();
    const lines = text().trim().split('\n');
    expect(lines[0]).toBe('epoch 1: started of 942 batches');
    expect(lines[1]).toMatch(/^epoch 1: 100\/942 batches \(10\.6%\) [\d.]+ batches\/s ETA [\d.]+ s loss=1\.235 chars\/s=5000$/);
    expect(lines.at(-1)).toMatch(/^epoch 1: 942\/942 batches \(100\.0%\) .* loss=1\.235 chars\/s=5000 done in [\d.]+ s$/);
    expect(lines).toHaveLength(4);
  });

  test('throttles lines', async () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ unit: 'B', stream, lineIntervalMs: 60_000 });
    progress.start(undefined, 'download');
    for (let i = 1; i <= 1000; i++) progress.update(i * 1024);
    progress.stop();
    await flush();
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2); // start and the final line only
    expect(lines[1]).toMatch(/^download: 1000\.0 KiB [\d.]+ [KMG]?i?B\/s done in/);
  });

  test('a task that failed does not end with "done"', async () => {
    const { stream, text } = fakeStream(false);
    const progress = createProgress({ unit: 'B', stream, lineIntervalMs: 60_000 });
    progress.start(4096, 'download x.txt');
    progress.update(1024);
    progress.stop('failed');
    progress.stop('failed'); // a second stop prints nothing
    await flush();
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^download x\.txt: 1\.0 KiB\/4\.0 KiB \(25\.0%\) .* failed after [\d.]+ s$/);
    expect(text()).not.toContain('done');
  });
});

describe('createProgress on a TTY', () => {
  test('draws a cli-progress bar with counts, rate, ETA and the extra fields', async () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress({ unit: 'batches', stream });
    progress.start(200, 'epoch 2');
    progress.update(50, { loss: 1.5 });
    progress.update(200, { loss: 1.25 });
    progress.stop();
    await flush();
    const out = text();
    expect(out).toContain('epoch 2 |');
    expect(out).toMatch(/100% 200\/200 batches \| [\d.]+ batches\/s \| ETA 0s \| loss=1\.25/);
  });

  test('an unknown total shows the amount and rate without a bar', async () => {
    const { stream, text } = fakeStream(true);
    const progress = createProgress({ unit: 'B', stream });
    progress.start(undefined, 'download');
    progress.update(3 * 1024 * 1024);
    progress.stop();
    await flush();
    expect(text()).toMatch(/download 3\.0 MiB \| [\d.]+ [KMG]?i?B\/s \|/);
  });
});

test('formatAmount', () => {
  expect(formatAmount(600901, 'B')).toBe('586.8 KiB');
  expect(formatAmount(512, 'B')).toBe('512 B');
  expect(formatAmount(12.3456, 'chars')).toBe('12.35 chars');
});
