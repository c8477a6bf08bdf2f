// What every adapter's sending and reconnecting share: an abortable wait on the injected clock (tests drive a fake
// one) and the retry timing for network errors, 5xx answers and rate limits.
import type { Clock } from './clock.js';

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

/** Retry timing of an adapter's platform calls; every value can be overridden per deployment or test. */
export interface RetryPolicy {
  /** First backoff after a network error or 5xx; doubles each time. */
  initialBackoffMs: number;
  /** Backoff ceiling. */
  maxBackoffMs: number;
  /** Attempts for one outbound call on network errors / 5xx before giving up. */
  sendAttempts: number;
  /** A 429 asking for a longer wait than this fails the send instead of blocking the chat. */
  maxRetryAfterSeconds: number;
  /** How many 429s one outbound call may wait out. */
  maxRateLimitRetries: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  sendAttempts: 4,
  maxRetryAfterSeconds: 60,
  maxRateLimitRetries: 5,
};

export function backoffMs(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, failures - 1));
}
