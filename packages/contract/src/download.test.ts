import { jest } from '@jest/globals';
import { DEFAULT_IDLE_TIMEOUT_MS, IdleTimeout, describeFetchError } from './download.js';
import { yieldToEventLoop } from './event-loop.js';

describe('IdleTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('aborts its signal once `ms` pass with nothing arriving; each touch starts the period again', () => {
    const idle = new IdleTimeout(1000);
    jest.advanceTimersByTime(999);
    idle.touch();
    jest.advanceTimersByTime(999);
    expect([idle.signal.aborted, idle.fired]).toEqual([false, false]);
    jest.advanceTimersByTime(1);
    expect([idle.signal.aborted, idle.fired]).toEqual([true, true]);
  });

  test('clear stops it for good', () => {
    const idle = new IdleTimeout(DEFAULT_IDLE_TIMEOUT_MS);
    idle.clear();
    jest.advanceTimersByTime(10 * DEFAULT_IDLE_TIMEOUT_MS);
    expect([idle.signal.aborted, idle.fired]).toEqual([false, false]);
  });
});

test('describeFetchError follows undici-style causes four levels down, not further', () => {
  const chain = new Error('fetch failed', { cause: new Error('connect ECONNREFUSED', { cause: { message: 'socket', cause: 'root' } }) });
  expect(describeFetchError(chain)).toBe('fetch failed: connect ECONNREFUSED: socket: root');
  const deep = new Error('1', { cause: new Error('2', { cause: new Error('3', { cause: new Error('4', { cause: new Error('5') }) }) }) });
  expect(describeFetchError(deep)).toBe('1: 2: 3: 4');
  expect(describeFetchError('plain')).toBe('plain');
});

test('yieldToEventLoop lets the macrotasks already queued run first', async () => {
  const ran: string[] = [];
  setImmediate(() => ran.push('queued before'));
  await yieldToEventLoop();
  ran.push('after the turn');
  expect(ran).toEqual(['queued before', 'after the turn']);
});
