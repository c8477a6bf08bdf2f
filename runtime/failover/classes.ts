// Which model errors move a run to another credential or model, and what each does to the failing profile.
// The kinds themselves come from providers/errors.ts (classifyError); this file only says what to do with them.
import type { ModelErrorKind } from '../types/provider.js';

/**
 * What a failure does to the profile that produced it:
 * - `transient`: a server fault (5xx, overload, a cut or malformed stream, a timeout) says nothing about the key:
 *   the call is retried with a short backoff and fails over for this request, and the profile cools down only
 *   after repeated faults in a row (health.ts);
 * - `cooldown`: a short, growing pause (rate limits, a rejected key that may be transient);
 * - `billing`: the account is out of credit, a long disable that doubles;
 * - `disable`: the key is refused for good (403), a long disable;
 * - `none`: not the profile's fault (the request itself, or the user's /stop) — never fails over.
 */
export type FailureEffect = 'transient' | 'cooldown' | 'billing' | 'disable' | 'none';

const EFFECT: Record<ModelErrorKind, FailureEffect> = {
  rate_limit: 'cooldown',
  overloaded: 'transient',
  timeout: 'transient',
  server_error: 'transient',
  auth: 'cooldown',
  auth_permanent: 'disable',
  billing: 'billing',
  // Another credential or model would get the same too-long prompt or malformed request; an abort is the user's.
  context_overflow: 'none',
  bad_request: 'none',
  aborted: 'none',
};

export function failureEffect(kind: ModelErrorKind): FailureEffect {
  return EFFECT[kind] ?? 'none';
}

/** True when the run should move on to the next profile / model instead of reporting the error. */
export function isFailoverKind(kind: ModelErrorKind): boolean {
  return failureEffect(kind) !== 'none';
}

/** A server fault: retried within the call, and not the key's fault until it repeats. */
export function isTransientKind(kind: string | undefined): boolean {
  return kind !== undefined && failureEffect(kind as ModelErrorKind) === 'transient';
}
