// Pure failover rules: failure classes, the cooldown ladder, billing / permanent disables, forgetting, profile
// order, and the /status report.
import { describe, expect, it } from 'vitest';
import { failureEffect, isFailoverKind } from '../../runtime/failover/classes.js';
import {
  AUTH_PERMANENT_DISABLE_MS,
  availableAt,
  FORGET_AFTER_MS,
  isUsable,
  PROBE_INTERVAL_MS,
  probeAt,
  recordFailure,
  recordSuccess,
} from '../../runtime/failover/health.js';
import { keylessProfileId, memorySticky, orderProfiles, providerProfiles, type AuthProfile } from '../../runtime/failover/order.js';
import { profileHealthReport } from '../../runtime/failover/report.js';
import type { Credential, ModelError, ModelErrorKind, Provider } from '../../runtime/types/provider.js';
import type { GatewayState, ProfileHealth } from '../../runtime/types/storage.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 1);
const err = (kind: ModelErrorKind, retryAfterMs?: number): ModelError => ({ kind, message: kind, ...(retryAfterMs ? { retryAfterMs } : {}) });

describe('failure classes', () => {
  it.each([
    ['rate_limit', true],
    ['overloaded', true],
    ['timeout', true],
    ['server_error', true],
    ['auth', true],
    ['auth_permanent', true],
    ['billing', true],
    ['context_overflow', false],
    ['bad_request', false],
    ['aborted', false],
  ] as const)('%s fails over: %s', (kind, expected) => {
    expect(isFailoverKind(kind)).toBe(expected);
  });

  it('maps kinds to what they do to the profile', () => {
    expect(failureEffect('rate_limit')).toBe('cooldown');
    expect(failureEffect('auth')).toBe('cooldown');
    expect(failureEffect('billing')).toBe('billing');
    expect(failureEffect('auth_permanent')).toBe('disable');
    expect(failureEffect('context_overflow')).toBe('none');
  });
});

