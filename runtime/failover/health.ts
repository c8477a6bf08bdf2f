// Pure bookkeeping of one auth profile's health (cooldowns, disables, error counts). Every function takes
// `now` and returns a new ProfileHealth, so the ladder and the disables are table-testable without a clock;
// caller.ts stores the results in state.json (GatewayState.profiles) so they survive a restart.
import type { ModelError } from '../types/provider.js';
import type { ProfileHealth } from '../types/storage.js';
import { failureEffect, isTransientKind } from './classes.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Cooldown after the 1st, 2nd, 3rd, 4th+ consecutive failure. */
export const COOLDOWN_LADDER_MS = [1 * MINUTE, 5 * MINUTE, 25 * MINUTE, 1 * HOUR] as const;
/** Billing (out of credit): first disable, doubled on each further billing failure up to the cap. */
export const BILLING_DISABLE_MS = 5 * HOUR;
export const BILLING_DISABLE_CAP_MS = 24 * HOUR;
/**
 * A key the API refuses outright (403: revoked, no access to the model, region) is parked for a day: such a key
 * rarely comes back by itself, and retrying it every few minutes only fills logs. A success (e.g. after the
 * owner fixes the account, another session, or a restart with a new key under the same profile) clears it.
 */
export const AUTH_PERMANENT_DISABLE_MS = 24 * HOUR;
/**
 * Server faults (5xx, overload, cut or malformed streams, timeouts) in a row before the profile cools down: one
 * bad response is the server's hiccup, not the key's fault, and must not lock every chat out for a minute.
 */
export const SERVER_FAULTS_BEFORE_COOLDOWN = 3;
/**
 * While a profile cools down after server faults, one call may still probe it this often: when every profile
 * is cooling, a recovered server is noticed within this time instead of after the whole cooldown.
 */
export const PROBE_INTERVAL_MS = 30_000;
/**
 * Error counters (ladder step, billing step, per-kind counts) are forgotten after this long without a failure,
 * counted from when the profile became usable again: a key parked for 24 h had no failures only because it was
 * not called, and must not come back with its billing step reset.
 */
export const FORGET_AFTER_MS = 24 * HOUR;

export function emptyHealth(): ProfileHealth {
  return { errorCount: 0, failureCounts: {} };
}

/** Drops counters after FORGET_AFTER_MS of usable time without a failure (see there). */
export function forgetStale(h: ProfileHealth, now: number): ProfileHealth {
  if (h.lastFailureAt === undefined || now - Math.max(h.lastFailureAt, availableAt(h)) < FORGET_AFTER_MS) return h;
  const { billingCount: _billing, serverFaults: _faults, ...rest } = h;
  return { ...rest, errorCount: 0, failureCounts: {} };
}

export function cooldownForStep(consecutiveFailures: number): number {
  const i = Math.min(Math.max(consecutiveFailures, 1), COOLDOWN_LADDER_MS.length) - 1;
  return COOLDOWN_LADDER_MS[i]!;
}

export function billingDisableForStep(billingFailures: number): number {
  const n = Math.max(billingFailures, 1);
  // 5 h · 2^(n-1), capped; the exponent is bounded so a huge count cannot overflow to Infinity.
  return Math.min(BILLING_DISABLE_MS * 2 ** Math.min(n - 1, 16), BILLING_DISABLE_CAP_MS);
}

/**
 * The health after `error` on this profile. Kinds that do not fail over (context_overflow, bad_request, aborted)
 * say nothing about the profile and leave it as it was.
 */
