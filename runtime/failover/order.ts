// Which auth profiles a provider's calls try, in which order, and the session's sticky profile.
// Order: the session's sticky profile (the one that last worked for it: its provider-side prompt cache is warm),
// then `auth.order.<provider>` as given, then the rest with tokens (OAuth / bearer) before API keys and the least
// recently used first, so load spreads over keys. Cooling / disabled profiles are skipped by the caller, not here.
import type { Credential, Provider } from '../types/provider.js';
import type { ProfileHealth, SessionStore } from '../types/storage.js';

export interface AuthProfile {
  /** `<provider>:<name>`; `<provider>:keyless` for a provider called without a credential. */
  id: string;
  provider: string;
  /** Undefined only for the implicit keyless profile of a keyOptional provider (a local server). */
  credential?: Credential;
}

export function keylessProfileId(providerId: string): string {
  return `${providerId}:keyless`;
}

/**
 * The profiles of one provider: its credentials (auth.profiles, models.providers.<id>.apiKey, env keys — see
 * providers/credentials.ts), or one implicit keyless profile when it has none and may be called without one.
 * [] means it cannot be called at all (a missing key).
 */
export function providerProfiles(provider: Provider, credentials: Map<string, Credential[]>): AuthProfile[] {
  const creds = credentials.get(provider.id) ?? [];
  if (creds.length > 0) return creds.map((c) => ({ id: c.profileId, provider: provider.id, credential: c }));
  return provider.keyOptional ? [{ id: keylessProfileId(provider.id), provider: provider.id }] : [];
}

export interface OrderOptions {
  /** `auth.order.<provider>` from config. */
  order?: string[];
  health: Record<string, ProfileHealth | undefined>;
  /** The session's sticky profile id, if any (ignored when it is not one of `profiles`). */
  sticky?: string;
}

export function orderProfiles(profiles: AuthProfile[], opts: OrderOptions): AuthProfile[] {
  const explicit = (p: AuthProfile) => {
    const i = opts.order?.indexOf(p.id) ?? -1;
    return i >= 0 ? i : Number.MAX_SAFE_INTEGER;
  };
  const mode = (p: AuthProfile) => (p.credential?.mode === 'token' ? 0 : 1);
  const lastUsed = (p: AuthProfile) => opts.health[p.id]?.lastUsedAt ?? 0;
  const sorted = profiles
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const ea = explicit(a.p);
      const eb = explicit(b.p);
      if (ea !== eb) return ea - eb;
      // Within auth.order the given order is the whole rule; LRU only sorts the profiles it does not name.
      if (ea !== Number.MAX_SAFE_INTEGER) return 0;
      return mode(a.p) - mode(b.p) || lastUsed(a.p) - lastUsed(b.p) || a.i - b.i;
    })
    .map((x) => x.p);
  const stickyIndex = opts.sticky === undefined ? -1 : sorted.findIndex((p) => p.id === opts.sticky);
  if (stickyIndex > 0) sorted.unshift(...sorted.splice(stickyIndex, 1));
  return sorted;
}

/** Where a session's sticky profile is kept. The lead clears it on /new and after a compaction. */
export interface StickyProfiles {
  get(agentId: string, sessionKey: string): string | undefined;
  set(agentId: string, sessionKey: string, profileId: string | undefined): void;
}

/** Sticky profiles in the session entries (SessionEntry.stickyProfile); sessions without an entry are not sticky. */
export function sessionSticky(sessions: SessionStore): StickyProfiles {
  return {
    get: (agentId, sessionKey) => sessions.get(agentId, sessionKey)?.stickyProfile,
    set(agentId, sessionKey, profileId) {
      const entry = sessions.get(agentId, sessionKey);
      if (!entry || entry.stickyProfile === profileId) return;
      const { stickyProfile: _old, ...rest } = entry;
      sessions.put(profileId === undefined ? rest : { ...rest, stickyProfile: profileId });
    },
  };
}

/** In-memory sticky profiles (tests, or a gateway without session storage). */
export function memorySticky(): StickyProfiles {
  const map = new Map<string, string>();
  const k = (agentId: string, sessionKey: string) => `${agentId}\u0000${sessionKey}`;
  return {
    get: (agentId, sessionKey) => map.get(k(agentId, sessionKey)),
    set(agentId, sessionKey, profileId) {
      if (profileId === undefined) map.delete(k(agentId, sessionKey));
      else map.set(k(agentId, sessionKey), profileId);
    },
  };
}