describe('profile health', () => {
  /** Fails the profile each time it becomes usable again; returns the cooldown lengths. */
  function ladder(kind: ModelErrorKind, steps: number, retryAfterMs?: number): number[] {
    let h: ProfileHealth | undefined;
    let now = T0;
    const out: number[] = [];
    for (let i = 0; i < steps; i++) {
      h = recordFailure(h, err(kind, retryAfterMs), now);
      out.push(availableAt(h) - now);
      now = availableAt(h);
    }
    return out;
  }

  it('cools down 1 → 5 → 25 → 60 min for consecutive failures, capped at 1 h', () => {
    expect(ladder('rate_limit', 6)).toEqual([1 * MIN, 5 * MIN, 25 * MIN, 60 * MIN, 60 * MIN, 60 * MIN]);
    expect(ladder('auth', 2)).toEqual([MIN, 5 * MIN]);
  });

  it('server faults cool a profile down only from the third in a row, then climb the same ladder', () => {
    for (const kind of ['overloaded', 'timeout', 'server_error'] as const) {
      expect(failureEffect(kind)).toBe('transient');
      let h = recordFailure(undefined, err(kind), T0);
      h = recordFailure(h, err(kind), T0 + 1000);
      expect(isUsable(h, T0 + 1000), kind).toBe(true);
      expect(h).toMatchObject({ serverFaults: 2, errorCount: 0, failureCounts: { [kind]: 2 } });
      h = recordFailure(h, err(kind), T0 + 2000);
      expect(availableAt(h) - (T0 + 2000)).toBe(MIN);
      h = recordFailure(h, err(kind), availableAt(h));
      expect(h.cooldownReason).toBe(kind);
      expect(h.errorCount).toBe(2);
      // A success starts the count over.
      h = recordFailure(recordSuccess(h, T0 + HOUR), err(kind), T0 + HOUR + 1);
      expect(isUsable(h, T0 + HOUR + 1)).toBe(true);
    }
  });

  it('a server fault that asks for a pause (retry-after) gets it, without starting the ladder', () => {
    const h = recordFailure(undefined, err('overloaded', 20_000), T0);
    expect(availableAt(h)).toBe(T0 + 20_000);
    expect(h.errorCount).toBe(0);
  });

  it('a profile cooling after server faults may be probed every 30 s; other blocks may not', () => {
    let h = recordFailure(undefined, err('server_error'), T0);
    h = recordFailure(h, err('server_error'), T0);
    h = { ...recordFailure(h, err('server_error'), T0), lastUsedAt: T0 };
    expect(isUsable(h, T0 + PROBE_INTERVAL_MS)).toBe(false);
    expect(probeAt(h, T0)).toBe(T0 + PROBE_INTERVAL_MS);
    expect(probeAt(recordFailure(undefined, err('rate_limit'), T0), T0)).toBeUndefined();
    expect(probeAt(recordFailure(undefined, err('auth'), T0), T0)).toBeUndefined();
    expect(probeAt(recordFailure(h, err('billing'), T0), T0)).toBeUndefined();
  });

  it('a success resets the ladder (but keeps the per-kind counts for /status)', () => {
    let h = recordFailure(undefined, err('rate_limit'), T0);
    h = recordFailure(h, err('auth'), T0 + MIN);
    expect(h.errorCount).toBe(2);
    h = recordSuccess(h, T0 + 10 * MIN);
    expect(h).toMatchObject({ errorCount: 0, lastGoodAt: T0 + 10 * MIN, lastUsedAt: T0 + 10 * MIN });
    expect(h.cooldownUntil).toBeUndefined();
    expect(h.failureCounts).toEqual({ rate_limit: 1, auth: 1 });
    h = recordFailure(h, err('rate_limit'), T0 + 11 * MIN);
    expect(availableAt(h) - (T0 + 11 * MIN)).toBe(MIN);
  });

  it('a longer retry-after wins over the ladder; a shorter one does not', () => {
    expect(ladder('rate_limit', 2, 10 * MIN)).toEqual([10 * MIN, 10 * MIN]);
    expect(ladder('rate_limit', 2, 5_000)).toEqual([MIN, 5 * MIN]);
  });

  it('billing disables for 5 h, doubling up to 24 h', () => {
    expect(ladder('billing', 5)).toEqual([5 * HOUR, 10 * HOUR, 20 * HOUR, 24 * HOUR, 24 * HOUR]);
    const h = recordFailure(undefined, err('billing'), T0);
    expect(h).toMatchObject({ disabledReason: 'billing', billingCount: 1 });
    // A success in between means the account was topped up: the next billing failure starts at 5 h again.
    const again = recordFailure(recordSuccess(h, T0 + 6 * HOUR), err('billing'), T0 + 7 * HOUR);
    expect(availableAt(again) - (T0 + 7 * HOUR)).toBe(5 * HOUR);
  });

  it('auth_permanent disables for a day', () => {
    const h = recordFailure(undefined, err('auth_permanent'), T0);
    expect(h).toMatchObject({ disabledUntil: T0 + AUTH_PERMANENT_DISABLE_MS, disabledReason: 'auth_permanent' });
    expect(isUsable(h, T0 + 23 * HOUR)).toBe(false);
    expect(isUsable(h, T0 + 24 * HOUR)).toBe(true);
  });

  it('non-failover kinds leave the profile alone', () => {
    const h = recordFailure(undefined, err('rate_limit'), T0);
    for (const kind of ['context_overflow', 'bad_request', 'aborted'] as const) expect(recordFailure(h, err(kind), T0 + 1)).toBe(h);
  });

  it('forgets the counters after 24 h without failures', () => {
    let h = recordFailure(undefined, err('rate_limit'), T0);
    h = recordFailure(h, err('rate_limit'), T0 + MIN);
    h = recordFailure(h, err('billing'), T0 + 7 * MIN);
    // Within the window the ladder keeps climbing (fourth consecutive failure → 60 min) …
    expect(availableAt(recordFailure(h, err('rate_limit'), T0 + 10 * HOUR)) - (T0 + 10 * HOUR)).toBe(60 * MIN);
    // … after a quiet day of being usable (the billing disable ended at T0 + 7 min + 5 h) it starts over, for
    // the ladder, the billing step and the counts.
    expect(availableAt(recordFailure(h, err('rate_limit'), T0 + 25 * HOUR)) - (T0 + 25 * HOUR)).toBe(60 * MIN);
    const later = T0 + 7 * MIN + 5 * HOUR + FORGET_AFTER_MS;
    const fresh = recordFailure(h, err('rate_limit'), later);
    expect(availableAt(fresh) - later).toBe(MIN);
    expect(fresh.failureCounts).toEqual({ rate_limit: 1 });
    expect(availableAt(recordFailure(h, err('billing'), later)) - later).toBe(5 * HOUR);
  });

  it('isUsable / availableAt', () => {
    expect(isUsable(undefined, T0)).toBe(true);
    expect(availableAt(undefined)).toBe(0);
    const h = recordFailure(undefined, err('rate_limit'), T0);
    expect(isUsable(h, T0 + MIN - 1)).toBe(false);
    expect(isUsable(h, T0 + MIN)).toBe(true);
  });
});

