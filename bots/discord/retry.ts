// Waiting on the injected clock (the runtime's, or a test's fake one) and the retry limits every Discord call
// shares. Nothing here sleeps on real timers of its own.
import type { Clock } from '../../runtime/types/channel.js';

/** Resolves true after ms; false at once (or early) when the signal aborts, so loops can just check it. */
export function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clock.clearTimeout(h);
      resolve(false);
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryPolicy {
  /** First backoff after a network error or 5xx; doubles each time. */
  initialBackoffMs: number;
  /** Backoff ceiling (also between login attempts). */
  maxBackoffMs: number;
  /** Attempts for one REST call on network errors / 5xx before giving up. */
  sendAttempts: number;
  /** A rate limit asking for a longer wait than this fails the call instead of blocking the chat. */
  maxRetryAfterSeconds: number;
  /** How many rate limits one call may wait out (when the REST client hands them to us). */
  maxRateLimitRetries: number;
  /** One call, all its waits and retries included, gives up after this long. */
  callDeadlineMs: number;
  /** start() returns after this long even if the first login is still going (it goes on in the background). */
  loginWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
  sendAttempts: 4,
  maxRetryAfterSeconds: 60,
  maxRateLimitRetries: 5,
  callDeadlineMs: 5 * 60_000,
  loginWaitMs: 20_000,
};

export function backoffMs(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, failures - 1));
}
