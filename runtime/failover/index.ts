// Self-healing model access: auth-profile rotation with cooldowns and the model fallback chain.
export { createFailoverModelCaller, attemptLabel, type FailoverDeps } from './caller.js';
export { failureEffect, isFailoverKind, type FailureEffect } from './classes.js';
export {
  AUTH_PERMANENT_DISABLE_MS,
  BILLING_DISABLE_CAP_MS,
  BILLING_DISABLE_MS,
  COOLDOWN_LADDER_MS,
  FORGET_AFTER_MS,
  availableAt,
  isUsable,
  recordFailure,
  recordSuccess,
} from './health.js';
export { keylessProfileId, memorySticky, orderProfiles, sessionSticky, type AuthProfile, type StickyProfiles } from './order.js';
export { profileHealthReport, type ProfileHealthRow } from './report.js';