describe('profile order', () => {
  const p = (id: string, mode: Credential['mode'] = 'api_key'): AuthProfile => ({
    id,
    provider: 'anthropic',
    credential: { profileId: id, mode, secret: `secret-${id}` },
  });
  const ids = (list: AuthProfile[]) => list.map((x) => x.id);

  it('tokens before API keys, then least recently used, then config order', () => {
    const list = [p('anthropic:a'), p('anthropic:b'), p('anthropic:t', 'token')];
    expect(ids(orderProfiles(list, { health: {} }))).toEqual(['anthropic:t', 'anthropic:a', 'anthropic:b']);
    const health = { 'anthropic:a': { errorCount: 0, failureCounts: {}, lastUsedAt: T0 + 5 } };
    expect(ids(orderProfiles(list, { health }))).toEqual(['anthropic:t', 'anthropic:b', 'anthropic:a']);
  });

  it('auth.order wins and is followed as given; unnamed profiles come after it', () => {
    const list = [p('anthropic:a'), p('anthropic:b'), p('anthropic:t', 'token')];
    const health = { 'anthropic:b': { errorCount: 0, failureCounts: {}, lastUsedAt: T0 } };
    expect(ids(orderProfiles(list, { order: ['anthropic:b', 'anthropic:a'], health }))).toEqual(['anthropic:b', 'anthropic:a', 'anthropic:t']);
  });

  it('the sticky profile goes first; a sticky id of another provider is ignored', () => {
    const list = [p('anthropic:a'), p('anthropic:b'), p('anthropic:t', 'token')];
    expect(ids(orderProfiles(list, { health: {}, sticky: 'anthropic:b' }))[0]).toBe('anthropic:b');
    expect(ids(orderProfiles(list, { health: {}, sticky: 'openai:x' }))).toEqual(['anthropic:t', 'anthropic:a', 'anthropic:b']);
  });

  it('a keyless provider has one implicit profile; a keyed one without credentials has none', () => {
    const provider = (id: string, keyOptional: boolean) => ({ id, api: 'openai-completions', keyOptional, stream: () => [] }) as unknown as Provider;
    expect(providerProfiles(provider('ollama', true), new Map())).toEqual([{ id: keylessProfileId('ollama'), provider: 'ollama' }]);
    expect(providerProfiles(provider('openai', false), new Map())).toEqual([]);
    const creds = new Map([['ollama', [{ profileId: 'ollama:k', mode: 'api_key' as const, secret: 's' }]]]);
    expect(ids(providerProfiles(provider('ollama', true), creds))).toEqual(['ollama:k']);
  });

  it('memorySticky keeps one profile per session', () => {
    const s = memorySticky();
    s.set('main', 'k1', 'anthropic:a');
    expect(s.get('main', 'k1')).toBe('anthropic:a');
    expect(s.get('main', 'k2')).toBeUndefined();
    s.set('main', 'k1', undefined);
    expect(s.get('main', 'k1')).toBeUndefined();
  });
});

describe('profileHealthReport', () => {
  it('shows ok / cooling / disabled with counts, and never a secret', () => {
    const creds = new Map<string, Credential[]>([
      [
        'anthropic',
        [
          { profileId: 'anthropic:a', mode: 'api_key', secret: 'sk-ant-secret-aaaa' },
          { profileId: 'anthropic:b', mode: 'token', secret: 'tok-secret-bbbb' },
          { profileId: 'anthropic:c', mode: 'api_key', secret: 'sk-ant-secret-cccc' },
        ],
      ],
    ]);
    const profiles: GatewayState['profiles'] = {
      'anthropic:a': recordFailure(undefined, err('rate_limit'), T0),
      'anthropic:b': recordFailure(undefined, err('billing'), T0),
      'ollama:keyless': recordFailure(undefined, err('auth'), T0 - 2 * HOUR),
    };
    const state = { data: { profiles } as GatewayState };
    const rows = profileHealthReport(state, creds, T0 + 1000);
    expect(rows).toEqual([
      { profileId: 'anthropic:a', provider: 'anthropic', status: `cooling until ${new Date(T0 + MIN).toISOString()}`, errorCount: 1, failureCounts: { rate_limit: 1 } },
      {
        profileId: 'anthropic:b',
        provider: 'anthropic',
        status: `disabled until ${new Date(T0 + 5 * HOUR).toISOString()} (billing)`,
        errorCount: 1,
        failureCounts: { billing: 1 },
      },
      { profileId: 'anthropic:c', provider: 'anthropic', status: 'ok', errorCount: 0, failureCounts: {} },
      { profileId: 'ollama:keyless', provider: 'ollama', status: 'ok', errorCount: 1, failureCounts: { auth: 1 } },
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/secret/);
    // After a quiet day the counts are gone from the report too.
    expect(profileHealthReport(state, creds, T0 + 25 * HOUR)[0]).toMatchObject({ status: 'ok', errorCount: 0, failureCounts: {} });
  });
});
