// The runtime's time helpers over the one Clock type (runtime/types/clock.ts).
import type { Clock } from './types/clock.js';

export { systemClock, type Clock, type TimerHandle } from './types/clock.js';

/** Resolves after ms on the given clock; rejects with the signal's reason if aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(signal!.reason);
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
