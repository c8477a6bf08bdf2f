// Which model errors move a run to another credential or model, and what each does to the failing profile.
// The kinds themselves come from providers/errors.ts (classifyError); this file only says what to do with them.
import type { ModelErrorKind } from '../types/provider.js';

/**
 * What a failure does to the profile that produced it:
 * - `cooldown`: a short, growing pause (rate limits, overload, timeouts, 5xx, a rejected key that may be transient);
 * - `billing`: the account is out of credit, a long disable that doubles;
 * - `disable`: the key is refused for good (403), a long disable;
 * - `none`: not the profile's fault (the request itself, or the user's /stop) — never fails over.
 */
export type FailureEffect = 'cooldown' | 'billing' | 'disable' | 'none';

const EFFECT: Record<ModelErrorKind, FailureEffect> = {
  rate_limit: 'cooldown',
  overloaded: 'cooldown',
  timeout: 'cooldown',
  server_error: 'cooldown',
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
