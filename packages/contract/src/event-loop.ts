/**
 * One macrotask turn, so that timers, I/O, an AbortSignal fired from them and (in a page) input
 * and painting get their turn during long work. setImmediate in Node; a MessageChannel message in
 * browsers, which unlike setTimeout is neither clamped to 4 ms nor throttled in background tabs.
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (typeof immediate === 'function') return new Promise((resolve) => immediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
