// Profile health for /status: one row per auth profile, with its state and error counts — never a secret
// (rows are built from profile ids and health only; the credential's secret is not read).
import type { Credential } from '../types/provider.js';
import type { GatewayState, ProfileHealth } from '../types/storage.js';
import { forgetStale } from './health.js';

export interface ProfileHealthRow {
  profileId: string;
  provider: string;
  /** `ok`, `cooling until <iso>` or `disabled until <iso> (<reason>)`. */
  status: string;
  errorCount: number;
  failureCounts: Record<string, number>;
}

function statusOf(h: ProfileHealth | undefined, now: number): string {
  if (h?.disabledUntil !== undefined && h.disabledUntil > now) {
    return `disabled until ${new Date(h.disabledUntil).toISOString()} (${h.disabledReason ?? 'unknown'})`;
  }
  if (h?.cooldownUntil !== undefined && h.cooldownUntil > now) return `cooling until ${new Date(h.cooldownUntil).toISOString()}`;
  return 'ok';
}

/**
 * Every configured profile (in credential order per provider), then profiles that only have recorded health
 * (a keyless local provider, or a profile removed from config whose cooldown is still on file).
 */
export function profileHealthReport(state: { readonly data: GatewayState }, credentials: Map<string, Credential[]>, now: number): ProfileHealthRow[] {
  const rows: ProfileHealthRow[] = [];
  const seen = new Set<string>();
  const row = (profileId: string, provider: string) => {
    seen.add(profileId);
    const raw = state.data.profiles[profileId];
    const h = raw ? forgetStale(raw, now) : undefined;
    rows.push({
      profileId,
      provider,
      status: statusOf(h, now),
      errorCount: h?.errorCount ?? 0,
      failureCounts: { ...(h?.failureCounts ?? {}) },
    });
  };
  for (const [provider, creds] of credentials) for (const c of creds) if (!seen.has(c.profileId)) row(c.profileId, provider);
  for (const profileId of Object.keys(state.data.profiles).sort()) {
    if (!seen.has(profileId)) row(profileId, profileId.split(':')[0] ?? profileId);
  }
  return rows;
}