export function recordFailure(prev: ProfileHealth | undefined, error: ModelError, now: number): ProfileHealth {
  const effect = failureEffect(error.kind);
  if (effect === 'none') return prev ?? emptyHealth();
  const h = forgetStale(prev ?? emptyHealth(), now);
  const counted = { ...h.failureCounts, [error.kind]: (h.failureCounts[error.kind] ?? 0) + 1 };
  // A server that says how long to wait knows better than our ladder when it says longer.
  const wait = (ms: number) => now + Math.max(ms, error.retryAfterMs ?? 0);
  if (effect === 'transient') {
    const serverFaults = (h.serverFaults ?? 0) + 1;
    const next: ProfileHealth = { ...h, serverFaults, failureCounts: counted, lastFailureAt: now };
    if (serverFaults >= SERVER_FAULTS_BEFORE_COOLDOWN) {
      next.errorCount = h.errorCount + 1;
      next.cooldownUntil = Math.max(h.cooldownUntil ?? 0, wait(cooldownForStep(next.errorCount)));
      next.cooldownReason = error.kind;
    } else if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
      // Not cooled down by us yet, but a server that asks for a pause gets it.
      next.cooldownUntil = Math.max(h.cooldownUntil ?? 0, wait(0));
      next.cooldownReason = error.kind;
    }
    return next;
  }
  const next: ProfileHealth = {
    ...h,
    errorCount: h.errorCount + 1,
    failureCounts: counted,
    lastFailureAt: now,
  };
  if (effect === 'cooldown') {
    next.cooldownUntil = Math.max(h.cooldownUntil ?? 0, wait(cooldownForStep(next.errorCount)));
    next.cooldownReason = error.kind;
  } else if (effect === 'billing') {
    next.billingCount = (h.billingCount ?? 0) + 1;
    next.disabledUntil = Math.max(h.disabledUntil ?? 0, wait(billingDisableForStep(next.billingCount)));
    next.disabledReason = 'billing';
  } else {
    next.disabledUntil = Math.max(h.disabledUntil ?? 0, wait(AUTH_PERMANENT_DISABLE_MS));
    next.disabledReason = 'auth_permanent';
  }
  return next;
}

/** A call on this profile worked: the ladder, billing step and any block are reset; counts per kind stay for /status. */
export function recordSuccess(prev: ProfileHealth | undefined, now: number): ProfileHealth {
  const h = forgetStale(prev ?? emptyHealth(), now);
  const { cooldownUntil: _c, cooldownReason: _cr, disabledUntil: _d, disabledReason: _dr, billingCount: _b, serverFaults: _s, ...rest } = h;
  return { ...rest, errorCount: 0, lastUsedAt: now, lastGoodAt: now };
}

/** A call on this profile is starting (feeds least-recently-used ordering). */
export function recordUse(prev: ProfileHealth | undefined, now: number): ProfileHealth {
  return { ...(prev ?? emptyHealth()), lastUsedAt: now };
}

/** When the profile may be called again: 0 when it is not blocked at all. */
export function availableAt(h: ProfileHealth | undefined): number {
  if (!h) return 0;
  return Math.max(h.cooldownUntil ?? 0, h.disabledUntil ?? 0);
}

export function isUsable(h: ProfileHealth | undefined, now: number): boolean {
  return availableAt(h) <= now;
}

/** Why the profile is blocked right now (the disable reason wins over a cooldown), or undefined when usable. */
export function blockedReason(h: ProfileHealth | undefined, now: number): string | undefined {
  if (!h) return undefined;
  if ((h.disabledUntil ?? 0) > now) return h.disabledReason ?? 'disabled';
  if ((h.cooldownUntil ?? 0) > now) return h.cooldownReason ?? 'cooldown';
  return undefined;
}

/**
 * When a blocked profile may take a probe call: only a cooldown after server faults (never a disable, a rate
 * limit or a rejected key, which keep their ladders) and at most every PROBE_INTERVAL_MS since it was last
 * called. Undefined when it may not be probed.
 */
export function probeAt(h: ProfileHealth | undefined, now: number): number | undefined {
  if (!h || (h.disabledUntil ?? 0) > now || !isTransientKind(h.cooldownReason)) return undefined;
  return (h.lastUsedAt ?? 0) + PROBE_INTERVAL_MS;
}
