import { BARRIER_BYTES, Barrier, BarrierBrokenError } from './barrier.js';

describe('Barrier: the count of finished updates', () => {
  it('finishedAsync resolves once the count reaches its target, not before', async () => {
    const barrier = new Barrier(new SharedArrayBuffer(BARRIER_BYTES), 2);
    let resolved = false;
    const waiting = barrier.finishedAsync(2).then(() => (resolved = true));
    barrier.finish();
    // One of two finished: the count is below the target, so the wait cannot have resolved.
    await new Promise((r) => setImmediate(r));
    expect(barrier.finished).toBe(1);
    expect(resolved).toBe(false);
    barrier.finish();
    await waiting;
    expect(resolved).toBe(true);
  });

  it('a count already reached returns at once, on either side', async () => {
    const barrier = new Barrier(new SharedArrayBuffer(BARRIER_BYTES), 2);
    barrier.finish();
    barrier.finish();
    barrier.awaitFinished(2);
    await barrier.finishedAsync(1);
    expect(barrier.finished).toBe(2);
  });

  it('breaking the barrier rejects a pending wait for the count, and any later one', async () => {
    const barrier = new Barrier(new SharedArrayBuffer(BARRIER_BYTES), 2);
    const waiting = barrier.finishedAsync(1);
    barrier.break();
    await expect(waiting).rejects.toThrow(BarrierBrokenError);
    expect(() => barrier.awaitFinished(1)).toThrow(BarrierBrokenError);
    await expect(barrier.finishedAsync(0)).rejects.toThrow(BarrierBrokenError);
  });
});
