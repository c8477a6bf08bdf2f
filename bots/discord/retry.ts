// The retry limits every Discord call shares: the adapters' common policy (runtime/types/retry.ts) plus a deadline
// per call and how long start() waits for the first login. Waits run on the injected clock.
import { defaultRetryPolicy as commonPolicy, type RetryPolicy as CommonRetryPolicy } from '../../runtime/types/retry.js';

export { backoffMs, pause } from '../../runtime/types/retry.js';

export interface RetryPolicy extends CommonRetryPolicy {
  /** One call, all its waits and retries included, gives up after this long. */
  callDeadlineMs: number;
  /** start() returns after this long even if the first login is still going (it goes on in the background). */
  loginWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  ...commonPolicy,
  maxBackoffMs: 60_000, // also between login attempts
  callDeadlineMs: 5 * 60_000,
  loginWaitMs: 20_000,
};
